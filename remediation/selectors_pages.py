"""Reads for the remediation pages and the API (read-only; writes live in ``services``).

Each function is a bounded number of queries, whatever the number of sheets: lists are
querysets the caller paginates, rows carry what the page shows through joins and subqueries.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from mampf import permissions
from remediation import selectors
from remediation.models import (
    AnswerSheet,
    CorrectionBatch,
    Evaluation,
    EvaluationVersion,
    QuestionVersion,
    ScoreHistory,
)

BATCH_RELATED = ("evaluation", "created_by", "applied_by", "reverts", "reverted_by")


def batches_for(*, user, status: str | None = None, evaluation: Evaluation | None = None):
    """Batches of the lectures ``user`` manages (newest first), optionally of one status or
    evaluation."""
    rows = CorrectionBatch.objects.select_related(*BATCH_RELATED).order_by("-created_at", "-pk")
    if not permissions.is_site_staff(user):
        rows = rows.filter(evaluation__lecture__in=permissions.managed_lectures(user))
    if status:
        rows = rows.filter(status=status)
    if evaluation is not None:
        rows = rows.filter(evaluation=evaluation)
    return rows


def batch_or_none(batch_id: int) -> CorrectionBatch | None:
    return (
        CorrectionBatch.objects.select_related(*BATCH_RELATED, "evaluation__lecture")
        .filter(pk=batch_id)
        .first()
    )


def _previous(field: str):
    return Subquery(
        ScoreHistory.objects.filter(sheet_id=OuterRef("sheet_id"), pk__lt=OuterRef("pk"))
        .order_by("-pk")
        .values(field)[:1]
    )


def batch_changes(*, batch: CorrectionBatch):
    """The history rows ``batch`` wrote, each with the sheet's row before (``old_score``,
    ``old_max_score``), its user and attempt; ordered by the user's name."""
    return (
        ScoreHistory.objects.filter(batch=batch)
        .select_related("sheet__user")
        .annotate(old_score=_previous("score"), old_max_score=_previous("max_score"))
        .order_by("sheet__user__name", "sheet__attempt", "pk")
    )


def change_row(row) -> dict:
    sheet = row.sheet
    return {
        "sheet": sheet.pk,
        "user": {"id": sheet.user_id, "name": sheet.user.name},
        "matriculation_number": sheet.user.matriculation_number or "",
        "attempt": sheet.attempt,
        "old_score": row.old_score,
        "old_max_score": row.old_max_score,
        "new_score": row.score,
        "new_max_score": row.max_score,
    }


def sheet_or_none(sheet_id: int) -> AnswerSheet | None:
    return (
        AnswerSheet.objects.select_related("user", "version", "evaluation__lecture")
        .filter(pk=sheet_id)
        .first()
    )


def sheet_history(*, sheet: AnswerSheet) -> list[ScoreHistory]:
    """Every scoring of the sheet, oldest first, with its batch (reason) and who did it."""
    return list(
        ScoreHistory.objects.filter(sheet=sheet).select_related("batch", "by").order_by("pk")
    )


def evaluation_or_none(evaluation_id: int) -> Evaluation | None:
    return (
        Evaluation.objects.select_related("lecture", "task__assessment")
        .filter(pk=evaluation_id)
        .first()
    )


def evaluations_of_assessment(*, assessment) -> list[Evaluation]:
    """The MC evaluations attached to the tasks of an assessment (an exam's MC part)."""
    return list(
        Evaluation.objects.filter(task__assessment=assessment)
        .select_related("task")
        .order_by("task__position", "pk")
    )


def versions_with_questions(*, evaluation: Evaluation) -> list[EvaluationVersion]:
    """The versions in label/revision order, each with its questions prefetched (two queries)."""
    return list(
        EvaluationVersion.objects.filter(evaluation=evaluation)
        .order_by("label", "revision")
        .prefetch_related(
            Prefetch("questions", queryset=QuestionVersion.objects.order_by("position"))
        )
    )


BAR_WIDTH = 100  # px of a 100 % bar in the item analysis table


def _item_row(stats) -> dict:
    """One question of the item analysis as the table shows it (percentages, bar widths)."""

    def percent(share):
        return None if share is None else round(share * 100, 1)

    return {
        "stats": stats,
        "correct": percent(stats.share_correct),
        "bar": 0 if stats.share_correct is None else round(stats.share_correct * BAR_WIDTH),
        "options": [
            (option, percent(stats.option_shares.get(option, 0.0)), option in stats.key)
            for option in stats.options
        ],
        "blank": percent(stats.share_blank),
        "discrimination": None if stats.discrimination is None else round(stats.discrimination, 2),
    }


def evaluation_overview(*, evaluation: Evaluation) -> dict:
    """The overview page: versions with questions and sheet counts, batch counts by status."""
    versions = versions_with_questions(evaluation=evaluation)
    sheet_counts = dict(
        AnswerSheet.objects.filter(evaluation=evaluation)
        .values_list("version_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for version in versions:
        version.sheet_count = sheet_counts.get(version.pk, 0)
    batch_counts = dict(
        CorrectionBatch.objects.filter(evaluation=evaluation)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    analysis = {v.pk: stats for v, stats in selectors.item_analysis(evaluation=evaluation).items()}
    for version in versions:
        version.items = {s.question_id: _item_row(s) for s in analysis.get(version.pk, [])}
    return {
        "versions": versions,
        "sheet_total": sum(sheet_counts.values()),
        "batch_counts": batch_counts,
    }


def question_names(*, batch: CorrectionBatch) -> dict[int, str]:
    """ "Variant A, question 3" for each question version a batch names (one query)."""
    ids = [c.get("question_version") for c in batch.payload if isinstance(c, dict)]
    rows = QuestionVersion.objects.filter(pk__in=[i for i in ids if isinstance(i, int)])
    return {
        q.pk: {"variant": str(q.version), "position": q.position, "key": q.key}
        for q in rows.select_related("version")
    }


def sheets_of(*, evaluation: Evaluation, query: str = ""):
    """The evaluation's sheets by name and attempt; ``query`` matches name or matriculation."""
    rows = AnswerSheet.objects.filter(evaluation=evaluation).select_related("user", "version")
    if query:
        rows = rows.filter(
            Q(user__name__icontains=query) | Q(user__matriculation_number__icontains=query)
        )
    return rows.order_by("user__name", "attempt", "pk")


def no_disadvantage(*, batch: CorrectionBatch) -> list:
    """The students for whom the exam's "no disadvantage" rule kept the better outcome when this
    batch dropped a question: ``remediation.selectors.no_disadvantage_users(batch=...)`` (rows
    with ``name`` and ``matriculation_number``) where the services record it."""
    reader = getattr(selectors, "no_disadvantage_users", None)
    return list(reader(batch=batch)) if reader is not None else []


def free_tasks(*, assessment) -> list:
    """The assessment's tasks without an MC test yet, by position (one query)."""
    from assessment.models import Task

    return list(
        Task.objects.filter(assessment=assessment, evaluation__isnull=True).order_by(
            "position", "pk"
        )
    )


def mc_task_id(*, assessment) -> int | None:
    """The task the exam's MC configuration names, if any (one query)."""
    from grade_schemes.models import McConfig

    return McConfig.objects.filter(assessment=assessment).values_list("task_id", flat=True).first()


def entry_versions(*, evaluation: Evaluation) -> list[EvaluationVersion]:
    """The variants a sheet can be entered for: each label's latest revision, with questions
    (two queries)."""
    latest: dict[str, EvaluationVersion] = {}
    for version in versions_with_questions(evaluation=evaluation):
        if version.label not in latest or version.revision > latest[version.label].revision:
            latest[version.label] = version
    return [latest[label] for label in sorted(latest)]
