"""Shape of the staff pages' input: an assignment's settings and a task."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.errors import InvalidPoints
from assessment.pages import MAX_GRACE_MINUTES, MAX_TEAM_SIZE
from assessment.services import clean_points


class AssessmentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    grace_minutes = forms.IntegerField(
        label=_("Grace period (minutes)"), min_value=0, max_value=MAX_GRACE_MINUTES, initial=0
    )
    submission_required = forms.BooleanField(
        label=_("Submission required"), required=False, initial=True
    )
    max_team_size = forms.IntegerField(
        label=_("Maximum team size"), min_value=1, max_value=MAX_TEAM_SIZE, initial=1
    )

    def __init__(self, *args, kind: str = "assignment", **kwargs):
        super().__init__(*args, **kwargs)
        if kind != "assignment":
            for name in ("deadline", "grace_minutes", "submission_required", "max_team_size"):
                del self.fields[name]

    def settings(self) -> dict:
        """The values sent; an unchecked box is only "no" when the form shows the box."""
        return dict(self.cleaned_data)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    max_points = forms.CharField(label=_("Maximum points"), max_length=20)

    def clean_max_points(self):
        try:
            value = clean_points(self.cleaned_data["max_points"])
        except InvalidPoints as exc:
            raise forms.ValidationError(str(exc)) from None
        if value is None:
            raise forms.ValidationError(_("Please give the task's maximum points."))
        return value


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, I am sure."), error_messages={"required": _("Please confirm.")}
    )
