"""Shape of exam grading input only (``assessment.exams`` decides the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.errors import InvalidPoints
from assessment.models import Task
from assessment.services import clean_points

MAX_VERSION = 2**31 - 1


class CorrectorForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the corrector"), max_length=254)


class RemoveCorrectorForm(forms.Form):
    user = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class CreateExamGradingForm(forms.Form):
    exam = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class ProblemForm(forms.Form):
    """The per-problem mode: one cell per candidate of the page (``p_<participation id>``),
    the version the page showed (``v_<id>``) and the value it showed (``o_<id>``). Only cells
    whose value differs from the one shown are saved; a cell not sent is left alone."""

    def __init__(self, *args, task: Task, participation_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.participation_ids = participation_ids
        for pk in participation_ids:
            self.fields[f"p_{pk}"] = forms.CharField(required=False, max_length=40, strip=True)
            self.fields[f"o_{pk}"] = forms.CharField(required=False, max_length=40, strip=True)
            self.fields[f"v_{pk}"] = forms.IntegerField(
                required=False, min_value=0, max_value=MAX_VERSION
            )

    def clean(self):
        cleaned = super().clean()
        for pk in self.participation_ids:
            name = f"p_{pk}"
            if name not in self.data or name in self.errors:
                continue
            try:
                cleaned[name] = clean_points(cleaned.get(name))
                cleaned[f"o_{pk}"] = clean_points(cleaned.get(f"o_{pk}"))
            except InvalidPoints as exc:
                self.add_error(name, str(exc))
        return cleaned

    def changes(self) -> dict[int, tuple[object, int | None]]:
        """participation id -> (new points or None, version shown), for the changed cells."""
        result = {}
        for pk in self.participation_ids:
            name = f"p_{pk}"
            if name not in self.data:
                continue
            new = self.cleaned_data.get(name)
            if f"o_{pk}" in self.data and new == self.cleaned_data.get(f"o_{pk}"):
                continue
            result[pk] = (new, self.cleaned_data.get(f"v_{pk}"))
        return result
