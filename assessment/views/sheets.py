"""Offline grading sheets (download, upload with a preview, apply), talks and achievements.

Thin views: 404 -> permission -> form -> one service call -> message -> redirect. A tutor
downloads and uploads the sheet of their own tutorial (``can_grade``); the lecture's teacher,
editors and site staff also the sheet of the whole assessment (``can_manage_assessment``).
The upload shows either every problem (nothing applied) or a preview of the changes; "Apply"
sends the checked sheet back (signed, so it cannot be altered in between) with the versions
the preview showed, and ``assessment.sheets.import_sheet`` applies it as a whole.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import errors, selectors, sheets
from assessment.models import Assessment
from assessment.views.grading import _gradable
from mampf import permissions
from mampf.exports import export_name, table_response
from mampf.selectors import is_valid_id

SALT = "assessment.sheet-upload"
MAX_AGE = 60 * 60  # a preview may be applied within an hour


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Filled-in grading sheet (XLSX or CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )


def _scope(request, assessment_id: int, tutorial_id: int | None):
    """(assessment, tutorial or None) the user may grade offline; 404/403 otherwise."""
    if tutorial_id is not None:
        return _gradable(request, assessment_id, tutorial_id)
    if not is_valid_id(assessment_id):
        raise Http404
    try:
        assessment = selectors.assessment_for_grading(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    if assessment.kind == Assessment.Kind.TALK:
        raise Http404
    return assessment, None


def _upload_url(assessment, tutorial) -> str:
    if tutorial is None:
        return reverse("assessment:sheets_upload", args=[assessment.pk])
    return reverse("assessment:sheets_upload_tutorial", args=[assessment.pk, tutorial.pk])


def _back_url(assessment, tutorial) -> str:
    if tutorial is None:
        return _upload_url(assessment, None)
    return reverse("assessment:grading_table", args=[assessment.pk, tutorial.pk])


@login_required
@require_GET
def download(request, assessment_id: int, fmt: str, tutorial_id: int | None = None):
    assessment, tutorial = _scope(request, assessment_id, tutorial_id)
    header, rows = sheets.sheet_table(assessment=assessment, tutorial=tutorial)
    name = export_name(
        assessment.lecture.title, assessment.title, tutorial.title if tutorial else "", _("grading")
    )
    return table_response(
        fmt, filename=name, header=header, rows=rows, sheet_title=assessment.title
    )


def _page(request, assessment, tutorial, *, form, plan=None, problems=None, token=""):
    return render(
        request,
        "assessment/sheets/upload.html",
        {
            "assessment": assessment,
            "tutorial": tutorial,
            "form": form,
            "plan": plan,
            "problems": problems,
            "token": token,
            "upload_url": _upload_url(assessment, tutorial),
            "back_url": _back_url(assessment, tutorial),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, assessment_id: int, tutorial_id: int | None = None):
    """GET: the upload form; POST: check the file and show its problems or a preview."""
    assessment, tutorial = _scope(request, assessment_id, tutorial_id)
    if request.method == "GET":
        return _page(request, assessment, tutorial, form=UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, assessment, tutorial, form=form)
    upload_file = form.cleaned_data["file"]
    try:
        rows = sheets.read_upload(
            name=upload_file.name, data=upload_file.read(sheets.MAX_UPLOAD_BYTES + 1)
        )
    except sheets.SheetRejected as exc:
        return _page(request, assessment, tutorial, form=form, problems=exc.problems)
    plan = sheets.check_sheet(assessment=assessment, tutorial=tutorial, rows=rows)
    if plan.problems:
        return _page(request, assessment, tutorial, form=form, problems=plan.problems)
    token = signing.dumps(
        {"a": assessment.pk, "t": tutorial.pk if tutorial else None, "r": rows, "v": plan.versions},
        salt=SALT,
        compress=True,
    )
    return _page(request, assessment, tutorial, form=UploadForm(), plan=plan, token=token)


@login_required
@require_POST
def apply(request, assessment_id: int, tutorial_id: int | None = None):
    """Apply a previewed sheet as a whole (or show why not); then back to the table."""
    assessment, tutorial = _scope(request, assessment_id, tutorial_id)
    try:
        data = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("This preview has expired or is invalid; please upload again."))
        return redirect(_upload_url(assessment, tutorial))
    if data.get("a") != assessment.pk or data.get("t") != (tutorial.pk if tutorial else None):
        raise Http404
    versions = {int(pk): int(v) for pk, v in data.get("v", {}).items()}
    try:
        plan = sheets.import_sheet(
            assessment=assessment,
            tutorial=tutorial,
            rows=data["r"],
            by=request.user,
            expected_versions=versions,
        )
    except sheets.SheetRejected as exc:
        return _page(request, assessment, tutorial, form=UploadForm(), problems=exc.problems)
    except errors.ChangedMeanwhile:
        messages.error(
            request,
            _("Points were changed meanwhile; nothing was applied. Please upload the sheet again."),
        )
        return redirect(_upload_url(assessment, tutorial))
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
        return redirect(_upload_url(assessment, tutorial))
    messages.success(
        request,
        _("The sheet was applied: %(cells)d cells of %(students)d students changed.")
        % {"cells": plan.cells_changed, "students": plan.students_changed},
    )
    return redirect(_back_url(assessment, tutorial))
