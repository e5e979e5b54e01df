import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mampf.models import Registerable
from registration import errors, services
from registration.models import AllocationRun, Campaign, CampaignTransition, UserRegistration
from rosters.models import RosterChange, RosterEntry
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    PolicyFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Campaign.Status
PREF = Campaign.AllocationMode.PREFERENCE_BASED


def closed_preference_campaign(capacities=(1, 1, 1), **kwargs):
    campaign = CampaignFactory(status=Status.CLOSED, allocation_mode=PREF, **kwargs)
    items = [ItemFactory(campaign=campaign, registerable__capacity=c) for c in capacities]
    return campaign, items


def rank(campaign, user, items):
    for position, item in enumerate(items, start=1):
        UserRegistration.objects.create(campaign=campaign, item=item, user=user,
                                        status="pending", preference_rank=position)


def outcome(campaign):
    return {
        (r.user_id, r.item_id): (r.status, r.rejection_reason)
        for r in UserRegistration.objects.filter(campaign=campaign)
    }


def roster_state():
    return sorted(RosterEntry.objects.values_list("registerable_id", "user_id",
                                                  "source_campaign_id"))


def test_allocation_seats_the_inflexible_student_and_records_the_run():
    campaign, (a, b, _c) = closed_preference_campaign()
    flexible, inflexible = UserFactory(), UserFactory()
    rank(campaign, flexible, [a, b])
    rank(campaign, inflexible, [a])
    staff = StaffFactory()
    run = services.campaign_allocate(campaign, by=staff, seed=7)

    assert run.status == "succeeded" and run.seed == 7 and run.requested_by == staff
    state = outcome(campaign)
    assert state[(inflexible.pk, a.pk)] == ("confirmed", "")
    assert state[(flexible.pk, b.pk)] == ("confirmed", "")
    assert state[(flexible.pk, a.pk)] == ("pending", "")
    campaign.refresh_from_db()
    assert campaign.status == Status.PROCESSING
    stats = run.statistics
    assert stats["assigned"] == 2 and stats["unassigned"] == 0
    assert stats["rank_profile"] == {"1": 1, "2": 1}
    assert stats["first_choice_share"] == 0.5
    assert {i["item_id"]: i["assigned"] for i in stats["items"]} == {a.pk: 1, b.pk: 1,
                                                                     _c.pk: 0}


def test_same_seed_same_result_and_rerun_resets():
    campaign, items = closed_preference_campaign(capacities=(2, 2, 2))
    users = [UserFactory() for _ in range(9)]
    for user in users:
        rank(campaign, user, items)  # everyone ranks the same: the lottery decides
    services.campaign_allocate(campaign, seed=42)
    first = outcome(campaign)
    services.campaign_allocate(campaign, seed=42)
    assert outcome(campaign) == first
    assert sum(1 for s in first.values() if s[0] == "confirmed") == 6
    assert AllocationRun.objects.filter(campaign=campaign, status="succeeded").count() == 2


def test_allocation_refusals_change_nothing():
    fcfs = CampaignFactory(status=Status.CLOSED)
    with pytest.raises(errors.WrongAllocationMode):
        services.campaign_allocate(fcfs)
    still_open = CampaignFactory(status=Status.OPEN, allocation_mode=PREF)
    with pytest.raises(errors.InvalidTransition) as refused:
        services.campaign_allocate(still_open)
    assert refused.value.code == "campaign_still_open"
    completed = CampaignFactory(status=Status.COMPLETED, allocation_mode=PREF)
    with pytest.raises(errors.InvalidTransition):
        services.campaign_allocate(completed)
    assert not AllocationRun.objects.exists()


def test_open_campaign_past_its_deadline_is_closed_then_allocated():
    campaign = CampaignFactory(status=Status.OPEN, allocation_mode=PREF)
    item = ItemFactory(campaign=campaign)
    rank(campaign, UserFactory(), [item])
    Campaign.objects.filter(pk=campaign.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(minutes=5))
    services.campaign_allocate(campaign)
    assert [t.to_status for t in CampaignTransition.objects.order_by("id")] == [
        "closed", "processing"]


def test_second_allocation_while_one_runs_is_refused():
    campaign, items = closed_preference_campaign()
    rank(campaign, UserFactory(), items)
    AllocationRun.objects.create(campaign=campaign, status="running", seed=1)
    with pytest.raises(errors.AllocationRunning):
        services.campaign_allocate(campaign)
    with pytest.raises(errors.AllocationRunning):
        services.request_allocation(campaign, by=None)
    assert set(outcome(campaign).values()) == {("pending", "")}


def test_request_allocation_runs_through_the_task(django_capture_on_commit_callbacks):
    campaign, items = closed_preference_campaign()
    rank(campaign, UserFactory(), items)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_allocation(campaign, by=StaffFactory(), seed=3)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert services.run_progress(run)["percent"] == 100


def test_finalization_policy_auto_reject_at_allocation_time():
    campaign, items = closed_preference_campaign(capacities=(5,))
    PolicyFactory(campaign=campaign, phase="finalization",
                  config={"domains": ["uni-heidelberg.de"]})
    insider = UserFactory(institutional_email="in@uni-heidelberg.de")
    outsider = UserFactory(email="out@example.org")
    rank(campaign, insider, items)
    rank(campaign, outsider, items)
    run = services.campaign_allocate(campaign)
    state = outcome(campaign)
    assert state[(insider.pk, items[0].pk)] == ("confirmed", "")
    assert state[(outsider.pk, items[0].pk)] == ("rejected", "policy:institutional_email")
    assert run.statistics["policy_rejected"] == 1


def test_blocker_stops_allocation_and_names_what_to_fix():
    campaign, items = closed_preference_campaign()
    PolicyFactory(campaign=campaign, phase="finalization", config={"domains": []})
    student = UserFactory(name="Ada Lovelace")
    rank(campaign, student, items)
    with pytest.raises(errors.PolicyBlocker) as refused:
        services.campaign_allocate(campaign)
    assert "Ada Lovelace" in str(refused.value)
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    assert set(outcome(campaign).values()) == {("pending", "")}
    run = AllocationRun.objects.get()
    assert run.status == "failed" and "Ada Lovelace" in run.error


def allocated_campaign():
    campaign, (a, b) = closed_preference_campaign(capacities=(1, 1))
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    rank(campaign, first, [a])
    rank(campaign, second, [b, a])
    rank(campaign, third, [a, b])
    services.campaign_allocate(campaign, seed=1)
    return campaign, (a, b), (first, second, third)


def test_finalize_materializes_rejects_the_rest_and_notifies(
    django_capture_on_commit_callbacks, mailoutbox
):
    campaign, (a, b), (first, second, third) = allocated_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        result = services.campaign_finalize(campaign, by=StaffFactory())
    assert result.materialized
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED
    lecture_id = campaign.lecture.pk
    assert roster_state() == sorted([
        (a.registerable_id, first.pk, campaign.pk),
        (b.registerable_id, second.pk, campaign.pk),
        (lecture_id, first.pk, campaign.pk),
        (lecture_id, second.pk, campaign.pk),
    ])
    state = outcome(campaign)
    assert state[(third.pk, a.pk)] == ("rejected", "solver_unassigned")
    assert state[(third.pk, b.pk)] == ("rejected", "solver_unassigned")
    assert state[(second.pk, a.pk)] == ("rejected", "assigned_elsewhere")
    assert not UserRegistration.objects.filter(status="pending").exists()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in (first, second, third))
    unlucky = next(m for m in mailoutbox if m.to == [third.email])
    assert "none of your choices" in unlucky.body


def test_finalize_twice_is_the_same_as_once():
    campaign, _items, _users = allocated_campaign()
    services.campaign_finalize(campaign)
    rosters, audits = roster_state(), RosterChange.objects.count()
    again = services.campaign_finalize(campaign)
    assert again.already_completed and not again.materialized
    assert roster_state() == rosters and RosterChange.objects.count() == audits


def test_crash_in_the_middle_of_materialization_changes_nothing(monkeypatch):
    from rosters import services as roster_services

    campaign, _items, _users = allocated_campaign()
    manual = TutorialFactory(lecture=campaign.lecture)
    RosterEntry.objects.create(registerable=manual, user=UserFactory())
    before_rosters, before_regs = roster_state(), outcome(campaign)
    real = roster_services.materialize_allocation

    def explode(**kwargs):
        real(**kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster_services, "materialize_allocation", explode)
    with pytest.raises(RuntimeError):
        services.campaign_finalize(campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.PROCESSING
    assert roster_state() == before_rosters
    assert outcome(campaign) == before_regs


def test_rematerialization_removes_only_this_campaigns_entries():
    campaign, (a, b), (first, second, third) = allocated_campaign()
    manual_student = UserFactory()
    RosterEntry.objects.create(registerable_id=a.registerable_id, user=manual_student)
    Registerable.objects.filter(pk=a.registerable_id).update(capacity=2)  # room for both
    services.campaign_finalize(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        registration_deadline=timezone.now() + datetime.timedelta(days=1))
    services.campaign_reopen(campaign, by=None)
    services.withdraw_preferences(user=first, campaign=campaign)
    services.campaign_close(campaign, by=None)
    services.campaign_allocate(campaign, seed=1)
    services.campaign_finalize(campaign)
    on_a = set(RosterEntry.objects.filter(registerable_id=a.registerable_id)
               .values_list("user_id", flat=True))
    assert first.pk not in on_a  # this campaign had put them there
    assert manual_student.pk in on_a  # manual entries survive
    assert third.pk in on_a  # the freed seat went to the next student
    assert RosterEntry.objects.filter(registerable_id=campaign.lecture.pk,
                                      user=first).exists()  # lecture roster is kept


def test_finalization_guard_blocker_keeps_processing():
    campaign, items = closed_preference_campaign()
    rank(campaign, UserFactory(), items)
    services.campaign_allocate(campaign)
    PolicyFactory(campaign=campaign, phase="finalization", config={"domains": []})
    with pytest.raises(errors.PolicyBlocker):
        services.campaign_finalize(campaign)
    campaign.refresh_from_db()
    assert campaign.status == Status.PROCESSING
    assert not RosterEntry.objects.exists()


def test_student_already_in_another_tutorial_blocks_finalization():
    campaign, (a, _b, _c) = closed_preference_campaign()
    student = UserFactory()
    rank(campaign, student, [a])
    other = TutorialFactory(lecture=campaign.lecture)
    RosterEntry.objects.create(registerable=other, user=student)
    services.campaign_allocate(campaign)
    with pytest.raises(errors.PolicyBlocker) as refused:
        services.campaign_finalize(campaign)
    assert refused.value.code == "tutorial_conflict"


def test_finalize_refusals():
    campaign, items = closed_preference_campaign()
    with pytest.raises(errors.InvalidTransition) as refused:
        services.campaign_finalize(campaign)
    assert refused.value.code == "allocation_missing"
    fcfs_open = CampaignFactory(status=Status.OPEN)
    with pytest.raises(errors.InvalidTransition):
        services.campaign_finalize(fcfs_open)


def test_planning_only_finalize_is_a_no_op_that_says_so():
    campaign = CampaignFactory(status=Status.CLOSED, planning_only=True)
    item = ItemFactory(campaign=campaign)
    UserRegistration.objects.create(campaign=campaign, item=item, user=UserFactory(),
                                    status="confirmed")
    result = services.campaign_finalize(campaign)
    assert not result.materialized and "Planning-only" in result.message
    assert services.campaign_allocate_and_finalize(campaign).materialized is False
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED and not RosterEntry.objects.exists()


def test_fcfs_finalize_materializes_confirmed_seats():
    campaign = CampaignFactory(status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    student = UserFactory()
    services.register(user=student, item=item)
    services.campaign_close(campaign, by=None)
    services.campaign_finalize(campaign)
    assert RosterEntry.objects.filter(registerable_id=item.registerable_id,
                                      user=student).exists()


def test_allocate_and_finalize_in_one_go():
    campaign, items = closed_preference_campaign()
    student = UserFactory()
    rank(campaign, student, items)
    result = services.campaign_allocate_and_finalize(campaign, seed=5)
    assert result.materialized
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED


def test_forced_assignment_places_students_whose_choices_are_full():
    campaign, (a, b) = closed_preference_campaign(capacities=(1, 1))
    first, second = UserFactory(), UserFactory()
    rank(campaign, first, [a])
    rank(campaign, second, [a])
    run = services.campaign_allocate(campaign, seed=2, force_assignments=True)
    assert run.statistics["forced"] == 1
    forced = UserRegistration.objects.get(item=b)
    assert forced.status == "confirmed" and forced.preference_rank is None
    services.campaign_allocate(campaign, seed=2)  # a plain re-run drops the forced placement
    assert not UserRegistration.objects.filter(item=b).exists()


def _queries_for(n_students):
    campaign, items = closed_preference_campaign(capacities=(n_students // 4,) * 4)
    PolicyFactory(campaign=campaign, phase="both", config={"domains": ["example.org"]})
    for _ in range(n_students):
        rank(campaign, UserFactory(), items[:3])
    # Both runs start with the same per-process caches (content types are read once and kept):
    # otherwise whichever runs first pays one more query, and the test depends on the order.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as allocation:
        services.campaign_allocate(campaign, seed=1)
    with CaptureQueriesContext(connection) as finalization:
        services.campaign_finalize(campaign)
    return len(allocation.captured_queries), len(finalization.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_students():
    small, large = _queries_for(16), _queries_for(160)
    if connection.vendor == "postgresql":
        assert small == large
    else:
        # SQLite caps a statement at 999 parameters, so Django splits big bulk inserts in batches.
        assert large[0] == small[0] and 0 <= large[1] - small[1] <= 3


def test_same_group_in_two_fcfs_campaigns_is_never_oversold():
    first = CampaignFactory(status=Status.OPEN)
    second = CampaignFactory(status=Status.OPEN, lecture=first.lecture)
    tutorial = TutorialFactory(lecture=first.lecture, capacity=1)
    one = ItemFactory(campaign=first, registerable=tutorial)
    other = ItemFactory(campaign=second, registerable=tutorial)
    services.register(user=UserFactory(), item=one)
    with pytest.raises(errors.ItemFull):
        services.register(user=UserFactory(), item=other)


def test_fcfs_counts_people_already_on_the_roster():
    campaign = CampaignFactory(status=Status.OPEN)
    item = ItemFactory(campaign=campaign, registerable__capacity=1)
    RosterEntry.objects.create(registerable_id=item.registerable_id, user=UserFactory())
    with pytest.raises(errors.ItemFull):
        services.register(user=UserFactory(), item=item)


def test_allocation_leaves_room_for_people_already_on_the_roster():
    campaign, (a, b) = closed_preference_campaign(capacities=(2, 2))
    RosterEntry.objects.create(registerable_id=a.registerable_id, user=UserFactory())
    students = [UserFactory() for _ in range(2)]
    for student in students:
        rank(campaign, student, [a])
    run = services.campaign_allocate(campaign, seed=1)
    assert run.statistics["assigned"] == 1 and run.statistics["unassigned"] == 1
    services.campaign_finalize(campaign)
    assert RosterEntry.objects.filter(registerable_id=a.registerable_id).count() == 2


def test_finalize_refuses_to_overfill_a_group_whose_capacity_dropped():
    campaign, (a, _b, _c) = closed_preference_campaign(capacities=(3, 1, 1))
    for _ in range(3):
        rank(campaign, UserFactory(), [a])
    services.campaign_allocate(campaign, seed=1)
    Registerable.objects.filter(pk=a.registerable_id).update(capacity=1)
    with pytest.raises(errors.PolicyBlocker) as refused:
        services.campaign_finalize(campaign)
    assert refused.value.code == "capacity_exceeded"
    assert not RosterEntry.objects.exists()


# -- lifecycle gaps (issue 7, item 22) -------------------------------------------------------------


def test_reopening_drops_forced_placements_with_the_other_computed_results():
    campaign, (a, b) = closed_preference_campaign(
        capacities=(1, 1), registration_deadline=timezone.now() + datetime.timedelta(days=3)
    )
    first, second = UserFactory(), UserFactory()
    rank(campaign, first, [a])
    rank(campaign, second, [a])
    services.campaign_allocate(campaign, seed=2, force_assignments=True)
    assert UserRegistration.objects.filter(item=b, preference_rank__isnull=True).exists()

    services.campaign_reopen(campaign, by=StaffFactory())

    assert not UserRegistration.objects.filter(item=b).exists()  # the forced seat is gone
    assert sorted(
        UserRegistration.objects.filter(campaign=campaign).values_list("status", "preference_rank")
    ) == [("pending", 1), ("pending", 1)]
    assert services.seats_taken(b) == 0


def test_a_campaign_whose_results_are_in_rosters_cannot_be_deleted_after_a_reopen():
    campaign, (a, _b, _c) = closed_preference_campaign(
        registration_deadline=timezone.now() + datetime.timedelta(days=3)
    )
    student = UserFactory()
    rank(campaign, student, [a])
    services.campaign_allocate(campaign, seed=1)
    services.campaign_finalize(campaign)
    staff = StaffFactory()
    services.campaign_reopen(campaign, by=staff)
    services.withdraw_preferences(user=student, campaign=campaign)  # nobody registered any more

    with pytest.raises(errors.CampaignInUse) as refused:
        services.campaign_delete(campaign, by=staff)
    assert refused.value.code == "campaign_in_use"
    assert "roster" in str(refused.value)
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert RosterEntry.objects.filter(source_campaign=campaign, user=student).exists()


# -- one tutorial per student and lecture (issue 7, item 1) ----------------------------------------


def test_register_refuses_a_student_who_already_sits_in_a_tutorial_of_the_lecture():
    from rosters.services import add_user

    campaign = CampaignFactory(status=Status.OPEN)
    current = TutorialFactory(lecture=campaign.lecture, title="Tutorial A")
    item = ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=campaign.lecture))
    student = UserFactory()
    add_user(registerable=current, user=student, by=None, notify=False)

    with pytest.raises(errors.AlreadyInTutorial) as refused:
        services.register(user=student, item=item)
    assert refused.value.code == "already_in_tutorial"
    assert "Tutorial A" in str(refused.value)
    assert not UserRegistration.objects.exists()

    other_lecture = ItemFactory(campaign=CampaignFactory(status=Status.OPEN))
    assert services.register(user=student, item=other_lecture).status == "confirmed"


def _fcfs_campaign_with_a_conflict():
    """An FCFS campaign (closed) where Sam got Tutorial B, but staff had meanwhile put Sam into
    Tutorial A by hand; Pia got Tutorial B too and has no conflict."""
    from rosters.services import add_user

    campaign = CampaignFactory(status=Status.OPEN)
    current = TutorialFactory(lecture=campaign.lecture, title="Tutorial A", capacity=5)
    new = TutorialFactory(lecture=campaign.lecture, title="Tutorial B", capacity=5)
    item = ItemFactory(campaign=campaign, registerable=new)
    sam, pia = UserFactory(name="Sam Conflict"), UserFactory(name="Pia Plain")
    services.register(user=sam, item=item)
    services.register(user=pia, item=item)
    add_user(registerable=current, user=sam, by=None, notify=False)
    services.campaign_close(campaign, by=None)
    return campaign, current, new, sam, pia


def test_finalize_refuses_conflicts_by_default_and_unknown_modes():
    campaign, current, new, sam, pia = _fcfs_campaign_with_a_conflict()
    before = roster_state()
    with pytest.raises(errors.PolicyBlocker) as refused:
        services.campaign_finalize(campaign)
    assert refused.value.code == "tutorial_conflict" and "Sam Conflict" in str(refused.value)
    with pytest.raises(errors.InvalidConfiguration):
        services.campaign_finalize(campaign, conflicts="delete")
    assert roster_state() == before
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


def test_finalize_skip_rejects_the_conflicting_student_and_seats_everyone_else():
    campaign, current, new, sam, pia = _fcfs_campaign_with_a_conflict()
    outcome = services.campaign_finalize(campaign, by=StaffFactory(), conflicts="skip")

    assert outcome.materialized and outcome.summary["skipped"] == 1
    assert "stays in their tutorial" in outcome.message
    sam_row = UserRegistration.objects.get(user=sam)
    assert (sam_row.status, sam_row.rejection_reason) == ("rejected", "already_in_tutorial")
    assert RosterEntry.objects.filter(registerable_id=current.pk, user=sam).exists()
    assert not RosterEntry.objects.filter(registerable_id=new.pk, user=sam).exists()
    assert RosterEntry.objects.filter(registerable_id=new.pk, user=pia).exists()
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED


def test_finalize_move_moves_the_conflicting_student_with_an_audit_row():
    campaign, current, new, sam, pia = _fcfs_campaign_with_a_conflict()
    staff = StaffFactory()
    outcome = services.campaign_finalize(campaign, by=staff, conflicts="move")

    assert outcome.summary["moved"] == 1
    assert not RosterEntry.objects.filter(registerable_id=current.pk, user=sam).exists()
    entry = RosterEntry.objects.get(registerable_id=new.pk, user=sam)
    assert entry.source_campaign_id == campaign.pk
    move = RosterChange.objects.get(action="moved", user=sam)
    assert (move.from_registerable_id, move.registerable_id, move.by, move.source_campaign_id) == (
        current.pk, new.pk, staff, campaign.pk)
    assert UserRegistration.objects.get(user=sam).status == "confirmed"
    assert RosterEntry.objects.filter(registerable_id=new.pk, user=pia).exists()


def test_finalize_move_respects_removal_guards_and_then_changes_nothing():
    from rosters.services import register_removal_guard, unregister_removal_guard

    campaign, current, new, sam, pia = _fcfs_campaign_with_a_conflict()
    before = roster_state()

    def graded(*, registerable, user):
        return "graded work" if registerable.pk == current.pk else None

    register_removal_guard(graded)
    try:
        with pytest.raises(errors.PolicyBlocker) as refused:
            services.campaign_finalize(campaign, conflicts="move")
    finally:
        unregister_removal_guard(graded)
    assert refused.value.code == "removal_refused"
    assert roster_state() == before
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


def test_the_finalize_page_lists_conflicts_and_finalizes_with_skip(client):
    campaign, current, new, sam, pia = _fcfs_campaign_with_a_conflict()
    teacher = campaign.lecture.teacher
    client.force_login(teacher)
    url = f"/staff/campaigns/{campaign.pk}/finalize/"
    page = client.get(url).content.decode()
    assert "Sam Conflict" in page and "Tutorial A" in page and 'value="skip"' in page
    assert "Pia Plain" not in page

    response = client.post(url, {"conflicts": "skip"})
    assert response.status_code == 302
    assert UserRegistration.objects.get(user=sam).rejection_reason == "already_in_tutorial"

    client.force_login(UserFactory())  # a student may not see or use it
    assert client.get(url).status_code == 403
