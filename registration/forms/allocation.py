"""Forms of the allocation pages: the run options and the one-click placement of a student."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from registration.models import AllocationRun

MAX_SEED = 2**63 - 1

# One plain sentence per option: what it does to the students, not how the solver works.
OBJECTIVE_EXPLANATIONS = {
    AllocationRun.Objective.RANK_SUM: _(
        "Rank sum (standard): places as many students as possible, then makes the choice numbers "
        "they get add up to the smallest total, so most get their first choice and a few may "
        "get a low one."
    ),
    AllocationRun.Objective.GENEROUS: _(
        "Generous (fairest): places as many students as possible, then keeps as few students as "
        "possible at their lowest choices, even if fewer get their first choice."
    ),
}


class AllocationRunForm(forms.Form):
    """How the solver should decide; the seed makes a run reproducible."""

    objective = forms.ChoiceField(
        label=_("What counts as the best allocation"),
        choices=AllocationRun.Objective.choices,
        initial=AllocationRun.Objective.RANK_SUM,
        widget=forms.RadioSelect,
    )
    balanced = forms.BooleanField(
        label=_("Balance group sizes"),
        required=False,
        help_text=_(
            "Balanced: among equally good results, fills the groups evenly instead of some full "
            "and others nearly empty."
        ),
    )
    force_assignments = forms.BooleanField(
        label=_("Place students whose choices are all full into a group with room"),
        required=False,
        help_text=_(
            "Force: a student whose ranked groups are all full goes into a group that still has "
            "room instead of staying without a place."
        ),
    )
    seed = forms.IntegerField(
        label=_("Lottery seed"),
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text=_(
            "Ties are broken by a lottery. Leave empty for a random draw; enter the seed of an "
            "earlier run to repeat it exactly."
        ),
    )

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "objective": data["objective"],
            "balanced": data["balanced"],
            "force_assignments": data["force_assignments"],
            "seed": data["seed"],
        }


class UnassignedAssignForm(forms.Form):
    """Place one unassigned student: a one-click group button, or a group from the list."""

    registerable = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    other = forms.TypedChoiceField(
        label=_("Another group"), coerce=int, required=False, empty_value=None
    )
    allow_overfill = forms.BooleanField(label=_("allow overfilling"), required=False)

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [
            (str(target.registerable_id), target.title) for target in targets
        ]
        self.fields["registerable"].choices = choices
        self.fields["other"].choices = choices

    def clean(self):
        data = super().clean()
        target = data.get("registerable") or data.get("other")
        if not self.errors and target is None:
            raise ValidationError(_("Choose a group of this campaign."))
        data["target_id"] = target
        return data
