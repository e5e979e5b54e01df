"""Registration admin: every write goes through ``registration.services``.

Status changes (the django-fsm-2 buttons on the change page and the list actions) run the same
services as the staff pages, so pre-flight checks hold and every change writes its audit row.
Frozen settings are read only; items and rules can be added or removed only where the freezing
rules allow; registrations and the transition audit are read only.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_fsm.admin import FSMAdminMixin

from registration import policies, services
from registration.errors import RegistrationError
from registration.models import Campaign, CampaignTransition, Item, Policy, UserRegistration

Status = Campaign.Status

# FSM transition method -> the service that performs it (checks, lock, audit row).
TRANSITION_SERVICES = {
    "mark_open": services.campaign_open,
    "mark_closed": services.campaign_close,
    "mark_reopened": services.campaign_reopen,
    "mark_draft": services.campaign_revert_to_draft,
}
TRANSITION_LABELS = {
    "mark_open": _("Open registration"),
    "mark_closed": _("Close registration"),
    "mark_reopened": _("Reopen registration"),
    "mark_draft": _("Back to draft"),
}


def _run_on_each(modeladmin, request, objects, action, *, done_message):
    """Run a service per object; report each refusal by name and the successes in one line.

    ``done_message`` is a function of the count (an ``ngettext`` call), so plurals translate.
    """
    done = 0
    for obj in objects:
        try:
            action(obj)
        except RegistrationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message(done) % {"count": done}, messages.SUCCESS)


class _ServiceErrorsAsMessages:
    """A refusal raised while saving becomes an error message, never a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RegistrationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except RegistrationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# -- campaigns ----------------------------------------------------------------------------------


class CampaignAdminForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = (
            "lecture",
            "title",
            "description",
            "allocation_mode",
            "planning_only",
            "registration_opens_at",
            "registration_deadline",
            "max_preferences",
            "allow_withdrawal",
        )

    def clean(self):
        cleaned = super().clean()
        deadline = cleaned.get("registration_deadline")
        opens_at = cleaned.get("registration_opens_at")
        if deadline and opens_at and opens_at >= deadline:
            self.add_error(
                "registration_opens_at", _("The opening time must be before the deadline.")
            )
        max_preferences = cleaned.get("max_preferences")
        if max_preferences is not None and not 1 <= max_preferences <= 50:
            self.add_error("max_preferences", _("Students may rank between 1 and 50 items."))
        return cleaned


class ItemInline(admin.TabularInline):
    """Items, read only here: add and remove them on the campaign's Items page or Item admin."""

    model = Item
    fields = ("registerable", "exclusive", "position", "capacity", "registration_total")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("registerable")
            .annotate(registrations_count=Count("registrations"))
        )

    @admin.display(description=_("capacity"))
    def capacity(self, item):
        return item.registerable.capacity if item.registerable.capacity is not None else "∞"

    @admin.display(description=_("registrations"))
    def registration_total(self, item):
        return item.registrations_count

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PolicyInline(admin.TabularInline):
    """Rules in evaluation order, read only here (the Policy admin edits them while draft)."""

    model = Policy
    fields = ("position", "kind", "phase", "description", "active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("description"))
    def description(self, policy):
        kind = policies.get_policy_kind(policy.kind)
        return kind.describe(policy) if kind else "—"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(_ServiceErrorsAsMessages, FSMAdminMixin, admin.ModelAdmin):
    form = CampaignAdminForm
    # django_fsm is not an installed app, so its change form template lives here.
    change_form_template = "registration/staff/admin_campaign_change_form.html"
    fsm_fields = ["status"]
    list_display = (
        "title",
        "lecture",
        "allocation_mode",
        "status",
        "registration_deadline",
        "planning_only",
    )
    list_filter = ("status", "allocation_mode", "planning_only", "lecture__term")
    list_select_related = ("lecture",)
    search_fields = ("title", "lecture__title")
    autocomplete_fields = ("lecture",)
    date_hierarchy = "registration_deadline"
    inlines = (ItemInline, PolicyInline)
    actions = ("open_selected", "close_selected", "reopen_selected")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["lecture", "created_by", "created_at", "updated_at"]
            readonly += [name for name in services.frozen_fields(obj) if name not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.EDITABLE_FIELDS
            }
            if changes:
                services.campaign_update(obj, by=request.user, **changes)
            return
        fields = {
            name: form.cleaned_data[name]
            for name in services.EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        created = services.campaign_create(
            lecture=form.cleaned_data["lecture"], by=request.user, **fields
        )
        # The admin's success message and redirect need the saved row.
        obj.pk = created.pk
        obj.created_by = created.created_by

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.registrations.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        """Items, rules and audit rows go with their campaign; campaign_delete decides."""
        to_delete, model_count, _perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        return to_delete, model_count, set(), protected

    def delete_model(self, request, obj):
        services.campaign_delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        _run_on_each(
            self,
            request,
            list(queryset),
            lambda campaign: services.campaign_delete(campaign, by=request.user),
            done_message=lambda n: ngettext(
                "%(count)d campaign deleted.", "%(count)d campaigns deleted.", n
            ),
        )

    # -- status changes through the services ---------------------------------------------------

    @staticmethod
    def get_fsm_block_label(fsm_field_name):
        return _("Change status")

    def is_fsm_transition_visible(self, transition):
        return transition.name in TRANSITION_SERVICES

    def get_fsm_label(self, transition):
        return TRANSITION_LABELS.get(transition.name, transition.name)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        """The change page's buttons: run the service, never the bare FSM method."""
        service = TRANSITION_SERVICES.get(transition_name)
        if service is None:
            self.message_user(
                request, _("That status change is not available here."), messages.ERROR
            )
            return False
        try:
            service(obj, by=request.user)
        except RegistrationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(change)s: done.") % {"change": TRANSITION_LABELS[transition_name]},
            messages.SUCCESS,
        )
        return True

    def response_change(self, request, obj):
        transition_name = request.POST.get(self.fsm_post_param)
        if transition_name and transition_name not in TRANSITION_SERVICES:
            self.message_user(
                request, _("That status change is not available here."), messages.ERROR
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        """No transition needs a form; a hand-typed URL lands back on the change page."""
        self.message_user(request, _("Use the buttons on the campaign's page."), messages.INFO)
        return redirect("admin:registration_campaign_changelist")

    @admin.action(description=_("Open selected campaigns"), permissions=["change"])
    def open_selected(self, request, queryset):
        _run_on_each(
            self,
            request,
            list(queryset),
            lambda campaign: services.campaign_open(campaign, by=request.user),
            done_message=lambda n: ngettext(
                "%(count)d campaign opened.", "%(count)d campaigns opened.", n
            ),
        )

    @admin.action(description=_("Close selected campaigns"), permissions=["change"])
    def close_selected(self, request, queryset):
        _run_on_each(
            self,
            request,
            list(queryset),
            lambda campaign: services.campaign_close(campaign, by=request.user),
            done_message=lambda n: ngettext(
                "%(count)d campaign closed.", "%(count)d campaigns closed.", n
            ),
        )

    @admin.action(description=_("Reopen selected campaigns"), permissions=["change"])
    def reopen_selected(self, request, queryset):
        _run_on_each(
            self,
            request,
            list(queryset),
            lambda campaign: services.campaign_reopen(campaign, by=request.user),
            done_message=lambda n: ngettext(
                "%(count)d campaign reopened.", "%(count)d campaigns reopened.", n
            ),
        )


# -- items --------------------------------------------------------------------------------------


class ItemAdminForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ("campaign", "registerable")

    def clean(self):
        cleaned = super().clean()
        campaign, registerable = cleaned.get("campaign"), cleaned.get("registerable")
        if campaign and registerable:
            try:
                lecture_id = registerable.parent_lecture.pk
            except TypeError:
                lecture_id = None
            if lecture_id != campaign.lecture_id:
                self.add_error("registerable", _("This belongs to another lecture."))
            if campaign.status == Status.COMPLETED:
                self.add_error("campaign", _("The campaign is completed; reopen it to add items."))
        return cleaned


@admin.register(Item)
class ItemAdmin(_ServiceErrorsAsMessages, admin.ModelAdmin):
    """Items are added and removed through the services; nothing else about them changes here."""

    form = ItemAdminForm
    list_display = ("registerable", "campaign", "exclusive", "position", "registration_total")
    list_filter = ("exclusive", "campaign__status")
    list_select_related = ("registerable", "campaign")
    search_fields = ("registerable__title", "campaign__title")
    autocomplete_fields = ("campaign", "registerable")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(registrations_count=Count("registrations"))

    @admin.display(description=_("registrations"), ordering="registrations_count")
    def registration_total(self, item):
        return item.registrations_count

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("campaign", "registerable", "exclusive", "position", "created_at")
        return ()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (
            obj.registrations.exists() or obj.campaign.status == Status.COMPLETED
        ):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        item = services.item_add(
            campaign=form.cleaned_data["campaign"],
            registerable=form.cleaned_data["registerable"].get_real_instance(),
            by=request.user,
        )
        obj.pk = item.pk

    def delete_model(self, request, obj):
        services.item_remove(item=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        _run_on_each(
            self,
            request,
            list(queryset.select_related("campaign", "registerable")),
            lambda item: services.item_remove(item=item, by=request.user),
            done_message=lambda n: ngettext(
                "%(count)d item removed.", "%(count)d items removed.", n
            ),
        )


# -- policies -----------------------------------------------------------------------------------


class PolicyAdminForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = ("campaign", "kind", "phase", "config", "active", "position")

    def clean(self):
        cleaned = super().clean()
        campaign = cleaned.get("campaign") or getattr(self.instance, "campaign", None)
        if campaign is not None and not campaign.is_draft:
            raise ValidationError(
                _(
                    "Rules are locked once the campaign has opened: new rules could invalidate "
                    "places students already hold."
                )
            )
        kind = cleaned.get("kind") or self.instance.kind
        if kind and "config" in cleaned:
            try:
                cleaned["config"] = policies.clean_policy_config(kind, cleaned["config"])
            except ValidationError as exc:
                self.add_error("config", exc.messages)
        return cleaned


@admin.register(Policy)
class PolicyAdmin(_ServiceErrorsAsMessages, admin.ModelAdmin):
    """Rules can be added, edited and removed only while their campaign is a draft."""

    form = PolicyAdminForm
    list_display = ("campaign", "position", "kind", "phase", "active")
    list_filter = ("kind", "phase", "active")
    list_select_related = ("campaign",)
    search_fields = ("campaign__title",)
    autocomplete_fields = ("campaign",)

    def get_readonly_fields(self, request, obj=None):
        return ("campaign", "kind") if obj is not None else ()

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.campaign.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.campaign.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.policy_update(
                policy=Policy.objects.select_related("campaign").get(pk=obj.pk),
                by=request.user,
                phase=data["phase"],
                config=data["config"],
                active=data["active"],
                position=data["position"],
            )
            return
        created = services.policy_add(
            campaign=data["campaign"],
            kind=data["kind"],
            phase=data["phase"],
            config=data["config"],
            by=request.user,
            active=data["active"],
        )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.policy_remove(policy=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        _run_on_each(
            self,
            request,
            list(queryset.select_related("campaign")),
            lambda policy: services.policy_remove(policy=policy, by=request.user),
            done_message=lambda n: ngettext(
                "%(count)d policy removed.", "%(count)d policies removed.", n
            ),
        )


# -- registrations and audit (read only) --------------------------------------------------------


@admin.register(UserRegistration)
class UserRegistrationAdmin(admin.ModelAdmin):
    """Read only: registrations change through the students' actions and allocation."""

    list_display = (
        "user",
        "campaign",
        "item",
        "status",
        "preference_rank",
        "rejection_reason",
        "created_at",
    )
    list_filter = ("status", "campaign__status", "campaign__allocation_mode")
    list_select_related = ("user", "campaign", "item__registerable")
    search_fields = (
        "user__name",
        "user__email",
        "user__matriculation_number",
        "campaign__title",
    )
    autocomplete_fields = ("user",)
    raw_id_fields = ("campaign", "item")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CampaignTransition)
class CampaignTransitionAdmin(admin.ModelAdmin):
    """Append-only audit: viewing only."""

    list_display = ("at", "campaign", "from_status", "to_status", "by", "note")
    list_filter = ("to_status", "from_status")
    list_select_related = ("campaign", "by")
    search_fields = ("campaign__title", "by__name", "by__email", "note")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
