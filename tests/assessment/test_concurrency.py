"""Two tutors grading the same team at once never lose an update (PostgreSQL only).

SQLite serialises every writer and has no row locks, so these tests skip there. Each test has
a control that switches the row locks off (``settings.MAMPF_ROW_LOCKS = False``) and must see
the lost update, which proves the test can detect one. The race window is widened by a sleep
after ``assessment.services._sum_fresh`` reads the stored task points, i.e. between reading
and writing the total. The thread runner is the one of tests/registration/test_concurrency.py
(one runner for the whole suite).
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment import errors, services
from assessment.models import Participation, Submission, SubmissionMember, TaskPoint
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    UserFactory,
)
from tests.registration.test_concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RACE_WINDOW_SECONDS = 0.3
TEAMS = 3


@pytest.fixture
def wide_race_window(monkeypatch):
    real = services._sum_fresh

    def slow_sum_fresh(participation_id):
        result = real(participation_id)
        time.sleep(RACE_WINDOW_SECONDS)
        return result

    monkeypatch.setattr(services, "_sum_fresh", slow_sum_fresh)


@pytest.fixture
def graded_sheet(on_postgres):
    assessment = AssessmentFactory()
    first = TaskFactory(assessment=assessment, position=1)
    second = TaskFactory(assessment=assessment, position=2)
    teams = []
    for _ in range(TEAMS):
        members = UserFactory.create_batch(2)
        submission = Submission.objects.create(assessment=assessment, uploaded_at=timezone.now())
        for member in members:
            ParticipationFactory(assessment=assessment, user=member)
            SubmissionMember.objects.create(
                submission=submission, assessment=assessment, user=member
            )
        teams.append(submission)
    return assessment, first, second, teams


def two_tutors_grade_different_tasks(first, second, teams) -> list[tuple]:
    tutor_a, tutor_b = StaffFactory(), StaffFactory()
    calls = []
    for submission in teams:
        calls.append(
            lambda s=submission: services.grade_submission(
                submission=s, points={first: Decimal("4")}, by=tutor_a
            )
        )
        calls.append(
            lambda s=submission: services.grade_submission(
                submission=s, points={second: Decimal("3.5")}, by=tutor_b
            )
        )
    return run_concurrently(calls, workers=len(calls))


def lost_totals(assessment) -> list[int]:
    """Participations whose total is not the sum of their stored task points."""
    lost = []
    for row in Participation.objects.filter(assessment=assessment):
        stored = sum(
            TaskPoint.objects.filter(participation=row).values_list("points", flat=True),
            Decimal("0"),
        )
        if row.points_total != stored or row.status != "reviewed" or row.version != 2:
            lost.append(row.pk)
    return lost


def test_two_tutors_grading_one_team_lose_no_update(graded_sheet, wide_race_window):
    assessment, first, second, teams = graded_sheet
    outcomes = two_tutors_grade_different_tasks(first, second, teams)
    assert [kind for kind, _value in outcomes] == ["ok"] * len(outcomes), outcomes
    assert lost_totals(assessment) == []
    totals = set(
        Participation.objects.filter(assessment=assessment).values_list("points_total", flat=True)
    )
    assert totals == {Decimal("7.50")}


def test_control_without_row_locks_loses_an_update(graded_sheet, wide_race_window, settings):
    settings.MAMPF_ROW_LOCKS = False
    assessment, first, second, teams = graded_sheet
    outcomes = two_tutors_grade_different_tasks(first, second, teams)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert lost_totals(assessment), "the control must see a lost update"


def two_tutors_save_the_same_form(first, teams) -> list[tuple]:
    """The team has points; both tutors open its row at the same version and save new ones."""
    tutor_a, tutor_b = StaffFactory(), StaffFactory()
    calls = []
    for submission in teams:
        services.grade_submission(submission=submission, points={first: Decimal("1")}, by=tutor_a)
        shown = dict(
            Participation.objects.filter(
                assessment=submission.assessment,
                user__in=submission.memberships.values("user_id"),
            ).values_list("pk", "version")
        )
        for tutor, value in ((tutor_a, Decimal("4")), (tutor_b, Decimal("6"))):
            calls.append(
                lambda s=submission, t=tutor, v=value, shown=shown: services.grade_submission(
                    submission=s, points={first: v}, by=t, expected_versions=shown
                )
            )
    return run_concurrently(calls, workers=len(calls))


def test_a_stale_second_save_gets_changed_meanwhile(graded_sheet, wide_race_window):
    assessment, first, _second, teams = graded_sheet
    outcomes = two_tutors_save_the_same_form(first, teams)
    for index in range(0, len(outcomes), 2):
        kinds = sorted(kind for kind, _value in outcomes[index : index + 2])
        assert kinds == ["error", "ok"], outcomes
        error = next(value for kind, value in outcomes[index : index + 2] if kind == "error")
        assert isinstance(error, errors.ChangedMeanwhile)
        assert error.details["version"] == 2
    versions = Participation.objects.filter(assessment=assessment).values_list("version", flat=True)
    assert set(versions) == {2}


def test_control_without_row_locks_overwrites_silently(graded_sheet, wide_race_window, settings):
    settings.MAMPF_ROW_LOCKS = False
    assessment, first, _second, teams = graded_sheet
    outcomes = two_tutors_save_the_same_form(first, teams)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    # Both saves went through on the same shown version: one tutor's points vanished unseen
    # (each row changed twice, but its version moved only once).
    versions = Participation.objects.filter(assessment=assessment).values_list("version", flat=True)
    assert set(versions) == {2}
    assert TaskPoint.objects.filter(task=first).count() == 2 * len(teams)
