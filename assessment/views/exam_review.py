"""Exam review pages (issue 10 item 7). Thin: 404 -> permission -> form -> service -> message.

- ``review_student``: a candidate's own page (their participation in a published exam; anyone
  else 404): the window, the problems with their points, the request form while the window is
  open and no request is open, and their requests with the answers;
- ``review_queue``: open items for the user: the problems they graded (correctors) or all of
  the exam (the lecture's staff, who also set the window there); others 403;
- ``review_answer``: one answer; the routed corrector or staff, others 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assessment import errors, exam_review, selectors_exams
from assessment.forms_exam_review import AnswerForm, RequestForm, WindowForm
from assessment.models import Assessment, Participation, ReviewItem
from mampf import permissions
from mampf.selectors import is_valid_id


def _exam(assessment_id: int) -> Assessment:
    if not is_valid_id(assessment_id):
        raise Http404
    try:
        return selectors_exams.exam_assessment(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc


def _queue_url(assessment: Assessment) -> str:
    return reverse("assessment:review_queue", args=[assessment.pk])


def _may_see_queue(user, assessment: Assessment) -> bool:
    return permissions.can_correct_exam(user, assessment) or bool(
        user.is_authenticated
        and ReviewItem.objects.filter(
            request__assessment_id=assessment.pk, corrector_id=user.pk
        ).exists()
    )


# -- students ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def student(request, assessment_id: int):
    assessment = _exam(assessment_id)
    participation = Participation.objects.filter(assessment=assessment, user=request.user).first()
    if participation is None or assessment.results_published_at is None:
        raise Http404
    participation.assessment = assessment
    problems = exam_review.student_problems(participation=participation)
    task_ids = [line.task.pk for line in problems]
    form = RequestForm(request.POST or None, task_ids=task_ids)
    if request.method == "POST":
        if form.is_valid():
            try:
                exam_review.request_review(
                    participation=participation,
                    task_ids=form.cleaned_data["task"],
                    comment=form.cleaned_data["comment"],
                    by=request.user,
                )
            except (errors.AssessmentError, errors.Busy) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("Your request was sent to the correctors of these problems.")
                )
                return redirect(request.path)
        else:
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    requests = exam_review.student_requests(participation=participation)
    window = exam_review.window_of(assessment)
    open_request = any(r.status == "open" for r in requests)
    return render(
        request,
        "assessment/exams/review_student.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "participation": participation,
            "problems": problems,
            "form": form,
            "window": window,
            "window_open": exam_review.is_open(window),
            "open_request": open_request,
            "requests": requests,
            "chosen": {str(v) for v in request.POST.getlist("task")},
        },
        status=422 if request.method == "POST" else 200,
    )


# -- correctors and staff --------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def queue(request, assessment_id: int):
    assessment = _exam(assessment_id)
    permissions.require(_may_see_queue(request.user, assessment))
    manages = permissions.can_manage_assessment(request.user, assessment)
    window = exam_review.window_of(assessment)
    items = exam_review.queue(assessment=assessment, user=request.user, manages=manages)
    return render(
        request,
        "assessment/exams/review_queue.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "manages": manages,
            "window": window,
            "window_form": WindowForm(
                initial={"opens_at": window.opens_at, "closes_at": window.closes_at}
                if window
                else None
            )
            if manages
            else None,
            "items": items,
        },
    )


@login_required
@require_POST
def window(request, assessment_id: int):
    assessment = _exam(assessment_id)
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    form = WindowForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(_queue_url(assessment))
    try:
        exam_review.set_window(
            assessment=assessment,
            opens_at=form.cleaned_data["opens_at"],
            closes_at=form.cleaned_data["closes_at"],
            by=request.user,
        )
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The review window was saved."))
    return redirect(_queue_url(assessment))


@login_required
@require_POST
def answer(request, assessment_id: int, item_id: int):
    assessment = _exam(assessment_id)
    item = (
        ReviewItem.objects.filter(pk=item_id, request__assessment=assessment)
        .select_related("request", "task")
        .first()
        if is_valid_id(item_id)
        else None
    )
    if item is None:
        raise Http404
    permissions.require(exam_review.can_answer(request.user, item, assessment))
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(_queue_url(assessment))
    try:
        exam_review.answer_item(
            item=item,
            answer=form.cleaned_data["answer"],
            points=form.cleaned_data["points"],
            by=request.user,
        )
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The answer was saved."))
    return redirect(_queue_url(assessment))
