"""Forms of the staff registration pages; they validate input, the services decide and write."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from registration import policies
from registration.models import Campaign, Policy
from registration.selectors import staff as selectors
from registration.services import EARLIEST_YEAR, LATEST_YEAR

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT)


PATTERN_CHOICES = [
    (selectors.PATTERN_GROUP, _("Group track")),
    (selectors.PATTERN_ENROLLMENT, _("Enrollment track")),
    (selectors.PATTERN_SPECIAL, _("Special groups")),
    (selectors.PATTERN_MIXED, _("Mixed track (discouraged)")),
    (selectors.PATTERN_EXAM, _("Exam registration")),
]



def _plausible_moment(value) -> None:
    """Keep dates in a range the database and the time-zone tables can represent."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            _("Enter a date between the years %(earliest)d and %(latest)d.")
            % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
        )

class PatternForm(forms.Form):
    """Wizard step 1: which configuration pattern the new campaign follows."""

    pattern = forms.ChoiceField(
        label=_("Configuration pattern"), choices=PATTERN_CHOICES, widget=forms.RadioSelect
    )


class CampaignSettingsForm(forms.Form):
    """The editable settings of a campaign; frozen fields are shown disabled with the reason."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    allocation_mode = forms.ChoiceField(
        label=_("Allocation mode"), choices=Campaign.AllocationMode.choices
    )
    registration_deadline = forms.DateTimeField(
        label=_("Registration deadline"),
        widget=_datetime_widget(),
        validators=[_plausible_moment],
    )
    registration_opens_at = forms.DateTimeField(
        label=_("Registration opens at"),
        required=False,
        widget=_datetime_widget(),
        validators=[_plausible_moment],
        help_text=_("Leave empty to open by hand; otherwise the campaign opens by itself."),
    )
    max_preferences = forms.IntegerField(
        label=_("Maximum number of preferences"),
        min_value=1,
        max_value=50,
        initial=3,
        help_text=_("How many items a student may rank (preference-based campaigns)."),
    )
    allow_withdrawal = forms.BooleanField(
        label=_("Students may withdraw while the campaign is open"), required=False, initial=True
    )
    planning_only = forms.BooleanField(
        label=_("Planning only (interest registration; never put into rosters)"),
        required=False,
    )

    setting_names = (
        "title",
        "description",
        "allocation_mode",
        "registration_deadline",
        "registration_opens_at",
        "max_preferences",
        "allow_withdrawal",
        "planning_only",
    )

    # Editing an existing campaign: a field missing from the request means "unchanged", never
    # "cleared" (a script or a JSON body must not wipe the description or the opening time).
    # The page sends every field; its checkboxes carry a hidden "false" companion, so an
    # unticked box is present too.
    missing_means_unchanged = True

    def __init__(self, *args, frozen: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.frozen = frozen or {}
        for name, reason in self.frozen.items():
            if name in self.fields:
                self.fields[name].disabled = True
                self.fields[name].help_text = reason

    def absent_fields(self) -> set[str]:
        """Editable settings the request did not send at all."""
        if not self.is_bound or not self.missing_means_unchanged:
            return set()
        return {
            name
            for name in self.setting_names
            if name in self.fields
            and not self.fields[name].disabled
            and self.add_prefix(name) not in self.data
        }

    def full_clean(self):
        # An absent field is validated as its current value (Django's "disabled" semantics),
        # so it never counts as changed; the page still renders it as an editable field.
        absent = self.absent_fields()
        for name in absent:
            self.fields[name].disabled = True
        try:
            super().full_clean()
        finally:
            for name in absent:
                self.fields[name].disabled = False
        self.absent = absent

    def clean(self):
        cleaned = super().clean()
        deadline = cleaned.get("registration_deadline")
        opens_at = cleaned.get("registration_opens_at")
        if deadline and opens_at and opens_at >= deadline:
            self.add_error(
                "registration_opens_at", _("The opening time must be before the deadline.")
            )
        return cleaned

    def settings(self) -> dict:
        """Every setting, for creating a campaign."""
        return {name: self.cleaned_data[name] for name in self.setting_names}

    def changed_settings(self) -> dict:
        """Settings the user changed (disabled fields never count)."""
        absent = getattr(self, "absent", set())
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in self.setting_names
            and not self.fields[name].disabled
            and name not in absent
            and _differs(self.get_initial_for_field(self.fields[name], name),
                         self.cleaned_data[name])
        }

    def forged_frozen_values(self) -> dict:
        """Values posted for disabled fields anyway; handed to the service so it refuses them."""
        forged = {}
        for name in self.frozen:
            field = self.fields.get(name)
            if field is None or self.add_prefix(name) not in self.data:
                continue
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            try:
                value = field.clean(raw)
            except ValidationError:
                value = raw
            if _differs(self.get_initial_for_field(field, name), value):
                forged[name] = value
        return forged


def _differs(initial, value) -> bool:
    """Compare as the form shows them: datetimes to the minute, everything else exactly."""
    if isinstance(initial, datetime.datetime) and isinstance(value, datetime.datetime):
        return initial.replace(second=0, microsecond=0) != value.replace(second=0, microsecond=0)
    return initial != value


class CampaignCreateForm(CampaignSettingsForm):
    """Wizard step 2: settings plus the items to start with."""

    missing_means_unchanged = False  # nothing to keep: a missing required field is refused

    items = forms.MultipleChoiceField(
        label=_("Items"), required=False, widget=forms.CheckboxSelectMultiple
    )
    enrollment_title = forms.CharField(
        label=_("Title of the course enrollment campaign"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Course enrollment")}),
    )
    acknowledge_mixed = forms.BooleanField(
        label=_(
            "I understand that this creates two parallel rosters: a student may join a group "
            "without enrolling in the lecture."
        ),
        required=False,
    )

    def __init__(self, *args, item_choices=(), pattern: str, needs_acknowledgement: bool,
                 title_placeholder: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.pattern = pattern
        if title_placeholder:
            self.fields["title"].widget.attrs["placeholder"] = title_placeholder
        self.needs_acknowledgement = needs_acknowledgement
        self.fields["items"].choices = [(str(pk), label) for pk, label in item_choices]
        if pattern != selectors.PATTERN_MIXED:
            del self.fields["enrollment_title"]
        if not needs_acknowledgement:
            del self.fields["acknowledge_mixed"]

    def clean(self):
        cleaned = super().clean()
        if self.needs_acknowledgement and not cleaned.get("acknowledge_mixed"):
            self.add_error(
                "acknowledge_mixed",
                _("Confirm that you want group registration and course enrollment in parallel."),
            )
        if self.pattern == selectors.PATTERN_MIXED and not str(
            cleaned.get("enrollment_title") or ""
        ).strip():
            self.add_error("enrollment_title", _("Give the enrollment campaign a title."))
        return cleaned

    def selected_item_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("items", [])]


class ExamChoiceForm(forms.Form):
    """Exam registration, step 2: which of the lecture's exams (a GET form)."""

    exam = forms.TypedChoiceField(label=_("Exam"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, exam_rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["exam"].choices = [
            (row.exam.pk, row.exam.title) for row in exam_rows if row.can_create_campaign
        ]


class ExamCampaignForm(forms.Form):
    """Exam registration, step 3: the settings a teacher chooses. The mode (first come, first
    served), the item (the exam) and the eligibility rule are fixed and shown as facts."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    registration_deadline = forms.DateTimeField(
        label=_("Registration deadline"),
        widget=_datetime_widget(),
        validators=[_plausible_moment],
        help_text=_("Three days before the exam unless you change it; never after the exam."),
    )
    registration_opens_at = forms.DateTimeField(
        label=_("Registration opens at"),
        required=False,
        widget=_datetime_widget(),
        validators=[_plausible_moment],
        help_text=_("Leave empty to open by hand; otherwise the campaign opens by itself."),
    )
    allow_withdrawal = forms.BooleanField(
        label=_("Students may withdraw while the campaign is open"), required=False, initial=True
    )

    def clean(self):
        cleaned = super().clean()
        deadline = cleaned.get("registration_deadline")
        opens_at = cleaned.get("registration_opens_at")
        if deadline and opens_at and opens_at >= deadline:
            self.add_error(
                "registration_opens_at", _("The opening time must be before the deadline.")
            )
        return cleaned

    def settings(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                "title", "description", "registration_deadline", "registration_opens_at",
                "allow_withdrawal",
            )
        }


class ItemAddForm(forms.Form):
    registerable = forms.TypedChoiceField(label=_("Add an item"), coerce=int)

    def __init__(self, *args, registerables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registerable"].choices = [
            (r.pk, selectors.registerable_label(r)) for r in registerables
        ]


class CapacityForm(forms.Form):
    """A new capacity. "Unlimited" must be asked for: an empty field that is present.

    A request without the field (a JSON or text body, a truncated form) is refused and changes
    nothing; it never makes the group unlimited.
    """

    capacity = forms.IntegerField(
        label=_("Capacity"),
        required=False,
        min_value=0,
        max_value=100000,
        help_text=_("Empty means unlimited."),
    )

    def clean(self):
        cleaned = super().clean()
        if self.add_prefix("capacity") not in self.data:
            self.add_error(
                "capacity",
                _("Enter a capacity, or leave the field empty for an unlimited group."),
            )
        return cleaned


class PolicyKindForm(forms.Form):
    """Policies step 1: which kind of rule; step 2 then shows only that kind's fields."""

    kind = forms.ChoiceField(label=_("Policy"), widget=forms.RadioSelect)

    def __init__(self, *args, kinds: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(name, kind.label) for name, kind in kinds.items()]


class PolicyAddForm(forms.Form):
    """A new policy of one chosen kind: when it applies and that kind's own fields only.

    Kinds without a field of their own here (``student_performance``) need no settings: they
    apply to the campaign's lecture. There is no raw JSON.
    """

    kind = forms.ChoiceField(label=_("Policy"), widget=forms.HiddenInput)
    phase = forms.ChoiceField(
        label=_("Applies at"), choices=Policy.Phase.choices, initial=Policy.Phase.REGISTRATION
    )
    domains = forms.CharField(
        label=_("E-mail domains"),
        help_text=_("Separated by spaces or commas, for example uni-heidelberg.de."),
    )
    prerequisite_campaign = forms.TypedChoiceField(
        label=_("Prerequisite campaign"),
        coerce=int,
        empty_value=None,
        help_text=_("Students need a confirmed place in that campaign."),
    )

    kind_fields = {
        "institutional_email": ("domains",),
        "prerequisite_campaign": ("prerequisite_campaign",),
    }

    def __init__(self, *args, kind: str, kinds: dict, other_campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.kind_label = kinds[kind].label if kind in kinds else ""
        self.fields["kind"].choices = [(name, k.label) for name, k in kinds.items()]
        self.fields["kind"].initial = kind
        self.fields["prerequisite_campaign"].choices = [("", "—")] + [
            (c.pk, c.title) for c in other_campaigns
        ]
        own = self.kind_fields.get(kind, ())
        for name in ("domains", "prerequisite_campaign"):
            if name not in own:
                del self.fields[name]

    def config_fields(self):
        """The bound fields of the chosen kind, for the template."""
        return [self[name] for name in self.kind_fields.get(self.kind, ())]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind or kind != self.kind:
            return cleaned
        if kind == "institutional_email":
            field_name, config = "domains", {"domains": cleaned.get("domains") or ""}
        elif kind == "prerequisite_campaign":
            campaign_id = cleaned.get("prerequisite_campaign")
            field_name = "prerequisite_campaign"
            config = {"campaign_id": campaign_id} if campaign_id else {}
        else:
            field_name, config = None, {}
        try:
            cleaned["config"] = policies.clean_policy_config(kind, config)
        except ValidationError as exc:
            self.add_error(field_name if field_name in self.fields else None, exc.messages)
        return cleaned


STATUS_FILTER_CHOICES = [
    ("", _("All students")),
    *((value, label) for value, label in selectors.STUDENT_STATUS_LABELS.items()),
]
SORT_CHOICES = [
    ("name", _("Name")),
    ("status", _("Status")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
]


class RegistrationFilterForm(forms.Form):
    """Filters of the registrations list (one row per student); unknown values are ignored,
    never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_FILTER_CHOICES)
    item = forms.TypedChoiceField(label=_("Item"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)
    unneeded = forms.BooleanField(
        label=_("Show lower choices of students who got a higher one"), required=False
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", _("All items"))] + [
            (item.pk, str(item.registerable)) for item in items
        ]

    def filters(self) -> dict:
        """The valid filters only (an invalid value is dropped, not an error page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "search": data.get("q") or "",
            "status": data.get("status") or "",
            "item_id": data.get("item"),
            "sort": data.get("sort") or selectors.DEFAULT_STUDENT_SORT,
        }

    def show_unneeded(self) -> bool:
        self.is_valid()
        return bool(getattr(self, "cleaned_data", {}).get("unneeded"))


class StaffReasonForm(forms.Form):
    """Why staff change a student's registration by hand; kept in the campaign's history."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Kept in the campaign's history."),
    )

    def clean_reason(self):
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(_("Give a reason; it is kept in the campaign's history."))
        return reason


class StaffRegisterForm(StaffReasonForm):
    """Register one student by hand: who, into which item, why, and whether to overfill."""

    student = forms.CharField(
        label=_("Student (e-mail or matriculation number)"),
        max_length=254,
    )
    item = forms.TypedChoiceField(label=_("Item"), coerce=int)
    allow_overfill = forms.BooleanField(label=_("Allow overfilling a full group"), required=False)

    field_order = ("student", "item", "reason", "allow_overfill")

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {item.pk: item for item in items}
        self.fields["item"].choices = [("", "—")] + [
            (item.pk, str(item.registerable)) for item in items
        ]

    def clean_student(self):
        user = selectors.user_by_identifier(identifier=self.cleaned_data["student"])
        if user is None:
            raise ValidationError(
                _("No single account has this e-mail address or matriculation number.")
            )
        return user

    def chosen_item(self):
        return self.items[self.cleaned_data["item"]]
