"""The exam's MC task follows the counting attempt's score (issue 11 item 3 and 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessment.models import GradeChange, Participation, TaskPoint
from remediation import services
from tests.factories import (
    AnswerSheetFactory,
    AssessmentFactory,
    EvaluationFactory,
    ParticipationFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam")
    mc = TaskFactory(assessment=assessment, position=1, max_points=D(4))
    written = TaskFactory(assessment=assessment, position=2, max_points=D(10))
    evaluation = EvaluationFactory(lecture=assessment.lecture, task=mc, questions=4)
    return {
        "assessment": assessment,
        "mc": mc,
        "written": written,
        "evaluation": evaluation,
        "version": evaluation.versions.get(),
        "teacher": assessment.lecture.teacher,
    }


def points(row, task):
    return (
        TaskPoint.objects.filter(participation=row, task=task)
        .values_list("points", flat=True)
        .first()
    )


def test_sheets_and_batches_move_the_mc_task_points_of_the_latest_attempt(exam):
    user, absent_user = UserFactory(), UserFactory()
    row = ParticipationFactory(assessment=exam["assessment"], user=user)
    absent = ParticipationFactory(assessment=exam["assessment"], user=absent_user, status="absent")
    AnswerSheetFactory(version=exam["version"], user=user, answers={1: "A", 2: "A", 3: "A"})
    assert points(row, exam["mc"]) == D(3)
    AnswerSheetFactory(version=exam["version"], user=user, answers={1: "B", 2: "A"})
    assert points(row, exam["mc"]) == D(1)  # the latest attempt counts
    AnswerSheetFactory(version=exam["version"], user=absent_user, answers={1: "A"})
    assert points(absent, exam["mc"]) is None  # an absent row carries no points
    q1 = exam["version"].questions.get(position=1)
    batch = services.create_batch(
        evaluation=exam["evaluation"],
        reason="B is right",
        corrections=[{"kind": "replace_key", "question_version": q1.pk, "options": ["B"]}],
        by=exam["teacher"],
    )
    services.apply_batch(batch=batch, by=exam["teacher"])
    row.refresh_from_db()
    assert points(row, exam["mc"]) == D(2) and row.points_total == D(2)
    audit = GradeChange.objects.filter(participation=row, field="points").order_by("-pk").first()
    assert (audit.old, audit.new, audit.by) == ("1.00", "2.00", exam["teacher"])
    assert "B is right" in audit.reason
    services.revert_batch(batch=batch, by=exam["teacher"], reason="A was right")
    row.refresh_from_db()
    assert points(row, exam["mc"]) == D(1) and row.points_total == D(1)
    assert row.status == Participation.Status.PENDING  # the written task has no points yet
