"""Grading an exam with a multiple-choice part (DOMAIN-NOTES "Multiple-choice exams").

The pure arithmetic lives in ``grade_schemes.mc``; this module brings it to an exam's rows:

- the MC part is one task of the exam (``McConfig.task``); a row's MC points are its points for
  that task (none entered counts as 0), its written points the rest of ``points_total``. The
  exam's grade scheme grades the **written** part, so its maximum excludes the MC task;
- the pass mark is computed over every reviewed row (the scores), with the first-time
  candidates as the ÄApprO reference group (``Participation.first_attempt``); when grades are
  applied it is stored on the configuration (``applied_pass_mark``, ``applied_derivation``) and a
  later regrade of single rows uses the stored mark, so nobody is graded under another mark
  than the rest. ``services.apply_scheme`` and ``regrade_assessment`` compute it afresh;
- no disadvantage (ÄApprO §14 (4)): a higher app (``remediation``) registers a *fallback
  provider* telling, per row, the MC points and maximum **without** the eliminated questions;
  when the configuration says so, each row's outcome is computed both ways and the better one
  counts (``Outcome.used_fallback``);
- ``outcomes(...)`` is the dry run (nothing written) that previews and remediation use: it may
  take hypothetical MC points and maximum.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from assessment.models import Participation, TaskPoint
from grade_schemes import bands as band_rules
from grade_schemes import mc
from grade_schemes.models import McConfig

Status = Participation.Status
FAIL = Decimal("5.0")
PASS_LIMIT = Decimal("4.0")
MC_BELOW_PASS_MARK = "mc_below_pass_mark"

#: MC percentage bands made for a 60 % pass mark (4.0 at 60 %, 1.0 at 96 %, every 4 points);
#: ``McGrading.BANDS`` shifts them down by (60 % - the pass mark's percentage).
MC_BANDS_PERCENT = [
    (Decimal(p), Decimal(g))
    for p, g in (
        (96, "1.0"), (92, "1.3"), (88, "1.7"), (84, "2.0"), (80, "2.3"),
        (76, "2.7"), (72, "3.0"), (68, "3.3"), (64, "3.7"), (60, "4.0"),
    )
]  # fmt: skip

#: ``provider(*, assessment_id) -> (mc_points_by_participation, mc_max) | None``
FallbackProvider = Callable[..., "tuple[Mapping[int, Decimal], Decimal] | None"]
_FALLBACK_PROVIDERS: list[FallbackProvider] = []


def register_fallback_provider(provider: FallbackProvider) -> None:
    """A higher app tells the MC scores without eliminated questions (registered once)."""
    if provider not in _FALLBACK_PROVIDERS:
        _FALLBACK_PROVIDERS.append(provider)


def unregister_fallback_provider(provider: FallbackProvider) -> None:
    if provider in _FALLBACK_PROVIDERS:
        _FALLBACK_PROVIDERS.remove(provider)


def _fallback(assessment_id: int):
    for provider in list(_FALLBACK_PROVIDERS):
        found = provider(assessment_id=assessment_id)
        if found is not None:
            return found
    return None


# -- the configuration as the pure module wants it ---------------------------------------------


def config_for(assessment_id: int) -> McConfig | None:
    return McConfig.objects.select_related("task").filter(assessment_id=assessment_id).first()


def rule_of(config: McConfig):
    """``"aeappro"``, ``"sliding"`` or a ``mc.CustomRule`` from the stored settings."""
    if config.rule in (mc.AEAPPRO, mc.SLIDING):
        return config.rule
    return mc.CustomRule(
        absolute_percent=config.absolute_percent,
        relative_factor=config.relative_value if config.relative == "factor" else None,
        relative_minus_points=config.relative_value if config.relative == "minus" else None,
        floor_percent=config.floor_percent,
        reference=config.reference,
    )


def _reference_group(config: McConfig) -> str:
    if config.rule == mc.AEAPPRO:
        return mc.FIRST_ATTEMPTS
    if config.rule == mc.SLIDING:
        return mc.ALL
    return config.reference


def derivation_dict(mark: mc.PassMark) -> dict:
    """A ``PassMark`` as JSON (decimals as strings), kept with the applied grades."""
    return {
        key: (str(value) if isinstance(value, Decimal) else value)
        for key, value in asdict(mark).items()
    }


def pass_mark_from_dict(data: Mapping) -> mc.PassMark | None:
    if not data:
        return None
    decimals = {
        "pass_mark", "raw", "max_points", "step", "reference_mean", "absolute_percent",
        "absolute_value", "relative_factor", "relative_minus_points", "relative_value",
        "floor_percent", "floor_value", "threshold_percent",
    }  # fmt: skip
    values = {
        key: (Decimal(value) if key in decimals and value is not None else value)
        for key, value in data.items()
    }
    try:
        return mc.PassMark(**values)
    except TypeError:
        return None


def compute_pass_mark(config: McConfig, rows: Iterable, *, mc_max: Decimal) -> mc.PassMark:
    """The pass mark over the reviewed rows' MC points (``rows`` carry ``status``,
    ``mc_points`` and ``first_attempt``)."""
    reviewed = [row for row in rows if row.status == Status.REVIEWED]
    scores = [row.mc_points or Decimal(0) for row in reviewed]
    reference = None
    if _reference_group(config) == mc.FIRST_ATTEMPTS:
        reference = [row.mc_points or Decimal(0) for row in reviewed if row.first_attempt]
    return mc.pass_mark(
        rule=rule_of(config),
        max_points=mc_max,
        scores=scores,
        reference_scores=reference,
        step=config.step,
    )


# -- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    grade: Decimal
    reason: str  # "" or "mc_below_pass_mark"
    mc_points: Decimal
    mc_max: Decimal
    pass_mark: Decimal
    mc_grade: Decimal
    written_points: Decimal
    written_grade: Decimal | None
    used_fallback: bool = False

    @property
    def passed(self) -> bool:
        return self.grade <= PASS_LIMIT


def _one(config, mark: mc.PassMark, *, mc_points, written_points, written_bands) -> Outcome:
    weight = config.weight
    written_grade = (
        band_rules.grade_for(written_points, written_bands) if written_bands is not None else None
    )
    bands = MC_BANDS_PERCENT if config.mc_grading == McConfig.McGrading.BANDS else None
    if written_grade is None or weight == 1:
        # Only the MC part counts (weight 1, or no scheme for the written part yet).
        result = mc.two_stage_grade(
            mc_points=mc_points,
            pass_mark_result=mark,
            written_grade=Decimal("1.0"),
            weight=Decimal(1),
            bands_percent=bands,
        )
    else:
        result = mc.two_stage_grade(
            mc_points=mc_points,
            pass_mark_result=mark,
            written_grade=written_grade,
            weight=weight,
            bands_percent=bands,
        )
    return Outcome(
        grade=result.grade,
        reason=result.reason,
        mc_points=Decimal(mc_points),
        mc_max=mark.max_points,
        pass_mark=mark.pass_mark,
        mc_grade=result.mc_grade,
        written_points=Decimal(written_points),
        written_grade=written_grade,
    )


@dataclass
class Grader:
    """Grades reviewed rows of one MC exam under one pass mark (and the fallback's)."""

    config: McConfig
    pass_mark: mc.PassMark
    written_bands: list | None
    fallback_points: Mapping[int, Decimal] | None = None
    fallback_mark: mc.PassMark | None = None

    def outcome(self, row) -> Outcome:
        mc_points = row.mc_points or Decimal(0)
        written = Decimal(row.points_total) - mc_points
        main = _one(
            self.config,
            self.pass_mark,
            mc_points=mc_points,
            written_points=written,
            written_bands=self.written_bands,
        )
        if self.fallback_mark is None or self.fallback_points is None:
            return main
        if row.pk not in self.fallback_points:
            return main
        other = _one(
            self.config,
            self.fallback_mark,
            mc_points=self.fallback_points[row.pk],
            written_points=written,
            written_bands=self.written_bands,
        )
        if other.grade < main.grade:
            return Outcome(**{**asdict(other), "used_fallback": True})
        return main


def make_grader(
    config: McConfig,
    rows: list,
    *,
    written_bands,
    mc_max: Decimal,
    stored: bool = False,
    fallback=None,
) -> Grader:
    """A grader for these rows: the pass mark is the stored one (``stored``, when there is
    one) or computed over ``rows``; with no disadvantage, the fallback's pass mark too."""
    mark = pass_mark_from_dict(config.applied_derivation) if stored else None
    if mark is None or mark.max_points != mc_max:
        mark = compute_pass_mark(config, rows, mc_max=mc_max)
    fallback_points = fallback_mark = None
    if config.no_disadvantage:
        found = fallback if fallback is not None else _fallback(config.assessment_id)
        if found is not None:
            fallback_points, fallback_max = found
            fallback_points = {int(k): Decimal(v) for k, v in fallback_points.items()}
            if Decimal(fallback_max) > 0:
                shadow = [
                    _Shadow(
                        row.status, fallback_points.get(row.pk, row.mc_points), row.first_attempt
                    )
                    for row in rows
                ]
                fallback_mark = compute_pass_mark(config, shadow, mc_max=Decimal(fallback_max))
    return Grader(config, mark, written_bands, fallback_points, fallback_mark)


@dataclass(frozen=True)
class _Shadow:
    status: str
    mc_points: Decimal | None
    first_attempt: bool


# -- reading rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class McRow:
    pk: int
    status: str
    points_total: Decimal
    grade_value: Decimal | None
    grade_source: str
    first_attempt: bool
    mc_points: Decimal | None


def mc_points_subquery(task_id: int):
    return Subquery(
        TaskPoint.objects.filter(participation=OuterRef("pk"), task_id=task_id).values("points")[:1]
    )


def read_rows(assessment_id: int, *, task_id: int, ids=None) -> list[McRow]:
    """Every row (or these) with its MC points, in one query."""
    queryset = Participation.objects.filter(assessment_id=assessment_id)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return [
        McRow(*values)
        for values in queryset.annotate(mc=mc_points_subquery(task_id))
        .order_by("pk")
        .values_list(
            "pk", "status", "points_total", "grade_value", "grade_source", "first_attempt", "mc"
        )
    ]


@dataclass
class Outcomes:
    pass_mark: mc.PassMark
    by_participation: dict  # participation id -> Outcome (reviewed rows) or FAIL-only None
    fallback_pass_mark: mc.PassMark | None


def outcomes(
    *,
    assessment_id: int,
    mc_points: Mapping[int, Decimal] | None = None,
    mc_max: Decimal | None = None,
    written_bands=None,
    fallback=None,
) -> Outcomes | None:
    """Dry run: each reviewed row's outcome under the exam's MC configuration (None: no MC
    part). ``mc_points`` (participation id -> points) and ``mc_max`` replace the stored ones,
    e.g. for a correction's preview. The written part uses the active scheme unless
    ``written_bands`` (point bands) are given. The pass mark is computed afresh."""
    from grade_schemes.services import written_point_bands

    config = config_for(assessment_id)
    if config is None:
        return None
    rows = read_rows(assessment_id, task_id=config.task_id)
    if mc_points is not None:
        rows = [
            McRow(
                r.pk,
                r.status,
                Decimal(r.points_total)
                - (r.mc_points or Decimal(0))
                + Decimal(mc_points.get(r.pk, r.mc_points or 0)),
                r.grade_value,
                r.grade_source,
                r.first_attempt,
                Decimal(mc_points[r.pk]) if r.pk in mc_points else r.mc_points,
            )
            for r in rows
        ]
    maximum = Decimal(mc_max) if mc_max is not None else config.task.max_points
    if written_bands is None:
        written_bands = written_point_bands(assessment_id)
    grader = make_grader(
        config, rows, written_bands=written_bands, mc_max=maximum, fallback=fallback
    )
    result = {}
    for row in rows:
        if row.status == Status.REVIEWED:
            result[row.pk] = grader.outcome(row)
    return Outcomes(grader.pass_mark, result, grader.fallback_mark)
