"""What the health page reads: each metric's last result, trend, affected objects; the jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

from mampf.integrity import Check, checks
from mampf.models import Lecture
from operations.jobs import JobState, job_states
from operations.models import Alert, MetricResult

TREND_POINTS = 30


@dataclass
class MetricRow:
    check: Check
    last: MetricResult | None
    trend: list[Decimal]
    objects: list[tuple[object, str | None]]  # (id, link or None)
    lectures: list[tuple[Lecture, MetricResult]] = field(default_factory=list)
    open_alerts: int = 0

    @property
    def ok(self) -> bool:
        return self.last is None or self.last.ok

    @property
    def value_text(self) -> str:
        return display(self.check, self.last.value) if self.last is not None else ""

    @property
    def threshold_text(self) -> str:
        return display(self.check, self.check.threshold)

    @property
    def lecture_values(self) -> list[tuple[Lecture, str]]:
        return [(lecture, display(self.check, row.value)) for lecture, row in self.lectures]


def display(check: Check, value) -> str:
    """A value as the page shows it: no trailing zeros, never an exponent, with its unit."""
    text = f"{Decimal(value).normalize():f}"
    return {"percent": f"{text} %", "hours": f"{text} h"}.get(check.unit, text)


def sparkline(values: list[Decimal], *, width: int = 120, height: int = 28) -> str:
    """The ``points`` of an SVG polyline for these values (oldest first)."""
    if not values:
        return ""
    top = max(max(values), Decimal(1))
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - float(v / top) * (height - 4):.1f}"
        for i, v in enumerate(values)
    )


def metric_rows() -> list[MetricRow]:
    """Every registered check with its stored results (a fixed number of queries: the trend,
    the lectures' last rows, the open alerts, one link look-up per metric with objects)."""
    registered = checks()
    ranked = (
        MetricResult.objects.filter(lecture__isnull=True)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("metric")], order_by=[F("at").desc(), F("id").desc()]
            )
        )
        .filter(rank__lte=TREND_POINTS)
        .order_by("metric", "-at", "-id")
    )
    by_metric: dict[str, list[MetricResult]] = {}
    for row in ranked:
        by_metric.setdefault(row.metric, []).append(row)
    lasts = {name: rows[0] for name, rows in by_metric.items()}
    lecture_rows: dict[str, list] = {}
    wanted = [(name, row.at) for name, row in lasts.items() if not row.ok]
    if wanted:
        condition = Q()
        for name, at in wanted:
            condition |= Q(metric=name, at=at)
        for row in (
            MetricResult.objects.filter(condition, lecture__isnull=False, ok=False)
            .select_related("lecture")
            .order_by("metric", "-value")
        ):
            lecture_rows.setdefault(row.metric, []).append((row.lecture, row))
    open_alerts: dict[str, int] = {}
    for metric in Alert.objects.filter(is_open=True).values_list("metric", flat=True):
        open_alerts[metric] = open_alerts.get(metric, 0) + 1
    result = []
    for check in registered:
        last = lasts.get(check.name)
        ids = list(last.ids) if last is not None else []
        links = check.links(ids) if (ids and check.links is not None) else {}
        result.append(
            MetricRow(
                check=check,
                last=last,
                trend=[r.value for r in reversed(by_metric.get(check.name, []))],
                objects=[(pk, links.get(pk)) for pk in ids],
                lectures=lecture_rows.get(check.name, []),
                open_alerts=open_alerts.get(check.name, 0),
            )
        )
    return result


def jobs() -> list[JobState]:
    return job_states()
