"""Shape of the grade-scheme pages' input only (the services validate the content)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grade_schemes.models import GERMAN_GRADES, GradeScheme

MAX_BANDS = 20


def posted_bands(data) -> tuple[list[tuple[str, str]], list[int]]:
    """The band rows of the editor as posted (strings), and each row's position in the form.

    Rows with both cells empty are left out; at most ``MAX_BANDS`` rows are read.
    """
    thresholds = data.getlist("band_min")[:MAX_BANDS]
    grades = data.getlist("band_grade")[:MAX_BANDS]
    rows, positions = [], []
    for position, (threshold, grade) in enumerate(zip(thresholds, grades, strict=False)):
        threshold, grade = str(threshold).strip()[:20], str(grade).strip()[:10]
        if threshold or grade:
            rows.append((threshold, grade))
            positions.append(position)
    return rows, positions


def posted_kind(data, default: str) -> str:
    kind = data.get("kind", default)
    return kind if kind in GradeScheme.Kind.values else default


class GeneratorForm(forms.Form):
    passing_points = forms.CharField(label=_("Points for 4.0"), max_length=12)
    excellence_points = forms.CharField(label=_("Points for 1.0"), max_length=12)
    step = forms.CharField(label=_("Points step"), max_length=12, initial="1")


class OverrideForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", "—")] + [(str(g), str(g)) for g in GERMAN_GRADES]
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the grade is entered by hand; kept in the history."),
    )
