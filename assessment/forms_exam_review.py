"""Shape of exam review input only (``assessment.exam_review`` decides the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.errors import InvalidPoints
from assessment.services import clean_points

_DATETIME = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"],
}


class WindowForm(forms.Form):
    opens_at = forms.DateTimeField(label=_("Review from"), **_DATETIME)
    closes_at = forms.DateTimeField(label=_("Review until (exclusive)"), **_DATETIME)


class RequestForm(forms.Form):
    """The problems to re-check (checkboxes ``task``) and the comment."""

    comment = forms.CharField(
        label=_("What should be re-checked, and why?"),
        max_length=4000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, task_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"] = forms.TypedMultipleChoiceField(
            label=_("Problems"),
            choices=[(pk, pk) for pk in task_ids],
            coerce=int,
            error_messages={"required": _("Choose at least one problem.")},
        )


class AnswerForm(forms.Form):
    points = forms.CharField(
        label=_("New points (empty: unchanged)"), required=False, max_length=20, strip=True
    )
    answer = forms.CharField(
        label=_("Answer"), max_length=4000, strip=True, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_points(self):
        raw = self.cleaned_data["points"]
        if not raw:
            return None
        try:
            return clean_points(raw)
        except InvalidPoints as exc:
            raise forms.ValidationError(str(exc)) from None
