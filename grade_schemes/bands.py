"""Band lookup and validation (DOMAIN-NOTES "Grade schemes"). Django-free, ``Decimal`` only.

A scheme is a list of bands ``(threshold, grade)``: the threshold is a lower bound, in points
(kind ``points``) or in percent of the maximum (kind ``percentage``). The highest band reached
wins; below every passing band the grade is 5.0. Comparison is exact: a percentage threshold is
compared as ``value x 100 >= threshold x maximum`` (no division, no float), so a rounded display
can never cross a boundary.

``validate`` reports every problem, one per band at most (the first found for that band), plus
scheme-wide ones with ``index=None``: ``not_german_grade`` (4.3), ``negative_threshold``,
``above_maximum`` (a points threshold above the maximum, a percentage above 100),
``duplicate_grade``, ``out_of_order`` (a worse grade needs a strictly lower threshold than
every better one; an explicit 5.0 band may share the 4.0 band's threshold, as the generator's
``(0, 5.0)`` does when 4.0 starts at 0), ``no_passing_band`` and ``bad_number``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from grade_schemes.problems import BandProblem, Problem

GERMAN_GRADES = tuple(
    Decimal(g)
    for g in ("1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0")
)
PASSING_GRADES = GERMAN_GRADES[:-1]
FAIL = Decimal("5.0")
POINTS, PERCENTAGE = "points", "percentage"
HUNDRED = Decimal(100)


def to_decimal(value) -> Decimal | None:
    """A finite ``Decimal`` from a ``Decimal``, an ``int`` or a string (``"7,5"``); else None."""
    if isinstance(value, bool | float) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def grade_for(value, bands: Iterable[tuple[Decimal, Decimal]], *, kind=POINTS, maximum=None):
    """The grade of ``value``: the best grade whose threshold it reaches; else 5.0."""
    value = Decimal(value)
    best = FAIL
    for threshold, grade in bands:
        if kind == PERCENTAGE:
            reached = value * HUNDRED >= Decimal(threshold) * Decimal(maximum)
        else:
            reached = value >= Decimal(threshold)
        if reached and Decimal(grade) < best:
            best = Decimal(grade)
    return best


def absolute_bands(bands, *, kind=POINTS, maximum=None) -> list[tuple[Decimal, Decimal]]:
    """The bands as point thresholds (a percentage times the maximum, exact), best first."""
    out = []
    for threshold, grade in bands:
        threshold = Decimal(threshold)
        if kind == PERCENTAGE:
            threshold = threshold * Decimal(maximum) / HUNDRED
        out.append((threshold, Decimal(grade)))
    return sorted(out, key=lambda band: band[1])


def validate(bands: Sequence, *, kind=POINTS, maximum=None) -> list[BandProblem]:
    """Every problem of these bands (see the module docstring); an empty list when valid."""
    problems: dict[int, BandProblem] = {}
    general: list[BandProblem] = []
    cleaned: list[tuple[int, Decimal, Decimal]] = []
    limit = HUNDRED if kind == PERCENTAGE else (Decimal(maximum) if maximum is not None else None)
    for index, band in enumerate(bands):
        threshold, grade = to_decimal(band[0]), to_decimal(band[1])
        if threshold is None or grade is None:
            problems[index] = BandProblem("bad_number", index)
        elif grade not in GERMAN_GRADES:
            problems[index] = BandProblem("not_german_grade", index, {"grade": grade})
        elif threshold < 0:
            problems[index] = BandProblem("negative_threshold", index, {"threshold": threshold})
        elif limit is not None and threshold > limit:
            problems[index] = BandProblem(
                "above_maximum", index, {"threshold": threshold, "maximum": limit}
            )
        else:
            cleaned.append((index, threshold, grade))
    seen: dict[Decimal, int] = {}
    for index, _threshold, grade in sorted(cleaned, key=lambda row: (row[2], row[0])):
        if grade in seen:
            problems[index] = BandProblem("duplicate_grade", index, {"grade": grade})
            continue
        seen[grade] = index
    ok = [row for row in cleaned if row[0] not in problems]
    for index, threshold, grade in ok:
        clashes = [
            (other_grade, other_threshold)
            for _i, other_threshold, other_grade in ok
            if other_grade < grade
            and (other_threshold < threshold if grade == FAIL else other_threshold <= threshold)
        ]
        if clashes:
            better_grade, better_threshold = min(clashes)
            problems[index] = BandProblem(
                "out_of_order",
                index,
                {"grade": grade, "better_grade": better_grade, "threshold": better_threshold},
            )
    parsed = (to_decimal(band[1]) for band in bands)
    if not any(grade in PASSING_GRADES for grade in parsed if grade is not None):
        general.append(BandProblem("no_passing_band", None))
    return general + [problems[i] for i in sorted(problems)]


def clean_bands(bands: Sequence, *, kind=POINTS, maximum=None) -> list[tuple[Decimal, Decimal]]:
    """Valid bands as ``Decimal`` pairs, best grade first; or ``Problem("invalid_bands")``."""
    problems = validate(bands, kind=kind, maximum=maximum)
    if problems:
        raise Problem("invalid_bands", problems)
    out = [(to_decimal(t), to_decimal(g).quantize(Decimal("0.1"))) for t, g in bands]
    return sorted(out, key=lambda band: band[1])
