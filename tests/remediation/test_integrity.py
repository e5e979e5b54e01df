"""Remediation's integrity check (issue 12, spec 002 "submission score != latest history row"):
a sheet whose score was changed around the services fires, the lecture's staff are alerted once,
the repair restores the latest history row (the exam's MC task points follow, audited), and the
check recovers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from assessment.models import GradeChange, Participation, TaskPoint
from operations import monitor
from remediation.models import AnswerSheet, ScoreHistory
from tests.factories import (
    AnswerSheetFactory,
    AssessmentFactory,
    EvaluationFactory,
    ParticipationFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def test_a_sheet_off_its_history_is_repaired_and_the_exam_follows(
    django_capture_on_commit_callbacks,
):
    exam = AssessmentFactory(kind="exam")
    task = TaskFactory(assessment=exam, position=1, max_points=Decimal(10))
    evaluation = EvaluationFactory(lecture=exam.lecture, task=task)
    row = ParticipationFactory(assessment=exam)
    sheet = AnswerSheetFactory(
        version=evaluation.versions.get(), user=row.user, answers={1: "A", 2: "A", 3: "B"}
    )
    assert sheet.score == Decimal(2)
    assert TaskPoint.objects.get(participation=row, task=task).points == Decimal(2)
    assert monitor.run_check("answer_sheet_score_mismatch").ok
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AnswerSheet._meta.db_table} SET score = 9 WHERE id = %s", [sheet.pk]
        )
        cursor.execute(
            f"UPDATE {TaskPoint._meta.db_table} SET points = 9 "
            "WHERE participation_id = %s AND task_id = %s",
            [row.pk, task.pk],
        )
        cursor.execute(
            f"UPDATE {Participation._meta.db_table} SET points_total = 9 WHERE id = %s",
            [row.pk],
        )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = monitor.run_check("answer_sheet_score_mismatch")
    assert not outcome.ok and outcome.ids == [sheet.pk] and outcome.repaired == 1
    sheet.refresh_from_db()
    assert sheet.score == Decimal(2) == ScoreHistory.objects.filter(sheet=sheet).last().score
    assert TaskPoint.objects.get(participation=row, task=task).points == Decimal(2)
    assert GradeChange.objects.filter(
        participation=row, field="points", reason__startswith="integrity repair"
    ).exists()
    teacher = exam.lecture.teacher
    assert len([m for m in mail.outbox if teacher.email in m.to]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert monitor.run_check("answer_sheet_score_mismatch").ok
    recovered = [m for m in mail.outbox if teacher.email in m.to]
    assert len(recovered) == 2 and "recovered" in recovered[1].subject.lower()
