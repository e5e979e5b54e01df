"""Forms of the group catalogue pages: they shape input, ``mampf.catalogue_services`` decides.

Editing: a field missing from the POST keeps its saved value (the form validates the saved
value in its place, and ``changes()`` names only the submitted fields), so a partial or
tampered request never clears anything. Yes/no values are selects, not checkboxes, because an
unticked checkbox is indistinguishable from a missing one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mampf.models import Cohort, Exam, Registerable, Talk, Tutorial
from mampf.selectors import MAX_DB_ID

MAX_CAPACITY = 2_147_483_647  # PositiveIntegerField on PostgreSQL


def _capacity_field(label=None):
    return forms.IntegerField(
        label=label or _("Capacity"),
        required=False,
        min_value=0,
        max_value=MAX_CAPACITY,
        help_text=_("Empty means unlimited."),
        error_messages={
            "min_value": _("The capacity cannot be negative."),
            "max_value": _("The capacity is too large."),
            "invalid": _("Enter a whole number of places, or leave it empty for no limit."),
        },
        widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
    )


def _title_field():
    return forms.CharField(
        label=_("Title"),
        max_length=300,
        error_messages={"required": _("Please enter a title.")},
    )


def _yes_no(value: str) -> bool:
    return value == "yes"


class GroupForm(forms.Form):
    """Base of the four kinds; ``instance`` given means editing that group."""

    model: type[Registerable]

    def __init__(self, data=None, *, instance: Registerable | None = None):
        self.instance = instance
        self.submitted: set[str] = set()
        initial = None
        if instance is not None:
            initial = {name: self._saved(name) for name in self.base_fields}
        if data is not None:
            self.submitted = {name for name in self.base_fields if name in data}
            if instance is not None:
                data = data.copy()
                for name in self.base_fields:
                    if name not in self.submitted:
                        data[name] = self._saved(name)
        super().__init__(data, initial=initial)

    def _saved(self, name: str) -> str:
        """The saved value as the widget would post it."""
        value = getattr(self.instance, name)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value is None:
            return ""
        field = self.base_fields[name]
        if isinstance(field, forms.ChoiceField):
            return str(value)
        return str(field.widget.format_value(field.prepare_value(value)))

    def values(self) -> dict[str, Any]:
        """Everything, for creating a group."""
        return dict(self.cleaned_data)

    def changes(self) -> dict[str, Any]:
        """The submitted fields whose value differs from the saved one as the form shows it
        (an exam time saved with seconds is not "changed" by posting it back to the minute);
        fields not submitted keep their saved value."""
        changes = {}
        for name in self.submitted:
            value = self.cleaned_data[name]
            if self.instance is not None:
                try:
                    if self.fields[name].clean(self._saved(name)) == value:
                        continue
                except forms.ValidationError:
                    pass
            changes[name] = value
        return changes


class TutorialForm(GroupForm):
    model = Tutorial

    title = _title_field()
    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        choices=[("", "—"), *Tutorial.Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    starts_at = forms.TimeField(
        label=_("Starts at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    ends_at = forms.TimeField(
        label=_("Ends at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    room = forms.CharField(label=_("Room"), max_length=100, required=False)
    capacity = _capacity_field()

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The tutorial must end after it starts."))
        return cleaned


class TalkForm(GroupForm):
    model = Talk

    title = _title_field()
    position = forms.IntegerField(
        label=_("Position"),
        required=False,
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_("Order of the talks; empty puts a new talk at the end."),
    )
    date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    capacity = _capacity_field(label=_("Speaker slots"))

    def clean_position(self):
        position = self.cleaned_data.get("position")
        if position is None and self.instance is not None:
            raise forms.ValidationError(_("Please enter the position of the talk."))
        return position

    def values(self) -> dict[str, Any]:
        values = super().values()
        if values.get("position") is None:
            values.pop("position", None)
        return values


class CohortForm(GroupForm):
    model = Cohort

    title = _title_field()
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=Cohort.Purpose.choices, initial=Cohort.Purpose.GENERAL
    )
    propagate_to_lecture = forms.TypedChoiceField(
        label=_("Members join the lecture"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=_yes_no,
        help_text=_(
            "Yes: adding someone to this cohort also adds them to the lecture roster. "
            "Can only be changed while the cohort is empty."
        ),
    )
    capacity = _capacity_field()


class ExamForm(GroupForm):
    model = Exam

    title = _title_field()
    date = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=_("Room"), max_length=200, required=False)
    capacity = _capacity_field()


FORMS: dict[str, type[GroupForm]] = {
    "tutorial": TutorialForm,
    "talk": TalkForm,
    "cohort": CohortForm,
    "exam": ExamForm,
}


def form_for(kind: str) -> type[GroupForm]:
    return FORMS[kind]


class AddTutorForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the tutor"),
        max_length=254,
        help_text=_("The exact address of their account; nobody is searched or listed."),
        error_messages={
            "required": _("Please enter an e-mail address."),
            "invalid": _("Please enter a complete e-mail address."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class RemoveTutorForm(forms.Form):
    user = forms.IntegerField(min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)
