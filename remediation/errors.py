"""Refusals of the remediation services, each with a stable code and a translated message."""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy, DomainError


class RemediationError(DomainError):
    code = "remediation_error"
    default_message = _("The correction could not be carried out.")


class InvalidCorrections(RemediationError):
    """The payload of a batch is refused; ``details["problems"]`` lists each problem."""

    code = "invalid_corrections"
    default_message = _("The corrections are not valid.")


class ReasonRequired(RemediationError):
    code = "reason_required"
    default_message = _("Please give a reason: everyone affected may ask why their score changed.")


class PayloadTooLarge(RemediationError):
    code = "payload_too_large"
    default_message = _("The corrections are too large for one batch.")


class NotDraft(RemediationError):
    code = "batch_not_draft"
    default_message = _("Only a draft batch can be applied; this one is not a draft any more.")


class NotApplied(RemediationError):
    code = "batch_not_applied"
    default_message = _("Only an applied batch can be reverted.")


class AlreadyReverted(RemediationError):
    code = "batch_already_reverted"
    default_message = _("This batch has already been reverted.")


class CompensationNotRevertible(RemediationError):
    code = "compensation_not_revertible"
    default_message = _(
        "A reverting batch cannot be reverted itself; create a new batch with the corrections "
        "instead."
    )


class InvalidSheet(RemediationError):
    code = "invalid_answer_sheet"
    default_message = _("The answer sheet is not valid.")


class ImportRejected(RemediationError):
    """A CSV is refused as a whole; ``problems`` lists every problem (line, code, message)."""

    code = "import_rejected"
    default_message = _("The file was not imported: please correct these problems.")

    def __init__(self, problems, message=None):
        super().__init__(message, details={"problems": [p.as_dict() for p in problems]})
        self.problems = problems


class HasSheets(RemediationError):
    code = "evaluation_has_sheets"
    default_message = _(
        "This version already has answer sheets; its questions can only change through "
        "correction batches."
    )


class TryAgain(Busy):
    default_message = _("Someone is correcting this evaluation right now. Please try again.")


class NotAllowed(RemediationError):
    code = "not_allowed"
    default_message = _("Only the staff of this lecture may correct its results.")


class EvaluationExists(RemediationError):
    code = "evaluation_exists"
    default_message = _("This task already has a multiple-choice test.")


class TaskNotExam(RemediationError):
    code = "task_not_exam"
    default_message = _("A multiple-choice test can only be attached to a task of an exam.")


class InvalidDefinition(RemediationError):
    """A title, variant or question is refused; ``details["fields"]`` maps a field to messages."""

    code = "invalid_definition"
    default_message = _("Please correct the marked fields.")

    def __init__(self, fields: dict, message=None):
        super().__init__(
            message, details={"fields": {k: [str(m) for m in v] for k, v in fields.items()}}
        )
        self.fields = fields


class VersionExists(RemediationError):
    code = "version_exists"
    default_message = _("This test already has a variant with this label.")


class UnknownStudent(RemediationError):
    code = "unknown_student"
    default_message = _("No candidate of this exam has this matriculation number.")
