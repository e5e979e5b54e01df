"""Staff registration pages: campaigns of a lecture, their settings, items, rules and results.

Only managers of the campaign's lecture (teacher, editors, site staff) may open these pages;
everyone else gets a 403, unknown ids a 404. Views stay thin: forms validate, selectors read,
``registration.services`` write and refuse with a ``RegistrationError`` shown as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mampf import exports, permissions
from mampf.models import Exam, Lecture, User
from registration import exam_rules, policies, services
from registration.errors import RegistrationError
from registration.forms import staff as forms
from registration.models import Campaign, Item, Policy
from registration.selectors import exams as exam_selectors
from registration.selectors import staff as selectors

Status = Campaign.Status
REGISTRATIONS_PER_PAGE = 50
TABS = (
    ("overview", "registration:staff_campaign_detail"),
    ("settings", "registration:staff_campaign_settings"),
    ("items", "registration:staff_campaign_items"),
    ("policies", "registration:staff_campaign_policies"),
    ("registrations", "registration:staff_campaign_registrations"),
    ("allocation", "registration:staff_campaign_allocation"),
)


# -- access -------------------------------------------------------------------------------------


def _managed_lecture(request, lecture_id: int) -> Lecture:
    try:
        lecture = selectors.lecture_for_staff(lecture_id=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


def managed_campaign(request, campaign_id: int) -> Campaign:
    """The campaign, if the user manages its lecture (403 otherwise, 404 if unknown)."""
    try:
        campaign = selectors.campaign_for_staff(campaign_id=campaign_id)
    except Campaign.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, campaign.lecture))
    return campaign


def _item_or_404(campaign: Campaign, item_id: int) -> Item:
    try:
        return selectors.item_of_campaign(campaign=campaign, item_id=item_id)
    except Item.DoesNotExist as exc:
        raise Http404 from exc


def _policy_or_404(campaign: Campaign, policy_id: int) -> Policy:
    try:
        return selectors.policy_of_campaign(campaign=campaign, policy_id=policy_id)
    except Policy.DoesNotExist as exc:
        raise Http404 from exc


def campaign_tab_context(campaign: Campaign, active: str, **extra) -> dict:
    """The campaign header with its tab bar; shared by the staff and allocation pages."""
    labels = {
        "overview": _("Overview"),
        "settings": _("Settings"),
        "items": _("Items"),
        "policies": _("Policies"),
        "registrations": _("Registrations"),
        "allocation": _("Allocation and results"),
    }
    tabs = [
        {"label": labels[key], "url": reverse(name, args=[campaign.pk]), "active": key == active}
        for key, name in TABS
    ]
    return {"campaign": campaign, "lecture": campaign.lecture, "tabs": tabs, **extra}


def _to_campaign_page(name: str, campaign: Campaign):
    return redirect(f"registration:{name}", campaign_id=campaign.pk)


# -- campaigns of a lecture ---------------------------------------------------------------------


@login_required
@require_GET
def campaign_index(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    campaigns = selectors.campaigns_for_lecture(lecture=lecture)
    return render(
        request,
        "registration/staff/campaign_index.html",
        {
            "lecture": lecture,
            "campaigns": campaigns,
            "exam_rows": exam_selectors.lecture_exams(lecture=lecture),
        },
    )


PATTERN_TITLES = {
    selectors.PATTERN_GROUP: gettext_lazy("Group registration"),
    selectors.PATTERN_ENROLLMENT: gettext_lazy("Course enrollment"),
    selectors.PATTERN_SPECIAL: gettext_lazy("Special groups"),
    selectors.PATTERN_MIXED: gettext_lazy("Group registration"),
}


def _pattern_initial(pattern: str) -> dict:
    """Only choices that cannot surprise: no title, no deadline and no items are filled in.

    The teacher names the campaign, sets its deadline and picks its groups; a one-click
    duplicate of a running campaign is impossible.
    """
    preference_based = pattern in (selectors.PATTERN_GROUP, selectors.PATTERN_MIXED)
    return {
        "allocation_mode": (
            Campaign.AllocationMode.PREFERENCE_BASED
            if preference_based
            else Campaign.AllocationMode.FIRST_COME_FIRST_SERVED
        ),
        "max_preferences": 3,
        "allow_withdrawal": True,
    }


def _item_choices(candidates, offers) -> list[tuple[int, str]]:
    """Wizard item labels; a group already offered by an open or draft campaign says so."""
    choices = []
    for registerable in candidates:
        label = selectors.registerable_label(registerable)
        running = [title for _pk, title in offers.get(registerable.pk, [])]
        if running:
            label = _("%(label)s (already offered in: %(campaigns)s)") % {
                "label": label,
                "campaigns": ", ".join(f"“{title}”" for title in running),
            }
        choices.append((registerable.pk, label))
    return choices


def _mixed_conflicts(pattern: str, tracks: selectors.Tracks) -> list[str]:
    """Campaigns that would run in parallel on the other track if this one is created."""
    if pattern == selectors.PATTERN_GROUP:
        return tracks.enrollment
    if pattern == selectors.PATTERN_ENROLLMENT:
        return tracks.group
    if pattern == selectors.PATTERN_MIXED:
        return tracks.group + tracks.enrollment
    return []


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    data = request.POST if request.method == "POST" else request.GET
    pattern = data.get("pattern", "")
    if pattern == selectors.PATTERN_EXAM:
        return _exam_campaign_create(request, lecture, data)
    if pattern not in dict(forms.PATTERN_CHOICES):
        pattern_form = forms.PatternForm(request.GET if "pattern" in request.GET else None)
        return render(
            request,
            "registration/staff/campaign_create.html",
            {"lecture": lecture, "step": 1, "pattern_form": pattern_form},
        )
    tracks = selectors.active_tracks(lecture=lecture)
    conflicts = _mixed_conflicts(pattern, tracks)
    needs_acknowledgement = pattern == selectors.PATTERN_MIXED or bool(conflicts)
    candidates = selectors.pattern_registerables(lecture=lecture, pattern=pattern)
    offers = selectors.open_offers(lecture=lecture)
    form_options = {
        "item_choices": _item_choices(candidates, offers),
        "pattern": pattern,
        "needs_acknowledgement": needs_acknowledgement,
        "title_placeholder": PATTERN_TITLES[pattern],
    }
    if request.method == "POST":
        form = forms.CampaignCreateForm(request.POST, **form_options)
        if form.is_valid():
            chosen = set(form.selected_item_ids())
            try:
                campaign = services.campaign_create_with_items(
                    lecture=lecture,
                    by=request.user,
                    fields=form.settings(),
                    registerables=[r for r in candidates if r.pk in chosen],
                    enrollment_title=(
                        form.cleaned_data["enrollment_title"]
                        if pattern == selectors.PATTERN_MIXED
                        else None
                    ),
                )
            except RegistrationError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The campaign was created as a draft."))
                return _to_campaign_page("staff_campaign_detail", campaign)
    else:
        form = forms.CampaignCreateForm(initial=_pattern_initial(pattern), **form_options)
    return render(
        request,
        "registration/staff/campaign_create.html",
        {
            "lecture": lecture,
            "step": 2,
            "pattern": pattern,
            "pattern_label": dict(forms.PATTERN_CHOICES)[pattern],
            "form": form,
            "conflicts": conflicts,
            "needs_acknowledgement": needs_acknowledgement,
            "already_offered": [
                (selectors.registerable_label(r), [title for _pk, title in offers[r.pk]])
                for r in candidates
                if offers.get(r.pk)
            ],
        },
    )


def _exam_campaign_create(request, lecture: Lecture, data):
    """Exam registration: step 2 picks one of the lecture's exams, step 3 the settings (title
    from the exam, deadline three days before it); the service creates the FCFS campaign with
    the exam as its single item and the ``student_performance`` rule."""
    rows = exam_selectors.lecture_exams(lecture=lecture)
    context = {
        "lecture": lecture,
        "pattern": selectors.PATTERN_EXAM,
        "pattern_label": dict(forms.PATTERN_CHOICES)[selectors.PATTERN_EXAM],
        "exam_rows": rows,
        "policy_kind": exam_rules.EXAM_POLICY_KIND,
        "policy_kind_available": policies.get_policy_kind(exam_rules.EXAM_POLICY_KIND)
        is not None,
    }
    exam = None
    if "exam" in data:
        try:
            exam = exam_selectors.exam_of_lecture(lecture=lecture, exam_id=data.get("exam"))
        except Exam.DoesNotExist:
            exam = None
    row = next((r for r in rows if exam is not None and r.exam.pk == exam.pk), None)
    if row is None or not row.can_create_campaign:
        choice_form = forms.ExamChoiceForm(
            data if "exam" in data else None, exam_rows=rows
        )
        if row is not None:  # an exam whose registration still runs: say which one
            choice_form.is_valid()
            choice_form.add_error(
                "exam",
                _("“%(exam)s” is already offered by “%(campaign)s”, which is not finalized.")
                % {"exam": row.exam.title, "campaign": row.running[0][1]},
            )
        return render(
            request,
            "registration/staff/exam_campaign_create.html",
            {**context, "step": 2, "choice_form": choice_form},
        )
    if request.method == "POST":
        form = forms.ExamCampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = services.exam_campaign_create(
                    exam=exam, by=request.user, **form.settings()
                )
            except RegistrationError as exc:
                field = exc.details.get("field")
                form.add_error(field if field in form.fields else None, str(exc))
            else:
                messages.success(request, _("The exam registration was created as a draft."))
                return _to_campaign_page("staff_campaign_detail", campaign)
    else:
        form = forms.ExamCampaignForm(
            initial={
                "title": exam.title,
                "registration_deadline": exam_rules.default_deadline(exam),
                "allow_withdrawal": True,
            }
        )
    return render(
        request,
        "registration/staff/exam_campaign_create.html",
        {**context, "step": 3, "exam": exam, "exam_row": row, "form": form},
    )


# -- one campaign -------------------------------------------------------------------------------


def available_actions(campaign: Campaign, *, registration_count: int) -> list[str]:
    """Lifecycle steps worth offering in the campaign's current state."""
    actions = []
    if campaign.status == Status.DRAFT:
        actions.append("open")
    if campaign.status == Status.OPEN:
        actions.append("close")
    if campaign.status in (Status.CLOSED, Status.PROCESSING, Status.COMPLETED):
        actions.append("reopen")
    if campaign.status in (Status.OPEN, Status.CLOSED) and registration_count == 0:
        actions.append("draft")
    if registration_count == 0:
        actions.append("delete")
    return actions


@login_required
@require_GET
def campaign_detail(request, campaign_id: int):
    campaign = managed_campaign(request, campaign_id)
    overview = selectors.campaign_overview(campaign=campaign)
    context = campaign_tab_context(
        campaign,
        "overview",
        overview=overview,
        overlaps=selectors.campaign_overlaps(campaign=campaign),
        actions=[
            (action, ACTION_LABELS[action])
            for action in available_actions(campaign, registration_count=overview.counts.students)
        ],
    )
    return render(request, "registration/staff/campaign_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_settings(request, campaign_id: int):
    campaign = managed_campaign(request, campaign_id)
    frozen = services.frozen_fields(campaign)
    initial = {name: getattr(campaign, name) for name in forms.CampaignSettingsForm.setting_names}
    if request.method == "POST":
        form = forms.CampaignSettingsForm(request.POST, initial=initial, frozen=frozen)
        if form.is_valid():
            changes = form.changed_settings() | form.forged_frozen_values()
            if not changes:
                messages.info(request, _("Nothing was changed."))
                return _to_campaign_page("staff_campaign_settings", campaign)
            try:
                services.campaign_update(campaign, by=request.user, **changes)
            except RegistrationError as exc:
                field = exc.details.get("field")
                form.add_error(field if field in form.fields else None, str(exc))
            else:
                messages.success(request, _("The settings were saved."))
                return _to_campaign_page("staff_campaign_settings", campaign)
    else:
        form = forms.CampaignSettingsForm(initial=initial, frozen=frozen)
    context = campaign_tab_context(campaign, "settings", form=form, frozen=frozen)
    return render(request, "registration/staff/campaign_settings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_items(request, campaign_id: int):
    campaign = managed_campaign(request, campaign_id)
    addable = selectors.addable_registerables(campaign=campaign)
    if request.method == "POST":
        add_form = forms.ItemAddForm(request.POST, registerables=addable)
        if add_form.is_valid():
            chosen = {r.pk: r for r in addable}[add_form.cleaned_data["registerable"]]
            try:
                services.item_add(campaign=campaign, registerable=chosen, by=request.user)
            except RegistrationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("“%(title)s” was added.") % {"title": chosen})
            return _to_campaign_page("staff_campaign_items", campaign)
    else:
        add_form = forms.ItemAddForm(registerables=addable)
    context = campaign_tab_context(
        campaign,
        "items",
        items=selectors.campaign_items(campaign=campaign),
        add_form=add_form,
        can_add=bool(addable) and campaign.status != Status.COMPLETED,
    )
    return render(request, "registration/staff/campaign_items.html", context)


@login_required
@require_POST
def item_remove(request, campaign_id: int, item_id: int):
    campaign = managed_campaign(request, campaign_id)
    item = _item_or_404(campaign, item_id)
    title = str(item.registerable)
    try:
        services.item_remove(item=item, by=request.user)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(title)s” was removed.") % {"title": title})
    return _to_campaign_page("staff_campaign_items", campaign)


@login_required
@require_POST
def item_capacity(request, campaign_id: int, item_id: int):
    campaign = managed_campaign(request, campaign_id)
    item = _item_or_404(campaign, item_id)
    form = forms.CapacityForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("capacity", []):
            messages.error(request, error)
        return _to_campaign_page("staff_campaign_items", campaign)
    capacity = form.cleaned_data["capacity"]
    try:
        services.item_set_capacity(item=item, capacity=capacity, by=request.user)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The capacity of “%(title)s” is now %(capacity)s.")
            % {
                "title": item.registerable,
                "capacity": _("unlimited") if capacity is None else capacity,
            },
        )
    return _to_campaign_page("staff_campaign_items", campaign)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_policies(request, campaign_id: int):
    """Step 1 picks the kind (a GET form, no JavaScript needed); step 2 shows only that kind's
    fields. Whether rules may still change is the service's decision (it refuses with the
    reason); the page shows the same reason and a locked form."""
    campaign = managed_campaign(request, campaign_id)
    rows = selectors.campaign_policies(campaign=campaign)
    kinds = selectors.addable_policy_kinds(campaign=campaign, rows=rows)
    frozen_reason = services.policies_frozen_reason(campaign)
    kind = (request.POST if request.method == "POST" else request.GET).get("kind", "")
    form = None
    if kind in kinds:
        options = {
            "kind": kind,
            "kinds": kinds,
            "other_campaigns": selectors.lecture_other_campaigns(campaign=campaign),
        }
        form = forms.PolicyAddForm(request.POST or None, **options)
        if request.method == "POST" and form.is_valid():
            try:
                policy = services.policy_add(
                    campaign=campaign,
                    kind=kind,
                    phase=form.cleaned_data["phase"],
                    config=form.cleaned_data["config"],
                    by=request.user,
                )
            except RegistrationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The policy was added."))
                # Saving warns about what opening would refuse (the kind's own preflight).
                for problem in services.policy_open_warnings(policy):
                    messages.warning(request, problem)
            return _to_campaign_page("staff_campaign_policies", campaign)
    elif request.method == "POST":
        messages.error(request, _("Choose one of the offered policies."))
        return _to_campaign_page("staff_campaign_policies", campaign)
    context = campaign_tab_context(
        campaign,
        "policies",
        policies=rows,
        kind_form=forms.PolicyKindForm(kinds=kinds, initial={"kind": kind}),
        form=form,
        can_add=not frozen_reason and bool(kinds),
        frozen_reason=frozen_reason,
    )
    return render(request, "registration/staff/campaign_policies.html", context)


@login_required
@require_POST
def policy_remove(request, campaign_id: int, policy_id: int):
    campaign = managed_campaign(request, campaign_id)
    policy = _policy_or_404(campaign, policy_id)
    try:
        services.policy_remove(policy=policy, by=request.user)
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The policy was removed."))
    return _to_campaign_page("staff_campaign_policies", campaign)


# -- registrations ------------------------------------------------------------------------------


def _campaign_items(campaign: Campaign) -> list[Item]:
    return list(campaign.items.select_related("registerable").order_by("position", "id"))


def _filtered_students(request, campaign: Campaign, items):
    form = forms.RegistrationFilterForm(request.GET or None, items=items)
    return form, selectors.campaign_students(campaign=campaign, **form.filters())


def _back_to_registrations(request, campaign: Campaign):
    """Back to the list as the user left it (filters and page), never to another page."""
    url = reverse("registration:staff_campaign_registrations", args=[campaign.pk])
    query = QueryDict(request.POST.get("query", "")).urlencode()  # re-encoded: inert
    if query:
        url = f"{url}?{query}"
    return redirect(url)


@login_required
@require_GET
def campaign_registrations(request, campaign_id: int):
    campaign = managed_campaign(request, campaign_id)
    items = _campaign_items(campaign)
    form, students = _filtered_students(request, campaign, items)
    page = Paginator(students, REGISTRATIONS_PER_PAGE).get_page(request.GET.get("page"))
    ranks = selectors.choice_columns(campaign=campaign)
    context = campaign_tab_context(
        campaign,
        "registrations",
        filter_form=form,
        page_obj=page,
        rows=selectors.student_rows(campaign=campaign, users=page.object_list, ranks=ranks),
        ranks=range(1, ranks + 1),
        show_unneeded=form.show_unneeded(),
        counts=selectors.student_counts([campaign.pk])[campaign.pk],
        register_form=forms.StaffRegisterForm(items=items, auto_id="register_%s"),
        can_register=campaign.status in services.STAFF_REGISTER_STATUSES[campaign.allocation_mode],
        can_cancel=campaign.status in services.STAFF_CANCEL_STATUSES,
    )
    return render(request, "registration/staff/campaign_registrations.html", context)


@login_required
@require_POST
def registration_add(request, campaign_id: int):
    campaign = managed_campaign(request, campaign_id)
    form = forms.StaffRegisterForm(request.POST, items=_campaign_items(campaign))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return _back_to_registrations(request, campaign)
    student, item = form.cleaned_data["student"], form.chosen_item()
    try:
        services.staff_register(
            campaign=campaign,
            item=item,
            user=student,
            by=request.user,
            reason=form.cleaned_data["reason"],
            allow_overfill=form.cleaned_data["allow_overfill"],
        )
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s was registered for “%(title)s”.")
            % {"name": student.name, "title": item.registerable.title},
        )
    return _back_to_registrations(request, campaign)


@login_required
@require_POST
def registration_cancel(request, campaign_id: int, user_id: int):
    campaign = managed_campaign(request, campaign_id)
    try:
        student = selectors.campaign_user(campaign=campaign, user_id=user_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc
    form = forms.StaffReasonForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("reason", []):
            messages.error(request, f"{form.fields['reason'].label}: {error}")
        return _back_to_registrations(request, campaign)
    try:
        services.staff_cancel(
            campaign=campaign, user=student, by=request.user, reason=form.cleaned_data["reason"]
        )
    except RegistrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The registration of %(name)s was cancelled.") % {"name": student.name}
        )
    return _back_to_registrations(request, campaign)


CSV_BATCH = 1000


def _export_header(ranks: int) -> list:
    return [
        _("Name"),
        _("E-mail"),
        _("Matriculation number"),
        _("Status"),
        _("Place"),
        *[_("Choice %(rank)d") % {"rank": rank} for rank in range(1, ranks + 1)],
        _("Other attempts"),
        _("Registered at"),
    ]


def _export_rows(campaign: Campaign, students, ranks: int):
    """One line per student: status, place, each choice with what became of it."""
    batch = []
    for user in students.iterator(chunk_size=CSV_BATCH):
        batch.append(user)
        if len(batch) == CSV_BATCH:
            yield from _export_batch(campaign, batch, ranks)
            batch = []
    if batch:
        yield from _export_batch(campaign, batch, ranks)


def _export_batch(campaign: Campaign, users, ranks: int):
    for row in selectors.student_rows(campaign=campaign, users=users, ranks=ranks):
        user = row.user
        yield [
            user.name,
            user.email,
            user.matriculation_number,
            row.status_label,
            ", ".join(place.title for place in row.places),
            *[choice.text if choice else "" for choice in row.choices[:ranks]],
            ", ".join(attempt.text for attempt in row.attempts),
            row.first_registered_at,
        ]


@login_required
@require_GET
def campaign_registrations_export(request, campaign_id: int, fmt: str = "csv"):
    campaign = managed_campaign(request, campaign_id)
    items = _campaign_items(campaign)
    _form, students = _filtered_students(request, campaign, items)
    ranks = selectors.choice_columns(campaign=campaign)
    return exports.table_response(
        fmt,
        filename=exports.export_name(campaign.lecture.title, campaign.title, _("registrations")),
        header=_export_header(ranks),
        rows=_export_rows(campaign, students, ranks),
        sheet_title=_("Registrations"),
    )


# -- lifecycle ----------------------------------------------------------------------------------

ACTION_LABELS = {
    "open": gettext_lazy("Open registration"),
    "close": gettext_lazy("Close registration"),
    "reopen": gettext_lazy("Reopen registration"),
    "draft": gettext_lazy("Back to draft"),
    "delete": gettext_lazy("Delete campaign"),
}
ACTION_DONE = {
    "open": gettext_lazy("The campaign is open for registrations."),
    "close": gettext_lazy("The campaign is closed."),
    "reopen": gettext_lazy("The campaign is open again."),
    "draft": gettext_lazy("The campaign is a draft again."),
    "delete": gettext_lazy("The campaign was deleted."),
}


@login_required
@require_http_methods(["GET", "POST"])
def campaign_transition(request, campaign_id: int, action: str):
    if action not in ACTION_LABELS:
        raise Http404
    campaign = managed_campaign(request, campaign_id)
    if request.method == "POST":
        lecture_id = campaign.lecture_id
        try:
            services.campaign_step(campaign, action=action, by=request.user)
        except RegistrationError as exc:
            messages.error(request, str(exc))
            return _to_campaign_page("staff_campaign_detail", campaign)
        messages.success(request, ACTION_DONE[action])
        if action == "delete":
            return redirect("registration:staff_campaign_index", lecture_id=lecture_id)
        return _to_campaign_page("staff_campaign_detail", campaign)
    refusal = services.campaign_step_refusal(campaign, action=action, by=request.user)
    context = campaign_tab_context(
        campaign,
        "overview",
        action=action,
        action_label=ACTION_LABELS[action],
        effects=selectors.transition_effects(campaign=campaign, action=action),
        problems=[refusal] if refusal else [],
    )
    return render(request, "registration/staff/campaign_transition.html", context)
