"""Shape of the submissions area's input only; the rules live in ``assessment.submissions``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Your solution (PDF)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class InviteForm(forms.Form):
    identifier = forms.CharField(
        label=_("Matriculation number or e-mail of a member of your tutorial"),
        max_length=254,
        strip=True,
    )


class JoinForm(forms.Form):
    code = forms.CharField(label=_("Join code"), max_length=12, strip=True)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.zip"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class CorrectionsForm(forms.Form):
    files = MultipleFileField(
        label=_("Corrected PDFs or one ZIP file"),
        help_text=_(
            "Keep the file names of the download: the submission number in the name tells which "
            "submission a correction belongs to."
        ),
    )


class ExtensionForm(forms.Form):
    student = forms.CharField(
        label=_("Matriculation number or e-mail of the student"), max_length=254, strip=True
    )
    deadline = forms.DateTimeField(
        label=_("Personal deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"],
    )
    whole_team = forms.BooleanField(label=_("The whole team"), required=False, initial=True)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False, strip=True)
