"""Server-side SVG geometry of the points histogram with the scheme's bands. Django-free.

The template draws what ``histogram_chart`` returns: one bar per bin (height by count), a
vertical line with the grade at each band's lower bound that lies inside the drawn range, and
the axis labels. Numbers are rounded for drawing only; the table beside the chart shows the
exact counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 24, 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    lower: Decimal
    upper: Decimal
    count: int


@dataclass(frozen=True)
class BandLine:
    x: float
    threshold: Decimal
    grade: Decimal


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list
    lines: list
    x_ticks: list  # (x, label)
    y_ticks: list  # (y, label)
    plot_left: int
    plot_bottom: int
    plot_right: int
    plot_top: int


def histogram_chart(histogram, bands=()) -> Chart | None:
    """``histogram`` as ``[(lower, upper, count)]``; ``bands`` as ``[(points, grade)]``."""
    if not histogram:
        return None
    start, end = histogram[0][0], histogram[-1][1]
    span = float(end - start) or 1.0
    top = max(count for _l, _u, count in histogram) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(value) -> float:
        return round(LEFT + float(Decimal(value) - start) / span * plot_w, 2)

    bars = []
    for lower, upper, count in histogram:
        height = round(count / top * plot_h, 2)
        bars.append(
            Bar(
                x=x_of(lower),
                y=round(TOP + plot_h - height, 2),
                width=max(round(x_of(upper) - x_of(lower) - 1, 2), 0.5),
                height=height,
                lower=lower,
                upper=upper,
                count=count,
            )
        )
    lines = [
        BandLine(x=x_of(threshold), threshold=threshold, grade=grade)
        for threshold, grade in bands
        if start < threshold < end and grade != Decimal("5.0")
    ]
    every = max(1, len(histogram) // 10)
    x_ticks = [
        (x_of(lower), lower) for i, (lower, _u, _c) in enumerate(histogram) if i % every == 0
    ]
    x_ticks.append((x_of(end), end))
    y_ticks = [(TOP + plot_h, 0), (TOP, top)]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        lines=lines,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        plot_left=LEFT,
        plot_bottom=TOP + plot_h,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
    )
