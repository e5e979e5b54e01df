"""Shape of grading input only: cells become ``Decimal``s, tokens become ints."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.errors import InvalidPoints
from assessment.models import Task
from assessment.services import clean_points


class PointsForm(forms.Form):
    """One grading row: a cell per task (``task_<id>``) and the versions the page showed
    (``version_<participation id>``). An empty cell clears the points; a missing cell (not
    sent at all) leaves them alone."""

    def __init__(self, *args, tasks: list[Task], participation_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.tasks = tasks
        for task in tasks:
            self.fields[f"task_{task.pk}"] = forms.CharField(
                label=str(task), required=False, max_length=40, strip=True
            )
        for pk in participation_ids:
            self.fields[f"version_{pk}"] = forms.IntegerField(
                required=False, min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput
            )

    def clean(self):
        cleaned = super().clean()
        for task in self.tasks:
            name = f"task_{task.pk}"
            if name not in self.data or name in self.errors:
                continue
            try:
                cleaned[name] = clean_points(cleaned.get(name))
            except InvalidPoints as exc:
                self.add_error(
                    name,
                    _("%(task)s: %(problem)s") % {"task": task, "problem": exc},
                )
        return cleaned

    def points(self) -> dict[Task, Decimal | None]:
        """The cells that were sent, by task (``None`` = cleared)."""
        return {
            task: self.cleaned_data.get(f"task_{task.pk}")
            for task in self.tasks
            if f"task_{task.pk}" in self.data
        }

    def versions(self) -> dict[int, int]:
        return {
            int(name.removeprefix("version_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("version_") and value is not None
        }


class MarkForm(forms.Form):
    ABSENT, EXEMPT, CLEAR = "absent", "exempt", "clear"

    mark = forms.ChoiceField(
        choices=[(ABSENT, _("Absent")), (EXEMPT, _("Exempt")), (CLEAR, _("Clear the mark"))]
    )
    note = forms.CharField(required=False, max_length=500, strip=True)
    version = forms.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
