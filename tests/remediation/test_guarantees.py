"""Issue 11 "Guarantees": a crash leaves everything as before; the history and the raw answers
cannot be rewritten; no code path of the app updates or deletes a history row."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import DatabaseError, transaction

from assessment.models import GradeChange, TaskPoint
from remediation import services
from remediation.models import AnswerSheet, CorrectionBatch, ScoreHistory
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


class Crash(Exception):
    pass


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam")
    mc = TaskFactory(assessment=assessment, position=1, max_points=D(10))
    evaluation = EvaluationFactory(lecture=assessment.lecture, task=mc)
    version = evaluation.versions.get()
    users = [UserFactory() for _i in range(3)]
    for user, answer in zip(users, ["A", "B", "C"], strict=True):
        ParticipationFactory(assessment=assessment, user=user)
        AnswerSheetFactory(version=version, user=user, answers={1: answer, 2: "A"})
    return {"evaluation": evaluation, "version": version, "teacher": assessment.lecture.teacher}


def state():
    """Everything an apply or revert may write."""
    return (
        list(AnswerSheet.objects.order_by("pk").values_list("score", "max_score")),
        list(ScoreHistory.objects.order_by("pk").values_list("sheet_id", "batch_id", "score")),
        list(CorrectionBatch.objects.order_by("pk").values_list("status", "applied_at")),
        list(TaskPoint.objects.order_by("pk").values_list("participation_id", "points")),
        GradeChange.objects.count(),
    )


def batch_for(exam, **correction):
    q1 = exam["version"].questions.get(position=1)
    return services.create_batch(
        evaluation=exam["evaluation"],
        reason="flawed",
        corrections=[{"question_version": q1.pk, **correction}],
        by=exam["teacher"],
    )


@pytest.mark.parametrize("where", ["_flow_to_exam", "counting_scores"])
def test_a_crash_in_the_middle_of_apply_changes_nothing(exam, monkeypatch, where):
    batch = batch_for(exam, kind="replace_key", options=["B"])
    before = state()

    def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(services, where, crash)
    with pytest.raises(Crash):
        services.apply_batch(batch=batch, by=exam["teacher"])
    assert state() == before


def test_a_crash_in_the_middle_of_revert_changes_nothing(exam, monkeypatch):
    batch = batch_for(exam, kind="drop_item")
    services.apply_batch(batch=batch, by=exam["teacher"])
    before = state()
    from assessment import services as assessment_services

    def crash(**kwargs):
        raise Crash

    monkeypatch.setattr(assessment_services, "set_task_points_bulk", crash)
    with pytest.raises(Crash):
        services.revert_batch(batch=batch, by=exam["teacher"], reason="undo")
    assert state() == before


def test_history_rows_cannot_be_rewritten_in_the_database(exam):
    row = ScoreHistory.objects.order_by("pk").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        ScoreHistory.objects.filter(pk=row.pk).update(score=D(9))
    row.max_score = D(99)
    with pytest.raises(DatabaseError), transaction.atomic():
        row.save()
    row.refresh_from_db()
    assert row.max_score == D(10)


def test_raw_answers_cannot_be_changed_in_the_database(exam):
    sheet = AnswerSheet.objects.order_by("pk").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AnswerSheet.objects.filter(pk=sheet.pk).update(answers={"1": ["B"]})
    with pytest.raises(DatabaseError), transaction.atomic():
        AnswerSheet.objects.filter(pk=sheet.pk).update(attempt=7)
    sheet.refresh_from_db()
    assert sheet.answers["1"] == ["A"] and sheet.attempt == 1
    # The score is not frozen: batches rescore in place (and write history).
    AnswerSheet.objects.filter(pk=sheet.pk).update(score=sheet.score)


def test_no_code_path_updates_or_deletes_history_or_answers():
    """Every write of the app is in these modules; none updates or deletes a history row."""
    root = Path(__file__).resolve().parents[2] / "remediation"
    offenders = []
    pattern = re.compile(r"ScoreHistory\.objects[^\n]*\.(update|delete|bulk_update)\(")
    sql = re.compile(r"(UPDATE|DELETE FROM)\s+\{history\}|remediation_scorehistory", re.I)
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        if pattern.search(text) or sql.search(text):
            offenders.append(path.name)
    assert offenders == []
