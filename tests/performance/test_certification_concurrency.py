"""Certifications under concurrency (PostgreSQL only; SQLite serializes every writer).

Each test has a lock-off control: the same scenario with ``MAMPF_ROW_LOCKS = False`` must show
the damage the locks prevent, which proves the test can see it. The race window is widened by
wrapping ``performance.certification.proposals`` (accept-all sleeps after evaluating) or by a
recompute that holds its uncommitted record update for a moment.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from performance import certification, selectors, services
from performance.models import Certification, CertificationChange, LectureState, Record
from registration import errors
from registration import services as registration_services
from registration.models import UserRegistration
from rosters.models import RosterEntry
from tests.concurrency import run_concurrently
from tests.factories import (
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    StaffFactory,
)
from tests.performance.certify_helpers import (
    FAILING,
    PASSING,
    change_record,
    enrol,
    make_rule,
    make_students,
    set_records,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WINDOW = 0.5
STUDENTS = 200


@pytest.fixture
def slow_accept_all(monkeypatch):
    """accept-all sleeps between evaluating the records and writing; ``evaluated`` is set then."""
    evaluated = threading.Event()
    real = certification.proposals

    def slow(**kwargs):
        result = real(**kwargs)
        evaluated.set()
        time.sleep(WINDOW)
        return result

    monkeypatch.setattr(certification, "proposals", slow)
    return evaluated


@pytest.fixture
def lecture(on_postgres):
    lecture = LectureFactory()
    users = make_students(STUDENTS, prefix="rush")
    enrol(lecture, users)
    make_rule(lecture)
    set_records(lecture, {user: (PASSING if i % 2 else FAILING) for i, user in enumerate(users)})
    # The state row exists once records were computed; creating it at once would serialize the
    # two runs by the unique index alone and hide the race from the control.
    LectureState.objects.create(lecture=lecture)
    return lecture


def accept_all_twice(lecture):
    calls = [
        lambda: services.accept_all_proposals(lecture=lecture, by=lecture.teacher),
        lambda: services.accept_all_proposals(lecture=lecture, by=lecture.teacher),
    ]
    return run_concurrently(calls)


def test_accept_all_twice_at_once_certifies_each_student_once(lecture, slow_accept_all):
    outcomes = accept_all_twice(lecture)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    assert sorted(value for _kind, value in outcomes) == [0, STUDENTS]
    assert Certification.objects.filter(lecture=lecture).count() == STUDENTS
    assert CertificationChange.objects.filter(lecture_id=lecture.pk).count() == STUDENTS


def test_control_without_the_lock_accept_all_twice_writes_everyone_twice(
    lecture, slow_accept_all, settings
):
    settings.MAMPF_ROW_LOCKS = False
    outcomes = accept_all_twice(lecture)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    assert Certification.objects.filter(lecture=lecture).count() == STUDENTS
    # Both runs decided "new" for everyone: two history rows per student.
    assert CertificationChange.objects.filter(lecture_id=lecture.pk).count() == 2 * STUDENTS


def grade_during_accept_all(lecture, evaluated):
    student = Record.objects.filter(lecture=lecture, points__gt=20).order_by("user_id").first().user

    def late_grade():
        assert evaluated.wait(timeout=30)
        with transaction.atomic():
            change_record(lecture, student, FAILING)  # passed before, failed now
        return "graded"

    outcomes = run_concurrently(
        [lambda: services.accept_all_proposals(lecture=lecture, by=lecture.teacher), late_grade]
    )
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    return student


def test_a_grade_entered_while_accept_all_runs_leaves_that_student_stale(
    lecture, slow_accept_all
):
    student = grade_during_accept_all(lecture, slow_accept_all)
    cert = Certification.objects.get(lecture=lecture, user=student)
    record = Record.objects.get(lecture=lecture, user=student)
    assert cert.status == "passed"  # decided on the figures it read ...
    assert cert.record_fingerprint != record.fingerprint  # ... and it says so
    assert cert.figures["points"] != format(record.points, "f")
    assert selectors.certification_states(lecture=lecture, user_ids=[student.pk]) == {
        student.pk: "stale"
    }


def test_control_without_the_lock_the_student_is_certified_on_old_figures(
    lecture, slow_accept_all, settings
):
    settings.MAMPF_ROW_LOCKS = False
    student = grade_during_accept_all(lecture, slow_accept_all)
    cert = Certification.objects.get(lecture=lecture, user=student)
    # Passed on the old figures, but stamped with the new fingerprint: silently current.
    assert cert.status == "passed"
    assert selectors.certification_states(lecture=lecture, user_ids=[student.pk]) == {
        student.pk: "passed"
    }


# -- finalization -------------------------------------------------------------------------------


@pytest.fixture
def exam_campaign(on_postgres):
    lecture = LectureFactory()
    users = make_students(3, prefix="exam")
    enrol(lecture, users)
    make_rule(lecture)
    set_records(lecture, {user: PASSING for user in users})
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    campaign = CampaignFactory(lecture=lecture, status="closed")
    item = ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture))
    PolicyFactory(campaign=campaign, kind="student_performance", phase="both", config={})
    for user in users:
        UserRegistration.objects.create(campaign=campaign, item=item, user=user, status="confirmed")
    return campaign, users


def finalize_while_a_certification_turns_stale(campaign, student):
    recomputing = threading.Event()

    def recompute():
        with transaction.atomic():
            change_record(campaign.lecture, student, FAILING)
            recomputing.set()
            time.sleep(WINDOW)
        return "recomputed"

    def finalize():
        assert recomputing.wait(timeout=30)
        return registration_services.campaign_finalize(campaign, by=StaffFactory())

    return run_concurrently([recompute, finalize])


def test_finalizing_while_a_certification_turns_stale_refuses(exam_campaign):
    campaign, users = exam_campaign
    outcomes = finalize_while_a_certification_turns_stale(campaign, users[0])
    assert outcomes[0] == ("ok", "recomputed")
    kind, value = outcomes[1]
    assert kind == "error" and isinstance(value, errors.PolicyBlocker), outcomes
    assert users[0].name in str(value)
    exam = campaign.items.get().registerable
    assert not RosterEntry.objects.filter(registerable=exam).exists()
    campaign.refresh_from_db()
    assert campaign.status == "closed"


def test_control_without_the_lock_finalization_seats_the_stale_student(exam_campaign, settings):
    settings.MAMPF_ROW_LOCKS = False
    campaign, users = exam_campaign
    outcomes = finalize_while_a_certification_turns_stale(campaign, users[0])
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    exam = campaign.items.get().registerable
    assert RosterEntry.objects.filter(registerable=exam, user=users[0]).exists()
    assert selectors.certification_states(lecture=campaign.lecture, user_ids=[users[0].pk]) == {
        users[0].pk: "stale"
    }
