"""Refusals of the registration services.

Each carries a stable machine-readable ``code`` (for pages, tests and the API) and a translated
human message. Views turn them into a message for the user; nothing here is ever a 500.
"""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy, DomainError


class RegistrationError(DomainError):
    code = "registration_error"
    default_message = _("The registration could not be processed.")


class CampaignNotOpen(RegistrationError):
    code = "campaign_not_open"
    default_message = _("This campaign is not open for registrations.")


class DeadlinePassed(RegistrationError):
    code = "deadline_passed"
    default_message = _("The registration deadline has passed.")


class ItemFull(RegistrationError):
    code = "item_full"
    default_message = _("Sorry, this group is full. Please choose another one.")


class NotEligible(RegistrationError):
    code = "not_eligible"
    default_message = _("You are not eligible to register for this campaign.")

    def __init__(self, message=None, *, result=None, **kwargs):
        self.result = result
        if message is None and result is not None and result.message:
            message = result.message
        super().__init__(message, **kwargs)


class AlreadyRegistered(RegistrationError):
    code = "already_registered"
    default_message = _(
        "You already hold a place in this campaign. Withdraw from it first to change groups."
    )


class NotRegistered(RegistrationError):
    code = "not_registered"
    default_message = _("You are not registered for this item.")


class WithdrawalNotAllowed(RegistrationError):
    code = "withdrawal_not_allowed"
    default_message = _("Withdrawing is not possible in this campaign.")


class WrongAllocationMode(RegistrationError):
    code = "wrong_allocation_mode"
    default_message = _("This action does not fit the campaign's allocation mode.")


class InvalidPreferences(RegistrationError):
    code = "invalid_preferences"
    default_message = _("The ranking is not valid.")


class ItemNotInCampaign(RegistrationError):
    code = "item_not_in_campaign"
    default_message = _("That item does not belong to this campaign.")


class Frozen(RegistrationError):
    code = "frozen"
    default_message = _("This setting can no longer be changed.")


class InvalidTransition(RegistrationError):
    code = "invalid_transition"
    default_message = _("The campaign cannot change to that state now.")


class PolicyBlocker(RegistrationError):
    code = "policy_blocker"
    default_message = _("A policy needs attention before this can continue.")


class InvalidConfiguration(RegistrationError):
    code = "invalid_configuration"
    default_message = _("The configuration is not valid.")


class TryAgain(RegistrationError, Busy):
    """``mampf.db.translate_db_errors`` raises it for registration services (code ``busy``)."""

    code = "busy"
    default_message = _("Many people are registering right now. Please try again in a moment.")


class AllocationRunning(RegistrationError):
    code = "allocation_running"
    default_message = _("An allocation for this campaign is already running. Please wait for it.")


class CampaignInUse(RegistrationError):
    code = "campaign_in_use"
    default_message = _("Another campaign or the rosters still rely on this campaign.")


class PrerequisiteNotReady(RegistrationError):
    code = "prerequisite_not_ready"
    default_message = _("The prerequisite campaign is still a draft; open it first.")


class AlreadyInTutorial(RegistrationError):
    code = "already_in_tutorial"
    default_message = _("You already have a place in a tutorial of this lecture.")


class ExamAlreadyOffered(RegistrationError):
    code = "exam_already_offered"
    default_message = _(
        "This exam already has a registration that is not finalized; finalize or delete it "
        "before starting another."
    )


class DeadlineAfterExam(RegistrationError):
    code = "deadline_after_exam"
    default_message = _("The registration deadline must be before the exam.")


class NotAnExam(RegistrationError):
    code = "not_an_exam"
    default_message = _("Choose one of the lecture's exams.")
