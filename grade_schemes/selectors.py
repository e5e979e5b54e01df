"""Page reads of the grade-scheme pages, each in a fixed number of queries at any size.

- ``scheme_editor``: the active scheme and its bands, the maximum (3 queries);
- ``distribution``: statistics of the reviewed rows' totals, pass share without absentees,
  per-task mean and best, the histogram and its chart with the active scheme's bands (5);
- ``grade_list``: every candidate with points, status and grade, by name (1).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Avg, Count, Max, Q

from assessment.models import Participation, Task
from grade_schemes import bands as band_rules
from grade_schemes import charts, statistics
from grade_schemes.models import GradeScheme
from grade_schemes.services import maximum_points, scheme_bands

Status = Participation.Status
MAX_BIN_WIDTH = Decimal(10000)


def active_scheme(*, assessment) -> GradeScheme | None:
    return GradeScheme.objects.filter(assessment=assessment, is_active=True).first()


def scheme_editor(*, assessment) -> dict:
    scheme = active_scheme(assessment=assessment)
    return {
        "scheme": scheme,
        "bands": scheme_bands(scheme) if scheme else [],
        "maximum": maximum_points(assessment.pk),
    }


def clean_bin_width(value, *, maximum: Decimal) -> Decimal:
    """A bin width from the query string: a positive number giving at most 100 bins."""
    width = band_rules.to_decimal(value) if value not in (None, "") else None
    floor = max(maximum, Decimal(1)) / 100
    if width is None or width <= 0 or width > MAX_BIN_WIDTH:
        return statistics.default_bin_width(maximum)
    return max(width, floor).quantize(Decimal("0.01"))


def distribution(*, assessment, bin_width=None) -> dict:
    maximum = maximum_points(assessment.pk)
    rows = list(
        Participation.objects.filter(assessment=assessment).values_list(
            "status", "points_total", "grade_value"
        )
    )
    totals = [total for status, total, _g in rows if status == Status.REVIEWED]
    width = clean_bin_width(bin_width, maximum=max([maximum, *totals]) if totals else maximum)
    end = max([maximum, *totals]) if totals or maximum else None
    stats = statistics.distribution(totals, bin_width=width, start=Decimal(0), end=end)
    share = statistics.pass_share(
        [grade for _s, _t, grade in rows],
        absent=[status == Status.ABSENT for status, _t, _g in rows],
    )
    tasks = list(
        Task.objects.filter(assessment=assessment)
        .annotate(
            mean=Avg("task_points__points", filter=_reviewed()),
            best=Max("task_points__points", filter=_reviewed()),
            graded=Count("task_points", filter=_reviewed()),
        )
        .order_by("position")
    )
    scheme = active_scheme(assessment=assessment)
    point_bands = []
    if scheme is not None:
        point_bands = band_rules.absolute_bands(
            scheme_bands(scheme), kind=scheme.kind, maximum=maximum
        )
    counts = {status: 0 for status in Status.values}
    for status, _t, _g in rows:
        counts[status] += 1
    return {
        "maximum": maximum,
        "stats": stats,
        "pass_share": share,
        "tasks": tasks,
        "scheme": scheme,
        "point_bands": point_bands,
        "chart": charts.histogram_chart(stats["histogram"], point_bands),
        "status_counts": counts,
    }


def _reviewed():
    return Q(task_points__participation__status=Status.REVIEWED)


def grade_list(*, assessment) -> list:
    return list(
        Participation.objects.filter(assessment=assessment)
        .select_related("user")
        .only(
            "pk",
            "status",
            "points_total",
            "grade_value",
            "grade_source",
            "user__name",
            "user__matriculation_number",
        )
        .order_by("user__name", "pk")
    )


def participation_of(*, assessment, participation_id: int) -> Participation | None:
    return (
        Participation.objects.select_related("user")
        .filter(assessment=assessment, pk=participation_id)
        .first()
    )
