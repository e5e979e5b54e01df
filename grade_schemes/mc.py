"""Multiple-choice pass marks and the two-stage grade (DOMAIN-NOTES "Multiple-choice exams").

Django-free; exact arithmetic (``Fraction``) inside, ``Decimal`` out. Rules:

- ``aeappro`` (ÄApprO §14): pass mark = min(0.60 x max, 0.78 x mean of the reference group),
  the reference group being the first-time candidates (``reference_scores``; all candidates when
  none are given), rounded **up** to whole ``step``s (whole questions): 573 questions -> 344.
- ``sliding`` (the MaMpf design): threshold = max(min(mean % - 20, 60), 50) % of the maximum,
  the mean over everyone with MC points, rounded up to whole steps.
- ``CustomRule``: an absolute percentage, a relative clause (factor x mean, or mean minus
  points), a floor percentage and the reference group (``all`` or ``first_attempts``). The pass
  mark is the lower of the absolute and the relative mark (the relative clause only helps), then
  at least the floor, rounded up to whole steps.

``pass_mark`` returns a ``PassMark`` carrying every number of its derivation, so a page can show
"mean of 212 first-time candidates 31.4 of 50; 78 % = 24.5; 60 % = 30; pass mark = 25 questions,
rounded up". MC grade: by the share beyond the pass mark (>= 75 % 1.0, >= 50 % 2.0, >= 25 % 3.0,
else 4.0) or by percentage bands shifted down by (60 % - threshold). Final grade = w x MC +
(1 - w) x written, rounded to the nearest German grade (a tie goes to the better one), 5.0 above
4.0; below the MC pass mark the final grade is 5.0 with the reason ``mc_below_pass_mark``.
Refusals: ``Problem`` with codes ``bad_weight``, ``bad_rule``, ``bad_maximum``, ``bad_step``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from grade_schemes.bands import FAIL, PASSING_GRADES
from grade_schemes.bands import grade_for as _band_grade
from grade_schemes.problems import Problem

AEAPPRO, SLIDING, CUSTOM = "aeappro", "sliding", "custom"
ALL, FIRST_ATTEMPTS = "all", "first_attempts"


@dataclass(frozen=True)
class CustomRule:
    absolute_percent: Decimal | None = Decimal(60)
    relative_factor: Decimal | None = None
    relative_minus_points: Decimal | None = None
    floor_percent: Decimal | None = None
    reference: str = ALL
    kind: str = CUSTOM


AEAPPRO_RULE = CustomRule(
    absolute_percent=Decimal(60),
    relative_factor=Decimal("0.78"),
    reference=FIRST_ATTEMPTS,
    kind=AEAPPRO,
)


@dataclass(frozen=True)
class PassMark:
    """The pass mark and the numbers of its derivation (for display)."""

    rule: str
    pass_mark: Decimal
    raw: Decimal
    max_points: Decimal
    step: Decimal
    reference: str
    reference_count: int
    reference_mean: Decimal | None
    absolute_percent: Decimal | None
    absolute_value: Decimal | None
    relative_factor: Decimal | None
    relative_minus_points: Decimal | None
    relative_value: Decimal | None
    floor_percent: Decimal | None
    floor_value: Decimal | None
    threshold_percent: Decimal
    rounded_up: bool


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _ceil_to_step(value: Fraction, step: Fraction) -> Fraction:
    return math.ceil(value / step) * step


def _fraction(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(Decimal(value))


def pass_mark(*, rule, max_points, scores, reference_scores=None, step=1) -> PassMark:
    """The pass mark under ``rule`` (``"aeappro"``, ``"sliding"`` or a ``CustomRule``)."""
    maximum, step_f = _fraction(max_points), _fraction(step)
    if maximum <= 0:
        raise Problem("bad_maximum", maximum=max_points)
    if step_f <= 0:
        raise Problem("bad_step", step=step)
    scores = [_fraction(s) for s in scores]
    if rule == SLIDING:
        return _sliding(maximum, step_f, scores)
    if rule == AEAPPRO:
        rule = AEAPPRO_RULE
    if not isinstance(rule, CustomRule):
        raise Problem("bad_rule", rule=str(rule))
    if rule.reference == FIRST_ATTEMPTS and reference_scores is not None:
        reference = [_fraction(s) for s in reference_scores]
        reference_label = FIRST_ATTEMPTS
    else:
        reference, reference_label = scores, ALL
    ref_mean = sum(reference) / len(reference) if reference else None
    absolute = (
        maximum * _fraction(rule.absolute_percent) / 100
        if rule.absolute_percent is not None
        else None
    )
    relative = None
    if ref_mean is not None and rule.relative_factor is not None:
        relative = _fraction(rule.relative_factor) * ref_mean
    elif ref_mean is not None and rule.relative_minus_points is not None:
        relative = max(Fraction(0), ref_mean - _fraction(rule.relative_minus_points))
    candidates = [v for v in (absolute, relative) if v is not None]
    if not candidates:
        raise Problem("bad_rule", rule=rule.kind)
    raw = min(candidates)
    floor = (
        maximum * _fraction(rule.floor_percent) / 100 if rule.floor_percent is not None else None
    )
    if floor is not None:
        raw = max(raw, floor)
    raw = min(raw, maximum)
    mark = _ceil_to_step(raw, step_f)
    return PassMark(
        rule=rule.kind,
        pass_mark=_dec(mark),
        raw=_dec(raw),
        max_points=_dec(maximum),
        step=_dec(step_f),
        reference=reference_label,
        reference_count=len(reference),
        reference_mean=_dec(ref_mean) if ref_mean is not None else None,
        absolute_percent=rule.absolute_percent,
        absolute_value=_dec(absolute) if absolute is not None else None,
        relative_factor=rule.relative_factor,
        relative_minus_points=rule.relative_minus_points,
        relative_value=_dec(relative) if relative is not None else None,
        floor_percent=rule.floor_percent,
        floor_value=_dec(floor) if floor is not None else None,
        threshold_percent=_dec(mark * 100 / maximum),
        rounded_up=mark != raw,
    )


def _sliding(maximum: Fraction, step: Fraction, scores: list[Fraction]) -> PassMark:
    mean = sum(scores) / len(scores) if scores else None
    mean_percent = mean * 100 / maximum if mean is not None else Fraction(80)
    threshold = max(min(mean_percent - 20, Fraction(60)), Fraction(50))
    raw = maximum * threshold / 100
    mark = _ceil_to_step(raw, step)
    return PassMark(
        rule=SLIDING,
        pass_mark=_dec(mark),
        raw=_dec(raw),
        max_points=_dec(maximum),
        step=_dec(step),
        reference=ALL,
        reference_count=len(scores),
        reference_mean=_dec(mean) if mean is not None else None,
        absolute_percent=Decimal(60),
        absolute_value=_dec(maximum * 60 / 100),
        relative_factor=None,
        relative_minus_points=_dec(maximum * 20 / 100),
        relative_value=_dec(mean - maximum / 5) if mean is not None else None,
        floor_percent=Decimal(50),
        floor_value=_dec(maximum / 2),
        threshold_percent=_dec(threshold),
        rounded_up=mark != raw,
    )


def grade_by_share(*, score, pass_mark, max_points) -> Decimal:
    """ÄApprO: 5.0 below the pass mark; else by the share of the points beyond it."""
    score, mark, maximum = _fraction(score), _fraction(pass_mark), _fraction(max_points)
    if score < mark:
        return FAIL
    share = Fraction(1) if maximum <= mark else (score - mark) / (maximum - mark)
    for limit, grade in ((Fraction(3, 4), "1.0"), (Fraction(1, 2), "2.0"), (Fraction(1, 4), "3.0")):
        if share >= limit:
            return Decimal(grade)
    return Decimal("4.0")


def shift_bands(bands_percent, *, threshold_percent) -> list[tuple[Decimal, Decimal]]:
    """Percentage bands made for a 60 % pass mark, shifted down by (60 % - threshold)."""
    shift = Decimal(60) - Decimal(threshold_percent)
    return [(max(Decimal(0), Decimal(t) - shift), Decimal(g)) for t, g in bands_percent]


def grade_by_shifted_bands(*, score, pass_mark, max_points, bands_percent, threshold_percent):
    """5.0 below the pass mark; else the shifted percentage bands' grade (at worst 4.0)."""
    if _fraction(score) < _fraction(pass_mark):
        return FAIL
    shifted = shift_bands(bands_percent, threshold_percent=threshold_percent)
    grade = _band_grade(score, shifted, kind="percentage", maximum=max_points)
    return min(grade, Decimal("4.0"))


def clean_weight(weight) -> Decimal:
    weight = Decimal(weight)
    if not (0 < weight <= 1):
        raise Problem("bad_weight", weight=weight)
    return weight


_PASSING = tuple((Fraction(g), g) for g in PASSING_GRADES)


def round_to_german(value) -> Decimal:
    """The nearest passing German grade (a tie to the better one); 5.0 above 4.0."""
    value = _fraction(value)
    if value > 4:
        return FAIL
    return min(_PASSING, key=lambda pair: (abs(pair[0] - value), pair[1]))[1]


def combine(*, mc_grade, written_grade, weight) -> Decimal:
    """w x MC + (1 - w) x written, rounded to a German grade; 5.0 if the MC part failed."""
    w = _fraction(clean_weight(weight))
    if Decimal(mc_grade) == FAIL:
        return FAIL
    return round_to_german(w * _fraction(mc_grade) + (1 - w) * _fraction(written_grade))


@dataclass(frozen=True)
class Outcome:
    grade: Decimal
    mc_grade: Decimal
    reason: str  # "" or "mc_below_pass_mark"


def two_stage_grade(
    *,
    mc_points,
    pass_mark_result: PassMark,
    written_grade,
    weight,
    bands_percent: Sequence | None = None,
) -> Outcome:
    """Stage 1: below the MC pass mark -> 5.0 with the reason; stage 2: combine by weight."""
    weight = clean_weight(weight)
    mark, maximum = pass_mark_result.pass_mark, pass_mark_result.max_points
    if _fraction(mc_points) < _fraction(mark):
        return Outcome(FAIL, FAIL, "mc_below_pass_mark")
    if bands_percent is None:
        mc = grade_by_share(score=mc_points, pass_mark=mark, max_points=maximum)
    else:
        mc = grade_by_shifted_bands(
            score=mc_points,
            pass_mark=mark,
            max_points=maximum,
            bands_percent=bands_percent,
            threshold_percent=pass_mark_result.threshold_percent,
        )
    return Outcome(combine(mc_grade=mc, written_grade=written_grade, weight=weight), mc, "")
