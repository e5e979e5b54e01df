"""Forms of the performance pages: the shape of the input only; ``performance.rules`` decides.

Every field of the rule form is sent with every submission (checkbox groups send nothing when
nothing is ticked, which is the empty set); ``threshold_kind`` is required, so a bare POST is
refused instead of clearing the rule.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.models import Achievement, Assessment
from performance.models import Rule
from performance.rules import RuleData


class RuleForm(forms.Form):
    threshold_kind = forms.ChoiceField(
        label=_("Overall threshold"),
        choices=Rule.Threshold.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Compares the points of all sheets together. A percentage is taken of the points "
            "that can be reached (sheets a student is exempt from are left out); absolute "
            "points are a fixed number."
        ),
    )
    threshold_value = forms.DecimalField(
        label=_("Threshold value"),
        required=False,
        max_digits=9,
        decimal_places=2,
        localize=True,
        help_text=_(
            "The percentage (for example 50) or the number of points (for example 120), "
            "whichever you chose above. Reaching it exactly is enough."
        ),
    )
    sheet_min_percentage = forms.DecimalField(
        label=_("Minimum percentage on a sheet"),
        required=False,
        max_digits=5,
        decimal_places=2,
        localize=True,
        help_text=_(
            "The per-sheet criterion: a sheet counts when the student reached at least this "
            "share of its points. Leave both numbers empty to use no per-sheet criterion."
        ),
    )
    sheet_min_count = forms.IntegerField(
        label=_("Number of such sheets needed"),
        required=False,
        help_text=_(
            "On how many sheets the student must reach that percentage (for example 9 of 12). "
            "A sheet the student is exempt from counts as reached."
        ),
    )
    sheets = forms.TypedMultipleChoiceField(
        label=_("Sheets the per-sheet criterion counts from"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick none to count every sheet that is not a bonus sheet, including sheets "
            "published later."
        ),
    )
    bonus_sheets = forms.TypedMultipleChoiceField(
        label=_("Bonus sheets"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Points on a bonus sheet count towards the overall threshold, but its maximum does "
            "not raise the points that can be reached."
        ),
    )
    required_achievements = forms.TypedMultipleChoiceField(
        label=_("Required achievements"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each ticked achievement (a presentation, say) must be passed."),
    )
    expected_assignments = forms.IntegerField(
        label=_("Sheets planned this term"),
        required=False,
        help_text=_(
            "How many sheets the term will have in all. Until they exist, nobody fails a "
            "criterion that later sheets could still meet. Leave empty when every sheet of the "
            "term already exists."
        ),
    )
    note = forms.CharField(
        label=_("Note for the history (optional)"),
        required=False,
        max_length=300,
        help_text=_("Why the rule changes; shown in the rule's history."),
    )
    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, lecture, **kwargs):
        super().__init__(*args, **kwargs)
        sheets = [
            (a.pk, a.title)
            for a in Assessment.objects.filter(
                lecture_id=lecture.pk, kind=Assessment.Kind.ASSIGNMENT
            ).order_by("deadline", "pk")
        ]
        self.fields["sheets"].choices = sheets
        self.fields["bonus_sheets"].choices = sheets
        self.fields["required_achievements"].choices = [
            (a.pk, a.title) for a in Achievement.objects.filter(lecture_id=lecture.pk)
        ]

    @classmethod
    def initial_from(cls, data: RuleData, *, version: int) -> dict:
        return {
            "threshold_kind": data.threshold_kind,
            "threshold_value": data.threshold_value,
            "sheet_min_percentage": data.sheet_min_percentage,
            "sheet_min_count": data.sheet_min_count,
            "sheets": list(data.sheet_ids),
            "bonus_sheets": list(data.bonus_sheet_ids),
            "required_achievements": list(data.required_achievement_ids),
            "expected_assignments": data.expected_assignments,
            "base_version": version,
        }

    def rule_data(self) -> RuleData:
        cleaned = self.cleaned_data
        return RuleData(
            threshold_kind=cleaned["threshold_kind"],
            threshold_value=cleaned.get("threshold_value"),
            required_achievement_ids=tuple(cleaned.get("required_achievements") or ()),
            sheet_min_percentage=cleaned.get("sheet_min_percentage"),
            sheet_min_count=cleaned.get("sheet_min_count"),
            sheet_ids=tuple(cleaned.get("sheets") or ()),
            bonus_sheet_ids=tuple(cleaned.get("bonus_sheets") or ()),
            expected_assignments=cleaned.get("expected_assignments"),
        )
