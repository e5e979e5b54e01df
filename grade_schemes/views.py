"""Grade-scheme pages of an exam assessment: the scheme editor with the two-point generator,
the preview before applying, applying, the grade list with overrides, and the distribution.

Thin: 404 -> permission -> input -> one service or selector call -> message -> redirect. Every
page is for the lecture's teacher, editors and site staff (``can_manage_assessment``); tutors,
students and other teachers get 403, anonymous users the login page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment.models import Assessment
from grade_schemes import errors, selectors, services
from grade_schemes.forms import (
    MAX_BANDS,
    GeneratorForm,
    OverrideForm,
    posted_bands,
    posted_kind,
)
from mampf import permissions
from mampf.selectors import is_valid_id

REFUSALS = (errors.GradeSchemeError, errors.Busy)


def _exam(request, assessment_id: int) -> Assessment:
    if not is_valid_id(assessment_id):
        raise Http404
    assessment = (
        Assessment.objects.select_related("lecture")
        .filter(pk=assessment_id, kind=Assessment.Kind.EXAM)
        .first()
    )
    if assessment is None:
        raise Http404
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    return assessment


def _url(name: str, assessment: Assessment) -> str:
    return reverse(f"grade_schemes:{name}", args=[assessment.pk])


def _band_rows(bands, problems=None, positions=None) -> list[dict]:
    """Rows for the editor: values and the problem of each, keyed by the form position."""
    by_position = {}
    for problem in problems or []:
        if problem["index"] is not None:
            position = positions[problem["index"]] if positions else problem["index"]
            by_position[position] = problem["message"]
    return [
        {"min": str(t), "grade": str(g), "error": by_position.get(i), "index": i}
        for i, (t, g) in enumerate(bands)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def scheme_editor(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    state = selectors.scheme_editor(assessment=assessment)
    scheme = state["scheme"]
    kind = scheme.kind if scheme else "points"
    rows = _band_rows(state["bands"])
    general: list[str] = []
    generator = GeneratorForm(initial={"step": "1"})
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "generate":
            generator = GeneratorForm(request.POST)
            if generator.is_valid():
                try:
                    generated = services.generate_bands(
                        max_points=state["maximum"], **generator.cleaned_data
                    )
                except REFUSALS as exc:
                    generator.add_error(None, str(exc))
                else:
                    kind, rows = "points", _band_rows(generated)
                    messages.info(request, _("The bands were filled in; check and save them."))
        else:
            posted, positions = posted_bands(request.POST)
            kind = posted_kind(request.POST, kind)
            raw_rows = list(
                zip(
                    request.POST.getlist("band_min")[:MAX_BANDS],
                    request.POST.getlist("band_grade")[:MAX_BANDS],
                    strict=False,
                )
            )
            rows = _band_rows(raw_rows)
            if action == "add" and len(rows) < MAX_BANDS:
                rows.append({"min": "", "grade": "", "error": None, "index": len(rows)})
            elif action.startswith("remove-") and action[7:].isdigit():
                gone = int(action[7:])
                rows = _band_rows([(r["min"], r["grade"]) for r in rows if r["index"] != gone])
            elif action == "save":
                try:
                    if scheme is None:
                        services.create_scheme(
                            assessment=assessment, bands=posted, kind=kind, by=request.user
                        )
                    else:
                        services.update_scheme(
                            scheme=scheme, bands=posted, kind=kind, by=request.user
                        )
                except errors.InvalidScheme as exc:
                    problems = exc.details.get("problems", [])
                    rows = _band_rows(raw_rows, problems, positions)
                    general = [p["message"] for p in problems if p["index"] is None] or [str(exc)]
                except REFUSALS as exc:
                    general = [str(exc)]
                else:
                    messages.success(
                        request, _("The scheme was saved. Check its effect, then apply it.")
                    )
                    return redirect(_url("preview", assessment))
    if not rows:
        rows = [{"min": "", "grade": "", "error": None, "index": 0}]
    return render(
        request,
        "grade_schemes/scheme_editor.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "scheme": scheme,
            "kind": kind,
            "rows": rows,
            "general_errors": general,
            "generator": generator,
            "maximum": state["maximum"],
        },
    )


@login_required
@require_GET
def preview(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    scheme = selectors.active_scheme(assessment=assessment)
    if scheme is None:
        messages.info(request, _("There is no grade scheme yet; please create one."))
        return redirect(_url("scheme_editor", assessment))
    result = services.preview_scheme(scheme_or_bands=scheme, assessment=assessment)
    return render(
        request,
        "grade_schemes/preview.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "scheme": scheme,
            "preview": result,
        },
    )


@login_required
@require_POST
def apply(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    scheme = selectors.active_scheme(assessment=assessment)
    if scheme is None:
        raise Http404
    try:
        changed = services.apply_scheme(scheme=scheme, by=request.user)
    except REFUSALS as exc:
        messages.error(request, str(exc))
        return redirect(_url("preview", assessment))
    messages.success(
        request, _("The scheme was applied: %(count)d grades changed.") % {"count": changed}
    )
    return redirect(_url("grades", assessment))


@login_required
@require_GET
def grades(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    return render(
        request,
        "grade_schemes/grades.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "rows": selectors.grade_list(assessment=assessment),
            "scheme": selectors.active_scheme(assessment=assessment),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def override(request, assessment_id: int, participation_id: int):
    assessment = _exam(request, assessment_id)
    if not is_valid_id(participation_id):
        raise Http404
    row = selectors.participation_of(assessment=assessment, participation_id=participation_id)
    if row is None:
        raise Http404
    form = OverrideForm(
        initial={"grade": str(row.grade_value) if row.grade_value is not None else ""}
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "clear":
                services.clear_override(participation=row, by=request.user)
                messages.success(request, _("The grade follows the scheme again."))
                return redirect(_url("grades", assessment))
            form = OverrideForm(request.POST)
            if form.is_valid():
                services.override_grade(
                    participation=row,
                    grade=form.cleaned_data["grade"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
                messages.success(
                    request,
                    _("The grade of %(name)s was entered by hand.") % {"name": row.user.name},
                )
                return redirect(_url("grades", assessment))
        except REFUSALS as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "grade_schemes/override.html",
        {"assessment": assessment, "lecture": assessment.lecture, "row": row, "form": form},
    )


@login_required
@require_GET
def distribution(request, assessment_id: int):
    assessment = _exam(request, assessment_id)
    data = selectors.distribution(assessment=assessment, bin_width=request.GET.get("width"))
    return render(
        request,
        "grade_schemes/distribution.html",
        {"assessment": assessment, "lecture": assessment.lecture, **data},
    )
