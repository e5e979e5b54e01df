"""Forms of the certification pages (the shape of input only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from performance.certification import NOTE_MAX
from performance.models import Certification
from performance.selectors import (
    CARRIED_OVER,
    DIFFERS,
    FAILED,
    INCONCLUSIVE,
    MANUAL,
    MISSING,
    PASSED,
    PENDING,
    STALE,
)

FILTER_CHOICES = [
    ("", _("All students")),
    (PASSED, _("Passed")),
    (FAILED, pgettext_lazy("exam admission", "Failed")),
    (PENDING, _("Pending")),
    (STALE, _("Stale")),
    (MISSING, _("Missing")),
    (INCONCLUSIVE, _("Inconclusive proposal")),
    (DIFFERS, _("Certification differs from the proposal")),
    (MANUAL, _("Decided by hand")),
    (CARRIED_OVER, _("Carried over")),
]


class DashboardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Name, e-mail address or matriculation number"),
    )
    state = forms.ChoiceField(label=_("Show"), choices=FILTER_CHOICES, required=False)


class OverrideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Certification.Status.PASSED, _("Passed: admitted to the exam")),
            (Certification.Status.FAILED, _("Failed: not admitted")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (required)"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you decide this way; it stays in the student's history."),
    )


class CarryOverForm(forms.Form):
    source_lecture = forms.ModelChoiceField(
        label=_("Earlier lecture"),
        queryset=None,
        empty_label=_("Choose a lecture …"),
        help_text=_("Only lectures you manage are offered."),
    )
    numbers = forms.CharField(
        label=_("Matriculation numbers (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Leave empty to carry over every passed certification of that lecture, or paste "
            "the numbers of the students to carry over, one per line (commas work too)."
        ),
    )

    def __init__(self, *args, lectures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_lecture"].queryset = lectures
        self.fields["source_lecture"].label_from_instance = lambda lecture: (
            f"{lecture.title} ({lecture.term})"
        )
