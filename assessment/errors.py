"""Refusals of the assessment services, each with a stable code and a translated message.

Views show ``str(exc)``; none of these is ever a 500. ``ChangedMeanwhile.details`` carries the
current values so a grading form can show them.
"""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy as MampfBusy
from mampf.errors import DomainError


class AssessmentError(DomainError):
    code = "assessment_error"
    default_message = _("The assessment could not be changed.")


class GradingNotOpen(AssessmentError):
    code = "grading_not_open"
    default_message = _("Grading opens after the deadline and the grace period.")


class TaskNotInAssessment(AssessmentError):
    code = "task_not_in_assessment"
    default_message = _("This task belongs to another assessment.")


class InvalidPoints(AssessmentError):
    code = "invalid_points"
    default_message = _(
        "Points must be a number from 0 to 99999.99 with at most two decimal places."
    )


class NegativePoints(InvalidPoints):
    code = "negative_points"
    default_message = _("Points cannot be negative.")


class InvalidGrade(AssessmentError):
    code = "invalid_grade"
    default_message = _(
        "Please enter a German grade: 1.0, 1.3, 1.7, 2.0, 2.3, 2.7, 3.0, 3.3, 3.7, 4.0 or 5.0."
    )


class ChangedMeanwhile(AssessmentError):
    code = "changed_meanwhile"
    default_message = _(
        "Someone else changed these points meanwhile. The current values are shown; please "
        "check them and save again."
    )


class StatusForbids(AssessmentError):
    """Absent or exempt on a reviewed row, or points on an absent or exempt row."""

    code = "status_forbids"
    default_message = _("This is not possible in the participation's current status.")


class TaskInUse(AssessmentError):
    code = "task_in_use"
    default_message = _(
        "This task is the exam's multiple-choice part; remove the MC part first, then the task."
    )


class TaskHasPoints(AssessmentError):
    code = "task_has_points"
    default_message = _("This task already has points and cannot be deleted.")


class WrongKind(AssessmentError):
    code = "wrong_kind"
    default_message = _("This is not possible for this kind of assessment.")


class NotParticipating(AssessmentError):
    code = "not_participating"
    default_message = _("This submission has no members to grade.")


class AlreadyPublished(AssessmentError):
    code = "already_published"
    default_message = _("These results are already published.")


class NotPublished(AssessmentError):
    code = "not_published"
    default_message = _("These results are not published.")


class TutorialNotInLecture(AssessmentError):
    code = "tutorial_not_in_lecture"
    default_message = _("This tutorial does not belong to the assessment's lecture.")


class RegistrationNotCompleted(AssessmentError):
    """Exam grading before the exam's registration campaign is completed."""

    code = "registration_not_completed"
    default_message = _(
        "The exam's registration is not completed yet. Exam grading can be created once its "
        "registration campaign is finalized, so that the list of candidates is fixed."
    )


class ExamGradingExists(AssessmentError):
    code = "exam_grading_exists"
    default_message = _("This exam already has its grading.")


class NotOnExamRoster(AssessmentError):
    code = "not_on_exam_roster"
    default_message = _(
        "This student is not (or no longer) a candidate of the exam; no points can be entered."
    )


class CorrectorRefused(AssessmentError):
    code = "corrector_refused"
    default_message = _("This person cannot be made a corrector of the exam.")


class ReviewRefused(AssessmentError):
    """Exam review (``assessment.exam_review``): a request or answer that is not possible."""

    code = "review_refused"
    default_message = _("This review request is not possible.")


class ReviewClosed(ReviewRefused):
    code = "review_closed"
    default_message = _("The review of this exam is not open.")


class Busy(MampfBusy):
    code = "busy"
    default_message = _("Someone else is grading this right now. Please try again.")
