"""Reads of the remediation app: questions as the engine sees them, the applied corrections,
a batch's changes and a sheet's history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from remediation import engine
from remediation.models import AnswerSheet, CorrectionBatch, QuestionVersion, ScoreHistory


def as_question(row) -> engine.Question:
    return engine.Question(
        id=row.pk,
        position=row.position,
        options=tuple(row.options),
        key=frozenset(row.key),
        points=row.points,
    )


def questions_of(*, version_ids: Iterable[int]) -> dict[int, list[engine.Question]]:
    """The engine's questions of these versions, by version id, in position order."""
    result: dict[int, list[engine.Question]] = {pk: [] for pk in version_ids}
    rows = QuestionVersion.objects.filter(version_id__in=list(result)).order_by(
        "version_id", "position"
    )
    for row in rows:
        result[row.version_id].append(as_question(row))
    return result


def active_corrections(*, evaluation_id: int, without_batch_id: int | None = None) -> list[dict]:
    """Every correction of the evaluation's applied batches (not reverted, not compensations),
    in the order the batches were applied; ``without_batch_id`` leaves one batch out."""
    batches = (
        CorrectionBatch.objects.filter(
            evaluation_id=evaluation_id,
            status=CorrectionBatch.Status.APPLIED,
            reverts__isnull=True,
        )
        .order_by("applied_at", "pk")
        .values_list("pk", "payload")
    )
    return [
        correction for pk, payload in batches if pk != without_batch_id for correction in payload
    ]


def batches_of(*, evaluation, status: str | None = None):
    """The batches of an evaluation, newest first, with their actors (list and filter)."""
    rows = CorrectionBatch.objects.filter(evaluation=evaluation).select_related(
        "created_by", "applied_by", "reverts", "reverted_by"
    )
    if status:
        rows = rows.filter(status=status)
    return rows


@dataclass(frozen=True)
class SheetChange:
    sheet_id: int
    user_id: int
    name: str
    attempt: int
    old_score: Decimal | None
    old_max: Decimal | None
    new_score: Decimal
    new_max: Decimal


def batch_changes(*, batch) -> list[SheetChange]:
    """The sheets a batch rescored, with the score before (the previous history row of the
    sheet; history rows are numbered in the order they are written) and after. One query."""
    previous = ScoreHistory.objects.filter(sheet_id=OuterRef("sheet_id"), pk__lt=OuterRef("pk"))
    previous = previous.order_by("-pk")
    rows = (
        ScoreHistory.objects.filter(batch_id=batch.pk)
        .annotate(
            old_score=Subquery(previous.values("score")[:1]),
            old_max=Subquery(previous.values("max_score")[:1]),
        )
        .values_list(
            "sheet_id",
            "sheet__user_id",
            "sheet__user__name",
            "sheet__attempt",
            "old_score",
            "old_max",
            "score",
            "max_score",
        )
        .order_by("sheet__user__name", "sheet__attempt", "sheet_id")
    )
    return [SheetChange(*row) for row in rows]


def sheet_history(*, sheet) -> list[ScoreHistory]:
    """A sheet's history, oldest first, with each batch and actor."""
    return list(
        ScoreHistory.objects.filter(sheet=sheet).select_related("batch", "by").order_by("pk")
    )


def sheets_of(*, evaluation):
    return AnswerSheet.objects.filter(evaluation=evaluation).select_related("user", "version")


def item_analysis(*, evaluation) -> dict:
    """``{version: [analysis.ItemStats, ...]}`` for every version of the evaluation, under the
    applied corrections (one query for the questions, one for the sheets' answers)."""
    from remediation import analysis
    from remediation.models import EvaluationVersion

    versions = list(EvaluationVersion.objects.filter(evaluation=evaluation))
    questions = questions_of(version_ids=[v.pk for v in versions])
    corrections = active_corrections(evaluation_id=evaluation.pk)
    answers: dict[int, list] = {v.pk: [] for v in versions}
    for version_id, sheet_answers in AnswerSheet.objects.filter(evaluation=evaluation).values_list(
        "version_id", "answers"
    ):
        answers[version_id].append(sheet_answers)
    result = {}
    for version in versions:
        qs = questions[version.pk]
        rules = engine.fold({q.id: q for q in qs}, corrections)
        result[version] = analysis.analyse_version(qs, rules, answers[version.pk])
    return result
