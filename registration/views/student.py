"""Students' registration pages: my registrations, a campaign, the ranking form, my result.

Thin views: reads come from ``registration.selectors.student``, writes from
``registration.services``. Every action is for ``request.user`` only; a draft or unknown campaign
and an item of another campaign are 404; a refusal by a service becomes a message (PRG).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mampf.context_processors import Navigation
from mampf.links import path_for
from mampf.selectors import is_valid_id
from registration import errors, notices, services
from registration.errors import RegistrationError
from registration.forms.student import PreferenceForm, RankingOffer
from registration.models import Campaign, Item
from registration.selectors import student as selectors


def _visible_campaign_or_404(campaign_id: int, *, with_policies: bool = True) -> Campaign:
    try:
        return selectors.campaign_for_student(campaign_id, with_policies=with_policies)
    except Campaign.DoesNotExist:
        raise Http404(_("No such registration.")) from None


def _page_in_one_trip(request, read, campaign_id: int) -> tuple[selectors.CampaignPage, dict]:
    """A campaign page's reads (``selectors.student_campaign_page`` or ``student_result_page``),
    the layout's role flags and the notice providers' reads in one round trip; the page and the
    context entries for the layout and the notices. 404 for a draft, unknown or impossible id
    (checked before any provider sees it)."""
    if not is_valid_id(campaign_id):
        raise Http404(_("No such registration."))
    nav = Navigation.along_with_page(user=request.user)
    notice_reads = notices.notice_reads(campaign_id, user=request.user)
    page = _page_or_404(read, campaign_id, user=request.user,
                        along=(*nav.reads, *notice_reads.values()))
    return page, {"nav": nav, "notice_reads": notice_reads}


def _page_or_404(read, campaign_id: int, *, user, along=()) -> selectors.CampaignPage:
    try:
        return read(campaign_id, user=user, along=along)
    except Campaign.DoesNotExist:
        raise Http404(_("No such registration.")) from None


def _item_or_404(campaign: Campaign, item_id: int) -> Item:
    try:
        return selectors.item_of_campaign(campaign, item_id)
    except Item.DoesNotExist:
        raise Http404(_("No such item in this registration.")) from None


def _action_item_or_404(campaign_id: int, item_id: int) -> Item:
    """The item a register or withdraw POST names, with its campaign (one query)."""
    try:
        return selectors.item_for_student_action(campaign_id, item_id)
    except Campaign.DoesNotExist:
        raise Http404(_("No such registration.")) from None
    except Item.DoesNotExist:
        raise Http404(_("No such item in this registration.")) from None


def _campaign_url(campaign: Campaign) -> str:
    return reverse("registration:student_campaign", args=[campaign.pk])


class _CampaignUrls:
    """``urls`` in the campaign's templates: its pages and forms, by ``mampf.links.path_for``
    (``{% url %}`` resolves the URL configuration on every call), each built when first read."""

    _ROUTES = {
        "campaign": "registration:student_campaign",
        "seats": "registration:student_campaign_seats",
        "result": "registration:student_result",
        "submit_preferences": "registration:submit_preferences",
        "withdraw_preferences": "registration:withdraw_preferences",
    }

    def __init__(self, campaign_id: int):
        self._campaign_id = campaign_id

    def __getattr__(self, name: str) -> str:
        route = self._ROUTES.get(name)
        if route is None:
            raise AttributeError(name)
        return path_for(route, self._campaign_id)


def _result_context(request, page: selectors.CampaignPage) -> dict:
    """The result page: my rows and the items they name, no seat counts, rules or form."""
    campaign = page.campaign
    return {"campaign": campaign, "page": page, "urls": _CampaignUrls(campaign.pk),
            "is_open": page.state == selectors.STATE_OPEN}


def _page_context(request, page: selectors.CampaignPage, *, preference_form=None) -> dict:
    """What the campaign page and its seat table share."""
    campaign = page.campaign
    is_open = page.state == selectors.STATE_OPEN
    eligibility = services.evaluate_policies_for(campaign, request.user) if is_open else None
    eligible = bool(eligibility and eligibility.passed)
    rank_count = services.max_ranks(campaign, item_count=len(page.items))
    if campaign.is_preference_based and is_open and eligible and preference_form is None:
        preference_form = RankingOffer(items=page.items, rank_count=rank_count,
                                       ranking=page.outcome.ranking)
    can_register = is_open and eligible and campaign.is_fcfs
    selectors.mark_registerable_items(page, may_register=can_register)
    return {
        "campaign": campaign,
        "page": page,
        "urls": _CampaignUrls(campaign.pk),
        "is_open": is_open,
        "eligibility": eligibility,
        "eligible": eligible,
        "can_register": can_register,
        "show_actions": is_open and campaign.is_fcfs,
        "can_withdraw": is_open and campaign.allow_withdrawal,
        "rank_count": rank_count,
        "preference_form": preference_form,
        "poll_seats": is_open and campaign.is_fcfs,
    }


@login_required
@require_GET
def index(request):
    nav = Navigation.along_with_page(user=request.user)  # the layout's query in the same trip
    overview = selectors.student_index(user=request.user, tab=request.GET.get("tab", ""),
                                       along=nav.reads)
    return render(request, "registration/student/index.html", {"overview": overview, "nav": nav})


@login_required
@require_GET
def campaign_detail(request, campaign_id: int):
    page, layout = _page_in_one_trip(request, selectors.student_campaign_page, campaign_id)
    context = {**_page_context(request, page), **layout}
    return render(request, "registration/student/campaign.html", context)


@login_required
@require_GET
def campaign_seats(request, campaign_id: int):
    """The item table alone, polled by htmx for live seat counts (no layout, no notices)."""
    page = _page_or_404(selectors.student_campaign_page, campaign_id, user=request.user)
    return render(request, "registration/student/_seat_table.html", _page_context(request, page))


@login_required
@require_GET
def result(request, campaign_id: int):
    page, layout = _page_in_one_trip(request, selectors.student_result_page, campaign_id)
    context = {**_result_context(request, page), **layout}
    return render(request, "registration/student/result.html", context)


@login_required
@require_POST
def register(request, campaign_id: int, item_id: int):
    item = _action_item_or_404(campaign_id, item_id)
    campaign = item.campaign
    try:
        services.register(user=request.user, item=item)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You are registered for “%(title)s”.") % {"title": item.registerable.title},
        )
    return redirect(_campaign_url(campaign))


@login_required
@require_POST
def withdraw(request, campaign_id: int, item_id: int):
    item = _action_item_or_404(campaign_id, item_id)
    campaign = item.campaign
    try:
        services.withdraw(user=request.user, item=item)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("You withdrew from “%(title)s”.") % {"title": item.registerable.title},
        )
    return redirect(_campaign_url(campaign))


def _ranking_refusal(campaign: Campaign) -> RegistrationError | None:
    """Why no ranking form applies at all, so form errors are not shown for a closed campaign."""
    if not campaign.is_preference_based:
        return errors.WrongAllocationMode()
    if campaign.status != Campaign.Status.OPEN:
        return errors.CampaignNotOpen()
    if not campaign.open_for_registrations():
        return errors.DeadlinePassed()
    return None


@login_required
@require_POST
def submit_preferences(request, campaign_id: int):
    campaign = _visible_campaign_or_404(campaign_id)
    items = selectors.campaign_items(campaign)
    form = PreferenceForm(
        request.POST, items=items, rank_count=services.max_ranks(campaign, item_count=len(items))
    )
    if not form.is_valid():
        refusal = _ranking_refusal(campaign)
        if refusal is not None:
            messages.error(request, str(refusal))
            return redirect(_campaign_url(campaign))
        messages.error(request, _("Your ranking was not saved. Please correct the marked choices."))
        page = selectors.campaign_page(campaign, user=request.user)
        context = _page_context(request, page, preference_form=form)
        return render(request, "registration/student/campaign.html", context)
    try:
        services.submit_preferences(
            user=request.user, campaign=campaign, items=form.ranked_items()
        )
    except RegistrationError as exc:
        messages.error(request, str(exc))
        return redirect(_campaign_url(campaign))
    messages.success(request, _("Your ranking was saved."))
    return redirect("registration:student_result", campaign_id=campaign.pk)


@login_required
@require_POST
def withdraw_preferences(request, campaign_id: int):
    campaign = _visible_campaign_or_404(campaign_id)
    try:
        services.withdraw_preferences(user=request.user, campaign=campaign)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your ranking was withdrawn."))
    return redirect(_campaign_url(campaign))
