"""The lecture's exam admission rule: validation, saving with its audit, and the change preview.

Rules and invariants:
- ``clean_rule`` validates a proposed rule as a whole (``RuleData``, plain values) and refuses
  with a ``performance.errors.RuleError`` subclass carrying a stable code: no criterion, a
  percentage outside 0-100 (a threshold percentage must be above 0), a points threshold not
  above 0, a per-sheet criterion with only one of its two numbers, K < 1 or K larger than the
  set it counts from, sheets or achievements of another lecture, exams or talks as sheets, a
  sheet both in the per-sheet set and among the bonus sheets;
- ``save_rule`` writes the lecture's one active rule in one short transaction: it locks the rule
  row (and share-locks the required achievements, so none is deleted meanwhile), compares the
  settings with the saved ones and, only when a setting changed, bumps ``Rule.version`` and
  writes a ``RuleChange`` (old and new settings as JSON, who, note). Saving the same settings
  again changes nothing. A version bump makes every certification decided under the previous
  version stale (``performance.selectors.is_stale``);
- ``preview_rule_change`` evaluates every record of the lecture under the current and the
  proposed rule without saving anything (one query for the records, one for the certifications)
  and groups the students whose proposal would change by transition; it also lists the manual
  certifications that disagree with the proposed rule. Its ``digest`` binds a confirmation to
  exactly the previewed settings and rule version: ``save_rule(expected_version=...)`` refuses
  ``RuleChangedMeanwhile`` when someone saved the rule in between.
- Achievements used by a rule cannot be deleted: ``achievement_deletion_guard`` is registered
  with ``assessment.achievements`` at ``ready()``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from assessment.models import Achievement, Assessment
from mampf.db import actor_or_none, lock_rows, translate_db_errors
from performance import errors
from performance.evaluator import FAILED, INCONCLUSIVE, PASSED, RuleSpec, evaluate
from performance.models import Certification, Record, Rule, RuleChange
from performance.wording import describe_rule

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_POINTS = Decimal("9999999.99")
MAX_PLANNED = 1000
THRESHOLD_KINDS = ("none", "percentage", "points")
NO_RULE = "none"  # the "old" status in a preview when the lecture has no rule yet


@dataclass(frozen=True)
class RuleData:
    """A rule's settings as plain values (ids, decimals), as a form or a script proposes them."""

    threshold_kind: str = "none"
    threshold_value: Decimal | None = None
    required_achievement_ids: tuple[int, ...] = ()
    sheet_min_percentage: Decimal | None = None
    sheet_min_count: int | None = None
    sheet_ids: tuple[int, ...] = ()  # empty: every assignment that is not a bonus sheet
    bonus_sheet_ids: tuple[int, ...] = ()
    expected_assignments: int | None = None

    @classmethod
    def from_rule(cls, rule: Rule | None) -> RuleData:
        if rule is None:
            return cls()
        return cls(
            threshold_kind=rule.threshold_kind,
            threshold_value=rule.threshold_value,
            required_achievement_ids=tuple(sorted(a.pk for a in rule.required_achievements.all())),
            sheet_min_percentage=rule.sheet_min_percentage,
            sheet_min_count=rule.sheet_min_count,
            sheet_ids=tuple(sorted(a.pk for a in rule.sheets.all())),
            bonus_sheet_ids=tuple(sorted(a.pk for a in rule.bonus_sheets.all())),
            expected_assignments=rule.expected_assignments,
        )

    def snapshot(self) -> dict:
        """The settings as JSON (decimals as strings, ids sorted): ``RuleChange.old/new``."""

        def text(value):
            return None if value is None else str(Decimal(value).quantize(CENT))

        return {
            "threshold_kind": self.threshold_kind,
            "threshold_value": text(self.threshold_value),
            "required_achievements": sorted(set(self.required_achievement_ids)),
            "sheet_min_percentage": text(self.sheet_min_percentage),
            "sheet_min_count": self.sheet_min_count,
            "sheets": sorted(set(self.sheet_ids)),
            "bonus_sheets": sorted(set(self.bonus_sheet_ids)),
            "expected_assignments": self.expected_assignments,
        }


@dataclass(frozen=True)
class CleanRule:
    """A validated proposal: normalized settings, the evaluator's spec and the sentence."""

    data: RuleData
    spec: RuleSpec
    sheet_count: int  # the size of the per-sheet set (every non-bonus sheet, planned ones too)

    @property
    def sentence(self) -> str:
        return describe_rule(self.spec, sheet_count=self.sheet_count)


def _number(value, *, upper: Decimal | None = None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise errors.InvalidNumber() from None
    if not number.is_finite() or number != number.quantize(CENT):
        raise errors.InvalidNumber()
    return number.quantize(CENT)


def _ids(values) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(v) for v in values or ()}))
    except (TypeError, ValueError):
        raise errors.NotOfLecture() from None


def sheet_set_size(*, assignment_ids, bonus_ids, sheet_ids, expected_assignments) -> int:
    """How many sheets the per-sheet criterion counts from: the named set, or every non-bonus
    assignment plus the sheets still planned (as the evaluator counts them)."""
    if sheet_ids:
        return len(sheet_ids)
    existing = len(assignment_ids)
    planned = max((expected_assignments or 0) - existing, 0)
    return len(set(assignment_ids) - set(bonus_ids)) + planned


def clean_rule(*, lecture, data: RuleData) -> CleanRule:
    """Validate a proposed rule for ``lecture`` (two or three queries); refuse with a
    ``RuleError`` subclass. A threshold value is dropped when the kind is "none"; the sheet set
    is dropped when the per-sheet criterion is off."""
    kind = data.threshold_kind or "none"
    if kind not in THRESHOLD_KINDS:
        raise errors.ThresholdKindInvalid()
    value = _number(data.threshold_value)
    if kind == "none":
        value = None
    elif value is None:
        raise errors.ThresholdValueMissing()
    elif kind == "percentage" and not (0 < value <= HUNDRED):
        raise errors.PercentageOutOfRange(
            _("A percentage threshold must be above 0 % and at most 100 %.")
        )
    elif kind == "points" and not (0 < value <= MAX_POINTS):
        raise errors.PointsThresholdInvalid()

    percentage = _number(data.sheet_min_percentage)
    count = data.sheet_min_count
    if count is not None and not isinstance(count, int):
        try:
            count = int(str(count).strip())
        except ValueError:
            raise errors.InvalidNumber() from None
    if (percentage is None) != (count is None):
        raise errors.SheetCriterionIncomplete()
    if percentage is not None and not (0 <= percentage <= HUNDRED):
        raise errors.PercentageOutOfRange(
            _("The minimum percentage per sheet must lie between 0 % and 100 %.")
        )
    if count is not None and count < 1:
        raise errors.SheetCountTooSmall()

    planned = data.expected_assignments
    if planned is not None and not (isinstance(planned, int) and 1 <= planned <= MAX_PLANNED):
        raise errors.ExpectedAssignmentsInvalid()

    sheet_ids = _ids(data.sheet_ids) if count is not None else ()
    bonus_ids = _ids(data.bonus_sheet_ids)
    achievement_ids = _ids(data.required_achievement_ids)
    if set(sheet_ids) & set(bonus_ids):
        raise errors.BonusInSheetSet()

    assignment_ids = set(
        Assessment.objects.filter(
            lecture_id=lecture.pk, kind=Assessment.Kind.ASSIGNMENT
        ).values_list("id", flat=True)
    )
    foreign = (set(sheet_ids) | set(bonus_ids)) - assignment_ids
    if foreign:
        if Assessment.objects.filter(pk__in=foreign, lecture_id=lecture.pk).count() == len(foreign):
            raise errors.NotAnAssignment()
        raise errors.NotOfLecture()
    achievements = dict(
        Achievement.objects.filter(pk__in=achievement_ids, lecture_id=lecture.pk).values_list(
            "id", "title"
        )
    )
    if len(achievements) != len(achievement_ids):
        raise errors.NotOfLecture()

    size = sheet_set_size(
        assignment_ids=assignment_ids,
        bonus_ids=bonus_ids,
        sheet_ids=sheet_ids,
        expected_assignments=planned,
    )
    if count is not None and count > size:
        raise errors.SheetCountTooLarge(
            _(
                "The per-sheet criterion asks for %(count)s sheets, but the set it counts from "
                "holds only %(size)s."
            )
            % {"count": count, "size": size},
            details={"count": count, "size": size},
        )
    if kind == "none" and count is None and not achievement_ids:
        raise errors.NoCriterion()

    clean = RuleData(
        threshold_kind=kind,
        threshold_value=value,
        required_achievement_ids=achievement_ids,
        sheet_min_percentage=percentage,
        sheet_min_count=count,
        sheet_ids=sheet_ids,
        bonus_sheet_ids=bonus_ids,
        expected_assignments=planned,
    )
    spec = RuleSpec(
        threshold_kind=kind,
        threshold_value=value,
        required_achievements=tuple(sorted(achievements.items())),
        sheet_min_percentage=percentage,
        sheet_min_count=count,
        sheet_ids=sheet_ids,
        bonus_sheet_ids=bonus_ids,
        expected_assignments=planned,
    )
    return CleanRule(data=clean, spec=spec, sheet_count=size)


def rule_sentence(*, lecture, rule: Rule | None) -> str:
    """The saved rule in words with the size of its sheet set ("on 9 of 12 sheets"); for the
    dashboard and the students' pages (two or three queries; the rule's sets prefetched)."""
    if rule is None:
        return ""
    spec = RuleSpec.from_rule(rule)
    sheet_count = None
    if spec.has_sheet_criterion and not spec.sheet_ids:
        sheet_count = sheet_set_size(
            assignment_ids=_assignment_ids(lecture),
            bonus_ids=spec.bonus_sheet_ids,
            sheet_ids=(),
            expected_assignments=spec.expected_assignments,
        )
    return describe_rule(spec, sheet_count=sheet_count)


@dataclass(frozen=True)
class RuleSaved:
    rule: Rule
    changed: bool


def _active_rule_id(lecture) -> int | None:
    return (
        Rule.objects.filter(lecture_id=lecture.pk, is_active=True)
        .values_list("id", flat=True)
        .first()
    )


def current_version(*, lecture) -> int:
    """The active rule's version, 0 when the lecture has none (the preview's baseline)."""
    version = (
        Rule.objects.filter(lecture_id=lecture.pk, is_active=True)
        .values_list("version", flat=True)
        .first()
    )
    return version or 0


@translate_db_errors(error=errors.Busy)
def save_rule(
    *,
    lecture,
    data: RuleData,
    by,
    note: str = "",
    expected_version: int | None = None,
) -> RuleSaved:
    """Create or change the lecture's active rule. Refuses every ``clean_rule`` refusal, and
    ``RuleChangedMeanwhile`` when ``expected_version`` (0 = "no rule yet") is given and the rule
    moved on since. Saving unchanged settings changes nothing (no version, no audit row)."""
    clean = clean_rule(lecture=lecture, data=data)
    new = clean.data.snapshot()
    actor = actor_or_none(by)
    note = (note or "").strip()[:300]
    try:
        with transaction.atomic():
            rule_id = _active_rule_id(lecture)
            rule = lock_rows(Rule, [rule_id])[0] if rule_id else None
            if rule is not None and not rule.is_active:  # deactivated while we waited
                raise errors.RuleChangedMeanwhile()
            version = rule.version if rule else 0
            if expected_version is not None and expected_version != version:
                raise errors.RuleChangedMeanwhile(details={"version": version})
            ids = clean.data.required_achievement_ids
            if len(lock_rows(Achievement, ids, shared=True)) != len(ids):
                raise errors.NotOfLecture()  # deleted meanwhile
            old = RuleData.from_rule(rule).snapshot() if rule else {}
            if old == new:
                return RuleSaved(rule=rule, changed=False)
            values = {
                "threshold_kind": clean.data.threshold_kind,
                "threshold_value": clean.data.threshold_value,
                "sheet_min_percentage": clean.data.sheet_min_percentage,
                "sheet_min_count": clean.data.sheet_min_count,
                "expected_assignments": clean.data.expected_assignments,
                "updated_by": actor,
            }
            if rule is None:
                rule = Rule.objects.create(lecture_id=lecture.pk, version=1, **values)
            else:
                for name, value in values.items():
                    setattr(rule, name, value)
                rule.version += 1
                rule.save()
            rule.required_achievements.set(clean.data.required_achievement_ids)
            rule.sheets.set(clean.data.sheet_ids)
            rule.bonus_sheets.set(clean.data.bonus_sheet_ids)
            RuleChange.objects.create(
                rule=rule, version=rule.version, old=old, new=new, note=note, by=actor
            )
    except IntegrityError:
        # another teacher created the lecture's first rule at the same moment
        raise errors.RuleChangedMeanwhile() from None
    return RuleSaved(rule=rule, changed=True)


# -- the rule change preview ------------------------------------------------------------------


@dataclass(frozen=True)
class Student:
    user_id: int
    name: str
    matriculation_number: str


@dataclass(frozen=True)
class Transition:
    """Students whose proposal moves from ``old`` to ``new``."""

    old: str  # passed, failed, inconclusive, or "none" (no rule yet)
    new: str
    students: tuple[Student, ...]

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(frozen=True)
class ManualDisagreement:
    student: Student
    status: str  # the manual certification: passed, failed or pending
    proposal: str  # the proposed rule's verdict: passed, failed or inconclusive


@dataclass(frozen=True)
class RulePreview:
    clean: CleanRule
    current_version: int
    current_sentence: str
    changes_rule: bool
    records: int
    certifications: int  # decided under the current rule and not carried over: become stale
    transitions: tuple[Transition, ...] = ()
    unchanged: int = 0
    manual_disagreements: tuple[ManualDisagreement, ...] = ()
    counts: dict = field(default_factory=dict)  # proposed verdict -> number of records

    @property
    def digest(self) -> str:
        return preview_digest(data=self.clean.data, version=self.current_version)

    @property
    def changing(self) -> int:
        return sum(t.count for t in self.transitions)


def preview_digest(*, data: RuleData, version: int) -> str:
    """Binds a confirmation to the previewed settings and the rule version they replace."""
    payload = json.dumps({"rule": data.snapshot(), "version": version}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


CERTIFICATION_OF = {PASSED: PASSED, FAILED: FAILED, INCONCLUSIVE: Certification.Status.PENDING}
TRANSITION_ORDER = {PASSED: 0, FAILED: 1, INCONCLUSIVE: 2, NO_RULE: 3}


def preview_rule_change(*, lecture, data: RuleData) -> RulePreview:
    """What saving ``data`` would change, without saving (a fixed number of queries: the
    validation, the current rule with its sets, one for the records, one for the
    certifications). Refuses like ``clean_rule``."""
    clean = clean_rule(lecture=lecture, data=data)
    rule = (
        Rule.objects.filter(lecture_id=lecture.pk, is_active=True)
        .prefetch_related("required_achievements", "sheets", "bonus_sheets")
        .first()
    )
    current = RuleSpec.from_rule(rule) if rule else None
    current_data = RuleData.from_rule(rule) if rule else None
    records = list(
        Record.objects.filter(lecture_id=lecture.pk)
        .order_by("user__name", "user_id")
        .values(
            "user_id",
            "per_assessment",
            "achievements",
            "user__name",
            "user__matriculation_number",
        )
    )
    certifications = {
        row["user_id"]: row
        for row in Certification.objects.filter(lecture_id=lecture.pk).values(
            "user_id",
            "status",
            "source",
            "rule_id",
            "rule_version",
            "user__name",
            "user__matriculation_number",
        )
    }
    groups: dict[tuple[str, str], list[Student]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    proposals: dict[int, str] = {}
    unchanged = 0
    for row in records:
        figures = _Figures(row["per_assessment"], row["achievements"])
        new = evaluate(record=figures, rule=clean.spec).status
        old = evaluate(record=figures, rule=current).status if current else NO_RULE
        proposals[row["user_id"]] = new
        counts[new] += 1
        if old == new:
            unchanged += 1
            continue
        groups[(old, new)].append(
            Student(row["user_id"], row["user__name"], row["user__matriculation_number"] or "")
        )
    transitions = tuple(
        sorted(
            (Transition(old, new, tuple(students)) for (old, new), students in groups.items()),
            key=lambda t: (-t.count, TRANSITION_ORDER[t.old], TRANSITION_ORDER[t.new]),
        )
    )
    disagreements = []
    stale = 0
    for user_id, cert in sorted(
        certifications.items(), key=lambda item: (item[1]["user__name"], item[0])
    ):
        if cert["source"] == Certification.Source.CARRIED_OVER:
            continue
        if rule is not None and cert["rule_id"] == rule.pk and cert["rule_version"] == rule.version:
            stale += 1
        if cert["source"] != Certification.Source.MANUAL:
            continue
        proposal = proposals.get(user_id)
        if proposal is not None and CERTIFICATION_OF[proposal] != cert["status"]:
            disagreements.append(
                ManualDisagreement(
                    Student(user_id, cert["user__name"], cert["user__matriculation_number"] or ""),
                    cert["status"],
                    proposal,
                )
            )
    return RulePreview(
        clean=clean,
        current_version=rule.version if rule else 0,
        current_sentence=rule_sentence(lecture=lecture, rule=rule),
        changes_rule=current_data is None or current_data.snapshot() != clean.data.snapshot(),
        records=len(records),
        certifications=stale,
        transitions=transitions,
        unchanged=unchanged,
        manual_disagreements=tuple(disagreements),
        counts=dict(counts),
    )


def _assignment_ids(lecture) -> list[int]:
    return list(
        Assessment.objects.filter(
            lecture_id=lecture.pk, kind=Assessment.Kind.ASSIGNMENT
        ).values_list("id", flat=True)
    )


@dataclass(frozen=True)
class _Figures:
    """A record's JSON figures as ``RecordFigures.from_record`` reads them."""

    per_assessment: dict
    achievements: dict


# -- the achievement deletion guard (registered with assessment at ready()) -------------------


def achievement_deletion_guard(achievement) -> str | None:
    """Refuse deleting an achievement that a rule of its lecture requires."""
    if Rule.required_achievements.through.objects.filter(achievement_id=achievement.pk).exists():
        return _(
            "“%(title)s” is required by the lecture's exam admission rule and cannot be "
            "deleted. Remove it from the rule first."
        ) % {"title": achievement.title}
    return None
