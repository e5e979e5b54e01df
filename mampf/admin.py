"""Admin for the catalogue: users (e-mail login) and every concrete kind of registerable.

The polymorphic children are registered with plain ``ModelAdmin`` classes: each list is one
query for its own kind (``list_select_related``), and user pickers use autocomplete or the
two-pane widget so the pages stay usable with thousands of users.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from mampf.models import Cohort, Exam, Lecture, Registerable, Talk, Term, Tutorial, User

admin.site.site_header = _("MaMpf administration")
admin.site.site_title = _("MaMpf administration")
admin.site.index_title = _("Site administration")


def _email_taken(address: str, *, exclude_pk) -> bool:
    """An address may belong to one user only, as login or as CONFIRMED institutional address
    (an unconfirmed claim reserves nothing: anyone may type any address into their profile)."""
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    return (
        others.filter(email__iexact=address).exists()
        or others.filter(
            institutional_email__iexact=address, institutional_email_verified_at__isnull=False
        ).exists()
    )


class _EmailCleaningMixin:
    """Lower-case both addresses and refuse ones another user already has."""

    def clean_email(self):
        address = self.cleaned_data["email"].strip().lower()
        if _email_taken(address, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Another user already has this e-mail address."))
        return address

    def clean_institutional_email(self):
        address = (self.cleaned_data.get("institutional_email") or "").strip().lower()
        if not address:
            return None
        if _email_taken(address, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("Another user already has this e-mail address."))
        return address

    def refuse_confirmation_without_address(self, cleaned: dict) -> None:
        if cleaned.get("institutional_email_verified_at") and not cleaned.get(
            "institutional_email"
        ):
            self.add_error(
                "institutional_email_verified_at",
                _("Only an existing institutional address can be confirmed."),
            )


class UserCreationForm(_EmailCleaningMixin, auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = (
            "email",
            "name",
            "matriculation_number",
            "institutional_email",
            "institutional_email_verified_at",
        )

    def clean(self):
        cleaned = super().clean()
        self.refuse_confirmation_without_address(cleaned)
        return cleaned


class UserChangeForm(_EmailCleaningMixin, auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean(self):
        """A new address loses its confirmation unless staff confirm it in the same edit."""
        cleaned = super().clean()
        if (
            "institutional_email" in self.changed_data
            and "institutional_email_verified_at" not in self.changed_data
        ):
            cleaned["institutional_email_verified_at"] = None
        self.refuse_confirmation_without_address(cleaned)
        return cleaned


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "name",
                    "matriculation_number",
                    "institutional_email",
                    "institutional_email_verified_at",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "name",
                    "matriculation_number",
                    "institutional_email",
                    "institutional_email_verified_at",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    list_display = (
        "email",
        "name",
        "matriculation_number",
        "institutional_email",
        "institutional_email_verified_at",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = (
        "is_staff",
        "is_superuser",
        "is_active",
        ("institutional_email_verified_at", admin.DateFieldListFilter),
        "groups",
    )
    search_fields = ("email", "name", "matriculation_number", "institutional_email")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    list_per_page = 100
    show_full_result_count = False


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("__str__", "season", "year", "starts_on", "ends_on", "lecture_count")
    list_filter = ("season",)
    search_fields = ("year",)
    ordering = ("-year", "season")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lecture_total=Count("lectures"))

    @admin.display(description=_("lectures"), ordering="lecture_total")
    def lecture_count(self, term):
        return term.lecture_total


class _RosterSizeMixin:
    """Adds the roster size as one annotated column (no query per row)."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(roster_total=Count("roster_entries"))

    @admin.display(description=_("on roster"), ordering="roster_total")
    def roster_size(self, obj):
        return obj.roster_total


def _light_users():
    """Only the columns a user's label needs, for the two-pane user pickers."""
    return User.objects.only("pk", "name", "email").order_by("name", "email")


@admin.register(Registerable)
class RegisterableAdmin(admin.ModelAdmin):
    """Every group of every kind, read only: the lookup behind roster and item pickers."""

    list_display = ("title", "kind_label", "capacity")
    list_filter = ("polymorphic_ctype",)
    search_fields = ("title",)
    ordering = ("title",)

    def get_queryset(self, request):
        return super().get_queryset(request).non_polymorphic().select_related(
            "polymorphic_ctype"
        )

    @admin.display(description=_("kind"), ordering="polymorphic_ctype")
    def kind_label(self, obj):
        ctype = obj.polymorphic_ctype
        return ctype.model_class()._meta.verbose_name if ctype else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Lecture)
class LectureAdmin(_RosterSizeMixin, admin.ModelAdmin):
    list_display = ("title", "term", "teacher", "is_seminar", "capacity", "roster_size")
    list_filter = ("term", "is_seminar")
    list_select_related = ("term", "teacher")
    search_fields = ("title", "teacher__name", "teacher__email")
    autocomplete_fields = ("teacher",)
    filter_horizontal = ("editors",)
    fields = ("title", "term", "teacher", "editors", "is_seminar", "capacity")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "editors":
            kwargs["queryset"] = _light_users()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Tutorial)
class TutorialAdmin(_RosterSizeMixin, admin.ModelAdmin):
    list_display = (
        "title", "lecture", "weekday", "starts_at", "ends_at", "room", "tutor_names",
        "capacity", "roster_size",
    )
    list_filter = ("lecture__term", "weekday", "lecture")
    list_select_related = ("lecture", "lecture__term")
    search_fields = ("title", "room", "lecture__title", "tutors__name", "tutors__email")
    autocomplete_fields = ("lecture",)
    filter_horizontal = ("tutors",)
    fields = ("lecture", "title", "weekday", "starts_at", "ends_at", "room", "capacity", "tutors")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tutors")

    @admin.display(description=_("tutors"))
    def tutor_names(self, tutorial):
        return ", ".join(str(tutor) for tutor in tutorial.tutors.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tutors":
            kwargs["queryset"] = _light_users()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Talk)
class TalkAdmin(_RosterSizeMixin, admin.ModelAdmin):
    list_display = ("position", "title", "lecture", "date", "capacity", "roster_size")
    list_display_links = ("position", "title")
    list_filter = ("lecture__term", "lecture")
    list_select_related = ("lecture", "lecture__term")
    search_fields = ("title", "lecture__title")
    autocomplete_fields = ("lecture",)
    fields = ("lecture", "position", "title", "date", "capacity")
    ordering = ("lecture", "position")


@admin.register(Cohort)
class CohortAdmin(_RosterSizeMixin, admin.ModelAdmin):
    list_display = ("title", "lecture", "purpose", "propagate_to_lecture", "capacity",
                    "roster_size")
    list_filter = ("purpose", "propagate_to_lecture", "lecture__term")
    list_select_related = ("lecture", "lecture__term")
    search_fields = ("title", "lecture__title")
    autocomplete_fields = ("lecture",)
    fields = ("lecture", "title", "purpose", "propagate_to_lecture", "capacity")


@admin.register(Exam)
class ExamAdmin(_RosterSizeMixin, admin.ModelAdmin):
    list_display = ("title", "lecture", "date", "location", "capacity", "roster_size")
    list_filter = ("lecture__term",)
    list_select_related = ("lecture", "lecture__term")
    search_fields = ("title", "location", "lecture__title")
    autocomplete_fields = ("lecture",)
    date_hierarchy = "date"
    fields = ("lecture", "title", "date", "location", "capacity")
