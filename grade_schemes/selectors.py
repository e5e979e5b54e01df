"""Page reads of the grade-scheme pages, each in a fixed number of queries at any size.

- ``scheme_editor``: the active scheme and its bands, the maximum (3 queries);
- ``distribution``: statistics of the reviewed rows' totals, pass share without absentees,
  per-task mean and best, the histogram and its chart with the active scheme's bands (5);
- ``grade_list``: every candidate with points, status and grade, by name (1).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Avg, Count, F, Max, Q

from assessment.models import Participation, Task
from grade_schemes import bands as band_rules
from grade_schemes import charts, statistics
from grade_schemes.models import GradeScheme, McConfig, McOutcome
from grade_schemes.services import maximum_points, scheme_bands, scheme_maximum

Status = Participation.Status
MAX_BIN_WIDTH = Decimal(10000)


def active_scheme(*, assessment) -> GradeScheme | None:
    return GradeScheme.objects.filter(assessment=assessment, is_active=True).first()


def scheme_editor(*, assessment) -> dict:
    scheme = active_scheme(assessment=assessment)
    return {
        "scheme": scheme,
        "bands": scheme_bands(scheme) if scheme else [],
        "maximum": scheme_maximum(assessment.pk),
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
    has_mc = McConfig.objects.filter(assessment=assessment).exists()
    # An MC exam's scheme grades the written part only: its bands do not belong over totals.
    if scheme is not None and not has_mc:
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
        "has_mc": has_mc,
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
        .annotate(mc_reason=F("mc_outcome__reason"))
        .order_by("user__name", "pk")
    )


def participation_of(*, assessment, participation_id: int) -> Participation | None:
    return (
        Participation.objects.select_related("user")
        .filter(assessment=assessment, pk=participation_id)
        .first()
    )


# -- the student's exam result ---------------------------------------------------------------


def my_exam_result(*, user, assessment_id: int) -> dict | None:
    """A candidate's published exam result: points per problem with maxima, total, grade, the
    active scheme's bands and the distribution without names. ``None`` (the page answers 404)
    for anyone who is not a candidate of this exam; ``{"published": False, ...}`` and nothing
    else while its results are not published. Seven queries at any number of candidates
    (test_publication.py)."""
    from assessment.models import Assessment, TaskPoint

    if getattr(user, "pk", None) is None:
        return None
    row = (
        Participation.objects.select_related("assessment__lecture")
        .filter(user=user, assessment_id=assessment_id, assessment__kind=Assessment.Kind.EXAM)
        .first()
    )
    if row is None:
        return None
    assessment = row.assessment
    if assessment.results_published_at is None:
        # The candidate learns only that the results are not published (again).
        return {"assessment": assessment, "lecture": assessment.lecture, "published": False}
    tasks = list(Task.objects.filter(assessment=assessment).order_by("position"))
    points = dict(TaskPoint.objects.filter(participation=row).values_list("task_id", "points"))
    maximum = sum((t.max_points for t in tasks), Decimal(0))
    rows = list(
        Participation.objects.filter(assessment=assessment).values_list(
            "status", "points_total", "grade_value"
        )
    )
    totals = [total for status, total, _g in rows if status == Status.REVIEWED]
    end = max([maximum, *totals]) if totals or maximum else None
    width = statistics.default_bin_width(end)
    stats = statistics.distribution(totals, bin_width=width, start=Decimal(0), end=end)
    grade_counts = {g: 0 for g in band_rules.GERMAN_GRADES}
    for _s, _t, grade in rows:
        if grade is not None:
            grade_counts[grade] += 1
    scheme = active_scheme(assessment=assessment)
    config = McConfig.objects.filter(assessment=assessment).first()
    bands, point_bands = [], []
    if scheme is not None:
        bands = scheme_bands(scheme)
        if config is None:
            point_bands = band_rules.absolute_bands(bands, kind=scheme.kind, maximum=maximum)
    outcome = mc_text = None
    if config is not None and row.grade_source == Participation.GradeSource.COMPUTED:
        outcome = McOutcome.objects.filter(participation=row).first()
        applied = _applied_mark(config)
        mc_text = _derivation(applied) if applied else ""
    return {
        "mc_config": config,
        "mc_outcome": outcome,
        "mc_derivation": mc_text,
        "published": True,
        "assessment": assessment,
        "lecture": assessment.lecture,
        "participation": row,
        "problems": [(task, points.get(task.pk)) for task in tasks],
        "maximum": maximum,
        "scheme": scheme,
        "bands": bands,
        "stats": stats,
        "grade_counts": [(g, n) for g, n in grade_counts.items() if n],
        "graded": sum(grade_counts.values()),
        "chart": charts.histogram_chart(stats["histogram"], point_bands),
        "point_bands": point_bands,
    }


# -- the MC part ------------------------------------------------------------------------------


def _applied_mark(config):
    from grade_schemes import mc_grading

    return mc_grading.pass_mark_from_dict(config.applied_derivation)


def _derivation(mark) -> str:
    from grade_schemes.display import derivation_text

    return derivation_text(mark)


def mc_page(*, assessment) -> dict:
    """The MC configuration page: the settings, the pass mark the grades were applied with,
    the one the data gives now (both with their derivation), the counts behind them and the
    repeat candidates. Five queries at any number of candidates."""
    from grade_schemes import mc_grading
    from grade_schemes.display import derivation_text
    from grade_schemes.problems import Problem

    config = mc_grading.config_for(assessment.pk)
    tasks = list(Task.objects.filter(assessment=assessment).order_by("position"))
    data = {"config": config, "tasks": tasks, "applied": None, "current": None}
    if config is None:
        return data
    rows = mc_grading.read_rows(assessment.pk, task_id=config.task_id)
    reviewed = [row for row in rows if row.status == Status.REVIEWED]
    applied = mc_grading.pass_mark_from_dict(config.applied_derivation)
    try:
        current = mc_grading.compute_pass_mark(config, rows, mc_max=config.task.max_points)
    except Problem:
        current = None
    data.update(
        applied=applied,
        applied_text=derivation_text(applied) if applied else "",
        current=current,
        current_text=derivation_text(current) if current else "",
        moved=bool(applied and current and applied.pass_mark != current.pass_mark),
        reviewed=len(reviewed),
        first_attempts=sum(1 for row in reviewed if row.first_attempt),
        below=sum(
            1 for row in reviewed if current and (row.mc_points or 0) < current.pass_mark
        ),
        repeaters=list(
            Participation.objects.filter(assessment=assessment, first_attempt=False)
            .select_related("user")
            .order_by("user__name", "pk")
        ),
        outcomes_failed=McOutcome.objects.filter(
            participation__assessment=assessment, reason=McOutcome.Reason.MC_BELOW_PASS_MARK
        ).count(),
    )
    return data
