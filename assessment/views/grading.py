"""Grading pages. Thin: 404 -> permission -> form -> one service call -> message -> redirect.

Tutors grade their own tutorials, the lecture's teacher, editors and site staff every tutorial
of it (``mampf.permissions.can_grade``); everyone else gets a 403, unknown ids and rows of
another tutorial a 404. Each row of the grading table is its own form: without JavaScript a
save posts and redirects back to the row; with htmx it swaps just that row, showing the
refusal (for example "changed meanwhile" with the current values) inside it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assessment import errors, selectors, services
from assessment.forms import MarkForm, PointsForm
from assessment.models import Assessment, Participation, Submission
from mampf import permissions
from mampf.models import Tutorial
from mampf.selectors import is_valid_id
from rosters.selectors import roster_user_ids

ROW_TEMPLATE = "assessment/_grading_row.html"


# -- access -------------------------------------------------------------------------------------


def _gradable(request, assessment_id: int, tutorial_id: int) -> tuple[Assessment, Tutorial]:
    if not (is_valid_id(assessment_id) and is_valid_id(tutorial_id)):
        raise Http404
    try:
        assessment = selectors.assessment_for_grading(assessment_id=assessment_id)
        tutorial = selectors.tutorial_of_lecture(
            tutorial_id=tutorial_id, lecture_id=assessment.lecture_id
        )
    except (Assessment.DoesNotExist, Tutorial.DoesNotExist) as exc:
        raise Http404 from exc
    permissions.require(permissions.can_grade(request.user, tutorial))
    if assessment.kind != Assessment.Kind.ASSIGNMENT:
        # Talks are graded with a grade, exams by their correctors (assessment.views.exams).
        raise Http404
    return assessment, tutorial


def _row_target(assessment: Assessment, tutorial: Tutorial, key: str):
    """The participation or submission behind a row key, if it belongs to this table."""
    kind, raw = key[:1], key[1:]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not is_valid_id(int(raw)):
        raise Http404
    pk = int(raw)
    if kind == "p":
        row = Participation.objects.filter(pk=pk, assessment=assessment, tutorial=tutorial).first()
    elif kind == "s":
        row = (
            Submission.objects.filter(
                pk=pk,
                assessment=assessment,
                memberships__user__participations__assessment=assessment,
                memberships__user__participations__tutorial=tutorial,
            )
            .distinct()
            .first()
        )
    else:
        row = None
    if row is None:
        raise Http404
    return row


def _table_url(assessment: Assessment, tutorial: Tutorial, key: str = "") -> str:
    url = reverse("assessment:grading_table", args=[assessment.pk, tutorial.pk])
    return f"{url}#row-{key}" if key else url


def _row_response(request, assessment, tutorial, key, *, message="", error=False, cells=None):
    """htmx: the one row again, fresh from the database (or with the rejected input)."""
    sheet = selectors.grading_sheet(assessment=assessment, tutorial=tutorial, only={key})
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
            "row_message": message,
            "row_error": error,
        },
    )


# -- pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def grading_table(request, assessment_id: int, tutorial_id: int):
    assessment, tutorial = _gradable(request, assessment_id, tutorial_id)
    sheet = selectors.grading_sheet(assessment=assessment, tutorial=tutorial)
    return render(
        request,
        "assessment/grading_table.html",
        {"sheet": sheet, "assessment": assessment, "tutorial": tutorial},
    )


@login_required
@require_POST
def grade_row(request, assessment_id: int, tutorial_id: int, key: str):
    assessment, tutorial = _gradable(request, assessment_id, tutorial_id)
    target = _row_target(assessment, tutorial, key)
    if isinstance(target, Submission):
        ids = list(
            Participation.objects.filter(
                assessment=assessment, user__submission_memberships__submission=target
            ).values_list("pk", flat=True)
        )
    else:
        ids = [target.pk]
    form = PointsForm(request.POST, tasks=list(assessment.tasks.all()), participation_ids=ids)
    if not form.is_valid():
        problems = " ".join(str(e) for errs in form.errors.values() for e in errs)
        if request.htmx:
            cells = [
                selectors.Cell(task, request.POST.get(f"task_{task.pk}", "")) for task in form.tasks
            ]
            return _row_response(
                request, assessment, tutorial, key, message=problems, error=True, cells=cells
            )
        messages.error(request, problems)
        return redirect(_table_url(assessment, tutorial, key))
    try:
        if isinstance(target, Submission):
            services.grade_submission(
                submission=target,
                points=form.points(),
                by=request.user,
                expected_versions=form.versions(),
            )
        else:
            services.enter_points(
                participation=target,
                points=form.points(),
                by=request.user,
                expected_version=form.versions().get(target.pk),
            )
    except (errors.AssessmentError, errors.Busy) as exc:
        if request.htmx:
            return _row_response(request, assessment, tutorial, key, message=str(exc), error=True)
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return _row_response(request, assessment, tutorial, key, message=_("Saved."))
        messages.success(request, _("The points were saved."))
    return redirect(_table_url(assessment, tutorial, key))


@login_required
@require_POST
def mark_row(request, assessment_id: int, tutorial_id: int, participation_id: int):
    assessment, tutorial = _gradable(request, assessment_id, tutorial_id)
    key = f"p{participation_id}"
    participation = _row_target(assessment, tutorial, key)
    form = MarkForm(request.POST)
    if not form.is_valid():
        problems = " ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, problems)
        return redirect(_table_url(assessment, tutorial, key))
    mark, version = form.cleaned_data["mark"], form.cleaned_data["version"]
    try:
        if mark == MarkForm.ABSENT:
            services.mark_absent(
                participation=participation, by=request.user, expected_version=version
            )
        elif mark == MarkForm.EXEMPT:
            services.mark_exempt(
                participation=participation,
                by=request.user,
                note=form.cleaned_data["note"],
                expected_version=version,
            )
        else:
            services.clear_mark(
                participation=participation, by=request.user, expected_version=version
            )
    except (errors.AssessmentError, errors.Busy) as exc:
        if request.htmx:
            return _row_response(request, assessment, tutorial, key, message=str(exc), error=True)
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return _row_response(request, assessment, tutorial, key, message=_("Saved."))
        messages.success(request, _("The status was changed."))
    return redirect(_table_url(assessment, tutorial, key))


@login_required
@require_POST
def create_rows(request, assessment_id: int, tutorial_id: int):
    """Give every member of the tutorial a (pending) row, so "not handed in" is explicit."""
    assessment, tutorial = _gradable(request, assessment_id, tutorial_id)
    try:
        created = services.seed_participations(
            assessment=assessment, user_ids=roster_user_ids(tutorial)
        )
    except errors.Busy as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Rows created: %(count)d.") % {"count": created},
        )
    return redirect(_table_url(assessment, tutorial))
