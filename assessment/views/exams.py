"""Exam grading pages (issue 10 item 1). Thin: 404 -> permission -> form -> service -> message.

- the lecture's staff (``can_manage_assessment``) create an exam's grading once its
  registration is completed, name correctors and add late candidates;
- correctors and staff (``mampf.permissions.can_correct_exam``) enter points: the entry table
  (a row per candidate, a cell per problem, absent/exempt, paged and searchable) and the
  per-problem mode (one problem, one cell per candidate). Tutors who do not correct this exam,
  students, other lectures' teachers get a 403; unknown ids and other assessments' rows a 404.

Every row of the entry table is its own form (the cells join it through ``form=``): without
JavaScript a save posts and redirects back to the row; with htmx only that row is swapped,
showing a refusal (such as "changed meanwhile" with the current values) inside it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import errors, exams, selectors_exams
from assessment.forms import MarkForm, PointsForm
from assessment.forms_exams import (
    CorrectorForm,
    CreateExamGradingForm,
    ProblemForm,
    RemoveCorrectorForm,
)
from assessment.models import Assessment, Participation, Task
from mampf import permissions
from mampf.errors import DomainError
from mampf.models import Exam, Lecture
from mampf.selectors import is_valid_id

ROW_TEMPLATE = "assessment/exams/_row.html"


# -- access -------------------------------------------------------------------------------------


def _exam_assessment(assessment_id: int) -> Assessment:
    if not is_valid_id(assessment_id):
        raise Http404
    try:
        return selectors_exams.exam_assessment(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc


def _correctable(request, assessment_id: int) -> Assessment:
    assessment = _exam_assessment(assessment_id)
    permissions.require(permissions.can_correct_exam(request.user, assessment))
    return assessment


def _managed(request, assessment_id: int) -> Assessment:
    assessment = _exam_assessment(assessment_id)
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    return assessment


def _participation(assessment: Assessment, participation_id: int) -> Participation:
    row = (
        Participation.objects.filter(pk=participation_id, assessment=assessment)
        .select_related("assessment", "user")
        .first()
        if is_valid_id(participation_id)
        else None
    )
    if row is None:
        raise Http404
    return row


def _problems(form) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def _filters(data) -> dict:
    query, status, page = selectors_exams.clean_filters(
        query=data.get("q", ""), status=data.get("status", ""), page=data.get("page", 1)
    )
    return {"q": query, "status": status, "page": page}


def _with_filters(url: str, filters: dict, anchor: str = "") -> str:
    params = {k: v for k, v in filters.items() if v and not (k == "page" and v == 1)}
    if params:
        url = f"{url}?{urlencode(params)}"
    return f"{url}#{anchor}" if anchor else url


def _overview_url(assessment: Assessment) -> str:
    return reverse("assessment:exams_overview", args=[assessment.pk])


def _table_url(assessment: Assessment) -> str:
    return reverse("assessment:exams_table", args=[assessment.pk])


# -- staff: create, correctors, late candidates --------------------------------------------------


@login_required
@require_POST
def create(request, lecture_id: int):
    """Create the grading of one of the lecture's exams (its registration must be completed)."""
    if not is_valid_id(lecture_id):
        raise Http404
    lecture = Lecture.objects.filter(pk=lecture_id).first()
    if lecture is None:
        raise Http404
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    back = reverse("assessment:pages_lecture_assessments", args=[lecture.pk])
    form = CreateExamGradingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the lecture's exams."))
        return redirect(back)
    exam = Exam.objects.filter(pk=form.cleaned_data["exam"], lecture=lecture).first()
    if exam is None:
        raise Http404
    try:
        assessment = exams.create_exam_assessment(exam=exam, by=request.user)
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(
        request,
        _("The grading of “%(title)s” was created with a row for every candidate. Now add its "
          "problems and correctors.") % {"title": exam.title},
    )
    return redirect(_overview_url(assessment))


@login_required
@require_GET
def overview(request, assessment_id: int):
    assessment = _correctable(request, assessment_id)
    manages = permissions.can_manage_assessment(request.user, assessment)
    return render(
        request,
        "assessment/exams/overview.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "overview": selectors_exams.exam_overview(assessment=assessment),
            "manages": manages,
            "corrector_form": CorrectorForm() if manages else None,
        },
    )


@login_required
@require_POST
def corrector_add(request, assessment_id: int):
    assessment = _managed(request, assessment_id)
    if request.POST.get("all_tutors"):
        try:
            count = exams.add_lecture_tutors(assessment=assessment, by=request.user)
        except (errors.AssessmentError, errors.Busy) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Correctors added: %(count)d.") % {"count": count})
        return redirect(_overview_url(assessment))
    form = CorrectorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _problems(form))
        return redirect(_overview_url(assessment))
    try:
        user = exams.add_corrector(
            assessment=assessment, email=form.cleaned_data["email"], by=request.user
        )
    except (DomainError, errors.Busy) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s now corrects this exam.") % {"name": user.name})
    return redirect(_overview_url(assessment))


@login_required
@require_POST
def corrector_remove(request, assessment_id: int):
    assessment = _managed(request, assessment_id)
    form = RemoveCorrectorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a corrector of this exam."))
        return redirect(_overview_url(assessment))
    try:
        exams.remove_corrector(
            assessment=assessment, user_id=form.cleaned_data["user"], by=request.user
        )
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The corrector was removed."))
    return redirect(_overview_url(assessment))


@login_required
@require_POST
def seed(request, assessment_id: int):
    """Give candidates added to the exam roster later their (pending) rows now."""
    assessment = _managed(request, assessment_id)
    try:
        created = exams.seed_exam(assessment=assessment)
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Rows created: %(count)d.") % {"count": created})
    return redirect(_overview_url(assessment))


# -- correctors: the entry table -------------------------------------------------------------


@login_required
@require_GET
def table(request, assessment_id: int):
    assessment = _correctable(request, assessment_id)
    filters = _filters(request.GET)
    sheet = selectors_exams.entry_page(
        assessment=assessment, query=filters["q"], status=filters["status"], page=filters["page"]
    )
    return render(
        request,
        "assessment/exams/table.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "sheet": sheet,
            "filters": filters,
            "status_choices": _status_choices(),
        },
    )


def _status_choices():
    return [(value, label) for value, label in Participation.Status.choices]


def _row_response(request, assessment, participation_id, filters, *, message="", error=False,
                  cells=None):
    sheet = selectors_exams.entry_page(assessment=assessment, only=participation_id)
    if not sheet.rows:
        return HttpResponse(status=204)
    row = sheet.rows[0]
    return render(
        request,
        ROW_TEMPLATE,
        {
            "sheet": sheet,
            "row": row,
            "cells": cells if cells is not None else row.cells,
            "filters": filters,
            "row_message": message,
            "row_error": error,
        },
    )


@login_required
@require_POST
def row_save(request, assessment_id: int, participation_id: int):
    assessment = _correctable(request, assessment_id)
    participation = _participation(assessment, participation_id)
    filters = _filters(request.POST)
    back = _with_filters(_table_url(assessment), filters, f"row-p{participation.pk}")
    form = PointsForm(
        request.POST, tasks=list(assessment.tasks.all()), participation_ids=[participation.pk]
    )
    if not form.is_valid():
        problems = _problems(form)
        if request.htmx:
            cells = [
                selectors_exams.Cell(task, request.POST.get(f"task_{task.pk}", ""))
                for task in form.tasks
            ]
            return _row_response(request, assessment, participation.pk, filters,
                                 message=problems, error=True, cells=cells)
        messages.error(request, problems)
        return redirect(back)
    try:
        exams.enter_exam_points(
            participation=participation,
            points=form.points(),
            by=request.user,
            expected_version=form.versions().get(participation.pk),
        )
    except (errors.AssessmentError, errors.Busy) as exc:
        if request.htmx:
            return _row_response(request, assessment, participation.pk, filters,
                                 message=str(exc), error=True)
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return _row_response(request, assessment, participation.pk, filters,
                                 message=_("Saved."))
        messages.success(request, _("The points were saved."))
    return redirect(back)


@login_required
@require_POST
def row_mark(request, assessment_id: int, participation_id: int):
    assessment = _correctable(request, assessment_id)
    participation = _participation(assessment, participation_id)
    filters = _filters(request.POST)
    back = _with_filters(_table_url(assessment), filters, f"row-p{participation.pk}")
    data = request.POST.copy()
    exempt_reason = None
    if data.get("mark") in Participation.ExemptReason.values and data.get("mark"):
        # "Medical certificate" and "Withdrawn" are exempt marks with a reason (item 8).
        exempt_reason, data["mark"] = data["mark"], MarkForm.EXEMPT
    elif data.get("mark") == MarkForm.EXEMPT:
        exempt_reason = ""
    form = MarkForm(data)
    if not form.is_valid():
        messages.error(request, _problems(form))
        return redirect(back)
    try:
        exams.mark_candidate(
            participation=participation,
            mark=form.cleaned_data["mark"],
            note=form.cleaned_data["note"],
            by=request.user,
            expected_version=form.cleaned_data["version"],
            exempt_reason=exempt_reason,
        )
    except (errors.AssessmentError, errors.Busy) as exc:
        if request.htmx:
            return _row_response(request, assessment, participation.pk, filters,
                                 message=str(exc), error=True)
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return _row_response(request, assessment, participation.pk, filters,
                                 message=_("Saved."))
        messages.success(request, _("The status was changed."))
    return redirect(back)


# -- correctors: one problem for all candidates ----------------------------------------------


def _posted_rows(assessment: Assessment, data) -> dict[int, Participation]:
    """The participations whose cells were sent (at most a page of them); a row of another
    assessment is a 404. Whatever the page shows now, the cells sent are the ones saved."""
    ids = set()
    for name in data:
        raw = name[2:]
        if name.startswith("p_") and raw.isascii() and raw.isdigit() and len(raw) <= 18:
            ids.add(int(raw))
    if len(ids) > selectors_exams.PAGE_SIZE:
        raise Http404
    rows = {
        p.pk: p
        for p in Participation.objects.filter(assessment=assessment, pk__in=ids).select_related(
            "assessment"
        )
    }
    if len(rows) != len(ids):
        raise Http404
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def problem(request, assessment_id: int, task_id: int):
    assessment = _correctable(request, assessment_id)
    if not is_valid_id(task_id):
        raise Http404
    try:
        task = selectors_exams.problem_task(assessment=assessment, task_id=task_id)
    except Task.DoesNotExist as exc:
        raise Http404 from exc
    data = request.POST if request.method == "POST" else request.GET
    filters = _filters(data)
    sheet = selectors_exams.entry_page(
        assessment=assessment,
        query=filters["q"],
        status=filters["status"],
        page=filters["page"],
        task=task,
    )
    url = reverse("assessment:exams_problem", args=[assessment.pk, task.pk])
    refused: dict[int, str] = {}
    rejected_values: dict[int, str] = {}
    if request.method == "POST":
        by_pk = _posted_rows(assessment, request.POST)
        form = ProblemForm(request.POST, task=task, participation_ids=list(by_pk))
        if not form.is_valid():
            messages.error(request, _problems(form) or _("Please check the points."))
            rejected_values = {pk: request.POST.get(f"p_{pk}", "") for pk in by_pk}
            for pk in by_pk:
                if f"p_{pk}" in form.errors:
                    refused[pk] = " ".join(str(e) for e in form.errors[f"p_{pk}"])
        else:
            changes = form.changes()
            outcome = exams.enter_problem_points(
                assessment=assessment,
                task=task,
                entries=[(by_pk[pk], value, version) for pk, (value, version) in changes.items()],
                by=request.user,
            )
            if not outcome.refused:
                messages.success(
                    request,
                    _("Points saved for %(count)d candidates.") % {"count": len(outcome.saved)},
                )
                return redirect(_with_filters(url, filters))
            for participation, exc in outcome.refused:
                refused[participation.pk] = str(exc)
            messages.error(
                request,
                _("Saved for %(saved)d candidates; %(refused)d were refused (marked below, "
                  "showing the current values).")
                % {"saved": len(outcome.saved), "refused": len(outcome.refused)},
            )
            sheet = selectors_exams.entry_page(
                assessment=assessment,
                query=filters["q"],
                status=filters["status"],
                page=filters["page"],
                task=task,
            )
    lines = [
        {
            "row": row,
            "value": rejected_values.get(
                row.participation.pk,
                "" if row.cells[0].value is None else row.cells[0].value,
            ),
            "error": refused.get(row.participation.pk, ""),
        }
        for row in sheet.rows
    ]
    return render(
        request,
        "assessment/exams/problem.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "task": task,
            "sheet": sheet,
            "filters": filters,
            "lines": lines,
            "progress": selectors_exams.problem_progress(assessment=assessment, task=task),
            "status_choices": _status_choices(),
        },
        status=422 if refused else 200,
    )


# -- a corrector's exams ------------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    gradings = selectors_exams.exams_to_correct(user=request.user)
    permissions.require(bool(gradings))
    return render(request, "assessment/exams/mine.html", {"gradings": gradings})
