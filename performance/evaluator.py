"""The evaluator: a record and a rule in, a verdict per criterion and overall out.

Pure: no database access. ``RuleSpec.from_rule`` reads a rule's many-to-many fields once (use
``prefetch_related`` for many rules); everything else works on plain values, so the same code
decides the dashboard's proposals, a student's page and the rule change preview.

Decision rules (DOMAIN-NOTES "Performance records and rules"):
- per criterion: ``passed`` when it holds whatever the outstanding marking brings; ``failed``
  when even full marks on every outstanding sheet cannot meet it; otherwise ``inconclusive``
  (marking outstanding, sheets still planned, an achievement ungraded, no points to compare);
- overall: ``failed`` if any criterion failed, else ``inconclusive`` if any is, else ``passed``;
- outstanding sheets are those without a reviewed, absent or exempt row; an absent sheet is final
  with no points; an exempt sheet leaves the maximum, and in the per-sheet criterion it counts as
  met (the student neither gains nor loses by the exemption);
- bonus sheets: their points count, their maximum does not; they are not part of the per-sheet
  set unless the rule names them;
- ``expected_assignments``: while fewer assignments exist, a percentage threshold cannot be
  decided (the maximum will grow) and nothing fails that later sheets could still meet.

Figures are ``Decimal``; comparisons are exact. Percentages shown in reasons are rounded down
to two places, the precision of a rule's percentages (at most two places), so a shown figure
never disagrees with the decision: 49.999 % shows as 49.99 % and fails a 50 % threshold, and a
pass of 33.333... % shows as 33.33 % against a 33.33 % threshold.

Outstanding marking can bring at most a sheet's maximum: points above it (bonus points inside a
task) are possible but never assumed, so ``failed`` means "not even with full marks".
``expected_assignments`` counts every assignment of the term, bonus sheets included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

PASSED = "passed"
FAILED = "failed"
INCONCLUSIVE = "inconclusive"

REVIEWED = "reviewed"
ABSENT = "absent"
EXEMPT = "exempt"
OUTSTANDING_STATUSES = frozenset({"pending", "none"})

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class SheetFigures:
    """One assignment as the record sees it for one student."""

    assessment_id: int
    maximum: Decimal
    status: str  # pending, reviewed, absent, exempt, or none (no row yet)
    points: Decimal | None = None  # set for reviewed rows only
    submitted: bool = False

    @property
    def outstanding(self) -> bool:
        return self.status in OUTSTANDING_STATUSES


@dataclass(frozen=True)
class RecordFigures:
    """The facts of a record, as plain values."""

    sheets: Mapping[int, SheetFigures]
    achievements: Mapping[int, str]  # met, not_met, ungraded

    @classmethod
    def from_record(cls, record) -> RecordFigures:
        """From a ``Record`` (or anything with its ``per_assessment`` and ``achievements``)."""
        if isinstance(record, RecordFigures):
            return record
        sheets = {}
        for key, sheet in (record.per_assessment or {}).items():
            assessment_id = int(key)
            sheets[assessment_id] = SheetFigures(
                assessment_id=assessment_id,
                maximum=_decimal(sheet.get("max")) or ZERO,
                status=sheet.get("status") or "none",
                points=_decimal(sheet.get("points")),
                submitted=bool(sheet.get("submitted")),
            )
        achievements = {int(key): value for key, value in (record.achievements or {}).items()}
        return cls(sheets=sheets, achievements=achievements)


@dataclass(frozen=True)
class RuleSpec:
    """A rule's criteria as plain values."""

    threshold_kind: str = "none"  # none, percentage, points
    threshold_value: Decimal | None = None
    required_achievements: tuple[tuple[int, str], ...] = ()  # (id, title)
    sheet_min_percentage: Decimal | None = None
    sheet_min_count: int | None = None
    sheet_ids: tuple[int, ...] = ()  # empty: every assignment that is not a bonus sheet
    bonus_sheet_ids: tuple[int, ...] = ()
    expected_assignments: int | None = None
    version: int = 0
    rule_id: int | None = None

    @classmethod
    def from_rule(cls, rule) -> RuleSpec:
        """Read a ``Rule`` (its many-to-many fields once; prefetch them for many rules)."""
        if isinstance(rule, RuleSpec):
            return rule
        return cls(
            threshold_kind=rule.threshold_kind,
            threshold_value=_decimal(rule.threshold_value),
            required_achievements=tuple(
                sorted((a.pk, a.title) for a in rule.required_achievements.all())
            ),
            sheet_min_percentage=_decimal(rule.sheet_min_percentage),
            sheet_min_count=rule.sheet_min_count,
            sheet_ids=tuple(sorted(a.pk for a in rule.sheets.all())),
            bonus_sheet_ids=tuple(sorted(a.pk for a in rule.bonus_sheets.all())),
            expected_assignments=rule.expected_assignments,
            version=rule.version,
            rule_id=rule.pk,
        )

    @property
    def has_threshold(self) -> bool:
        return self.threshold_kind in ("percentage", "points") and self.threshold_value is not None

    @property
    def has_sheet_criterion(self) -> bool:
        return self.sheet_min_percentage is not None and bool(self.sheet_min_count)

    @property
    def criterion_count(self) -> int:
        return (
            int(self.has_threshold)
            + int(self.has_sheet_criterion)
            + len(self.required_achievements)
        )


@dataclass(frozen=True)
class CriterionVerdict:
    """One criterion's verdict with the figures its reason is made of.

    ``code`` names the reason (for tests and the pages' icons); ``params`` holds the figures;
    ``message`` is the reason in words, translated when read.
    """

    criterion: str  # threshold, sheets, achievement
    status: str
    code: str
    params: Mapping = field(default_factory=dict)

    @property
    def message(self) -> str:
        from performance import wording

        return wording.criterion_message(self)


@dataclass(frozen=True)
class Verdict:
    status: str
    criteria: tuple[CriterionVerdict, ...]

    @property
    def reasons(self) -> list[str]:
        return [criterion.message for criterion in self.criteria]

    @property
    def deciding(self) -> tuple[CriterionVerdict, ...]:
        """The criteria that made the overall status (all of them when passed)."""
        if self.status == PASSED:
            return self.criteria
        return tuple(c for c in self.criteria if c.status == self.status)


def _overall(statuses: Iterable[str]) -> str:
    statuses = list(statuses)
    if not statuses:
        return INCONCLUSIVE
    if FAILED in statuses:
        return FAILED
    if INCONCLUSIVE in statuses:
        return INCONCLUSIVE
    return PASSED


def percent_floor(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole`` rounded down to two places (None when whole is 0).

    Two places, because a rule's percentages have at most two: then the shown figure reaches
    the threshold exactly when the exact one does."""
    if not whole:
        return None
    return (part * HUNDRED / whole).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _planned_sheets(record: RecordFigures, spec: RuleSpec) -> int:
    if not spec.expected_assignments:
        return 0
    return max(spec.expected_assignments - len(record.sheets), 0)


def _threshold(record: RecordFigures, spec: RuleSpec) -> CriterionVerdict:
    bonus = set(spec.bonus_sheet_ids)
    points = sum((s.points or ZERO for s in record.sheets.values() if s.status == REVIEWED), ZERO)
    maximum = sum(
        (
            s.maximum
            for s in record.sheets.values()
            if s.status != EXEMPT and s.assessment_id not in bonus
        ),
        ZERO,
    )
    outstanding = [s for s in record.sheets.values() if s.outstanding]
    outstanding_points = sum((s.maximum for s in outstanding), ZERO)
    planned = _planned_sheets(record, spec)
    value = spec.threshold_value
    base = {
        "points": points,
        "maximum": maximum,
        "percentage": percent_floor(points, maximum),
        "threshold": value,
        "kind": spec.threshold_kind,
        "outstanding_sheets": len(outstanding),
        "outstanding_points": outstanding_points,
        "planned_sheets": planned,
    }

    if spec.threshold_kind == "points":
        target = value
        if points >= target:
            return CriterionVerdict(
                "threshold", PASSED, "threshold_met", {**base, "target": target}
            )
        missing = target - points
        params = {**base, "target": target, "missing": missing}
        if planned:
            return CriterionVerdict("threshold", INCONCLUSIVE, "threshold_open_planned", params)
        if points + outstanding_points >= target:
            return CriterionVerdict("threshold", INCONCLUSIVE, "threshold_open", params)
        return CriterionVerdict("threshold", FAILED, "threshold_unreachable", params)

    # percentage
    if planned:
        return CriterionVerdict("threshold", INCONCLUSIVE, "threshold_open_planned", base)
    if maximum == 0:
        return CriterionVerdict("threshold", INCONCLUSIVE, "no_maximum", base)
    target = value * maximum / HUNDRED
    missing = max(target - points, ZERO)
    params = {**base, "target": target, "missing": missing}
    if points >= target:
        return CriterionVerdict("threshold", PASSED, "threshold_met", params)
    if points + outstanding_points >= target:
        return CriterionVerdict("threshold", INCONCLUSIVE, "threshold_open", params)
    return CriterionVerdict("threshold", FAILED, "threshold_unreachable", params)


def _sheet_set(record: RecordFigures, spec: RuleSpec) -> list[SheetFigures]:
    if spec.sheet_ids:
        return [record.sheets[i] for i in spec.sheet_ids if i in record.sheets]
    bonus = set(spec.bonus_sheet_ids)
    return [s for s in record.sheets.values() if s.assessment_id not in bonus]


def sheet_met(sheet: SheetFigures, min_percentage: Decimal) -> bool:
    """A reviewed sheet with at least ``min_percentage`` of its maximum (a 0-point sheet: met)."""
    if sheet.status != REVIEWED:
        return False
    return (sheet.points or ZERO) * HUNDRED >= min_percentage * sheet.maximum


def _sheets(record: RecordFigures, spec: RuleSpec) -> CriterionVerdict:
    sheets = _sheet_set(record, spec)
    min_percentage = spec.sheet_min_percentage
    required = spec.sheet_min_count
    # an exempt sheet counts as met: the student neither gains nor loses by the exemption
    exempt = sum(1 for s in sheets if s.status == EXEMPT)
    met = exempt + sum(1 for s in sheets if sheet_met(s, min_percentage))
    outstanding = sum(1 for s in sheets if s.outstanding)
    planned = 0 if spec.sheet_ids else _planned_sheets(record, spec)
    params = {
        "min_percentage": min_percentage,
        "required": required,
        "count": spec.sheet_min_count,
        "of": len(sheets) + planned,
        "met": met,
        "exempt": exempt,
        "missing": max(required - met, 0),
        "outstanding_sheets": outstanding,
        "planned_sheets": planned,
    }
    if met >= required:
        return CriterionVerdict("sheets", PASSED, "sheets_met", params)
    if met + outstanding + planned >= required:
        return CriterionVerdict("sheets", INCONCLUSIVE, "sheets_open", params)
    return CriterionVerdict("sheets", FAILED, "sheets_unreachable", params)


def _achievement(record: RecordFigures, achievement_id: int, title: str) -> CriterionVerdict:
    state = record.achievements.get(achievement_id, "ungraded")
    params = {"achievement_id": achievement_id, "title": title}
    if state == "met":
        return CriterionVerdict("achievement", PASSED, "achievement_met", params)
    if state == "not_met":
        return CriterionVerdict("achievement", FAILED, "achievement_not_met", params)
    return CriterionVerdict("achievement", INCONCLUSIVE, "achievement_ungraded", params)


def evaluate(*, record, rule) -> Verdict:
    """The verdict for one record under one rule (a ``Rule`` or a ``RuleSpec``).

    A rule without any criterion gives ``inconclusive`` with the reason ``no_criterion`` (the
    rule form refuses such rules; this only guards against a broken one).
    """
    figures = RecordFigures.from_record(record)
    spec = RuleSpec.from_rule(rule)
    criteria: list[CriterionVerdict] = []
    if spec.has_threshold:
        criteria.append(_threshold(figures, spec))
    if spec.has_sheet_criterion:
        criteria.append(_sheets(figures, spec))
    for achievement_id, title in spec.required_achievements:
        criteria.append(_achievement(figures, achievement_id, title))
    if not criteria:
        return Verdict(INCONCLUSIVE, (CriterionVerdict("rule", INCONCLUSIVE, "no_criterion"),))
    return Verdict(_overall(c.status for c in criteria), tuple(criteria))
