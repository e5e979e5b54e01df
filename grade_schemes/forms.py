"""Shape of the grade-scheme pages' input only (the services validate the content)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grade_schemes.models import GERMAN_GRADES, GradeScheme, McConfig

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


class McConfigForm(forms.Form):
    """The MC part's settings as posted; ``mc_config.clean_settings`` checks the content."""

    task = forms.TypedChoiceField(label=_("Multiple-choice task"), coerce=int, choices=())
    weight = forms.CharField(
        label=_("Weight of the MC part"),
        max_length=8,
        help_text=_("Above 0 and at most 1; 0.5 counts both parts equally, 1 the MC part alone."),
    )
    rule = forms.ChoiceField(
        label=_("Pass mark rule"), choices=McConfig.Rule.choices, widget=forms.RadioSelect
    )
    step = forms.CharField(
        label=_("Points per question"),
        max_length=8,
        initial="1",
        help_text=_("The pass mark is rounded up to whole questions."),
    )
    absolute_percent = forms.CharField(
        label=_("Absolute pass mark (percent of the maximum)"), max_length=8, required=False
    )
    relative = forms.ChoiceField(
        label=_("Relative clause"), choices=McConfig.Relative.choices, required=False
    )
    relative_value = forms.CharField(
        label=_("Factor of the mean, or points below the mean"),
        max_length=8,
        required=False,
        help_text=_("0.78 means 78 % of the mean; with “mean minus” the points subtracted."),
    )
    floor_percent = forms.CharField(
        label=_("Floor (percent of the maximum)"), max_length=8, required=False
    )
    reference = forms.ChoiceField(
        label=_("Reference group for the mean"),
        choices=McConfig.Reference.choices,
        required=False,
    )
    mc_grading = forms.ChoiceField(
        label=_("MC grade"), choices=McConfig.McGrading.choices, widget=forms.RadioSelect
    )
    no_disadvantage = forms.BooleanField(
        label=_("Eliminating a flawed question never makes anyone's outcome worse"),
        required=False,
        initial=True,
        help_text=_("ÄApprO §14 (4): each outcome is computed with and without it."),
    )

    def __init__(self, *args, tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].choices = [(t.pk, str(t)) for t in tasks]


class FirstAttemptForm(forms.Form):
    matriculation_number = forms.CharField(label=_("Matriculation number"), max_length=30)
    first_attempt = forms.TypedChoiceField(
        label=_("Attempt"),
        coerce=lambda v: v == "1",
        choices=[("1", _("First attempt")), ("0", _("Repeat attempt"))],
    )
