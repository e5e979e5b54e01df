"""Assessment's integrity check and its repair (spec 002 monitoring; registered at ``ready()``).

``points_total_mismatch``: participations whose ``points_total`` is not the sum of their task
points (the services keep it so in the same transaction; a hit means a write went around them).
One statement over the whole site. The repair (``repair_points_totals``) sets the total to the
sum under the same locks as grading, bumps the row's version (an open grading form then sees a
change), writes a ``GradeChange`` (field ``points``, old -> new, why) per row, and tells the
same listeners as grading (records; an exam's computed grade), so it is never a silent change.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.hooks import assignment_changed, results_changed
from assessment.models import Assessment, GradeChange, Participation, TaskPoint
from assessment.services import _audit_row, _lock_assessment
from mampf.db import lock_rows, translate_db_errors
from mampf.integrity import Action, Finding, counted_by_lecture, register_check

REPAIR_REASON = "integrity repair: the points total did not match the sum of its task points"


def points_total_mismatch() -> list[Finding]:
    """Participations whose total is not the sum of their task points, per lecture."""
    sql = f"""
        SELECT a.lecture_id, p.id
        FROM {Participation._meta.db_table} p
        JOIN {Assessment._meta.db_table} a ON a.id = p.assessment_id
        LEFT JOIN (
            SELECT participation_id, SUM(points) AS total FROM {TaskPoint._meta.db_table}
            GROUP BY participation_id
        ) t ON t.participation_id = p.id
        WHERE p.points_total <> COALESCE(t.total, 0)
        ORDER BY p.id
    """  # noqa: S608 - table names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return counted_by_lecture(rows)


@translate_db_errors
def repair_points_totals(*, participation_ids, by=None, reason: str = REPAIR_REASON) -> int:
    """Set each named participation's total to the sum of its task points; audited.

    Returns how many rows changed (rows that are right meanwhile are left alone). Locks as
    grading does: the assessment ``FOR SHARE``, then the rows in ascending order.
    """
    ids = sorted({int(pk) for pk in participation_ids})
    if not ids:
        return 0
    by_assessment: dict = defaultdict(list)
    for pk, assessment_id in Participation.objects.filter(pk__in=ids).values_list(
        "pk", "assessment_id"
    ):
        by_assessment[assessment_id].append(pk)
    repaired, now = 0, timezone.now()
    with transaction.atomic():
        for assessment_id in sorted(by_assessment):
            assessment = _lock_assessment(assessment_id, shared=True)
            rows = lock_rows(Participation, by_assessment[assessment_id])
            sums = dict(
                TaskPoint.objects.filter(participation_id__in=[r.pk for r in rows])
                .order_by()
                .values("participation_id")
                .annotate(total=Sum("points"))
                .values_list("participation_id", "total")
            )
            changed, audits = [], []
            for row in rows:
                total = sums.get(row.pk) or Decimal("0")
                if row.points_total == total:
                    continue
                audits.append(
                    _audit_row(
                        participation=row,
                        assessment_id=assessment_id,
                        field=GradeChange.Field.POINTS,
                        old=row.points_total,
                        new=total,
                        by=by,
                        reason=reason,
                    )
                )
                row.points_total = total
                row.version += 1
                row.updated_at = now
                changed.append(row)
            if not changed:
                continue
            Participation.objects.bulk_update(changed, ["points_total", "version", "updated_at"])
            GradeChange.objects.bulk_create(audits)
            assignment_changed(assessment)
            results_changed(assessment=assessment, participation_ids=[r.pk for r in changed], by=by)
            repaired += len(changed)
    return repaired


def repair_findings(findings: list[Finding]) -> int:
    """The monitor's repair: every participation the check named."""
    return repair_points_totals(participation_ids=[pk for f in findings for pk in f.ids])


def participation_links(ids) -> dict:
    return {pk: reverse("assessment:pages_history", args=[pk]) for pk in ids}


def register() -> None:
    register_check(
        "points_total_mismatch",
        label=_("Points total differs from the sum of its task points"),
        interval=timedelta(days=1),
        threshold=0,
        action=Action.REPAIR,
        fn=points_total_mismatch,
        repair=repair_findings,
        links=participation_links,
        object_label=_("participation"),
    )
