"""The small adapter between remediation and the exam's computed grades (``grade_schemes``).

``grade_schemes`` owns the MC grading (pass mark, two stages, "no disadvantage"):
``services.regrade_assessment(*, assessment_id, by, reason)`` recomputes every computed grade
of the exam in the caller's transaction, ``mc_grading.outcomes(*, assessment_id, mc_points,
mc_max, fallback)`` is the dry run, and ``mc_grading.register_fallback_provider`` hears the MC
points without the dropped questions (``fallback_provider`` below, registered at
``RemediationConfig.ready()``). An exam without an MC configuration is graded by its scheme
alone; its dry run here is pass = a computed grade of 4.0 or better with the MC task's points
replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

PASS_LIMIT = Decimal("4.0")


def regrades_whole_exam() -> bool:
    from grade_schemes import services

    return hasattr(services, "regrade_assessment")


def regrade(*, assessment_id: int, by, reason: str) -> int:
    """Recompute the exam's computed grades (a no-op when the result listeners did it)."""
    from grade_schemes import services

    if not hasattr(services, "regrade_assessment"):
        return 0
    return services.regrade_assessment(assessment_id=assessment_id, by=by, reason=reason)


def fallback_provider(*, assessment_id: int):
    """``grade_schemes.mc_grading`` fallback: the MC points per participation and the MC
    maximum without the dropped questions, or None when no applied batch drops one."""
    from remediation import engine
    from remediation.models import Evaluation
    from remediation.selectors import active_corrections
    from remediation.services import mc_points_under

    evaluation = (
        Evaluation.objects.filter(task__assessment_id=assessment_id).select_related("task").first()
    )
    if evaluation is None:
        return None
    active = active_corrections(evaluation_id=evaluation.pk)
    if not any(c["kind"] == engine.DROP_ITEM for c in active):
        return None
    return mc_points_under(
        evaluation=evaluation,
        corrections=[c for c in active if c["kind"] != engine.DROP_ITEM],
    )


@dataclass(frozen=True)
class Outcome:
    grade: Decimal | None
    passed: bool | None


@dataclass
class Outcomes:
    by_participation: dict[int, Outcome] = field(default_factory=dict)
    pass_mark: Decimal | None = None


def pass_mark_of(outcomes) -> Decimal | None:
    mark = getattr(outcomes, "pass_mark", None)
    return getattr(mark, "pass_mark", mark)


def outcomes(
    *,
    assessment_id: int,
    mc_points: Mapping[int, Decimal] | None = None,
    mc_max=None,
    fallback=None,
):
    """Each participation's grade and pass/fail now, or with these MC points (dry run)."""
    try:
        from grade_schemes import mc_grading
    except ImportError:  # pragma: no cover - grade_schemes without MC grading
        mc_grading = None
    if mc_grading is not None:
        found = mc_grading.outcomes(
            assessment_id=assessment_id, mc_points=mc_points, mc_max=mc_max, fallback=fallback
        )
        if found is not None:
            return found
    return _scheme_outcomes(assessment_id=assessment_id, mc_points=mc_points)


def _scheme_outcomes(*, assessment_id: int, mc_points) -> Outcomes:
    from assessment.models import Participation, TaskPoint
    from grade_schemes import bands as band_rules
    from grade_schemes.models import GradeScheme
    from grade_schemes.services import maximum_points, scheme_bands
    from remediation.models import Evaluation

    scheme = GradeScheme.objects.filter(assessment_id=assessment_id, is_active=True).first()
    result = Outcomes()
    if scheme is None:
        return result
    point_bands = band_rules.absolute_bands(
        scheme_bands(scheme), kind=scheme.kind, maximum=maximum_points(assessment_id)
    )
    task_id = (
        Evaluation.objects.filter(task__assessment_id=assessment_id)
        .values_list("task_id", flat=True)
        .first()
    )
    stored = {}
    if task_id is not None and mc_points is not None:
        stored = dict(
            TaskPoint.objects.filter(task_id=task_id).values_list("participation_id", "points")
        )
    rows = Participation.objects.filter(assessment_id=assessment_id).values_list(
        "pk", "status", "points_total"
    )
    for pk, status, total in rows:
        if status != Participation.Status.REVIEWED:
            continue
        if mc_points is not None and pk in mc_points:
            total = total - stored.get(pk, Decimal("0")) + Decimal(mc_points[pk])
        grade = band_rules.grade_for(total, point_bands)
        result.by_participation[pk] = Outcome(grade, None if grade is None else grade <= PASS_LIMIT)
    return result
