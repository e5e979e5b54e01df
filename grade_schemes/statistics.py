"""Distribution statistics of exam points (DOMAIN-NOTES "Grade schemes"). Django-free.

Everything is ``Decimal``: the mean and the sample standard deviation are computed exactly
(``Fraction``) and converted once, as Python's ``statistics`` module does for decimals; the
median of an even count is the mean of the two middle values; percentiles use the nearest rank
(rank = ceil(p/100 x n), so every percentile is a value that occurs). The histogram has bins of
a chosen width, half-open ``[lower, upper)``, from ``start`` (default: the width's multiple at
or below the minimum) so that the largest value (or ``end``) falls into the last bin.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

PERCENTILES = (10, 25, 50, 75, 90)
MAX_BINS = 500


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def mean(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return _decimal(sum(Fraction(v) for v in values) / len(values))


def median(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    ordered = sorted(values)
    n, middle = len(ordered), len(ordered) // 2
    if n % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def sample_std(values: Sequence[Decimal]) -> Decimal | None:
    """The sample standard deviation (n - 1); None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    exact_mean = sum(Fraction(v) for v in values) / n
    variance = sum((Fraction(v) - exact_mean) ** 2 for v in values) / (n - 1)
    return _decimal(variance).sqrt()


def percentile(ordered: Sequence[Decimal], p: int) -> Decimal | None:
    """Nearest rank: the value at rank ceil(p/100 x n) (at least 1) of the sorted values."""
    if not ordered:
        return None
    rank = max(1, math.ceil(Fraction(p, 100) * len(ordered)))
    return ordered[rank - 1]


def default_bin_width(upper: Decimal | None) -> Decimal:
    """A width giving at most 20 bins up to ``upper``: 1, 2, 5, 10, 20, ... points."""
    if not upper or upper <= 0:
        return Decimal(1)
    for width in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if Decimal(upper) / width <= 20:
            return Decimal(width)
    return Decimal(int(Decimal(upper) / 20) + 1)


def histogram(
    values: Iterable[Decimal], *, width, start=None, end=None
) -> list[tuple[Decimal, Decimal, int]]:
    """``[(lower, upper, count), ...]``, half-open bins of ``width``; at most ``MAX_BINS``."""
    width = Decimal(width)
    if width <= 0:
        raise ValueError("width must be positive")
    values = list(values)
    if not values and end is None:
        return []
    low = min(values) if values else Decimal(0)
    high = max(max(values) if values else Decimal(0), Decimal(end) if end is not None else low)
    if start is None:
        start = (low / width).to_integral_value(rounding="ROUND_FLOOR") * width
    start = Decimal(start)
    if low < start:
        raise ValueError("a value lies below the start")
    bins = int((high - start) // width) + 1
    if bins > MAX_BINS:
        raise ValueError("too many bins")
    counts = [0] * bins
    for value in values:
        counts[int((value - start) // width)] += 1
    return [(start + i * width, start + (i + 1) * width, counts[i]) for i in range(bins)]


def distribution(values: Iterable, *, bin_width=None, start=None, end=None) -> dict:
    """count, min, max, mean, median, std, percentiles {10, 25, 50, 75, 90}, histogram."""
    values = [Decimal(v) for v in values]
    ordered = sorted(values)
    width = Decimal(bin_width) if bin_width else default_bin_width(end or (ordered or [0])[-1])
    if start is None and ordered:
        start = Decimal(0) if ordered[0] >= 0 else None
    return {
        "count": len(values),
        "min": ordered[0] if ordered else None,
        "max": ordered[-1] if ordered else None,
        "mean": mean(values),
        "median": median(values),
        "std": sample_std(values),
        "percentiles": {p: percentile(ordered, p) for p in PERCENTILES} if ordered else {},
        "histogram": histogram(values, width=width, start=start, end=end),
        "bin_width": width,
    }


def pass_share(grades: Iterable[Decimal | None], *, absent: Iterable[bool] | None = None):
    """Passed (grade 4.0 or better) among the graded rows that are not absent, in percent.

    ``grades`` are the rows' grades (``None``: not graded, not counted); ``absent`` flags the
    absentees, who are left out. ``None`` when nobody counts.
    """
    grades = list(grades)
    flags = list(absent) if absent is not None else [False] * len(grades)
    counted = [g for g, a in zip(grades, flags, strict=True) if g is not None and not a]
    if not counted:
        return None
    passed = sum(1 for g in counted if Decimal(g) <= Decimal("4.0"))
    return _decimal(Fraction(passed * 100, len(counted)))
