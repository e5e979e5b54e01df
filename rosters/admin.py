"""Roster admin: entries change only through ``rosters.services``; the audit is read only.

Adding or deleting an entry here runs ``add_user``/``remove_user``, so the lecture roster stays a
superset of its groups, capacity and the one-tutorial rule hold, and every change is audited.
A refusal comes back as an error message on the add page instead of a crash.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from mampf.models import Lecture
from rosters import errors, services
from rosters.models import RosterChange, RosterEntry


class RosterEntryAddForm(forms.ModelForm):
    allow_overfill = forms.BooleanField(
        label=_("Allow overfilling"),
        required=False,
        help_text=_("Add the student even when the group is full."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    class Meta:
        model = RosterEntry
        fields = ("registerable", "user", "source_campaign")


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    list_display = ("registerable", "user", "source_campaign", "added_at", "added_by")
    list_select_related = ("registerable", "user", "source_campaign", "added_by")
    list_filter = (("source_campaign", admin.EmptyFieldListFilter), "added_at")
    search_fields = ("user__email", "user__name", "user__matriculation_number",
                     "registerable__title")
    autocomplete_fields = ("registerable", "user")
    raw_id_fields = ("source_campaign",)
    date_hierarchy = "added_at"
    readonly_fields = ("added_at", "added_by")
    show_full_result_count = False
    add_fieldsets = (
        (None, {"fields": ("registerable", "user", "source_campaign", "allow_overfill",
                           "reason")}),
    )
    fieldsets = (
        (None, {"fields": ("registerable", "user", "source_campaign", "added_at", "added_by")}),
    )

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.add_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = RosterEntryAddForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Moves and edits go through the roster pages (audited); here entries are viewed only.
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except errors.RosterError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        entry = services.add_user(
            registerable=obj.registerable,
            user=obj.user,
            by=request.user,
            allow_overfill=form.cleaned_data.get("allow_overfill", False),
            source_campaign=obj.source_campaign,
            reason=form.cleaned_data.get("reason", ""),
        )
        # The admin's success message and redirect need the saved row.
        obj.pk = entry.pk
        obj.added_at = entry.added_at
        obj.added_by = entry.added_by

    def delete_model(self, request, obj):
        try:
            services.remove_user(registerable=obj.registerable, user=obj.user, by=request.user,
                                 reason="admin")
        except errors.NotOnRoster:
            pass  # already gone (for example with the lecture entry deleted in the same batch)

    def delete_queryset(self, request, queryset):
        # Group entries first, so removing a lecture entry afterwards finds nothing left to
        # cascade and every removal is audited once.
        lecture_ctype_id = ContentType.objects.get_for_model(Lecture).pk
        entries = sorted(
            queryset.select_related("registerable", "user"),
            key=lambda entry: entry.registerable.polymorphic_ctype_id == lecture_ctype_id,
        )
        for entry in entries:
            self.delete_model(request, entry)


@admin.register(RosterChange)
class RosterChangeAdmin(admin.ModelAdmin):
    """Append-only audit: viewing only."""

    list_display = ("at", "action", "user", "registerable", "from_registerable",
                    "source_campaign", "by", "reason")
    list_select_related = ("user", "registerable", "from_registerable", "source_campaign", "by")
    list_filter = ("action", "at")
    search_fields = ("user__email", "user__name", "registerable__title", "reason")
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
