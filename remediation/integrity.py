"""Remediation's integrity check (spec 002: "submission score != latest history row").

``AnswerSheet.score`` / ``max_score`` are kept equal to the sheet's latest ``ScoreHistory`` row
by every service in the same transaction; the history is append-only and is the record. A hit
means a write went around the services. One statement over the whole site. The repair sets the
sheet back to its latest history row (under the evaluation's lock, as apply and revert hold it)
and lets the exam's MC task points and grades follow (audited there as ``GradeChange`` rows with
the reason below); the monitor's alert names every repaired sheet.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mampf.integrity import Action, Finding, counted_by_lecture, register_check
from remediation.models import AnswerSheet, Evaluation, ScoreHistory

logger = logging.getLogger(__name__)
REPAIR_REASON = "integrity repair: the answer sheet's score did not match its latest history row"


def _mismatches() -> list[tuple[int, int, int]]:
    """``(lecture_id, evaluation_id, sheet_id)`` of every sheet off its latest history row."""
    sql = f"""
        SELECT e.lecture_id, s.evaluation_id, s.id
        FROM {AnswerSheet._meta.db_table} s
        JOIN {Evaluation._meta.db_table} e ON e.id = s.evaluation_id
        LEFT JOIN LATERAL (
            SELECT h.score, h.max_score FROM {ScoreHistory._meta.db_table} h
            WHERE h.sheet_id = s.id ORDER BY h.at DESC, h.id DESC LIMIT 1
        ) last ON TRUE
        WHERE last.score IS NULL OR s.score <> last.score OR s.max_score <> last.max_score
        ORDER BY s.id
    """  # noqa: S608 - table names from the models, no input
    if connection.vendor != "postgresql":
        sql = f"""
            SELECT e.lecture_id, s.evaluation_id, s.id
            FROM {AnswerSheet._meta.db_table} s
            JOIN {Evaluation._meta.db_table} e ON e.id = s.evaluation_id
            LEFT JOIN {ScoreHistory._meta.db_table} h ON h.id = (
                SELECT h2.id FROM {ScoreHistory._meta.db_table} h2 WHERE h2.sheet_id = s.id
                ORDER BY h2.at DESC, h2.id DESC LIMIT 1
            )
            WHERE h.id IS NULL OR s.score <> h.score OR s.max_score <> h.max_score
            ORDER BY s.id
        """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def sheet_score_mismatch() -> list[Finding]:
    return counted_by_lecture(
        (lecture_id, sheet_id) for lecture_id, _evaluation_id, sheet_id in _mismatches()
    )


def repair_sheet_scores(*, sheet_ids, by=None) -> int:
    """Set each named sheet to its latest history row; the exam follows. Sheets without any
    history row are left alone (nothing recorded to restore) and stay reported."""
    from remediation.services import _flow_to_exam, _lock_evaluation

    ids = sorted({int(pk) for pk in sheet_ids})
    if not ids:
        return 0
    by_evaluation: dict = defaultdict(list)
    for pk, evaluation_id in AnswerSheet.objects.filter(pk__in=ids).values_list(
        "pk", "evaluation_id"
    ):
        by_evaluation[evaluation_id].append(pk)
    repaired = 0
    with transaction.atomic():
        for evaluation_id in sorted(by_evaluation):
            evaluation = _lock_evaluation(evaluation_id)
            latest = {}
            for sheet_id, score, maximum in (
                ScoreHistory.objects.filter(sheet_id__in=by_evaluation[evaluation_id])
                .order_by("sheet_id", "at", "pk")
                .values_list("sheet_id", "score", "max_score")
            ):
                latest[sheet_id] = (score, maximum)
            changed, users = [], set()
            for sheet in AnswerSheet.objects.filter(pk__in=list(latest)).order_by("pk"):
                score, maximum = latest[sheet.pk]
                if (sheet.score, sheet.max_score) == (score, maximum):
                    continue
                logger.warning(
                    "integrity repair: answer sheet %s score %s/%s -> %s/%s",
                    sheet.pk, sheet.score, sheet.max_score, score, maximum,
                )  # fmt: skip
                sheet.score, sheet.max_score = score, maximum
                changed.append(sheet)
                users.add(sheet.user_id)
            if not changed:
                continue
            AnswerSheet.objects.bulk_update(changed, ["score", "max_score"])
            _flow_to_exam(evaluation, user_ids=sorted(users), by=by, reason=REPAIR_REASON)
            repaired += len(changed)
    return repaired


def repair_findings(findings: list[Finding]) -> int:
    return repair_sheet_scores(sheet_ids=[pk for f in findings for pk in f.ids])


def sheet_links(ids) -> dict:
    return {pk: reverse("remediation:sheet_history", args=[pk]) for pk in ids}


def register() -> None:
    register_check(
        "answer_sheet_score_mismatch",
        label=_("Answer sheet score differs from its latest history row"),
        interval=timedelta(days=1),
        threshold=0,
        action=Action.REPAIR,
        fn=sheet_score_mismatch,
        repair=repair_findings,
        links=sheet_links,
        object_label=_("answer sheet"),
    )
