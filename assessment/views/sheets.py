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

from assessment import achievements as achievement_services
from assessment import errors, selectors, selectors_sheets, services, sheets
from assessment.models import Achievement as AchievementModel
from assessment.models import Assessment, Participation
from assessment.views.grading import _gradable
from mampf import permissions
from mampf.exports import export_name, table_response
from mampf.models import Lecture
from mampf.selectors import is_valid_id, lecture_or_404
from rosters.selectors import roster_user_ids

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


# -- talks: grade only -------------------------------------------------------------------------


def _talk(request, assessment_id: int) -> Assessment:
    if not is_valid_id(assessment_id):
        raise Http404
    try:
        assessment = selectors.assessment_for_grading(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    if assessment.kind != Assessment.Kind.TALK:
        raise Http404
    return assessment


class GradeForm(forms.Form):
    grade = forms.CharField(label=gettext_lazy("Grade"), required=False, max_length=10)
    version = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


@login_required
@require_GET
def talk_grading(request, assessment_id: int):
    assessment = _talk(request, assessment_id)
    return render(
        request,
        "assessment/sheets/talk.html",
        {
            "assessment": assessment,
            "rows": selectors_sheets.talk_rows(assessment=assessment),
            "without_row": selectors_sheets.speakers_without_row(assessment=assessment),
        },
    )


@login_required
@require_POST
def talk_seed(request, assessment_id: int):
    """Give every speaker on the talk's roster a (pending) participation."""
    assessment = _talk(request, assessment_id)
    try:
        created = services.seed_participations(
            assessment=assessment, user_ids=roster_user_ids(assessment.talk)
        )
    except errors.Busy as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Rows created: %(count)d.") % {"count": created})
    return redirect("assessment:sheets_talk", assessment.pk)


@login_required
@require_POST
def talk_grade(request, assessment_id: int, participation_id: int):
    assessment = _talk(request, assessment_id)
    if not is_valid_id(participation_id):
        raise Http404
    participation = Participation.objects.filter(pk=participation_id, assessment=assessment).first()
    if participation is None:
        raise Http404
    form = GradeForm(request.POST)
    if not form.is_valid() or "grade" not in request.POST:
        messages.error(request, _("Please enter a grade (or leave the cell empty to clear it)."))
        return redirect("assessment:sheets_talk", assessment.pk)
    try:
        services.enter_grade(
            participation=participation,
            grade=form.cleaned_data["grade"],
            by=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, f"{participation.user.name}: {exc}")
    else:
        messages.success(
            request, _("The grade of %(name)s was saved.") % {"name": participation.user.name}
        )
    return redirect("assessment:sheets_talk", assessment.pk)


# -- achievements ------------------------------------------------------------------------------


class AchievementForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    value_type = forms.ChoiceField(
        label=gettext_lazy("Value type"), choices=AchievementModel.ValueType.choices
    )
    threshold = forms.CharField(
        label=gettext_lazy("Threshold"),
        required=False,
        max_length=20,
        help_text=gettext_lazy(
            "Empty for passed / not passed; above 0 for numbers; 0 to 100 for percentages."
        ),
    )


def _lecture(request, lecture_id: int) -> Lecture:
    lecture = lecture_or_404(lecture_id)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


@login_required
@require_http_methods(["GET", "POST"])
def achievements(request, lecture_id: int):
    lecture = _lecture(request, lecture_id)
    form = AchievementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            achievement = achievement_services.create_achievement(
                lecture=lecture,
                title=form.cleaned_data["title"],
                value_type=form.cleaned_data["value_type"],
                threshold=form.cleaned_data["threshold"],
                by=request.user,
            )
        except (errors.AssessmentError, errors.Busy) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("The achievement “%(title)s” was created.") % {"title": achievement.title},
            )
            return redirect("assessment:sheets_achievements", lecture.pk)
    return render(
        request,
        "assessment/sheets/achievements.html",
        {
            "lecture": lecture,
            "achievements": selectors_sheets.lecture_achievements(lecture=lecture),
            "form": form,
        },
    )


@login_required
@require_POST
def achievement_delete(request, achievement_id: int):
    """Delete an achievement (refused while a rule of the lecture requires it)."""
    if not is_valid_id(achievement_id):
        raise Http404
    achievement = (
        AchievementModel.objects.select_related("lecture").filter(pk=achievement_id).first()
    )
    if achievement is None:
        raise Http404
    permissions.require(permissions.can_manage_lecture(request.user, achievement.lecture))
    try:
        achievement_services.delete_achievement(achievement=achievement, by=request.user)
    except (errors.AssessmentError, errors.Busy) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The achievement “%(title)s” was deleted.") % {"title": achievement.title}
        )
    return redirect("assessment:sheets_achievements", achievement.lecture_id)


@login_required
@require_http_methods(["GET", "POST"])
def achievement_values(request, achievement_id: int):
    if not is_valid_id(achievement_id):
        raise Http404
    achievement = (
        AchievementModel.objects.select_related("lecture").filter(pk=achievement_id).first()
    )
    if achievement is None:
        raise Http404
    permissions.require(permissions.can_manage_lecture(request.user, achievement.lecture))
    problems: dict[int, str] = {}
    sent: dict[int, str] = {}
    if request.method == "POST":
        for name, raw in request.POST.items():
            key = name.removeprefix("value_")
            if name.startswith("value_") and key.isascii() and key.isdigit() and len(key) <= 18:
                sent[int(key)] = raw[:40]
        try:
            changed = achievement_services.enter_achievement_values(
                achievement=achievement, values=sent, by=request.user
            )
        except achievement_services.AchievementRejected as exc:
            problems = exc.problems
            messages.error(request, str(exc))
        except (errors.AssessmentError, errors.Busy) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Values saved: %(count)d changed.") % {"count": changed})
            return redirect("assessment:sheets_achievement_values", achievement.pk)
    rows = selectors_sheets.achievement_table(achievement=achievement)
    cells = [
        {
            "row": row,
            "text": sent.get(row.user.pk, row.text),
            "problem": problems.get(row.user.pk, ""),
        }
        for row in rows
    ]
    return render(
        request,
        "assessment/sheets/achievement_values.html",
        {
            "achievement": achievement,
            "lecture": achievement.lecture,
            "cells": cells,
            "other_problems": [
                m for pk, m in problems.items() if pk not in {r.user.pk for r in rows}
            ],
        },
    )
