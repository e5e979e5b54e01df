"""Refusals of the performance services, each with a stable code and a translated message.

Views show ``str(exc)``; none of these is ever a 500. Codes are a contract (tests and the JSON
API rely on them): never rename one.
"""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy as MampfBusy
from mampf.errors import DomainError


class PerformanceError(DomainError):
    code = "performance_error"
    default_message = _("The exam admission could not be changed.")


class Busy(MampfBusy):
    default_message = _(
        "Someone else is changing the exam admission right now. Please try again in a moment."
    )


# -- rules (performance.rules) --------------------------------------------------------------------


class RuleError(PerformanceError):
    code = "rule_error"
    default_message = _("The rule could not be saved.")


class NoCriterion(RuleError):
    code = "no_criterion"
    default_message = _(
        "A rule needs at least one criterion: an overall threshold, the per-sheet criterion or "
        "a required achievement."
    )


class ThresholdKindInvalid(RuleError):
    code = "threshold_kind_invalid"
    default_message = _("Please choose no threshold, a percentage or a number of points.")


class ThresholdValueMissing(RuleError):
    code = "threshold_value_missing"
    default_message = _("Please enter the value of the overall threshold.")


class InvalidNumber(RuleError):
    code = "invalid_number"
    default_message = _("Please enter numbers with at most two decimal places.")


class PercentageOutOfRange(RuleError):
    code = "percentage_out_of_range"
    default_message = _("A percentage lies between 0 and 100.")


class PointsThresholdInvalid(RuleError):
    code = "points_threshold_invalid"
    default_message = _("A points threshold must be above 0 (and below 10,000,000).")


class SheetCriterionIncomplete(RuleError):
    code = "sheet_criterion_incomplete"
    default_message = _(
        "The per-sheet criterion needs both the minimum percentage per sheet and the number of "
        "sheets (or neither)."
    )


class SheetCountTooSmall(RuleError):
    code = "sheet_count_too_small"
    default_message = _("The number of sheets of the per-sheet criterion must be at least 1.")


class SheetCountTooLarge(RuleError):
    code = "sheet_count_too_large"
    default_message = _(
        "The per-sheet criterion asks for more sheets than the set it counts from holds."
    )


class NotOfLecture(RuleError):
    code = "not_of_lecture"
    default_message = _("Sheets and achievements must belong to this lecture.")


class NotAnAssignment(RuleError):
    code = "not_an_assignment"
    default_message = _("Only exercise sheets (assignments) count; exams and talks do not.")


class BonusInSheetSet(RuleError):
    code = "bonus_in_sheet_set"
    default_message = _(
        "A bonus sheet cannot also be one of the sheets of the per-sheet criterion."
    )


class ExpectedAssignmentsInvalid(RuleError):
    code = "expected_assignments_invalid"
    default_message = _("The number of sheets planned this term must be between 1 and 1000.")


class RuleChangedMeanwhile(RuleError):
    code = "rule_changed_meanwhile"
    default_message = _(
        "Someone else changed the rule after this preview was made. The preview below is "
        "fresh; please check it and save again."
    )
