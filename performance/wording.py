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


def _plural_number(value) -> int:
    """The number ``ngettext`` chooses the form by: 1 for exactly one, else 2 ("1.5 points")."""
    return 1 if value is not None and Decimal(value) == 1 else 2


def points_phrase(value, *, rounding=ROUND_DOWN) -> str:
    """ "1 point", "7.5 points" (the figure rounded like ``points``)."""
    shown = None if value is None else Decimal(value).quantize(CENT, rounding=rounding)
    return ngettext("%(points)s point", "%(points)s points", _plural_number(shown)) % {
        "points": points(shown)
    }


def sheets_phrase(count: int) -> str:
    return ngettext("%(count)s sheet", "%(count)s sheets", count) % {"count": count}


def _exempt_note(exempt: int) -> str:
    if not exempt:
        return ""
    return " " + ngettext(
        "(counting the %(count)s sheet the student is exempt from)",
        "(counting the %(count)s sheets the student is exempt from)",
        exempt,
    ) % {"count": exempt}


def criterion_message(verdict) -> str:
    """The reason of one ``CriterionVerdict``, in words a student understands.

    Figures reached are rounded down, figures still needed rounded up (``points``)."""
    p = verdict.params
    code = verdict.code
    if code == "no_criterion":
        return _("The rule has no criterion yet.")
    if code == "no_maximum":
        return _("No sheet has points to reach yet, so the percentage cannot be decided.")
    if code == "threshold_met":
        if p["kind"] == "points":
            return ngettext(
                "%(points)s reached; %(target)s is needed.",
                "%(points)s reached; %(target)s are needed.",
                _plural_number(p["target"]),
            ) % {
                "points": points_phrase(p["points"]),
                "target": points_phrase(p["target"], rounding=ROUND_CEILING),
            }
        return _(
            "%(points)s of %(maximum)s reached (%(percentage)s); %(threshold)s are needed."
        ) % {
            "points": points(p["points"]),
            "maximum": points_phrase(p["maximum"]),
            "percentage": percent(p["percentage"]),
            "threshold": percent(p["threshold"]),
        }
    if code == "threshold_open":
        return ngettext(
            "You still need %(missing)s from the %(count)s sheet not marked yet.",
            "You still need %(missing)s from the %(count)s sheets not marked yet.",
            p["outstanding_sheets"],
        ) % {
            "missing": points_phrase(p["missing"], rounding=ROUND_CEILING),
            "count": p["outstanding_sheets"],
        }
    if code == "threshold_open_planned":
        if p["kind"] == "points":
            return ngettext(
                "You still need %(missing)s; %(planned)s more sheet is planned this term.",
                "You still need %(missing)s; %(planned)s more sheets are planned this term.",
                p["planned_sheets"],
            ) % {
                "missing": points_phrase(p["missing"], rounding=ROUND_CEILING),
                "planned": p["planned_sheets"],
            }
        if p["percentage"] is None:
            return ngettext(
                "%(threshold)s of all points are needed at the end of the term; %(planned)s "
                "more sheet is planned.",
                "%(threshold)s of all points are needed at the end of the term; %(planned)s "
                "more sheets are planned.",
                p["planned_sheets"],
            ) % {"threshold": percent(p["threshold"]), "planned": p["planned_sheets"]}
        return ngettext(
            "%(percentage)s of the points so far; %(threshold)s are needed at the end of the "
            "term, and %(planned)s more sheet is planned.",
            "%(percentage)s of the points so far; %(threshold)s are needed at the end of the "
            "term, and %(planned)s more sheets are planned.",
            p["planned_sheets"],
        ) % {
            "percentage": percent(p["percentage"]),
            "threshold": percent(p["threshold"]),
            "planned": p["planned_sheets"],
        }
    if code == "threshold_unreachable":
        values = {
            "target": points_phrase(p["target"], rounding=ROUND_CEILING),
            "possible": points_phrase(p["points"] + p["outstanding_points"]),
            "threshold": percent(p["threshold"]),
        }
        if p["kind"] == "points":
            return (
                ngettext(
                    "%(target)s is needed, but at most %(possible)s can still be reached.",
                    "%(target)s are needed, but at most %(possible)s can still be reached.",
                    _plural_number(p["target"]),
                )
                % values
            )
        return (
            _(
                "%(threshold)s of the points (%(target)s) are needed, but at most %(possible)s can "
                "still be reached."
            )
            % values
        )
    if code == "sheets_met":
        return ngettext(
            "At least %(percentage)s on %(met)s sheet%(exempt)s (%(required)s needed).",
            "At least %(percentage)s on %(met)s sheets%(exempt)s (%(required)s needed).",
            p["met"],
        ) % {
            "percentage": percent(p["min_percentage"]),
            "met": p["met"],
            "exempt": _exempt_note(p["exempt"]),
            "required": p["required"],
        }
    if code == "sheets_open":
        remaining = p["outstanding_sheets"] + p["planned_sheets"]
        return ngettext(
            "So far at least %(percentage)s on %(met)s of the %(required)s sheets needed"
            "%(exempt)s; %(missing)s more must follow from the %(remaining)s sheet still to "
            "come.",
            "So far at least %(percentage)s on %(met)s of the %(required)s sheets needed"
            "%(exempt)s; %(missing)s more must follow from the %(remaining)s sheets still to "
            "come.",
            remaining,
        ) % {
            "percentage": percent(p["min_percentage"]),
            "met": p["met"],
            "required": p["required"],
            "exempt": _exempt_note(p["exempt"]),
            "missing": p["missing"],
            "remaining": remaining,
        }
    if code == "sheets_unreachable":
        return ngettext(
            "At least %(percentage)s is needed on %(required)s sheet, but it was reached on "
            "%(met)s and %(remaining)s more can come.",
            "At least %(percentage)s is needed on %(required)s sheets, but it was reached on "
            "%(met)s and %(remaining)s more can come.",
            p["required"],
        ) % {
            "percentage": percent(p["min_percentage"]),
            "required": p["required"],
            "met": p["met"],
            "remaining": p["outstanding_sheets"] + p["planned_sheets"],
        }
    if code == "achievement_met":
        return _("“%(title)s”: passed.") % {"title": p["title"]}
    if code == "achievement_not_met":
        return _("“%(title)s”: not passed.") % {"title": p["title"]}
    if code == "achievement_ungraded":
        return _("“%(title)s”: not graded yet.") % {"title": p["title"]}
    return code


def describe_rule(spec, *, sheet_count: int | None = None) -> str:
    """The rule as one phrase: "at least 50 % of all points, at least 20 % on 9 of 12 sheets
    and “Presentation” passed". ``sheet_count`` is the size of the per-sheet set when the rule
    uses every sheet (the caller knows the lecture's assignments; see
    ``performance.rules.sheet_set_size``)."""
    parts: list[str] = []
    if spec.has_threshold:
        if spec.threshold_kind == "percentage":
            parts.append(
                _("at least %(value)s of all points") % {"value": percent(spec.threshold_value)}
            )
        else:
            parts.append(_("at least %(value)s") % {"value": points_phrase(spec.threshold_value)})
    if spec.has_sheet_criterion:
        total = len(spec.sheet_ids) or sheet_count
        values = {
            "percentage": percent(spec.sheet_min_percentage),
            "count": spec.sheet_min_count,
            "total": total,
        }
        if total:
            parts.append(
                ngettext(
                    "at least %(percentage)s on %(count)s of %(total)s sheet",
                    "at least %(percentage)s on %(count)s of %(total)s sheets",
                    total,
                )
                % values
            )
        else:
            parts.append(
                ngettext(
                    "at least %(percentage)s on %(count)s sheet",
                    "at least %(percentage)s on %(count)s sheets",
                    spec.sheet_min_count,
                )
                % values
            )
    for _id, title in spec.required_achievements:
        parts.append(_("“%(title)s” passed") % {"title": title})
    if not parts:
        return _("no criterion yet")
    if len(parts) == 1:
        return parts[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]), "last": parts[-1]}
