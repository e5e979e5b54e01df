"""Filters for the students' performance page (figures formatted like the evaluator's reasons)."""

from django import template
from django.utils.translation import gettext as _

from performance import evaluator, wording

register = template.Library()


@register.filter
def perf_points(value) -> str:
    """``{{ value|perf_points }}``: "7.5", "12", "–" in the active language's format."""
    return wording.points(value)


@register.filter
def criterion_status(status: str) -> str:
    return {
        evaluator.PASSED: _("met"),
        evaluator.INCONCLUSIVE: _("not yet"),
        evaluator.FAILED: _("cannot be met any more"),
    }.get(status, status)


@register.filter
def criterion_badge(status: str) -> str:
    return {
        evaluator.PASSED: "badge-passed",
        evaluator.INCONCLUSIVE: "badge-pending",
        evaluator.FAILED: "badge-failed",
    }.get(status, "")


@register.filter
def criterion_name(criterion) -> str:
    if criterion.criterion == "threshold":
        return _("Total points")
    if criterion.criterion == "sheets":
        return _("Points on each sheet")
    if criterion.criterion == "achievement":
        return criterion.params.get("title", "")
    return _("Rule")
