"""Rules of exam registration campaigns (DOMAIN-NOTES "Exams", spec 000 phases 9 and 10).

- Each exam (main exam, resit) gets its own first-come-first-served campaign with the exam as
  the single item; several exams of one lecture each have their own.
- The deadline defaults to three days before the exam and may not be after the exam.
- The ``student_performance`` policy is attached for registration *and* finalization: students
  register only while eligible, and finalization re-screens, rejecting the failed ones (reason
  ``policy:student_performance``) and blocking on undecided ones. The kind itself is
  registered by ``performance``; this app only names it.
- An exam is offered by at most one campaign that is not completed: a second one would let a
  student hold two places for one exam and fill one room from two sides. After finalization a
  further campaign (late registration) is allowed.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from mampf.db import lock_rows
from mampf.models import Exam, Registerable
from registration import errors
from registration.models import Campaign, Item, Policy

EXAM_POLICY_KIND = "student_performance"
EXAM_POLICY_PHASE = Policy.Phase.BOTH
DEFAULT_DEADLINE_BEFORE_EXAM = datetime.timedelta(days=3)
#: Campaign statuses in which a campaign still competes for the exam's places.
NOT_FINALIZED = (
    Campaign.Status.DRAFT,
    Campaign.Status.OPEN,
    Campaign.Status.CLOSED,
    Campaign.Status.PROCESSING,
)


def default_deadline(exam: Exam) -> datetime.datetime | None:
    """Three days before the exam (``None`` while the exam has no date)."""
    return exam.date - DEFAULT_DEADLINE_BEFORE_EXAM if exam.date else None


def require_deadline_before_exam(exam: Exam, deadline: datetime.datetime | None) -> None:
    """Refuses (``deadline_after_exam``) a deadline at or after the exam's start."""
    if exam.date is not None and deadline is not None and deadline >= exam.date:
        raise errors.DeadlineAfterExam(
            _(
                "The registration deadline must be before the exam (%(date)s). The usual "
                "deadline is three days before it."
            )
            % {
                "date": formats.date_format(
                    timezone.localtime(exam.date), "SHORT_DATETIME_FORMAT"
                )
            },
            details={"field": "registration_deadline"},
        )


def require_deadline_before_campaign_exams(campaign: Campaign, deadline) -> None:
    """The same rule for every exam the campaign offers (one query): used when the deadline
    changes and before opening, since the exam's date may have moved meanwhile."""
    exams = Exam.objects.filter(registration_items__campaign=campaign, date__isnull=False)
    for exam in exams.order_by("date"):
        require_deadline_before_exam(exam, deadline)


def running_exam_campaigns(exam_id: int, *, exclude_campaign_id: int | None = None) -> list:
    """(id, title) of campaigns offering the exam that are not completed (one query)."""
    rows = Item.objects.filter(registerable_id=exam_id, campaign__status__in=NOT_FINALIZED)
    if exclude_campaign_id is not None:
        rows = rows.exclude(campaign_id=exclude_campaign_id)
    return list(rows.order_by("campaign_id").values_list("campaign_id", "campaign__title"))


def lock_exam_and_require_not_offered(
    exam_id: int, *, exclude_campaign_id: int | None = None
) -> None:
    """Inside a transaction: lock the exam's row, so two campaigns created or extended at once
    are serialized, then refuse (``exam_already_offered``) if another campaign that is not
    completed offers the exam."""
    lock_rows(Registerable.objects.non_polymorphic(), [exam_id])
    running = running_exam_campaigns(exam_id, exclude_campaign_id=exclude_campaign_id)
    if running:
        raise errors.ExamAlreadyOffered(
            _(
                "This exam is already offered by “%(title)s”, which is not finalized yet. "
                "Each exam has one registration at a time: use that one, or finalize or "
                "delete it first."
            )
            % {"title": running[0][1]},
            details={"campaign_id": running[0][0]},
        )


def is_exam(registerable: Registerable) -> bool:
    return issubclass(registerable.get_real_instance_class(), Exam)
