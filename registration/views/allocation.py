"""Staff pages for allocation, finalization and the students left without a place.

Only managers of the campaign's lecture may use them (403 for everyone else, 404 for unknown
ids). The allocation runs through ``registration.services.request_allocation``: with a broker a
worker picks it up and the page polls its progress; without one it runs in the request, so the
redirect already shows the result. Finalizing has a confirmation step that says what will happen.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from mampf.errors import DomainError
from mampf.models import Registerable, User
from mampf.selectors import is_valid_id
from registration import services
from registration.errors import RegistrationError
from registration.forms import allocation as forms
from registration.models import AllocationRun, Campaign
from registration.selectors import allocation as selectors
from registration.selectors import finalize as finalize_selectors
from registration.views import staff as staff_views

Status = Campaign.Status
UNASSIGNED_PER_PAGE = 100
ALLOCATION_TAB = "allocation"


def _context(campaign: Campaign, **extra) -> dict:
    return staff_views.campaign_tab_context(campaign, ALLOCATION_TAB, **extra)


def _to_allocation_page(campaign: Campaign):
    return redirect("registration:staff_campaign_allocation", campaign_id=campaign.pk)


def _finalize_problems(campaign: Campaign, *, active_run) -> list[str]:
    """Why finalizing would be refused now (the service checks again; this is for the page)."""
    problems = []
    if campaign.status == Status.COMPLETED:
        problems.append(_("The campaign is already completed."))
    elif active_run is not None:
        problems.append(_("An allocation is running. Wait for it to finish."))
    elif campaign.is_preference_based and campaign.status != Status.PROCESSING:
        problems.append(_("Run the allocation before finalizing."))
    elif campaign.is_fcfs and campaign.status != Status.CLOSED:
        problems.append(_("Close the campaign before finalizing."))
    return problems


# -- allocation page ----------------------------------------------------------------------------


@login_required
@require_GET
def campaign_allocation(request, campaign_id: int):
    campaign = staff_views.managed_campaign(request, campaign_id)
    runs = selectors.run_history(campaign=campaign)
    active = selectors.active_run(runs)
    latest = runs[0] if runs else None
    preview = None
    if campaign.is_preference_based and campaign.status in (Status.PROCESSING, Status.COMPLETED):
        successful = selectors.latest_successful_run(campaign=campaign, runs=runs)
        if successful is not None:
            preview = selectors.preview_of(campaign=campaign, run=successful)
    past_deadline = campaign.status == Status.OPEN and not campaign.open_for_registrations()
    can_allocate = (
        campaign.is_preference_based
        and active is None
        and (campaign.status in (Status.CLOSED, Status.PROCESSING) or past_deadline)
    )
    form = forms.AllocationRunForm()
    context = _context(
        campaign,
        form=form,
        objective_options=[
            (radio, forms.OBJECTIVE_EXPLANATIONS[radio.data["value"]])
            for radio in form["objective"]
        ],
        runs=runs,
        latest_run=latest,
        active_run=active,
        progress=services.run_progress(active) if active else None,
        preview=preview,
        can_allocate=can_allocate,
        finalize_problems=_finalize_problems(campaign, active_run=active),
        unassigned_count=(
            len(selectors.unassigned_user_ids(campaign=campaign))
            if campaign.status == Status.COMPLETED
            else None
        ),
    )
    return render(request, "registration/allocation/allocation.html", context)


@login_required
@require_GET
def allocation_progress(request, campaign_id: int):
    """The progress fragment for htmx polling; once the run is done the page reloads itself."""
    campaign = staff_views.managed_campaign(request, campaign_id)
    if not request.htmx:
        return _to_allocation_page(campaign)
    run = selectors.run_for_progress(campaign=campaign)
    if run is None or not run.is_active:
        return HttpResponseClientRefresh()
    return render(
        request,
        "registration/allocation/_progress.html",
        {"campaign": campaign, "active_run": run, "progress": services.run_progress(run)},
    )


def _report_run(request, run: AllocationRun) -> None:
    if run.status == AllocationRun.Status.SUCCEEDED:
        stats = run.statistics
        messages.success(
            request,
            _(
                "The allocation is done: %(assigned)d of %(considered)d students got a place, "
                "%(unassigned)d did not. Check the preview, then finalize."
            )
            % {
                "assigned": stats.get("assigned", 0),
                "considered": stats.get("considered", 0),
                "unassigned": stats.get("unassigned", 0),
            },
        )
    elif run.status == AllocationRun.Status.FAILED:
        messages.error(
            request, _("The allocation failed: %(error)s") % {"error": run.error or "?"}
        )
    else:
        messages.info(request, _("The allocation is running. This page shows its progress."))


@login_required
@require_POST
def campaign_allocate(request, campaign_id: int):
    campaign = staff_views.managed_campaign(request, campaign_id)
    form = forms.AllocationRunForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _to_allocation_page(campaign)
    try:
        run = services.request_allocation(campaign, by=request.user, **form.options())
    except RegistrationError as exc:
        messages.error(request, str(exc))
        return _to_allocation_page(campaign)
    run.refresh_from_db()
    _report_run(request, run)
    return _to_allocation_page(campaign)


# -- finalization -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def campaign_finalize(request, campaign_id: int):
    campaign = staff_views.managed_campaign(request, campaign_id)
    if request.method == "POST":
        try:
            outcome = services.campaign_finalize(
                campaign, by=request.user, conflicts=request.POST.get("conflicts", "refuse")
            )
        except RegistrationError as exc:
            messages.error(request, str(exc))
            return _to_allocation_page(campaign)
        if outcome.materialized:
            messages.success(request, outcome.message)
            if outcome.summary.get("rejected"):
                return redirect("registration:staff_unassigned", campaign_id=campaign.pk)
        else:
            messages.info(request, outcome.message)
        return _to_allocation_page(campaign)
    active = selectors.active_run(selectors.run_history(campaign=campaign, limit=1))
    context = _context(
        campaign,
        forecast=selectors.finalize_forecast(campaign=campaign),
        tutorial_conflicts=finalize_selectors.tutorial_conflicts(campaign=campaign),
        problems=[] if campaign.planning_only else _finalize_problems(campaign, active_run=active),
    )
    return render(request, "registration/allocation/finalize_confirm.html", context)


# -- unassigned registrants ---------------------------------------------------------------------


@login_required
@require_GET
def unassigned(request, campaign_id: int):
    campaign = staff_views.managed_campaign(request, campaign_id)
    context = _context(campaign, finalized=campaign.status == Status.COMPLETED)
    if campaign.status == Status.COMPLETED:
        user_ids = selectors.unassigned_user_ids(campaign=campaign)
        page = Paginator(user_ids, UNASSIGNED_PER_PAGE).get_page(request.GET.get("page"))
        targets = selectors.campaign_targets(campaign=campaign)
        context.update(
            page_obj=page,
            total=len(user_ids),
            rows=selectors.unassigned_rows(
                campaign=campaign, user_ids=list(page.object_list), targets=targets
            ),
            targets=targets,
        )
    return render(request, "registration/allocation/unassigned.html", context)


@login_required
@require_POST
def unassigned_assign(request, campaign_id: int, user_id: int):
    campaign = staff_views.managed_campaign(request, campaign_id)
    if not is_valid_id(user_id) or not selectors.is_registrant(
        campaign=campaign, user_id=user_id
    ):
        raise Http404
    student = get_object_or_404(User, pk=user_id)
    back = reverse("registration:staff_unassigned", args=[campaign.pk])
    page = request.POST.get("page", "")
    if page.isdigit():
        back += f"?page={page}"
    form = forms.UnassignedAssignForm(
        request.POST, targets=selectors.campaign_targets(campaign=campaign)
    )
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Choose a group of this campaign.")]:
            messages.error(request, error)
        return redirect(back)
    group = get_object_or_404(Registerable, pk=form.cleaned_data["target_id"])
    try:
        services.staff_place_unassigned(
            campaign=campaign,
            user=student,
            registerable=group,
            by=request.user,
            allow_overfill=form.cleaned_data["allow_overfill"],
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        if getattr(exc, "code", "") == "not_finalized":
            return _to_allocation_page(campaign)
    else:
        messages.success(
            request,
            _("%(name)s was added to “%(group)s”.") % {"name": student.name, "group": group.title},
        )
    return redirect(back)
