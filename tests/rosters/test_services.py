"""rosters.services: the superset rule, capacity, one tutorial per lecture, moves, audit, mail.

The concurrency tests run on PostgreSQL (row locks); SQLite skips them with the reason.
"""

import time

import pytest

from rosters import errors, selectors
from rosters.models import RosterChange, RosterEntry
from rosters.services import add_user, move_user, remove_user
from tests.concurrency import run_concurrently
from tests.factories import (
    CohortFactory,
    ExamFactory,
    LectureFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def on_roster(registerable) -> set[int]:
    return set(
        RosterEntry.objects.filter(registerable_id=registerable.pk).values_list("user_id",
                                                                               flat=True)
    )


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def lecture():
    return LectureFactory()


# -- the lecture roster is a superset of its groups ------------------------------------------


@pytest.mark.parametrize(
    "make_group",
    [
        pytest.param(lambda lecture: TutorialFactory(lecture=lecture), id="tutorial"),
        pytest.param(lambda lecture: TalkFactory(lecture=lecture), id="talk"),
        pytest.param(lambda lecture: CohortFactory(lecture=lecture, propagate_to_lecture=True),
                     id="propagating-cohort"),
    ],
)
def test_joining_a_group_also_joins_the_lecture(lecture, staff, make_group):
    group, student = make_group(lecture), UserFactory()

    entry = add_user(registerable=group, user=student, by=staff)

    assert entry.registerable_id == group.pk
    assert on_roster(group) == {student.pk}
    assert on_roster(lecture) == {student.pk}
    lecture_entry = RosterEntry.objects.get(registerable_id=lecture.pk, user=student)
    assert lecture_entry.added_by == staff


def test_joining_a_non_propagating_cohort_does_not_join_the_lecture(lecture, staff):
    cohort, student = CohortFactory(lecture=lecture, propagate_to_lecture=False), UserFactory()

    add_user(registerable=cohort, user=student, by=staff)

    assert on_roster(cohort) == {student.pk}
    assert on_roster(lecture) == set()


def test_joining_a_group_when_already_on_the_lecture_keeps_one_lecture_entry(lecture, staff):
    student = UserFactory()
    add_user(registerable=lecture, user=student, by=staff)

    add_user(registerable=TutorialFactory(lecture=lecture), user=student, by=staff)

    assert RosterEntry.objects.filter(registerable_id=lecture.pk, user=student).count() == 1


def test_leaving_a_group_keeps_the_lecture_entry(lecture, staff):
    tutorial, student = TutorialFactory(lecture=lecture), UserFactory()
    add_user(registerable=tutorial, user=student, by=staff)

    remove_user(registerable=tutorial, user=student, by=staff)

    assert on_roster(tutorial) == set()
    assert on_roster(lecture) == {student.pk}


def test_leaving_the_lecture_leaves_its_groups_but_not_a_non_propagating_cohort(lecture, staff):
    student, classmate = UserFactory(), UserFactory()
    tutorial = TutorialFactory(lecture=lecture)
    talk = TalkFactory(lecture=lecture)
    propagating = CohortFactory(lecture=lecture, propagate_to_lecture=True)
    planning = CohortFactory(lecture=lecture, propagate_to_lecture=False)
    for group in (tutorial, talk, propagating, planning):
        add_user(registerable=group, user=student, by=staff)
    add_user(registerable=tutorial, user=classmate, by=staff)

    remove_user(registerable=lecture, user=student, by=staff)

    assert student.pk not in on_roster(lecture)
    assert on_roster(tutorial) == {classmate.pk}
    assert on_roster(talk) == set()
    assert on_roster(propagating) == set()
    assert on_roster(planning) == {student.pk}
    removed = set(
        RosterChange.objects.filter(user=student, action=RosterChange.Action.REMOVED)
        .values_list("registerable_id", flat=True)
    )
    assert removed == {lecture.pk, tutorial.pk, talk.pk, propagating.pk}


def test_groups_of_another_lecture_are_untouched_when_leaving_a_lecture(lecture, staff):
    student = UserFactory()
    other_tutorial = TutorialFactory()
    add_user(registerable=TutorialFactory(lecture=lecture), user=student, by=staff)
    add_user(registerable=other_tutorial, user=student, by=staff)

    remove_user(registerable=lecture, user=student, by=staff)

    assert on_roster(other_tutorial) == {student.pk}
    assert on_roster(other_tutorial.lecture) == {student.pk}


# -- refusals -------------------------------------------------------------------------------


def test_a_full_group_refuses_unless_overfilling_is_allowed(lecture, staff):
    tutorial = TutorialFactory(lecture=lecture, capacity=2)
    for student in UserFactory.create_batch(2):
        add_user(registerable=tutorial, user=student, by=staff)
    latecomer = UserFactory()

    with pytest.raises(errors.GroupFull) as refusal:
        add_user(registerable=tutorial, user=latecomer, by=staff)

    assert refusal.value.code == "group_full"
    assert tutorial.title in str(refusal.value)
    assert latecomer.pk not in on_roster(tutorial) | on_roster(lecture)
    assert not RosterChange.objects.filter(user=latecomer).exists()

    add_user(registerable=tutorial, user=latecomer, by=staff, allow_overfill=True)

    assert len(on_roster(tutorial)) == 3


def test_unlimited_groups_never_fill(lecture, staff):
    cohort = CohortFactory(lecture=lecture, capacity=None)

    for student in UserFactory.create_batch(5):
        add_user(registerable=cohort, user=student, by=staff)

    assert len(on_roster(cohort)) == 5


def test_one_tutorial_per_student_per_lecture(lecture, staff):
    first, second = TutorialFactory(lecture=lecture), TutorialFactory(lecture=lecture)
    student = UserFactory()
    add_user(registerable=first, user=student, by=staff)

    with pytest.raises(errors.AlreadyInGroup) as refusal:
        add_user(registerable=second, user=student, by=staff, allow_overfill=True)

    assert first.title in str(refusal.value)
    assert on_roster(second) == set()


def test_tutorials_of_different_lectures_are_independent(staff):
    student = UserFactory()
    add_user(registerable=TutorialFactory(), user=student, by=staff)
    other = TutorialFactory()

    add_user(registerable=other, user=student, by=staff)

    assert on_roster(other) == {student.pk}


def test_adding_twice_is_refused(lecture, staff):
    tutorial, student = TutorialFactory(lecture=lecture), UserFactory()
    add_user(registerable=tutorial, user=student, by=staff)

    with pytest.raises(errors.AlreadyOnRoster):
        add_user(registerable=tutorial, user=student, by=staff)

    assert RosterEntry.objects.filter(user=student).count() == 2  # tutorial + lecture


def test_removing_someone_not_on_the_roster_is_refused(lecture, staff):
    with pytest.raises(errors.NotOnRoster):
        remove_user(registerable=TutorialFactory(lecture=lecture), user=UserFactory(), by=staff)


# -- moves ----------------------------------------------------------------------------------


def test_move_between_tutorials(lecture, staff):
    source, target = TutorialFactory(lecture=lecture), TutorialFactory(lecture=lecture)
    student = UserFactory()
    add_user(registerable=source, user=student, by=staff)

    moved = move_user(user=student, source=source, target=target, by=staff, reason="swap")

    assert moved.registerable_id == target.pk
    assert on_roster(source) == set()
    assert on_roster(target) == {student.pk}
    assert on_roster(lecture) == {student.pk}
    audit = RosterChange.objects.get(action=RosterChange.Action.MOVED)
    assert (audit.user, audit.registerable_id, audit.from_registerable_id, audit.by,
            audit.reason) == (student, target.pk, source.pk, staff, "swap")


def test_move_into_a_full_group_leaves_the_student_where_they_were(lecture, staff):
    source = TutorialFactory(lecture=lecture)
    target = TutorialFactory(lecture=lecture, capacity=1)
    student = UserFactory()
    add_user(registerable=source, user=student, by=staff)
    add_user(registerable=target, user=UserFactory(), by=staff)

    with pytest.raises(errors.GroupFull):
        move_user(user=student, source=source, target=target, by=staff)

    assert student.pk in on_roster(source)
    assert student.pk not in on_roster(target)
    assert not RosterChange.objects.filter(action=RosterChange.Action.MOVED).exists()


def test_move_into_a_full_group_with_overfill(lecture, staff):
    source = TutorialFactory(lecture=lecture)
    target = TutorialFactory(lecture=lecture, capacity=1)
    student = UserFactory()
    add_user(registerable=source, user=student, by=staff)
    add_user(registerable=target, user=UserFactory(), by=staff)

    move_user(user=student, source=source, target=target, by=staff, allow_overfill=True)

    assert len(on_roster(target)) == 2


@pytest.mark.parametrize(
    "make_target",
    [
        pytest.param(lambda lecture: TutorialFactory(), id="tutorial-of-another-lecture"),
        pytest.param(lambda lecture: TalkFactory(lecture=lecture), id="talk-of-same-lecture"),
        pytest.param(lambda lecture: ExamFactory(lecture=lecture), id="exam-of-same-lecture"),
    ],
)
def test_moves_only_between_groups_of_one_kind_and_lecture(lecture, staff, make_target):
    source, student = TutorialFactory(lecture=lecture), UserFactory()
    add_user(registerable=source, user=student, by=staff)
    target = make_target(lecture)

    with pytest.raises(errors.InvalidMove):
        move_user(user=student, source=source, target=target, by=staff)

    assert on_roster(source) == {student.pk}
    assert on_roster(target) == set()


def test_move_into_the_same_group_is_refused(lecture, staff):
    tutorial, student = TutorialFactory(lecture=lecture), UserFactory()
    add_user(registerable=tutorial, user=student, by=staff)

    with pytest.raises(errors.InvalidMove):
        move_user(user=student, source=tutorial, target=tutorial, by=staff)


def test_move_of_someone_not_in_the_source_is_refused(lecture, staff):
    source, target = TutorialFactory(lecture=lecture), TutorialFactory(lecture=lecture)

    with pytest.raises(errors.NotOnRoster):
        move_user(user=UserFactory(), source=source, target=target, by=staff)

    assert on_roster(target) == set()


# -- audit and notification -----------------------------------------------------------------


def test_every_change_is_audited_with_who_and_why(lecture, staff):
    tutorial, student = TutorialFactory(lecture=lecture), UserFactory()

    add_user(registerable=tutorial, user=student, by=staff, reason="late enrolment")
    remove_user(registerable=tutorial, user=student, by=staff, reason="dropped out")

    rows = list(
        RosterChange.objects.order_by("id").values_list("action", "registerable_id", "by_id",
                                                        "reason")
    )
    assert rows == [
        ("added", tutorial.pk, staff.pk, "late enrolment"),
        ("added", lecture.pk, staff.pk, "propagated from group"),
        ("removed", tutorial.pk, staff.pk, "dropped out"),
    ]


def test_the_student_gets_an_email_after_commit(lecture, staff, mailoutbox,
                                                django_capture_on_commit_callbacks):
    tutorial = TutorialFactory(lecture=lecture, title="Tutorial A", room="SR 3")
    student = UserFactory(email="ada@example.org")

    with django_capture_on_commit_callbacks(execute=False) as pending:
        add_user(registerable=tutorial, user=student, by=staff)
    assert mailoutbox == []  # nothing is sent before the transaction commits

    for callback in pending:
        callback()

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.org"]
    assert "Tutorial A" in mailoutbox[0].subject
    assert "SR 3" in mailoutbox[0].body


def test_moves_and_removals_notify_too(lecture, staff, mailoutbox,
                                       django_capture_on_commit_callbacks):
    source = TutorialFactory(lecture=lecture, title="Tutorial A")
    target = TutorialFactory(lecture=lecture, title="Tutorial B")
    student = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        add_user(registerable=source, user=student, by=staff)
        move_user(user=student, source=source, target=target, by=staff)
        remove_user(registerable=target, user=student, by=staff)

    subjects = [message.subject for message in mailoutbox]
    assert len(subjects) == 3
    assert "Tutorial B" in subjects[1] and "Tutorial B" in subjects[2]


def test_refusals_and_silent_changes_send_no_email(lecture, staff, mailoutbox,
                                                   django_capture_on_commit_callbacks):
    tutorial = TutorialFactory(lecture=lecture, capacity=0)

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(errors.GroupFull):
            add_user(registerable=tutorial, user=UserFactory(), by=staff)
        add_user(registerable=lecture, user=UserFactory(), by=staff, notify=False)

    assert mailoutbox == []


# -- concurrency (PostgreSQL) -----------------------------------------------------------------


def _run_in_threads(*jobs):
    """Start the jobs together (tests/concurrency.py); "ok" or the exception, per job."""
    return [value if kind == "error" else "ok" for kind, value in run_concurrently(list(jobs))]


@pytest.fixture
def wide_race_window(monkeypatch):
    """Sleep after counting a group's places, so unlocked adds reliably interleave."""
    real_seat_holders = selectors.seat_holders

    def slow_seat_holders(*args, **kwargs):
        holders = real_seat_holders(*args, **kwargs)
        time.sleep(0.05)
        return holders

    monkeypatch.setattr(selectors, "seat_holders", slow_seat_holders)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_opposite_moves_at_the_same_time_never_deadlock(on_postgres):
    staff = StaffFactory()
    lecture = LectureFactory()
    first = TutorialFactory(lecture=lecture, capacity=3)
    second = TutorialFactory(lecture=lecture, capacity=3)
    alice, bob = UserFactory(), UserFactory()
    add_user(registerable=first, user=alice, by=staff, notify=False)
    add_user(registerable=second, user=bob, by=staff, notify=False)
    for group in (first, second):
        add_user(registerable=group, user=UserFactory(), by=staff, notify=False)

    for round_number in range(20):
        alice_from, alice_to = (first, second) if round_number % 2 == 0 else (second, first)
        outcomes = _run_in_threads(
            lambda a_from=alice_from, a_to=alice_to: move_user(
                user=alice, source=a_from, target=a_to, by=staff, notify=False),
            lambda a_from=alice_from, a_to=alice_to: move_user(
                user=bob, source=a_to, target=a_from, by=staff, notify=False),
        )

        assert outcomes == ["ok", "ok"], f"round {round_number}: {outcomes}"
        assert alice.pk in on_roster(alice_to) and alice.pk not in on_roster(alice_from)
        assert bob.pk in on_roster(alice_from) and bob.pk not in on_roster(alice_to)
        assert len(on_roster(first)) == len(on_roster(second)) == 2
    assert len(on_roster(lecture)) == 4
    assert RosterChange.objects.filter(action=RosterChange.Action.MOVED).count() == 40


def _rush_for_the_last_seat(*, rounds: int, rivals: int) -> list[int]:
    """Per round, a group with one place and ``rivals`` simultaneous adds: the roster sizes."""
    staff = StaffFactory()
    lecture = LectureFactory()
    sizes = []
    for _round in range(rounds):
        tutorial = TutorialFactory(lecture=lecture, capacity=1)
        outcomes = _run_in_threads(
            *[lambda user=user, group=tutorial: add_user(registerable=group, user=user, by=staff,
                                                         notify=False)
              for user in UserFactory.create_batch(rivals)]
        )
        unexpected = [o for o in outcomes if o != "ok" and not isinstance(o, errors.GroupFull)]
        assert unexpected == []
        sizes.append(len(on_roster(tutorial)))
    return sizes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_last_seat_goes_to_exactly_one_of_simultaneous_adds(on_postgres, wide_race_window):
    assert _rush_for_the_last_seat(rounds=5, rivals=4) == [1] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_the_row_locks_simultaneous_adds_overfill(
    on_postgres, wide_race_window, settings
):
    """Proves the test above can see an overfilled group: only the lock switch differs."""
    settings.MAMPF_ROW_LOCKS = False
    sizes = _rush_for_the_last_seat(rounds=5, rivals=4)
    assert max(sizes) > 1, f"without the locks the adds should overfill, sizes {sizes}"


def test_move_into_a_propagating_cohort_adds_the_student_to_the_lecture():
    lecture = LectureFactory()
    quiet = CohortFactory(lecture=lecture, propagate_to_lecture=False)
    loud = CohortFactory(lecture=lecture, propagate_to_lecture=True)
    student = UserFactory()
    add_user(registerable=quiet, user=student, by=None)
    assert not RosterEntry.objects.filter(registerable_id=lecture.pk, user=student).exists()
    move_user(user=student, source=quiet, target=loud, by=None)
    assert RosterEntry.objects.filter(registerable_id=lecture.pk, user=student).exists()


def test_audit_rows_follow_deletions_through_django_without_database_foreign_keys():
    from registration.models import Campaign
    from tests.factories import CampaignFactory

    lecture = LectureFactory()
    tutorial = TutorialFactory(lecture=lecture)
    student, staff = UserFactory(), StaffFactory()
    campaign = CampaignFactory(lecture=lecture)
    add_user(registerable=tutorial, user=student, by=staff, source_campaign=campaign)
    assert RosterChange.objects.filter(user=student).count() == 2  # tutorial and lecture
    Campaign.objects.filter(pk=campaign.pk).delete()
    assert not RosterChange.objects.filter(source_campaign_id=campaign.pk).exists()
    staff.delete()
    assert RosterChange.objects.filter(user=student, by__isnull=True).count() == 2
    student.delete()
    assert not RosterChange.objects.exists()


# -- removal guards (issue 7, item 21) ------------------------------------------------------------


@pytest.fixture
def grading_guard():
    """A stand-in for assessment's check: nobody with 'graded' in their name may leave."""
    from rosters.services import register_removal_guard, unregister_removal_guard

    def has_grading_data(*, registerable, user):
        return "they have graded work here" if "graded" in user.name else None

    register_removal_guard(has_grading_data)
    register_removal_guard(has_grading_data)  # twice is once
    yield has_grading_data
    unregister_removal_guard(has_grading_data)


def test_a_removal_guard_refuses_remove_and_move_and_changes_nothing(grading_guard):
    from rosters.services import _REMOVAL_GUARDS

    assert _REMOVAL_GUARDS.count(grading_guard) == 1
    staff = StaffFactory()
    lecture = LectureFactory()
    first = TutorialFactory(lecture=lecture, title="Tutorial A")
    second = TutorialFactory(lecture=lecture)
    graded, free = UserFactory(name="Gina graded"), UserFactory(name="Fred")
    for user in (graded, free):
        add_user(registerable=first, user=user, by=staff, notify=False)
    changes = RosterChange.objects.count()

    with pytest.raises(errors.RemovalRefused) as refused:
        remove_user(registerable=first, user=graded, by=staff)
    assert refused.value.code == "removal_refused"
    assert "they have graded work here" in str(refused.value)
    assert "Tutorial A" in str(refused.value)
    with pytest.raises(errors.RemovalRefused):
        move_user(user=graded, source=first, target=second, by=staff)
    with pytest.raises(errors.RemovalRefused):  # leaving the lecture would leave the group too
        remove_user(registerable=lecture, user=graded, by=staff)
    assert graded.pk in on_roster(first) and graded.pk in on_roster(lecture)
    assert graded.pk not in on_roster(second)
    assert RosterChange.objects.count() == changes

    move_user(user=free, source=first, target=second, by=staff, notify=False)
    remove_user(registerable=second, user=free, by=staff, notify=False)
    assert free.pk not in on_roster(second)


# -- one capacity rule (issue 7, item 2) -----------------------------------------------------------


def test_manual_adds_count_places_confirmed_in_a_campaign_not_yet_materialized():
    """Two students hold the two places of the group in an open FCFS campaign: staff cannot add
    a third by hand (nor move one in) without allowing overfill."""
    from registration import services as registration_services
    from tests.factories import CampaignFactory, ItemFactory

    staff = StaffFactory()
    lecture = LectureFactory()
    campaign = CampaignFactory(lecture=lecture, status="open")
    group = TutorialFactory(lecture=lecture, capacity=2)
    other = TutorialFactory(lecture=lecture, capacity=5)
    item = ItemFactory(campaign=campaign, registerable=group)
    holders = UserFactory.create_batch(2)
    for student in holders:
        registration_services.register(user=student, item=item)
    newcomer, mover = UserFactory(), UserFactory()
    add_user(registerable=other, user=mover, by=staff, notify=False)
    changes = RosterChange.objects.count()

    with pytest.raises(errors.GroupFull) as refused:
        add_user(registerable=group, user=newcomer, by=staff)
    assert refused.value.details == {"capacity": 2, "taken": 2}
    with pytest.raises(errors.GroupFull):
        move_user(user=mover, source=other, target=group, by=staff)
    assert on_roster(group) == set() and mover.pk in on_roster(other)
    assert RosterChange.objects.count() == changes

    # A student who holds one of the places needs no second one.
    add_user(registerable=group, user=holders[0], by=staff, notify=False)
    add_user(registerable=group, user=newcomer, by=staff, allow_overfill=True, notify=False)
    assert on_roster(group) == {holders[0].pk, newcomer.pk}
