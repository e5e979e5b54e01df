"""The MC part of an exam (issue 10 item 6): settings, the pass mark with its derivation,
first attempts, and grading an exam by its MC part alone. Same gate as the scheme pages
(``views._exam``: the lecture's teacher, editors and site staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assessment.models import Participation
from grade_schemes import errors, mc_config, selectors, services
from grade_schemes.forms import FirstAttemptForm, McConfigForm
from grade_schemes.views import REFUSALS, _exam, _url

FIELDS = (
    "weight", "rule", "step", "absolute_percent", "relative", "relative_value",
    "floor_percent", "reference", "mc_grading",
)  # fmt: skip


def _initial(config) -> dict:
    if config is None:
        return {"weight": "0.5", "rule": "aeappro", "step": "1", "mc_grading": "share",
                "no_disadvantage": True}  # fmt: skip
    initial = {"task": config.task_id, "no_disadvantage": config.no_disadvantage}
    for name in FIELDS:
        value = getattr(config, name)
        initial[name] = "" if value is None else str(value)
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def mc_settings(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    data = selectors.mc_page(assessment=assessment)
    form = McConfigForm(initial=_initial(data["config"]), tasks=data["tasks"])
    if request.method == "POST":
        form = McConfigForm(request.POST, tasks=data["tasks"])
        if form.is_valid():
            task = next((t for t in data["tasks"] if t.pk == form.cleaned_data["task"]), None)
            values = {name: form.cleaned_data.get(name) for name in FIELDS}
            try:
                mc_config.configure_mc(
                    assessment=assessment,
                    task=task,
                    by=request.user,
                    no_disadvantage=form.cleaned_data["no_disadvantage"],
                    **values,
                )
            except errors.InvalidMcConfig as exc:
                for name, message in exc.details.get("fields", {}).items():
                    form.add_error(name if name in form.fields else None, message)
            except REFUSALS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("The multiple-choice part was saved. Apply the grades again to use it."),
                )
                return redirect(_url("mc_settings", assessment))
    return render(
        request,
        "grade_schemes/mc_settings.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "form": form,
            "attempt_form": FirstAttemptForm(),
            **data,
        },
    )


@login_required
@require_POST
def mc_remove(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    try:
        mc_config.remove_mc(assessment=assessment, by=request.user)
    except REFUSALS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The exam has no multiple-choice part any more."))
    return redirect(_url("mc_settings", assessment))


@login_required
@require_POST
def mc_attempt(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    form = FirstAttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a matriculation number and the attempt."))
        return redirect(_url("mc_settings", assessment))
    number = form.cleaned_data["matriculation_number"].strip()
    row = (
        Participation.objects.select_related("user")
        .filter(assessment=assessment, user__matriculation_number=number)
        .first()
    )
    if row is None:
        messages.error(request, _("No candidate of this exam has that matriculation number."))
        return redirect(_url("mc_settings", assessment))
    try:
        mc_config.set_first_attempt(
            participation=row, first_attempt=form.cleaned_data["first_attempt"], by=request.user
        )
    except REFUSALS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s: saved. The pass mark moves when the grades are applied again.")
            % {"name": row.user.name},
        )
    return redirect(_url("mc_settings", assessment))


@login_required
@require_POST
def mc_apply(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    try:
        changed = services.apply_mc_grades(assessment=assessment, by=request.user)
    except REFUSALS as exc:
        messages.error(request, str(exc))
        return redirect(_url("mc_settings", assessment))
    messages.success(request, _("Grades applied: %(count)d changed.") % {"count": changed})
    return redirect(_url("grades", assessment))
