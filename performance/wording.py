"""Rules and verdicts in words a student understands (translated when called).

Shown figures are rounded so that they never promise more than the decision: percentages reached
are rounded down, points still needed are rounded up.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CENT = Decimal("0.01")


def points(value, *, rounding=ROUND_DOWN) -> str:
    """A points figure with at most two places, without trailing zeros, in the local format."""
    if value is None:
        return "–"
    quantized = Decimal(value).quantize(CENT, rounding=rounding)
    text = format(quantized, "f")
    places = len(text.rstrip("0").split(".")[1]) if "." in text.rstrip("0") else 0
    return number_format(quantized, decimal_pos=places)


def percent(value) -> str:
    if value is None:
        return "–"
    return points(value) + " %"


def criterion_message(verdict) -> str:
    """The reason of one ``CriterionVerdict``."""
    p = verdict.params
    code = verdict.code
    if code == "no_criterion":
        return _("The rule has no criterion yet.")
    if code == "no_maximum":
        return _("No points can be reached yet, so the percentage cannot be decided.")
    if code == "threshold_met":
        if p["kind"] == "points":
            return _("%(points)s points reached; %(target)s are needed.") % {
                "points": points(p["points"]),
                "target": points(p["target"], rounding=ROUND_CEILING),
            }
        return _(
            "%(points)s of %(maximum)s points (%(percentage)s) reached; %(threshold)s are needed."
        ) % {
            "points": points(p["points"]),
            "maximum": points(p["maximum"]),
            "percentage": percent(p["percentage"]),
            "threshold": percent(p["threshold"]),
        }
    if code == "threshold_open":
        return ngettext(
            "You need %(missing)s more points from the %(count)s sheet still to be marked.",
            "You need %(missing)s more points from the %(count)s sheets still to be marked.",
            p["outstanding_sheets"],
        ) % {
            "missing": points(p["missing"], rounding=ROUND_CEILING),
            "count": p["outstanding_sheets"],
        }
    if code == "threshold_open_planned":
        if p["kind"] == "points":
            return ngettext(
                "You need %(missing)s more points; %(planned)s more sheet is planned.",
                "You need %(missing)s more points; %(planned)s more sheets are planned.",
                p["planned_sheets"],
            ) % {
                "missing": points(p["missing"], rounding=ROUND_CEILING),
                "planned": p["planned_sheets"],
            }
        return ngettext(
            "%(percentage)s of the points so far; %(threshold)s are needed at the end, and "
            "%(planned)s more sheet is planned.",
            "%(percentage)s of the points so far; %(threshold)s are needed at the end, and "
            "%(planned)s more sheets are planned.",
            p["planned_sheets"],
        ) % {
            "percentage": percent(p["percentage"]),
            "threshold": percent(p["threshold"]),
            "planned": p["planned_sheets"],
        }
    if code == "threshold_unreachable":
        return _("%(target)s points are needed, but at most %(possible)s can still be reached.") % {
            "target": points(p["target"], rounding=ROUND_CEILING),
            "possible": points(p["points"] + p["outstanding_points"]),
        }
    if code == "sheets_met":
        return _("At least %(percentage)s on %(met)s sheets; %(required)s are needed.") % {
            "percentage": percent(p["min_percentage"]),
            "met": p["met"],
            "required": p["required"],
        }
    if code == "sheets_open":
        remaining = p["outstanding_sheets"] + p["planned_sheets"]
        return ngettext(
            "At least %(percentage)s on %(met)s sheets so far; %(missing)s more needed from "
            "the %(remaining)s remaining sheet.",
            "At least %(percentage)s on %(met)s sheets so far; %(missing)s more needed from "
            "the %(remaining)s remaining sheets.",
            remaining,
        ) % {
            "percentage": percent(p["min_percentage"]),
            "met": p["met"],
            "missing": p["missing"],
            "remaining": remaining,
        }
    if code == "sheets_unreachable":
        return _(
            "At least %(percentage)s is needed on %(required)s sheets, but only %(met)s reached "
            "it and %(remaining)s remain."
        ) % {
            "percentage": percent(p["min_percentage"]),
            "required": p["required"],
            "met": p["met"],
            "remaining": p["outstanding_sheets"] + p["planned_sheets"],
        }
    if code == "achievement_met":
        return _("%(title)s: passed.") % {"title": p["title"]}
    if code == "achievement_not_met":
        return _("%(title)s: not passed.") % {"title": p["title"]}
    if code == "achievement_ungraded":
        return _("%(title)s: not graded yet.") % {"title": p["title"]}
    return code


def describe_rule(spec, *, sheet_count: int | None = None) -> str:
    """The rule as one sentence: "at least 50 % of all points, at least 20 % on 9 of 12 sheets,
    and Presentation". ``sheet_count`` is the size of the per-sheet set when the rule uses every
    sheet (the caller knows the lecture's assignments)."""
    parts: list[str] = []
    if spec.has_threshold:
        if spec.threshold_kind == "percentage":
            parts.append(
                _("at least %(value)s of all points") % {"value": percent(spec.threshold_value)}
            )
        else:
            parts.append(_("at least %(value)s points") % {"value": points(spec.threshold_value)})
    if spec.has_sheet_criterion:
        total = len(spec.sheet_ids) or sheet_count
        if total:
            parts.append(
                _("at least %(percentage)s on %(count)s of %(total)s sheets")
                % {
                    "percentage": percent(spec.sheet_min_percentage),
                    "count": spec.sheet_min_count,
                    "total": total,
                }
            )
        else:
            parts.append(
                ngettext(
                    "at least %(percentage)s on %(count)s sheet",
                    "at least %(percentage)s on %(count)s sheets",
                    spec.sheet_min_count,
                )
                % {"percentage": percent(spec.sheet_min_percentage), "count": spec.sheet_min_count}
            )
    for _id, title in spec.required_achievements:
        parts.append(_("“%(title)s” passed") % {"title": title})
    if not parts:
        return _("No criterion yet.")
    if len(parts) == 1:
        return parts[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
