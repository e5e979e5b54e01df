import datetime

import pytest
from django.utils import timezone

from registration import errors, services
from registration.models import Campaign, CampaignTransition, Policy, UserRegistration
from tests.factories import (
    CampaignFactory,
    CohortFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Campaign.Status
PREF = Campaign.AllocationMode.PREFERENCE_BASED


def open_campaign(**kwargs):
    return CampaignFactory(status=Status.OPEN, **kwargs)


def snapshot():
    return sorted(
        UserRegistration.objects.values_list(
            "campaign_id", "item_id", "user_id", "status", "preference_rank", "rejection_reason"
        )
    )


# -- lifecycle ----------------------------------------------------------------------------------


def test_open_needs_items_and_a_future_deadline_and_is_audited():
    staff = StaffFactory()
    campaign = CampaignFactory()
    with pytest.raises(errors.InvalidTransition) as refused:
        services.campaign_open(campaign, by=staff)
    assert refused.value.code == "no_items"

    ItemFactory(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    campaign.refresh_from_db()
    with pytest.raises(errors.InvalidTransition) as refused:
        services.campaign_open(campaign, by=staff)
    assert refused.value.code == "deadline_not_in_future"
    assert not CampaignTransition.objects.exists()

    Campaign.objects.filter(pk=campaign.pk).update(
        registration_deadline=timezone.now() + datetime.timedelta(days=1)
    )
    campaign = services.campaign_open(campaign, by=staff)
    assert campaign.status == Status.OPEN
    audit = CampaignTransition.objects.get()
    assert (audit.from_status, audit.to_status, audit.by) == ("draft", "open", staff)


def test_open_refuses_a_misconfigured_policy():
    campaign = CampaignFactory()
    ItemFactory(campaign=campaign)
    PolicyFactory(campaign=campaign, config={"domains": []})
    with pytest.raises(errors.PolicyBlocker):
        services.campaign_open(campaign, by=StaffFactory())
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


def test_full_lifecycle_close_reopen_and_draft_rules():
    staff = StaffFactory()
    campaign = CampaignFactory()
    item = ItemFactory(campaign=campaign)
    services.campaign_open(campaign, by=staff)
    services.campaign_close(campaign, by=staff)
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    with pytest.raises(errors.InvalidTransition):
        services.campaign_close(campaign, by=staff)
    services.campaign_reopen(campaign, by=staff)
    campaign.refresh_from_db()
    assert campaign.status == Status.OPEN

    services.campaign_revert_to_draft(campaign, by=staff)
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT

    services.campaign_open(campaign, by=staff)
    services.register(user=UserFactory(), item=item)
    with pytest.raises(errors.Frozen):
        services.campaign_revert_to_draft(campaign, by=staff)
    with pytest.raises(errors.Frozen):
        services.campaign_delete(campaign, by=staff)
    assert [t.to_status for t in campaign.transitions.order_by("id")] == [
        "open",
        "closed",
        "open",
        "draft",
        "open",
    ]


def test_reopen_needs_a_future_deadline():
    campaign = CampaignFactory(
        status=Status.CLOSED, registration_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    with pytest.raises(errors.InvalidTransition) as refused:
        services.campaign_reopen(campaign, by=StaffFactory())
    assert refused.value.code == "deadline_not_in_future"


def test_reopen_of_a_preference_campaign_puts_results_back_to_pending():
    campaign = CampaignFactory(status=Status.PROCESSING, allocation_mode=PREF)
    item = ItemFactory(campaign=campaign)
    user = UserFactory()
    UserRegistration.objects.create(
        campaign=campaign, item=item, user=user, status="confirmed", preference_rank=1
    )
    services.campaign_reopen(campaign, by=StaffFactory())
    row = UserRegistration.objects.get()
    assert (row.status, row.preference_rank) == ("pending", 1)


def test_delete_of_an_empty_campaign():
    campaign = CampaignFactory()
    services.campaign_delete(campaign, by=StaffFactory())
    assert not Campaign.objects.exists()


# -- configuration and freezing -------------------------------------------------------------------


def test_create_validates_fields():
    lecture = LectureFactory()
    deadline = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(errors.InvalidConfiguration):
        services.campaign_create(
            lecture=lecture, by=None, title=" ", registration_deadline=deadline
        )
    with pytest.raises(errors.InvalidConfiguration):
        services.campaign_create(
            lecture=lecture,
            by=None,
            title="T",
            registration_deadline=deadline,
            registration_opens_at=deadline + datetime.timedelta(hours=1),
        )
    with pytest.raises(errors.InvalidConfiguration):
        services.campaign_create(
            lecture=lecture,
            by=None,
            title="T",
            registration_deadline=deadline,
            allocation_mode="lottery",
        )
    campaign = services.campaign_create(
        lecture=lecture,
        by=None,
        title="Tutorials",
        registration_deadline=deadline,
        allocation_mode=PREF,
    )
    assert campaign.status == Status.DRAFT and campaign.is_preference_based


def test_mode_and_opening_time_freeze_after_draft_but_deadline_does_not():
    staff = StaffFactory()
    campaign = open_campaign()
    with pytest.raises(errors.Frozen) as refused:
        services.campaign_update(campaign, by=staff, allocation_mode=PREF)
    assert refused.value.details["field"] == "allocation_mode"
    later = campaign.registration_deadline + datetime.timedelta(days=2)
    services.campaign_update(campaign, by=staff, registration_deadline=later, planning_only=True)
    campaign.refresh_from_db()
    assert campaign.registration_deadline == later and campaign.planning_only
    assert campaign.allocation_mode == Campaign.AllocationMode.FIRST_COME_FIRST_SERVED
    assert set(services.frozen_fields(campaign)) >= {"allocation_mode", "registration_opens_at"}


def test_unchanged_frozen_value_is_accepted():
    campaign = open_campaign()
    services.campaign_update(
        campaign, by=None, allocation_mode=campaign.allocation_mode, title="Renamed"
    )
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"


def test_policies_freeze_after_draft():
    campaign = CampaignFactory()
    policy = services.policy_add(
        campaign=campaign,
        kind="institutional_email",
        phase="registration",
        config={"domains": ["uni.de"]},
        by=None,
    )
    assert policy.config == {"domains": ["uni.de"]}
    with pytest.raises(errors.InvalidConfiguration):
        services.policy_add(
            campaign=campaign,
            kind="institutional_email",
            phase="registration",
            config={"domains": ["other.de"]},
            by=None,
        )
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.OPEN)
    campaign.refresh_from_db()
    with pytest.raises(errors.Frozen):
        services.policy_add(
            campaign=campaign,
            kind="prerequisite_campaign",
            phase="registration",
            config={"campaign_id": campaign.pk},
            by=None,
        )
    with pytest.raises(errors.Frozen):
        services.policy_update(policy=policy, by=None, config={"domains": ["x.de"]})
    with pytest.raises(errors.Frozen):
        services.policy_remove(policy=policy, by=None)
    assert Policy.objects.get().config == {"domains": ["uni.de"]}


def test_bad_policy_config_is_refused():
    with pytest.raises(errors.InvalidConfiguration):
        services.policy_add(
            campaign=CampaignFactory(),
            kind="institutional_email",
            phase="registration",
            config={"domains": ["no spaces.de"]},
            by=None,
        )
    with pytest.raises(errors.InvalidConfiguration):
        services.policy_add(
            campaign=CampaignFactory(),
            kind="institutional_email",
            phase="sometimes",
            config={"domains": ["uni.de"]},
            by=None,
        )
    assert not Policy.objects.exists()


def test_items_can_always_be_added_but_never_removed_once_registered():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign)
    spare = services.item_add(
        campaign=campaign, by=None, registerable=TutorialFactory(lecture=campaign.lecture)
    )
    services.register(user=UserFactory(), item=item)
    with pytest.raises(errors.Frozen):
        services.item_remove(item=item, by=None)
    services.item_remove(item=spare, by=None)
    assert list(campaign.items.all()) == [item]


def test_item_from_another_lecture_or_twice_is_refused():
    campaign = CampaignFactory()
    with pytest.raises(errors.InvalidConfiguration):
        services.item_add(campaign=campaign, registerable=TutorialFactory(), by=None)
    tutorial = TutorialFactory(lecture=campaign.lecture)
    services.item_add(campaign=campaign, registerable=tutorial, by=None)
    with pytest.raises(errors.InvalidConfiguration):
        services.item_add(campaign=campaign, registerable=tutorial, by=None)


def test_cohort_items_are_not_exclusive():
    campaign = CampaignFactory()
    item = services.item_add(
        campaign=campaign, by=None, registerable=CohortFactory(lecture=campaign.lecture)
    )
    assert item.exclusive is False


def test_fcfs_capacity_never_drops_below_confirmed():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign, registerable__capacity=5)
    for _ in range(3):
        services.register(user=UserFactory(), item=item)
    with pytest.raises(errors.Frozen):
        services.item_set_capacity(item=item, capacity=2, by=None)
    services.item_set_capacity(item=item, capacity=3, by=None)
    services.item_set_capacity(item=item, capacity=None, by=None)
    item.registerable.refresh_from_db()
    assert item.registerable.capacity is None
    with pytest.raises(errors.InvalidConfiguration):
        services.item_set_capacity(item=item, capacity=-1, by=None)


def test_preference_capacity_is_free_until_completed():
    campaign = CampaignFactory(status=Status.CLOSED, allocation_mode=PREF)
    item = ItemFactory(campaign=campaign, registerable__capacity=5)
    services.item_set_capacity(item=item, capacity=1, by=None)
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.COMPLETED)
    item.campaign.refresh_from_db()
    with pytest.raises(errors.Frozen):
        services.item_set_capacity(item=item, capacity=9, by=None)


# -- first come, first served ---------------------------------------------------------------------


def test_register_confirms_until_full_then_records_the_refusal():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign, registerable__capacity=2)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    assert services.register(user=first, item=item).status == "confirmed"
    assert services.register(user=second, item=item).status == "confirmed"
    with pytest.raises(errors.ItemFull) as refused:
        services.register(user=third, item=item)
    assert refused.value.code == "item_full"
    rejected = UserRegistration.objects.get(user=third)
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "item_full")
    assert services.confirmed_count(item) == 2


def test_a_refused_student_gets_the_seat_once_one_frees_up():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign, registerable__capacity=1)
    holder, waiting = UserFactory(), UserFactory()
    services.register(user=holder, item=item)
    with pytest.raises(errors.ItemFull):
        services.register(user=waiting, item=item)
    services.withdraw(user=holder, item=item)
    assert services.register(user=waiting, item=item).status == "confirmed"
    assert UserRegistration.objects.filter(user=waiting).count() == 1


def test_unlimited_capacity_never_fills():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign, registerable__capacity=None)
    for _ in range(30):
        services.register(user=UserFactory(), item=item)
    assert services.confirmed_count(item) == 30


def test_double_submission_gives_one_registration():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign)
    user = UserFactory()
    first = services.register(user=user, item=item)
    again = services.register(user=user, item=item)
    assert first.pk == again.pk
    assert UserRegistration.objects.count() == 1


def test_one_exclusive_seat_per_campaign_but_cohorts_are_exempt():
    campaign = open_campaign()
    tutorial_a = ItemFactory(campaign=campaign)
    tutorial_b = ItemFactory(campaign=campaign)
    cohort = services.item_add(
        campaign=campaign, by=None, registerable=CohortFactory(lecture=campaign.lecture)
    )
    user = UserFactory()
    services.register(user=user, item=tutorial_a)
    with pytest.raises(errors.AlreadyRegistered):
        services.register(user=user, item=tutorial_b)
    services.register(user=user, item=cohort)
    assert UserRegistration.objects.filter(user=user, status="confirmed").count() == 2


@pytest.mark.parametrize(
    "status", [Status.DRAFT, Status.CLOSED, Status.PROCESSING, Status.COMPLETED]
)
def test_register_refused_unless_open(status):
    item = ItemFactory(campaign=CampaignFactory(status=status))
    with pytest.raises(errors.CampaignNotOpen):
        services.register(user=UserFactory(), item=item)
    assert not UserRegistration.objects.exists()


def test_deadline_is_checked_at_the_moment_of_the_request():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(errors.DeadlinePassed) as refused:
        services.register(user=UserFactory(), item=item)
    assert refused.value.code == "deadline_passed"
    assert not UserRegistration.objects.exists()


def test_ineligible_student_is_refused_with_the_reason():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign)
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})
    with pytest.raises(errors.NotEligible) as refused:
        services.register(user=UserFactory(email="x@gmail.com"), item=item)
    assert refused.value.code == "not_eligible"
    assert "uni-heidelberg.de" in str(refused.value)
    assert refused.value.result.code == "institutional_email_required"
    assert not UserRegistration.objects.exists()


def test_register_in_a_preference_campaign_is_refused():
    item = ItemFactory(campaign=open_campaign(allocation_mode=PREF))
    with pytest.raises(errors.WrongAllocationMode):
        services.register(user=UserFactory(), item=item)


def test_withdraw_rules():
    campaign = open_campaign()
    item = ItemFactory(campaign=campaign)
    user = UserFactory()
    with pytest.raises(errors.NotRegistered):
        services.withdraw(user=user, item=item)
    services.register(user=user, item=item)
    Campaign.objects.filter(pk=campaign.pk).update(allow_withdrawal=False)
    with pytest.raises(errors.WithdrawalNotAllowed):
        services.withdraw(user=user, item=item)
    Campaign.objects.filter(pk=campaign.pk).update(allow_withdrawal=True, status=Status.CLOSED)
    with pytest.raises(errors.CampaignNotOpen):
        services.withdraw(user=user, item=item)
    assert UserRegistration.objects.filter(user=user, status="confirmed").exists()


# -- preferences ----------------------------------------------------------------------------------


def preference_campaign(n_items=4, **kwargs):
    campaign = open_campaign(allocation_mode=PREF, **kwargs)
    items = [ItemFactory(campaign=campaign) for _ in range(n_items)]
    return campaign, items


def test_submit_preferences_writes_pending_ranks_and_replaces_atomically():
    campaign, items = preference_campaign()
    user = UserFactory()
    services.submit_preferences(user=user, campaign=campaign, items=[items[2], items[0]])
    assert list(
        UserRegistration.objects.filter(user=user)
        .order_by("preference_rank")
        .values_list("item_id", "preference_rank", "status")
    ) == [(items[2].pk, 1, "pending"), (items[0].pk, 2, "pending")]
    services.submit_preferences(user=user, campaign=campaign, items=[items[1], items[2], items[3]])
    assert list(
        UserRegistration.objects.filter(user=user)
        .order_by("preference_rank")
        .values_list("item_id", flat=True)
    ) == [items[1].pk, items[2].pk, items[3].pk]


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda items, other: [], errors.InvalidPreferences),
        (lambda items, other: [items[0], items[0]], errors.InvalidPreferences),
        (lambda items, other: items[:4], errors.InvalidPreferences),  # max_preferences is 3
        (lambda items, other: [items[0], other], errors.ItemNotInCampaign),
    ],
)
def test_bad_rankings_are_refused_and_change_nothing(build, error):
    campaign, items = preference_campaign()
    other = ItemFactory()
    user = UserFactory()
    services.submit_preferences(user=user, campaign=campaign, items=[items[0]])
    before = snapshot()
    with pytest.raises(error):
        services.submit_preferences(user=user, campaign=campaign, items=build(items, other))
    assert snapshot() == before


def test_max_ranks_is_capped_by_the_number_of_items():
    campaign, items = preference_campaign(n_items=2, max_preferences=5)
    assert services.max_ranks(campaign) == 2


def test_deleted_item_cannot_be_ranked():
    campaign, items = preference_campaign()
    gone = items[3]
    services.item_remove(item=gone, by=None)
    with pytest.raises(errors.ItemNotInCampaign):
        services.submit_preferences(user=UserFactory(), campaign=campaign, items=[gone])


def test_preferences_refused_after_deadline_or_in_fcfs():
    campaign, items = preference_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(errors.DeadlinePassed):
        services.submit_preferences(user=UserFactory(), campaign=campaign, items=[items[0]])
    fcfs = open_campaign()
    with pytest.raises(errors.WrongAllocationMode):
        services.submit_preferences(
            user=UserFactory(), campaign=fcfs, items=[ItemFactory(campaign=fcfs)]
        )


def test_withdrawing_one_ranked_item_compacts_the_ranks():
    campaign, items = preference_campaign()
    user = UserFactory()
    services.submit_preferences(user=user, campaign=campaign, items=items[:3])
    services.withdraw(user=user, item=items[0])
    assert list(
        UserRegistration.objects.filter(user=user)
        .order_by("preference_rank")
        .values_list("item_id", "preference_rank")
    ) == [(items[1].pk, 1), (items[2].pk, 2)]
    assert services.withdraw_preferences(user=user, campaign=campaign) == 2
    with pytest.raises(errors.NotRegistered):
        services.withdraw_preferences(user=user, campaign=campaign)


# -- scheduled jobs -------------------------------------------------------------------------------


def test_close_due_campaigns_is_idempotent():
    due = open_campaign()
    Campaign.objects.filter(pk=due.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    running = open_campaign()
    assert services.close_due_campaigns() == [due.pk]
    assert services.close_due_campaigns() == []
    due.refresh_from_db()
    running.refresh_from_db()
    assert (due.status, running.status) == ("closed", "open")
    audit = CampaignTransition.objects.get(campaign=due)
    assert audit.by is None and audit.note == "deadline passed"


def test_open_due_campaigns_opens_ready_drafts_only():
    now = timezone.now()
    ready = CampaignFactory(registration_opens_at=now - datetime.timedelta(minutes=1))
    ItemFactory(campaign=ready)
    empty = CampaignFactory(registration_opens_at=now - datetime.timedelta(minutes=1))
    later = CampaignFactory(registration_opens_at=now + datetime.timedelta(hours=1))
    ItemFactory(campaign=later)
    assert services.open_due_campaigns() == [ready.pk]
    assert services.open_due_campaigns() == []
    statuses = dict(Campaign.objects.values_list("pk", "status"))
    assert statuses == {ready.pk: "open", empty.pk: "draft", later.pk: "draft"}


def test_beat_tasks_run_the_jobs():
    from django.conf import settings

    from registration import tasks

    due = open_campaign()
    Campaign.objects.filter(pk=due.pk).update(
        registration_deadline=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert tasks.close_due_campaigns.delay().get() == [due.pk]
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "registration.tasks.close_due_campaigns",
        "registration.tasks.open_due_campaigns",
    } <= scheduled


def test_database_refuses_two_confirmed_exclusive_seats():
    from django.db import IntegrityError, transaction

    campaign = open_campaign()
    a, b = ItemFactory(campaign=campaign), ItemFactory(campaign=campaign)
    user = UserFactory()
    UserRegistration.objects.create(campaign=campaign, item=a, user=user, status="confirmed")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserRegistration.objects.create(campaign=campaign, item=b, user=user, status="confirmed")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserRegistration.objects.create(
            campaign=campaign, item=b, user=user, status="pending", preference_rank=0
        )


# -- plumbing: one busy error, one seat rule, audited configuration (issue 7, item 21) ----------


def test_a_lock_timeout_is_the_shared_busy_error_with_code_busy(monkeypatch):
    from django.db import OperationalError

    from mampf.errors import Busy
    from registration import lifecycle

    campaign = CampaignFactory()
    ItemFactory(campaign=campaign)

    def timed_out(*args, **kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(lifecycle, "lock_rows", timed_out)
    with pytest.raises(errors.TryAgain) as refused:
        services.campaign_open(campaign, by=StaffFactory())
    assert isinstance(refused.value, Busy) and refused.value.code == "busy"
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


def test_seats_taken_counts_roster_and_unmaterialized_confirmed_places_through_rosters():
    from rosters import selectors as roster_selectors
    from rosters.services import add_user

    campaign = open_campaign()
    item = ItemFactory(campaign=campaign, registerable__capacity=10)
    on_roster, confirmed, both = UserFactory(), UserFactory(), UserFactory()
    services.register(user=confirmed, item=item)
    services.register(user=both, item=item)
    add_user(registerable=item.registerable, user=on_roster, by=None, notify=False)
    add_user(registerable=item.registerable, user=both, by=None, notify=False)

    assert services.seats_taken(item) == 3  # each person once
    assert roster_selectors.seats_taken([item.registerable_id]) == {item.registerable_id: 3}
    assert roster_selectors.seat_holders(
        [item.registerable_id], excluding_campaign_id=campaign.pk
    ) == {item.registerable_id: {on_roster.pk, both.pk}}


def test_a_pending_seat_source_plugged_into_rosters_counts_everywhere():
    from rosters import selectors as roster_selectors

    tutorial = TutorialFactory(capacity=5)
    outsider = UserFactory()

    def everyone_named_outsider(registerable_ids, *, excluding_campaign_id=None):
        return _pairs(registerable_ids, outsider)

    roster_selectors.register_pending_seat_source(everyone_named_outsider)
    try:
        assert roster_selectors.seats_taken([tutorial.pk]) == {tutorial.pk: 1}
    finally:
        roster_selectors.unregister_pending_seat_source(everyone_named_outsider)
    assert roster_selectors.seats_taken([tutorial.pk]) == {tutorial.pk: 0}


def _pairs(registerable_ids, user):
    from django.db.models import IntegerField, Value

    from mampf.models import Registerable

    return (
        Registerable.objects.non_polymorphic()
        .filter(pk__in=list(registerable_ids))
        .annotate(holder=Value(user.pk, output_field=IntegerField()))
        .values_list("pk", "holder")
    )


def test_policy_kinds_come_from_the_registry_not_from_model_choices():
    """A kind a higher app registers needs no choices (and no migration) here. ``performance``
    registers ``student_performance`` at start-up; a kind nobody registered is refused."""
    from registration import policies
    from registration.policies import PolicyKind, PolicyOutcome

    assert not Policy._meta.get_field("kind").choices
    assert "student_performance" not in Policy.Kind.values
    assert "student_performance" in policies.registered_kinds()  # from performance's ready()
    campaign = CampaignFactory()
    staff = StaffFactory()
    with pytest.raises(errors.InvalidConfiguration):
        services.policy_add(
            campaign=campaign, kind="higher_app_kind", phase="finalization", config={},
            by=staff,
        )
    assert not Policy.objects.exists()

    policies.register_policy_kind(PolicyKind(
        name="higher_app_kind", label="Certified",
        evaluate=lambda policy, user: PolicyOutcome.ok(),
        clean_config=lambda config: config, describe=lambda policy: "Certified",
    ))
    try:
        policy = services.policy_add(
            campaign=campaign, kind="higher_app_kind", phase="finalization", config={},
            by=staff,
        )
        policy.full_clean()  # no choices to violate: a higher app's kind needs no migration
        assert policy.get_kind_display() == "Certified"
    finally:
        policies._REGISTRY.pop("higher_app_kind", None)
    assert Policy.objects.get().get_kind_display() == "higher_app_kind"


def test_every_configuration_change_is_audited_with_who_and_old_and_new():
    from registration.models import CampaignChange

    staff = StaffFactory()
    campaign = CampaignFactory()
    tutorial = TutorialFactory(lecture=campaign.lecture, capacity=10)
    item = services.item_add(campaign=campaign, registerable=tutorial, by=staff)
    services.item_set_capacity(item=item, capacity=12, by=staff)
    services.campaign_update(campaign, by=staff, title="Renamed")
    policy = services.policy_add(
        campaign=campaign, kind="institutional_email", phase="registration",
        config={"domains": ["uni.de"]}, by=staff,
    )
    services.policy_update(policy=policy, by=staff, active=False)
    services.policy_remove(policy=policy, by=staff)
    second = ItemFactory(campaign=campaign)
    services.item_remove(item=second, by=staff)

    rows = list(CampaignChange.objects.filter(campaign=campaign).order_by("id"))
    assert [row.action for row in rows] == [
        "item_added", "capacity_set", "updated", "policy_added", "policy_updated",
        "policy_removed", "item_removed",
    ]
    assert {row.by for row in rows} == {staff}
    assert (rows[1].old, rows[1].new) == ({"capacity": 10}, {"capacity": 12})
    assert rows[2].new == {"title": "Renamed"}
    assert (rows[4].old["active"], rows[4].new["active"]) == (True, False)


def test_routes_live_in_urls_modules_not_in_views():
    import registration.views.student
    import rosters.views

    assert not hasattr(rosters.views, "urlpatterns")
    assert not hasattr(registration.views.student, "urlpatterns")


# -- lifecycle gaps (issue 7, item 22) -------------------------------------------------------------


def test_a_campaign_named_as_a_prerequisite_cannot_be_deleted():
    staff = StaffFactory()
    basics = CampaignFactory(title="Basics")
    advanced = CampaignFactory(lecture=basics.lecture, title="Advanced")
    PolicyFactory(campaign=advanced, kind=Policy.Kind.PREREQUISITE_CAMPAIGN,
                  config={"campaign_id": basics.pk})

    with pytest.raises(errors.CampaignInUse) as refused:
        services.campaign_delete(basics, by=staff)
    assert refused.value.code == "campaign_in_use"
    assert "Advanced" in str(refused.value)
    assert Campaign.objects.filter(pk=basics.pk).exists()

    services.campaign_delete(advanced, by=staff)  # nobody depends on this one
    services.campaign_delete(basics, by=staff)
    assert not Campaign.objects.exists()


def test_deleting_a_campaign_leaves_an_audit_row():
    from registration.models import CampaignChange

    staff = StaffFactory()
    campaign = CampaignFactory(title="Short-lived")
    services.campaign_delete(campaign, by=staff)
    row = CampaignChange.objects.get()
    assert (row.campaign_id, row.action, row.subject, row.by) == (
        campaign.pk, "deleted", "Short-lived", staff)


def test_a_campaign_cannot_open_while_its_prerequisite_is_a_draft():
    staff = StaffFactory()
    basics = CampaignFactory(title="Basics")
    ItemFactory(campaign=basics)
    advanced = CampaignFactory(lecture=basics.lecture)
    ItemFactory(campaign=advanced)
    PolicyFactory(campaign=advanced, kind=Policy.Kind.PREREQUISITE_CAMPAIGN,
                  config={"campaign_id": basics.pk})

    with pytest.raises(errors.PrerequisiteNotReady) as refused:
        services.campaign_open(advanced, by=staff)
    assert refused.value.code == "prerequisite_not_ready"
    assert "Basics" in str(refused.value)
    advanced.refresh_from_db()
    assert advanced.status == Status.DRAFT
    assert services.open_due_campaigns() == []

    services.campaign_open(basics, by=staff)
    assert services.campaign_open(advanced, by=staff).status == Status.OPEN


def test_the_last_item_of_an_open_campaign_cannot_be_removed():
    staff = StaffFactory()
    campaign = CampaignFactory()
    first, second = ItemFactory(campaign=campaign), ItemFactory(campaign=campaign)
    services.campaign_open(campaign, by=staff)

    services.item_remove(item=first, by=staff)
    with pytest.raises(errors.Frozen) as refused:
        services.item_remove(item=second, by=staff)
    assert refused.value.code == "last_item"
    assert list(campaign.items.all()) == [second]

    draft = CampaignFactory()
    only = ItemFactory(campaign=draft)
    services.item_remove(item=only, by=staff)  # a draft may be emptied
    assert not draft.items.exists()
