"""Applying a scheme while someone enters a grade by hand never loses the manual grade
(PostgreSQL only).

``apply_scheme`` reads the rows plainly under ``FOR UPDATE`` on the assessment, which every
grading service share-locks first. The race window is widened by a sleep after that read; the
override starts a moment later. The control switches the locks off
(``settings.MAMPF_ROW_LOCKS = False``) and must see the manual grade overwritten, which proves
the test can detect a lost update.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from assessment import services as assessment_services
from assessment.models import Participation
from grade_schemes import services
from tests.concurrency import run_concurrently
from tests.factories import AssessmentFactory, ParticipationFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RACE_WINDOW_SECONDS = 0.4


@pytest.fixture
def wide_race_window(monkeypatch):
    real = services._read_participations

    def slow_read(*args, **kwargs):
        rows = real(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)
        return rows

    monkeypatch.setattr(services, "_read_participations", slow_read)


@pytest.fixture
def exam(on_postgres):
    assessment = AssessmentFactory(kind="exam")
    task = TaskFactory(assessment=assessment, position=1, max_points=Decimal(60))
    teacher = assessment.lecture.teacher
    row = ParticipationFactory(assessment=assessment, user=UserFactory())
    row = assessment_services.enter_points(
        participation=row, points={task: Decimal(30)}, by=teacher
    )
    scheme = services.create_scheme(
        assessment=assessment,
        bands=services.generate_bands(passing_points=24, excellence_points=54),
        by=teacher,
    )
    return {"row": row, "scheme": scheme, "teacher": teacher}


def apply_and_override(exam):
    def override():
        time.sleep(RACE_WINDOW_SECONDS / 4)
        return services.override_grade(
            participation=exam["row"], grade="1.0", note="appeal", by=exam["teacher"]
        )

    return run_concurrently(
        [lambda: services.apply_scheme(scheme=exam["scheme"], by=exam["teacher"]), override]
    )


def test_a_manual_grade_entered_during_apply_survives(exam, wide_race_window):
    outcomes = apply_and_override(exam)
    assert [kind for kind, _v in outcomes] == ["ok", "ok"], outcomes
    row = Participation.objects.get(pk=exam["row"].pk)
    assert (row.grade_value, row.grade_source) == (Decimal("1.0"), "manual")


def test_control_without_locks_overwrites_the_manual_grade(exam, wide_race_window, settings):
    settings.MAMPF_ROW_LOCKS = False
    outcomes = apply_and_override(exam)
    assert [kind for kind, _v in outcomes] == ["ok", "ok"], outcomes
    row = Participation.objects.get(pk=exam["row"].pk)
    assert row.grade_source == "computed", "the control must see the manual grade lost"
