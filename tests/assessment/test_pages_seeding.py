"""After an assignment's deadline the beat job gives every tutorial member a pending row;
idempotent, covers students who join later, and safe when two runs overlap."""

import datetime
import time

import pytest
from django.conf import settings
from django.utils import timezone

from assessment import pages
from assessment import services as assessment_services
from assessment.models import Participation
from assessment.tasks import seed_due_participations
from rosters.models import RosterEntry
from tests.concurrency import run_concurrently
from tests.factories import AssessmentFactory, ParticipationFactory, TutorialFactory, UserFactory


def lecture_with_members(count=4):
    past = AssessmentFactory(title="Past")
    lecture = past.lecture
    future = AssessmentFactory(
        lecture=lecture, title="Future", deadline=timezone.now() + datetime.timedelta(days=3)
    )
    t1, t2 = TutorialFactory(lecture=lecture), TutorialFactory(lecture=lecture)
    members = UserFactory.create_batch(count)
    for i, user in enumerate(members):
        RosterEntry.objects.create(registerable=(t1, t2)[i % 2], user=user)
    outsider = UserFactory()  # on no tutorial of this lecture
    return past, future, (t1, t2), members, outsider


def rows(assessment):
    return sorted(
        Participation.objects.filter(assessment=assessment).values_list(
            "user_id", "tutorial_id", "status"
        )
    )


@pytest.mark.django_db
def test_due_assignments_get_a_pending_row_per_tutorial_member():
    past, future, (t1, t2), members, outsider = lecture_with_members()
    graded = ParticipationFactory(assessment=past, user=members[0], tutorial=t1, status="absent")
    assert seed_due_participations.delay().get() == 3
    expected = sorted(
        [(members[0].pk, t1.pk, "absent")]
        + [(u.pk, (t1, t2)[i % 2].pk, "pending") for i, u in enumerate(members) if i]
    )
    assert rows(past) == expected
    assert rows(future) == []  # the deadline has not passed
    assert not Participation.objects.filter(user=outsider).exists()
    graded.refresh_from_db()
    assert graded.status == "absent" and graded.version == 0  # existing rows untouched


@pytest.mark.django_db
def test_seeding_is_idempotent_and_covers_late_joiners():
    past, _future, (t1, _t2), members, _outsider = lecture_with_members()
    pages.seed_due_assignments()
    before = rows(past)
    assert pages.seed_due_assignments() == {}
    assert rows(past) == before
    late = UserFactory()
    RosterEntry.objects.create(registerable=t1, user=late)
    assert pages.seed_due_assignments() == {past.pk: 1}
    assert (late.pk, t1.pk, "pending") in rows(past)


@pytest.mark.django_db
def test_published_exams_and_talks_are_not_seeded():
    past, _future, _ts, _members, _outsider = lecture_with_members()
    AssessmentFactory(lecture=past.lecture, kind="exam")
    whole = AssessmentFactory(lecture=past.lecture, results_published_at=timezone.now())
    pages.seed_due_assignments()
    assert Participation.objects.exclude(assessment=past).count() == 0
    assert not Participation.objects.filter(assessment=whole).exists()


@pytest.mark.django_db
def test_seeding_has_bounded_queries_at_300_students(django_assert_max_num_queries):
    past, _future, _ts, _members, _outsider = lecture_with_members(count=300)
    with django_assert_max_num_queries(12):
        pages.seed_due_assignments()
    assert Participation.objects.filter(assessment=past).count() == 300


def test_the_job_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "assessment.tasks.seed_due_participations" in tasks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_each_row_once(on_postgres, monkeypatch):
    past, _future, _ts, members, _outsider = lecture_with_members(count=20)
    real = assessment_services.tutorial_ids_of

    def slow(**kwargs):  # between "who has no row" and the insert
        result = real(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(assessment_services, "tutorial_ids_of", slow)
    outcomes = run_concurrently([pages.seed_due_assignments, pages.seed_due_assignments])
    assert [kind for kind, _value in outcomes] == ["ok", "ok"]
    assert Participation.objects.filter(assessment=past).count() == len(members)
