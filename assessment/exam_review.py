"""Exam review (Klausureinsicht, issue 10 item 7): review window, requests, answers.

Rules:
- the lecture's staff set a review window (``ExamReviewWindow``: from - to) on an exam whose
  results are published (``NotPublished`` otherwise); the window is open for
  ``opens_at <= now < closes_at``: a request exactly at the end is refused, like every deadline
  here (``review_closed``, with the window in the message);
- a candidate (a participation of the exam with points: status reviewed) asks for a re-check of
  named problems with a comment; one open request per candidate and exam (``request_open``, and
  a partial unique index); every problem named must belong to the exam;
- each problem of a request is a ``ReviewItem`` routed to the grader recorded on the task's
  ``TaskPoint`` (``corrector``); when nobody is recorded (or the account is gone) it goes to the
  lecture's staff (``corrector`` empty). Who may answer: the routed corrector and the lecture's
  staff (``can_answer``; views check it, services trust ``by``);
- an answer keeps or changes the points, always with an answer text (``answer_missing``); a
  change goes through ``exams.enter_exam_points`` (so ``enter_points`` keeps total, status and
  the ``GradeChange`` audit, reason "exam review #<id>", and whatever follows a points change
  - the grade recomputation of ``grade_schemes`` - follows here too); an item is answered once
  (``already_answered``); answers may come after the window (the request was made inside it);
- every step writes an append-only ``ReviewEvent`` in the same transaction;
- when the last item of a request is answered the request is ``answered`` and the student gets
  one e-mail (``mampf.tasks.notify_users``, in their language, linking to their review page).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assessment import errors, exams, services
from assessment.models import (
    Assessment,
    ExamReviewWindow,
    Participation,
    ReviewEvent,
    ReviewItem,
    ReviewRequest,
    Task,
    TaskPoint,
)
from mampf import permissions
from mampf.db import actor_or_none, lock_rows, translate_db_errors
from mampf.tasks import notify_users

ReviewRefused = errors.ReviewRefused
ReviewClosed = errors.ReviewClosed


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def is_open(window: ExamReviewWindow | None, *, now: datetime | None = None) -> bool:
    """Inside the window: ``opens_at <= now < closes_at``."""
    now = now or timezone.now()
    return window is not None and window.opens_at <= now < window.closes_at


def window_of(assessment: Assessment) -> ExamReviewWindow | None:
    return ExamReviewWindow.objects.filter(assessment_id=assessment.pk).first()


# -- staff: the window -----------------------------------------------------------------------


@translate_db_errors(error=errors.Busy)
def set_window(
    *, assessment: Assessment, opens_at: datetime, closes_at: datetime, by
) -> ExamReviewWindow:
    """Set (or move) the review window of a published exam.

    Refuses ``WrongKind`` (not an exam), ``NotPublished`` and ``ReviewRefused``
    (``window_invalid``: the end is not after the start).
    """
    if assessment.kind != Assessment.Kind.EXAM:
        raise errors.WrongKind(_("Only an exam has a review."))
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        raise ReviewRefused(_("The review must end after it starts."), code="window_invalid")
    with transaction.atomic():
        locked = services._lock_assessment(assessment.pk, shared=False)
        if locked.results_published_at is None:
            raise errors.NotPublished(
                _("Publish the results first; the review comes after the publication.")
            )
        window, _created = ExamReviewWindow.objects.update_or_create(
            assessment=locked,
            defaults={"opens_at": opens_at, "closes_at": closes_at, "set_by": actor_or_none(by)},
        )
        ReviewEvent.objects.create(
            assessment=locked,
            action=ReviewEvent.Action.WINDOW,
            detail=f"{opens_at.isoformat()} - {closes_at.isoformat()}",
            by=actor_or_none(by),
        )
    return window


# -- students: the request -------------------------------------------------------------------


@translate_db_errors(error=errors.Busy)
def request_review(
    *, participation: Participation, task_ids: Iterable[int], comment: str, by, now=None
) -> ReviewRequest:
    """The candidate asks for a re-check of these problems. Refuses ``ReviewClosed`` (outside
    the window or not published), ``ReviewRefused`` (``problems_missing``, ``comment_missing``,
    ``not_reviewable``: no points to re-check, ``request_open``: one is open already) and
    ``TaskNotInAssessment``. Nothing is written on a refusal."""
    wanted = sorted({int(pk) for pk in task_ids})
    text = (comment or "").strip()
    if not wanted:
        raise ReviewRefused(_("Choose at least one problem."), code="problems_missing")
    if not text:
        raise ReviewRefused(
            _("Please say what should be re-checked and why."), code="comment_missing"
        )
    with transaction.atomic():
        assessment = services._lock_assessment(participation.assessment_id, shared=True)
        window = window_of(assessment)
        if assessment.results_published_at is None or not is_open(window, now=now):
            raise _closed(window)
        rows = lock_rows(Participation, [participation.pk])
        if not rows:
            raise errors.AssessmentError(_("This participation no longer exists."))
        row = rows[0]
        if row.status != Participation.Status.REVIEWED:
            raise ReviewRefused(
                _("There are no points to re-check for you in this exam."), code="not_reviewable"
            )
        tasks = {t.pk: t for t in Task.objects.filter(assessment_id=assessment.pk, pk__in=wanted)}
        if len(tasks) != len(wanted):
            raise errors.TaskNotInAssessment()
        if ReviewRequest.objects.filter(
            participation=row, status=ReviewRequest.Status.OPEN
        ).exists():
            raise _already_open()
        points = {
            tp.task_id: tp
            for tp in TaskPoint.objects.filter(
                participation=row, task_id__in=wanted
            ).select_related("grader")
        }
        try:
            with transaction.atomic():
                request = ReviewRequest.objects.create(
                    assessment=assessment, participation=row, user_id=row.user_id, comment=text
                )
        except IntegrityError:
            raise _already_open() from None
        items = ReviewItem.objects.bulk_create(
            [
                ReviewItem(
                    request=request,
                    task=tasks[pk],
                    points_before=points[pk].points if pk in points else None,
                    corrector=_routed(points.get(pk)),
                )
                for pk in wanted
            ]
        )
        ReviewEvent.objects.create(
            assessment=assessment,
            request=request,
            action=ReviewEvent.Action.REQUESTED,
            detail=(
                "problems "
                + ", ".join(str(tasks[pk].position) for pk in wanted)
                + " -> "
                + ", ".join(str(i.corrector_id or "staff") for i in items)
            )[:300],
            by=actor_or_none(by),
        )
    return request


def _routed(point: TaskPoint | None):
    """The corrector who graded the problem, if that account is still active; else staff."""
    if point is None or point.grader is None or not point.grader.is_active:
        return None
    return point.grader


def _closed(window: ExamReviewWindow | None) -> ReviewClosed:
    if window is None:
        return ReviewClosed(_("There is no review for this exam."))
    return ReviewClosed(
        _("Re-check requests are possible from %(start)s until %(end)s only.")
        % {"start": _when(window.opens_at), "end": _when(window.closes_at)}
    )


def _already_open() -> ReviewRefused:
    return ReviewRefused(
        _("You already have an open request for this exam; wait for its answer."),
        code="request_open",
    )


# -- correctors: answers -----------------------------------------------------------------------


def can_answer(user, item: ReviewItem, assessment: Assessment) -> bool:
    """The routed corrector and the lecture's staff."""
    if permissions.can_manage_assessment(user, assessment):
        return True
    return bool(
        user.is_authenticated
        and user.is_active
        and item.corrector_id is not None
        and item.corrector_id == user.pk
    )


@translate_db_errors(error=errors.Busy)
def answer_item(
    *, item: ReviewItem, answer: str, by, points: Decimal | str | None = None
) -> ReviewItem:
    """Answer one problem of a request: keep the points (``points`` ``None``) or change them,
    always with a text. Refuses ``ReviewRefused`` (``answer_missing``, ``already_answered``)
    and every refusal of ``exams.enter_exam_points``; nothing changes on a refusal. The last
    answer of a request closes it and mails the student once."""
    text = (answer or "").strip()
    if not text:
        raise ReviewRefused(_("Please write an answer."), code="answer_missing")
    new_points = None if points in (None, "") else services.clean_points(points)
    with transaction.atomic():
        # Lock order as everywhere in grading: the assessment (shared), then the request, then
        # (inside enter_exam_points) the roster entry and the participation.
        services._lock_assessment(item.request.assessment_id, shared=True)
        request = lock_rows(ReviewRequest, [item.request_id])[0]
        locked = ReviewItem.objects.select_related("task").get(pk=item.pk)
        if locked.answered_at is not None:
            raise ReviewRefused(_("This problem was answered already."), code="already_answered")
        participation = Participation.objects.select_related("assessment").get(
            pk=request.participation_id
        )
        current = (
            TaskPoint.objects.filter(participation=participation, task=locked.task)
            .values_list("points", flat=True)
            .first()
        )
        changed = new_points is not None and new_points != current
        if changed:
            exams.enter_exam_points(
                participation=participation,
                points={locked.task: new_points},
                by=by,
                reason=f"exam review #{request.pk}",
            )
        now = timezone.now()
        locked.answer = text
        locked.points_after = new_points if changed else current
        locked.answered_by = actor_or_none(by)
        locked.answered_at = now
        locked.save(update_fields=["answer", "points_after", "answered_by", "answered_at"])
        ReviewEvent.objects.create(
            assessment_id=request.assessment_id,
            request=request,
            item=locked,
            action=ReviewEvent.Action.ANSWERED,
            detail=(
                f"problem {locked.task.position}: {current} -> {locked.points_after}"
                + (" (changed)" if changed else " (unchanged)")
            )[:300],
            by=actor_or_none(by),
        )
        if not ReviewItem.objects.filter(request=request, answered_at__isnull=True).exists():
            request.status = ReviewRequest.Status.ANSWERED
            request.answered_at = now
            request.save(update_fields=["status", "answered_at"])
            notify_users(
                users=[participation.user],
                subject=gettext_noop("Your exam re-check request has been answered"),
                body=gettext_noop(
                    "Hello %(name)s,\n\nyour request to re-check “%(exam)s” has been answered. "
                    "The answers and your points are on your review page."
                ),
                path=reverse("assessment:review_student", args=[request.assessment_id]),
                params={"exam": participation.assessment.title},
            )
    return locked


# -- reads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemLine:
    task: Task
    points: Decimal | None


def student_problems(*, participation: Participation) -> list[ProblemLine]:
    """The exam's problems with the student's points; two queries."""
    points = dict(
        TaskPoint.objects.filter(participation=participation).values_list("task_id", "points")
    )
    return [
        ProblemLine(task=t, points=points.get(t.pk))
        for t in Task.objects.filter(assessment_id=participation.assessment_id).order_by("position")
    ]


def student_requests(*, participation: Participation) -> list[ReviewRequest]:
    """The student's requests with their items (newest first); two queries."""
    return list(
        ReviewRequest.objects.filter(participation=participation)
        .prefetch_related("items__task")
        .order_by("-created_at", "-pk")
    )


def queue(*, assessment: Assessment, user, manages: bool) -> list[ReviewItem]:
    """Open items of this exam the user may answer (routed to them; staff: all); one query."""
    rows = ReviewItem.objects.filter(
        request__assessment_id=assessment.pk, answered_at__isnull=True
    ).select_related("task", "request", "request__user", "corrector")
    if not manages:
        rows = rows.filter(corrector_id=user.pk)
    return list(rows.order_by("request__created_at", "request_id", "task__position"))
