"""The two-point generator (DOMAIN-NOTES "Grade schemes"). Django-free, ``Decimal`` only.

From the points for 4.0 (``passing_points``) and for 1.0 (``excellence_points``) the ten passing
grades' lower bounds are spread evenly, ``passing + i x (excellence - passing) / 9``, and each
inner bound is rounded to the nearest multiple of ``step`` (a half up); the two anchors are kept
exactly as given. 4.0 at 24, 1.0 at 54, step 1: 24 27 31 34 37 41 44 47 51 54. The result runs
from 1.0 down to 5.0, whose band starts at 0.

Refusals (``Problem`` codes): ``excellence_not_above_passing`` (1.0 <= 4.0 points),
``excellence_above_maximum`` (1.0 points above ``max_points``, when given), ``span_too_small``
(the span is under nine steps), ``bounds_coincide`` (two rounded bounds equal or out of order),
``bad_step`` (step <= 0), ``negative_points``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from grade_schemes.problems import Problem

PASSING_GRADES = tuple(
    Decimal(g) for g in ("4.0", "3.7", "3.3", "3.0", "2.7", "2.3", "2.0", "1.7", "1.3", "1.0")
)
FAIL = Decimal("5.0")


def _round_to_step(value: Fraction, step: Decimal) -> Decimal:
    multiples = Decimal(value.numerator) / Decimal(value.denominator) / step
    return multiples.quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def two_point_bands(
    *, passing_points, excellence_points, step=1, max_points=None
) -> list[tuple[Decimal, Decimal]]:
    """``[(min_points, grade), ...]`` from 1.0 down to 5.0 (``(0, 5.0)`` last)."""
    passing, excellence, step = Decimal(passing_points), Decimal(excellence_points), Decimal(step)
    if step <= 0:
        raise Problem("bad_step", step=step)
    if passing < 0:
        raise Problem("negative_points", points=passing)
    if excellence <= passing:
        raise Problem("excellence_not_above_passing", passing=passing, excellence=excellence)
    if max_points is not None and excellence > Decimal(max_points):
        raise Problem("excellence_above_maximum", excellence=excellence, maximum=max_points)
    if excellence - passing < 9 * step:
        raise Problem("span_too_small", span=excellence - passing, minimum=9 * step, step=step)
    spacing = (Fraction(excellence) - Fraction(passing)) / 9
    bounds = [passing]
    for i in range(1, 9):
        bounds.append(_round_to_step(Fraction(passing) + i * spacing, step))
    bounds.append(excellence)
    for lower, upper in zip(bounds, bounds[1:], strict=False):
        if upper <= lower:
            raise Problem("bounds_coincide", points=upper)
    bands = [(bound, grade) for bound, grade in zip(bounds, PASSING_GRADES, strict=True)]
    bands.reverse()
    bands.append((Decimal(0), FAIL))
    return bands
