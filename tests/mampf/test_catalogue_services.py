"""The group catalogue services: create, change, delete groups and assign tutors by e-mail."""

import datetime
import json

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from mampf import catalogue_errors as errors
from mampf import catalogue_services as services
from mampf.models import Cohort, Exam, Registerable, Talk, Tutorial
from rosters.models import RosterEntry
from tests.factories import (
    CohortFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture():
    return LectureFactory(title="Analysis I")


@pytest.fixture
def teacher(lecture):
    return lecture.teacher


def snapshot(group):
    """Everything a refusal must leave as it was."""
    fresh = type(group).objects.get(pk=group.pk)
    values = {f.attname: getattr(fresh, f.attname) for f in type(group)._meta.concrete_fields}
    tutors = sorted(fresh.tutors.values_list("pk", flat=True)) if isinstance(
        fresh, Tutorial) else None
    return values, tutors, LogEntry.objects.count()


def fill(group, count):
    users = UserFactory.create_batch(count)
    RosterEntry.objects.bulk_create(RosterEntry(registerable=group, user=u) for u in users)
    return users


def last_log():
    return LogEntry.objects.order_by("-pk").first()


# -- create ---------------------------------------------------------------------------------


def test_create_tutorial_with_every_field_and_audit(lecture, teacher):
    tutorial = services.create_group(
        lecture=lecture,
        kind="tutorial",
        values={
            "title": "  Tutorial   A ",
            "capacity": 20,
            "weekday": Tutorial.Weekday.TUESDAY,
            "starts_at": datetime.time(14, 15),
            "ends_at": datetime.time(15, 45),
            "room": "SR 3",
        },
        by=teacher,
    )

    saved = Tutorial.objects.get(pk=tutorial.pk)
    assert (saved.lecture, saved.title, saved.capacity, saved.room) == (
        lecture, "Tutorial A", 20, "SR 3")
    assert saved.schedule == "Tuesday 14:15–15:45"
    log = last_log()
    assert (log.user, log.action_flag, log.object_id) == (teacher, ADDITION, str(tutorial.pk))


def test_create_talk_without_position_goes_to_the_end(lecture, teacher):
    TalkFactory(lecture=lecture, position=4)

    talk = services.create_group(
        lecture=lecture, kind="talk", values={"title": "Sylow", "capacity": 2}, by=teacher
    )

    assert talk.position == 5 and Talk.objects.get(pk=talk.pk).capacity == 2


def test_create_talk_on_a_taken_position_is_refused(lecture, teacher):
    TalkFactory(lecture=lecture, position=1)

    with pytest.raises(errors.TalkPositionTaken):
        services.create_group(
            lecture=lecture, kind="talk", values={"title": "Again", "position": 1}, by=teacher
        )
    assert Talk.objects.filter(lecture=lecture).count() == 1


def test_create_cohort_and_exam(lecture, teacher):
    cohort = services.create_group(
        lecture=lecture,
        kind="cohort",
        values={"title": "Repeaters", "purpose": "planning", "propagate_to_lecture": True},
        by=teacher,
    )
    when = datetime.datetime(2025, 2, 10, 9, 0, tzinfo=datetime.UTC)
    exam = services.create_group(
        lecture=lecture,
        kind="exam",
        values={"title": "Final", "date": when, "location": "HS 1", "capacity": 300},
        by=teacher,
    )

    assert Cohort.objects.get(pk=cohort.pk).propagate_to_lecture is True
    assert Exam.objects.get(pk=exam.pk).date == when


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"title": "   "}, "title_missing"),
        ({"title": "T", "capacity": -1}, "capacity_negative"),
        ({"title": "T", "starts_at": datetime.time(12), "ends_at": datetime.time(10)},
         "ends_before_start"),
        ({"title": "T", "room": "x" * 101}, "invalid_group_data"),
        ({"title": "T", "lecture_id": 1}, "invalid_group_data"),
    ],
)
def test_create_with_bad_values_is_refused_and_creates_nothing(lecture, teacher, values, code):
    with pytest.raises(errors.CatalogueError) as refused:
        services.create_group(lecture=lecture, kind="tutorial", values=values, by=teacher)

    assert refused.value.code == code
    assert not Tutorial.objects.exists()
    assert not LogEntry.objects.exists()


def test_create_needs_an_acting_user(lecture):
    with pytest.raises(ValueError):
        services.create_group(lecture=lecture, kind="exam", values={"title": "E"}, by=None)
    assert not Exam.objects.exists()


# -- update ---------------------------------------------------------------------------------


def test_update_changes_only_the_named_fields(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture, room="SR 1", capacity=25)

    services.update_group(group=tutorial, changes={"room": "SR 9"}, by=teacher)

    saved = Tutorial.objects.get(pk=tutorial.pk)
    assert (saved.room, saved.capacity, saved.title) == ("SR 9", 25, tutorial.title)
    log = last_log()
    assert log.action_flag == CHANGE
    assert json.loads(log.change_message) == [{"changed": {"fields": ["room"]}}]


def test_update_capacity_to_unlimited(lecture, teacher):
    exam = ExamFactory(lecture=lecture, capacity=10)

    services.update_group(group=exam, changes={"capacity": None}, by=teacher)

    assert Exam.objects.get(pk=exam.pk).capacity is None


def test_capacity_below_the_roster_is_refused(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture, capacity=10)
    fill(tutorial, 6)
    before = snapshot(tutorial)

    with pytest.raises(errors.CapacityBelowTaken) as refused:
        services.update_group(group=tutorial, changes={"capacity": 5, "room": "X"}, by=teacher)

    assert refused.value.details == {"taken": 6, "capacity": 5}
    assert snapshot(tutorial) == before


def test_capacity_equal_to_the_roster_is_fine(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture, capacity=10)
    fill(tutorial, 6)

    services.update_group(group=tutorial, changes={"capacity": 6}, by=teacher)

    assert Tutorial.objects.get(pk=tutorial.pk).capacity == 6


def test_a_registered_seat_counter_decides_places_taken(lecture, teacher, monkeypatch):
    monkeypatch.setattr(services, "_seat_counter", None)
    services.register_seat_counter(lambda group: 8)
    tutorial = TutorialFactory(lecture=lecture, capacity=10)

    with pytest.raises(errors.CapacityBelowTaken):
        services.update_group(group=tutorial, changes={"capacity": 7}, by=teacher)
    with pytest.raises(RuntimeError):
        services.register_seat_counter(lambda group: 0)
    assert Tutorial.objects.get(pk=tutorial.pk).capacity == 10


def test_cohort_propagation_changes_only_while_empty(lecture, teacher):
    cohort = CohortFactory(lecture=lecture, propagate_to_lecture=False)
    fill(cohort, 1)
    before = snapshot(cohort)

    with pytest.raises(errors.PropagationLocked):
        services.update_group(group=cohort, changes={"propagate_to_lecture": True}, by=teacher)

    assert snapshot(cohort) == before
    empty = CohortFactory(lecture=lecture, propagate_to_lecture=False)
    services.update_group(group=empty, changes={"propagate_to_lecture": True}, by=teacher)
    assert Cohort.objects.get(pk=empty.pk).propagate_to_lecture is True


def test_talk_position_clash_on_update_is_refused(lecture, teacher):
    TalkFactory(lecture=lecture, position=1)
    second = TalkFactory(lecture=lecture, position=2)
    before = snapshot(second)

    with pytest.raises(errors.TalkPositionTaken):
        services.update_group(group=second, changes={"position": 1}, by=teacher)

    assert snapshot(second) == before


def test_update_without_a_change_writes_no_audit(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture, room="SR 1")

    services.update_group(group=tutorial, changes={"room": "SR 1"}, by=teacher)

    assert not LogEntry.objects.exists()


def test_update_of_a_deleted_group_is_refused(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture)
    Tutorial.objects.filter(pk=tutorial.pk).delete()

    with pytest.raises(errors.GroupMissing):
        services.update_group(group=tutorial, changes={"room": "X"}, by=teacher)


# -- delete ---------------------------------------------------------------------------------


def test_delete_an_empty_group(lecture, teacher):
    talk = TalkFactory(lecture=lecture)

    services.delete_group(group=talk, by=teacher)

    assert not Registerable.objects.filter(pk=talk.pk).exists()
    log = last_log()
    assert (log.action_flag, log.object_id, log.object_repr) == (
        DELETION, str(talk.pk), str(talk))


def test_delete_with_people_on_the_roster_is_refused(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture)
    fill(tutorial, 2)

    with pytest.raises(errors.GroupNotEmpty) as refused:
        services.delete_group(group=tutorial, by=teacher)

    assert refused.value.details == {"members": 2}
    assert Tutorial.objects.filter(pk=tutorial.pk).exists()
    assert RosterEntry.objects.filter(registerable=tutorial).count() == 2
    assert not LogEntry.objects.exists()


def test_delete_of_a_campaign_item_is_refused(lecture, teacher):
    item = ItemFactory(campaign__lecture=lecture)

    with pytest.raises(errors.GroupInUse):
        services.delete_group(group=item.registerable.get_real_instance(), by=teacher)

    assert Tutorial.objects.filter(pk=item.registerable_id).exists()
    assert not LogEntry.objects.exists()


# -- tutors ---------------------------------------------------------------------------------


def test_add_tutor_by_exact_email_case_insensitive(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture)
    tutor = UserFactory(email="tina@example.org", name="Tina")

    added = services.add_tutor(tutorial=tutorial, email=" Tina@Example.org ", by=teacher)

    assert added == tutor
    assert list(tutorial.tutors.all()) == [tutor]
    assert json.loads(last_log().change_message) == [
        {"added": {"name": "tutors", "object": "Tina <tina@example.org>"}}]


def test_add_tutor_by_confirmed_university_address(lecture, teacher):
    tutorial = TutorialFactory(lecture=lecture)
    tutor = UserFactory(institutional_email="tina@uni-heidelberg.de")

    services.add_tutor(tutorial=tutorial, email="tina@uni-heidelberg.de", by=teacher)

    assert list(tutorial.tutors.all()) == [tutor]


@pytest.mark.parametrize(
    "email",
    ["tina@example", "tina@example.org.", "tin", "", "claimed@uni-heidelberg.de",
     "gone@example.org"],
)
def test_add_tutor_refuses_anything_but_an_exact_active_address(lecture, teacher, email):
    tutorial = TutorialFactory(lecture=lecture)
    UserFactory(email="tina@example.org")
    UserFactory(institutional_email="claimed@uni-heidelberg.de",
                institutional_email_verified_at=None)
    UserFactory(email="gone@example.org", is_active=False)
    before = snapshot(tutorial)

    with pytest.raises(errors.TutorNotFound):
        services.add_tutor(tutorial=tutorial, email=email, by=teacher)

    assert snapshot(tutorial) == before


def test_add_the_same_tutor_twice_is_refused(lecture, teacher):
    tutor = UserFactory()
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])

    with pytest.raises(errors.AlreadyTutor):
        services.add_tutor(tutorial=tutorial, email=tutor.email, by=teacher)


def test_remove_tutor(lecture, teacher):
    keep, drop = UserFactory(), UserFactory()
    tutorial = TutorialFactory(lecture=lecture, tutors=[keep, drop])

    services.remove_tutor(tutorial=tutorial, user_id=drop.pk, by=teacher)

    assert list(tutorial.tutors.all()) == [keep]
    assert last_log().action_flag == CHANGE
    with pytest.raises(errors.NotATutor):
        services.remove_tutor(tutorial=tutorial, user_id=drop.pk, by=teacher)
