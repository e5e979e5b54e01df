"""Staff pages of result remediation: an exam's MC evaluations, item analysis, correction batches
(list, create, detail, preview with CSV, apply with a confirm step, revert with a reason), the
sheets and each sheet's score history, and the CSV uploads.

Thin: 404 -> permission (the lecture's teacher, editors, site staff; everyone else 403) ->
input -> one service or selector call -> message -> redirect. Refusals of the services
(``DomainError``) are shown translated; nothing is changed by a refused request.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mampf import permissions
from mampf.errors import DomainError
from mampf.selectors import is_valid_id
from remediation import selectors_pages, services
from remediation.api.serializers import STATUSES
from remediation.forms import (
    CorrectionFormSet,
    ReasonForm,
    option_choices,
    question_choices,
)
from remediation.models import CorrectionBatch, Evaluation
from remediation.preview_rows import SHOWN_CHANGES, preview_csv_response, preview_data

PAGE_SIZE = 50


def _evaluation(request, evaluation_id: int) -> Evaluation:
    if not is_valid_id(evaluation_id):
        raise Http404
    evaluation = selectors_pages.evaluation_or_none(evaluation_id)
    if evaluation is None:
        raise Http404
    permissions.require(permissions.can_manage_lecture(request.user, evaluation.lecture))
    return evaluation


def _batch(request, batch_id: int) -> CorrectionBatch:
    if not is_valid_id(batch_id):
        raise Http404
    batch = selectors_pages.batch_or_none(batch_id)
    if batch is None:
        raise Http404
    permissions.require(permissions.can_manage_lecture(request.user, batch.evaluation.lecture))
    return batch


def _context(evaluation: Evaluation, **extra) -> dict:
    """What every page's breadcrumbs need: the lecture and, for an exam's MC part, the exam."""
    task = evaluation.task
    return {
        "evaluation": evaluation,
        "lecture": evaluation.lecture,
        "assessment": task.assessment if task is not None else None,
        **extra,
    }


def _posted_count(request) -> int:
    value = request.POST.get("c-TOTAL_FORMS", "1")
    return int(value) if value.isdigit() and len(value) < 4 else 1


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def evaluation(request, evaluation_id: int):
    """Item analysis; while no answer sheet exists, the variants' questions to edit."""
    from remediation.views_define import _overview

    return _overview(request, _evaluation(request, evaluation_id))


@login_required
@require_GET
def batches(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    status = request.GET.get("status") or ""
    if status not in STATUSES:
        status = ""
    rows = selectors_pages.batches_for(
        user=request.user, status=status or None, evaluation=evaluation
    )
    return render(
        request,
        "remediation/batches.html",
        _context(
            evaluation,
            page=_page(request, rows),
            status=status,
            statuses=CorrectionBatch.Status.choices,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_create(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    versions = selectors_pages.versions_with_questions(evaluation=evaluation)
    choices = {"questions": question_choices(versions), "options": option_choices(versions)}
    reason = ReasonForm(request.POST or None)
    formset = CorrectionFormSet(request.POST or None, form_kwargs=choices, prefix="c")
    general: list[str] = []
    problems: list[str] = []
    if request.method == "POST":
        if request.POST.get("action") == "add":
            # Another correction row: the rows so far come back as entered, nothing checked yet.
            rows = [
                {
                    "question_version": request.POST.get(f"c-{i}-question_version", ""),
                    "kind": request.POST.get(f"c-{i}-kind", ""),
                    "options": request.POST.getlist(f"c-{i}-options"),
                }
                for i in range(min(_posted_count(request), formset.max_num - 1))
            ]
            formset = CorrectionFormSet(initial=[*rows, {}], form_kwargs=choices, prefix="c")
            reason = ReasonForm(initial={"reason": request.POST.get("reason", "")})
        elif formset.is_valid() and reason.is_valid():
            corrections = [form.correction() for form in formset.forms]
            try:
                batch = services.create_batch(
                    evaluation=evaluation,
                    reason=reason.cleaned_data["reason"],
                    corrections=corrections,
                    by=request.user,
                )
            except DomainError as exc:
                general.append(str(exc))
                problems = [str(p.get("message", p)) for p in exc.details.get("problems", [])]
            else:
                messages.success(
                    request, _("The draft batch was saved. Check its effect before applying it.")
                )
                return redirect("remediation:batch_preview", batch.pk)
    return render(
        request,
        "remediation/batch_create.html",
        _context(
            evaluation,
            reason_form=reason,
            formset=formset,
            general_errors=general,
            problems=problems,
        ),
    )


@login_required
@require_GET
def batch_detail(request, batch_id: int):
    batch = _batch(request, batch_id)
    changes = _page(request, selectors_pages.batch_changes(batch=batch))
    return render(
        request,
        "remediation/batch_detail.html",
        _context(
            batch.evaluation,
            batch=batch,
            page=changes,
            rows=[selectors_pages.change_row(row) for row in changes],
            names=selectors_pages.question_names(batch=batch),
            no_disadvantage=selectors_pages.no_disadvantage(batch=batch),
        ),
    )


@login_required
@require_GET
def batch_preview(request, batch_id: int):
    batch = _batch(request, batch_id)
    if batch.status != CorrectionBatch.Status.DRAFT:
        messages.info(
            request,
            _("Only a draft batch has a preview; this one is %(status)s.")
            % {"status": batch.get_status_display()},
        )
        return redirect("remediation:batch_detail", batch.pk)
    if request.GET.get("format") == "csv":
        return preview_csv_response(batch=batch)
    preview = preview_data(batch=batch)
    return render(
        request,
        "remediation/batch_preview.html",
        _context(
            batch.evaluation,
            batch=batch,
            preview=preview,
            changes=preview["score_changes"][:SHOWN_CHANGES],
            more_changes=max(0, len(preview["score_changes"]) - SHOWN_CHANGES),
            names=selectors_pages.question_names(batch=batch),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_apply(request, batch_id: int):
    """GET: the confirm step (what will happen); POST: apply."""
    batch = _batch(request, batch_id)
    if request.method == "POST":
        try:
            services.apply_batch(batch=batch, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The batch was applied."))
        return redirect("remediation:batch_detail", batch.pk)
    if batch.status != CorrectionBatch.Status.DRAFT:
        messages.error(
            request, _("Only a draft batch can be applied; this one is not a draft any more.")
        )
        return redirect("remediation:batch_detail", batch.pk)
    return render(
        request,
        "remediation/batch_apply.html",
        _context(batch.evaluation, batch=batch, preview=preview_data(batch=batch)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_revert(request, batch_id: int):
    batch = _batch(request, batch_id)
    form = ReasonForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            compensation = services.revert_batch(
                batch=batch, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The batch was reverted."))
            return redirect("remediation:batch_detail", compensation.pk)
    return render(
        request,
        "remediation/batch_revert.html",
        _context(batch.evaluation, batch=batch, form=form, error=error),
    )


@login_required
@require_GET
def sheets(request, evaluation_id: int):
    evaluation = _evaluation(request, evaluation_id)
    query = (request.GET.get("q") or "").strip()[:100]
    rows = selectors_pages.sheets_of(evaluation=evaluation, query=query)
    return render(
        request,
        "remediation/sheets.html",
        _context(evaluation, page=_page(request, rows), query=query),
    )


@login_required
@require_GET
def sheet_history(request, sheet_id: int):
    if not is_valid_id(sheet_id):
        raise Http404
    sheet = selectors_pages.sheet_or_none(sheet_id)
    if sheet is None:
        raise Http404
    permissions.require(permissions.can_manage_lecture(request.user, sheet.evaluation.lecture))
    return render(
        request,
        "remediation/sheet_history.html",
        _context(sheet.evaluation, sheet=sheet, rows=selectors_pages.sheet_history(sheet=sheet)),
    )


def evaluation_url(evaluation: Evaluation) -> str:
    return reverse("remediation:evaluation", args=[evaluation.pk])
