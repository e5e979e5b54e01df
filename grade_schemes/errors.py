"""Refusals of the grade-scheme services, each with a stable code and a translated message.

Views show ``str(exc)``; none of these is ever a 500. ``InvalidScheme.details["problems"]``
lists ``{"index", "code", "message"}`` per band (``index`` None: the whole scheme), so an
editor can show each message beside its band. ``message_for`` translates the codes of the pure
modules' ``Problem``.
"""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy as MampfBusy
from mampf.errors import DomainError


class GradeSchemeError(DomainError):
    code = "grade_scheme_error"
    default_message = _("The grade scheme could not be changed.")


class WrongKind(GradeSchemeError):
    code = "not_an_exam"
    default_message = _("Grade schemes are for exam assessments only.")


class InvalidScheme(GradeSchemeError):
    code = "invalid_scheme"
    default_message = _("Some bands are not valid; please correct the marked rows.")


class GeneratorRefused(GradeSchemeError):
    code = "generator_refused"
    default_message = _("No scheme can be generated from these points.")


class NoMaximum(GradeSchemeError):
    code = "no_maximum"
    default_message = _("Percentage bands need tasks with a maximum above 0 points.")


class SchemeNotActive(GradeSchemeError):
    code = "scheme_not_active"
    default_message = _("This scheme was replaced by a newer one; only the active one applies.")


class NoteRequired(GradeSchemeError):
    code = "note_required"
    default_message = _("Please give a note explaining the grade entered by hand.")


class InvalidGrade(GradeSchemeError):
    code = "invalid_grade"
    default_message = _(
        "Please enter a German grade: 1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0 or 5.0."
    )


class StatusForbids(GradeSchemeError):
    code = "status_forbids"
    default_message = _("An exempt participation carries no grade.")


class NotInAssessment(GradeSchemeError):
    code = "not_in_assessment"
    default_message = _("This participation belongs to another assessment.")


class NoOverride(GradeSchemeError):
    code = "no_override"
    default_message = _("This grade was not entered by hand.")


class McRefused(GradeSchemeError):
    code = "mc_refused"
    default_message = _("The multiple-choice part could not be graded.")


class InvalidMcConfig(GradeSchemeError):
    """``details["fields"]`` maps a field name to its message."""

    code = "invalid_mc_config"
    default_message = _("Some settings of the multiple-choice part are not valid.")


class Busy(MampfBusy):
    """Lock timeout while grading: nothing changed."""


MESSAGES = {
    "bad_number": _("Please enter numbers for the threshold and the grade."),
    "not_german_grade": _(
        "%(grade)s is not a German grade (1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0, 5.0)."
    ),
    "negative_threshold": _("The threshold cannot be negative."),
    "above_maximum": _("The threshold %(threshold)s lies above the maximum %(maximum)s."),
    "duplicate_grade": _("The grade %(grade)s appears in more than one band."),
    "out_of_order": _(
        "The band for %(grade)s must start below the band for %(better_grade)s "
        "(%(threshold)s); bands are out of order or overlap."
    ),
    "no_passing_band": _("The scheme needs at least one passing band (4.0 or better)."),
    "bad_step": _("The points step must be above 0."),
    "negative_points": _("Points cannot be negative."),
    "excellence_not_above_passing": _(
        "The points for 1.0 (%(excellence)s) must be above the points for 4.0 (%(passing)s)."
    ),
    "excellence_above_maximum": _(
        "The points for 1.0 (%(excellence)s) lie above the maximum (%(maximum)s)."
    ),
    "span_too_small": _(
        "From 4.0 to 1.0 there must be at least nine steps of %(step)s points (%(minimum)s "
        "points); the span is %(span)s."
    ),
    "bounds_coincide": _("Two grade bounds fall on %(points)s points; choose a smaller step."),
    "bad_weight": _("The weight must lie above 0 and at most 1."),
    "bad_rule": _("Unknown pass mark rule."),
    "bad_maximum": _("The maximum must be above 0."),
}


def message_for(code: str, params: dict | None = None) -> str:
    template = MESSAGES.get(code)
    if template is None:
        return str(GradeSchemeError.default_message)
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)
