"""Coursework pages: staff (assessments of a lecture, settings and tasks, overview,
publication), tutor ("my tutorials' sheets"), student ("my results"), and the audit page of
one participation.

Thin: 404 -> permission -> form -> one service call -> message -> redirect. Staff pages are for
the lecture's teacher, editors and site staff (``can_manage_assessment``); publishing one
tutorial's results also for its tutors (``can_grade``); the history of a participation for
whoever may grade it. A student sees only their own, published results.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import errors, pages, selectors, selectors_exams, selectors_pages, services
from assessment.forms_pages import AssessmentForm, ConfirmForm, TaskForm
from assessment.models import Assessment, Participation, Task
from mampf import permissions
from mampf.models import Lecture, Tutorial
from mampf.selectors import is_valid_id, lecture_or_404

REFUSALS = (errors.AssessmentError, errors.Busy)


# -- access -----------------------------------------------------------------------------------


def _lecture(lecture_id: int) -> Lecture:
    return lecture_or_404(lecture_id)


def _managed_lecture(request, lecture_id: int) -> Lecture:
    lecture = _lecture(lecture_id)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


def _assessment(assessment_id: int) -> Assessment:
    if not is_valid_id(assessment_id):
        raise Http404
    try:
        return selectors.assessment_for_grading(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc


def _managed_assessment(request, assessment_id: int) -> Assessment:
    assessment = _assessment(assessment_id)
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    return assessment


def _task(assessment: Assessment, task_id: int) -> Task:
    task = (
        Task.objects.filter(pk=task_id, assessment=assessment).first()
        if is_valid_id(task_id)
        else None
    )
    if task is None:
        raise Http404
    return task


def _problems(form) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def _edit_url(assessment: Assessment) -> str:
    return reverse("assessment:pages_assessment_edit", args=[assessment.pk])


def _overview_url(assessment: Assessment) -> str:
    return reverse("assessment:pages_assessment_overview", args=[assessment.pk])


# -- staff ------------------------------------------------------------------------------------


@login_required
@require_GET
def lecture_assessments(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    rows = selectors_pages.lecture_assessments(lecture=lecture)
    exam_rows = selectors_exams.lecture_exam_gradings(lecture=lecture)
    return render(
        request,
        "assessment/pages/lecture_assessments.html",
        {"lecture": lecture, "rows": rows, "exam_rows": exam_rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_create(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    form = AssessmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = pages.create_assessment(
                lecture=lecture, by=request.user, **form.settings()
            )
        except REFUSALS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The assignment was created. Now add its tasks."))
            return redirect(_edit_url(assessment))
    return render(
        request, "assessment/pages/assessment_form.html", {"lecture": lecture, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_edit(request, assessment_id: int):
    assessment = _managed_assessment(request, assessment_id)
    if request.method == "POST":
        form = AssessmentForm(request.POST, kind=assessment.kind)
        if form.is_valid():
            try:
                pages.update_assessment(assessment=assessment, by=request.user, **form.settings())
            except REFUSALS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The settings were saved."))
                return redirect(_edit_url(assessment))
    else:
        form = AssessmentForm(
            kind=assessment.kind,
            initial={
                "title": assessment.title,
                "deadline": assessment.deadline,
                "grace_minutes": assessment.grace_minutes,
                "submission_required": assessment.submission_required,
                "max_team_size": assessment.max_team_size,
            },
        )
    return render(
        request,
        "assessment/pages/assessment_form.html",
        {
            "lecture": assessment.lecture,
            "assessment": assessment,
            "form": form,
            "tasks": list(assessment.tasks.order_by("position")),
            "task_form": TaskForm(),
        },
    )


@login_required
@require_POST
def task_add(request, assessment_id: int):
    assessment = _managed_assessment(request, assessment_id)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _problems(form))
        return redirect(_edit_url(assessment))
    try:
        services.add_task(
            assessment=assessment,
            max_points=form.cleaned_data["max_points"],
            title=form.cleaned_data["title"],
            by=request.user,
        )
    except REFUSALS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The task was added."))
    return redirect(_edit_url(assessment))


@login_required
@require_POST
def task_edit(request, assessment_id: int, task_id: int):
    assessment = _managed_assessment(request, assessment_id)
    task = _task(assessment, task_id)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _problems(form))
        return redirect(_edit_url(assessment))
    try:
        pages.update_task(
            task=task,
            title=form.cleaned_data["title"] if "title" in request.POST else None,
            max_points=form.cleaned_data["max_points"],
            by=request.user,
        )
    except REFUSALS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The task was saved."))
    return redirect(_edit_url(assessment))


@login_required
@require_POST
def task_delete(request, assessment_id: int, task_id: int):
    assessment = _managed_assessment(request, assessment_id)
    task = _task(assessment, task_id)
    try:
        services.delete_task(task=task, by=request.user)
    except REFUSALS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The task was deleted."))
    return redirect(_edit_url(assessment))


@login_required
@require_GET
def assessment_overview(request, assessment_id: int):
    assessment = _managed_assessment(request, assessment_id)
    overview = selectors_pages.assessment_overview(assessment=assessment)
    return render(
        request,
        "assessment/pages/assessment_overview.html",
        {"assessment": assessment, "lecture": assessment.lecture, **overview},
    )


# -- publication ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def publication(request, assessment_id: int, action: str, tutorial_id: int | None = None):
    """Publish or withdraw (``action``) one tutorial's results (tutor or staff) or the whole
    assessment's (staff), after a confirm step."""
    assessment = _assessment(assessment_id)
    tutorial = None
    if tutorial_id is not None:
        if not is_valid_id(tutorial_id):
            raise Http404
        try:
            tutorial = selectors.tutorial_of_lecture(
                tutorial_id=tutorial_id, lecture_id=assessment.lecture_id
            )
        except Tutorial.DoesNotExist as exc:
            raise Http404 from exc
        permissions.require(permissions.can_grade(request.user, tutorial))
    else:
        permissions.require(permissions.can_manage_assessment(request.user, assessment))
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            if action == "publish":
                services.publish_results(assessment=assessment, tutorial=tutorial, by=request.user)
            else:
                services.withdraw_results(assessment=assessment, tutorial=tutorial, by=request.user)
        except REFUSALS as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("The results were published; the students get an e-mail.")
                if action == "publish"
                else _("The results were withdrawn."),
            )
        if tutorial is not None:
            return redirect("assessment:grading_table", assessment.pk, tutorial.pk)
        return redirect(_overview_url(assessment))
    return render(
        request,
        "assessment/pages/publication_confirm.html",
        {"assessment": assessment, "tutorial": tutorial, "action": action, "form": form},
    )


# -- tutor ------------------------------------------------------------------------------------


@login_required
@require_GET
def my_sheets(request):
    exams = selectors_exams.exams_to_correct(user=request.user)
    permissions.require(bool(exams) or permissions.tutors_any_group(request.user))
    sheets = selectors_pages.tutor_sheets(user=request.user)
    return render(request, "assessment/pages/my_sheets.html", {"sheets": sheets, "exams": exams})


# -- student ----------------------------------------------------------------------------------


@login_required
@require_GET
def results_index(request):
    lectures = list(selectors_pages.my_result_lectures(user=request.user))
    hand_in = selectors_pages.assignments_to_hand_in(user=request.user)
    return render(
        request, "assessment/pages/results_index.html", {"lectures": lectures, "hand_in": hand_in}
    )


@login_required
@require_GET
def my_results(request, lecture_id: int):
    lecture = _lecture(lecture_id)
    results = selectors_pages.my_results(user=request.user, lecture_id=lecture.pk)
    return render(
        request, "assessment/pages/my_results.html", {"lecture": lecture, "results": results}
    )


# -- audit ------------------------------------------------------------------------------------


@login_required
@require_GET
def history(request, participation_id: int):
    if not is_valid_id(participation_id):
        raise Http404
    try:
        participation = selectors_pages.participation_for_history(participation_id=participation_id)
    except Participation.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_grade_participation(request.user, participation))
    changes = selectors.participation_history(participation=participation)
    return render(
        request,
        "assessment/pages/history.html",
        {
            "participation": participation,
            "assessment": participation.assessment,
            "changes": changes,
        },
    )
