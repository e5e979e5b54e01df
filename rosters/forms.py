"""Forms of the roster pages; they validate ids and options, ``rosters.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mampf.selectors import MAX_DB_ID


def _user_field():
    return forms.IntegerField(min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)


def _overfill_field():
    return forms.BooleanField(
        label=_("allow overfilling"),
        required=False,
        help_text=_("Go ahead even when the group is full."),
    )


class SearchForm(forms.Form):
    """Search students by name, e-mail or matriculation number."""

    find = forms.CharField(
        label=_("Name, e-mail or matriculation number"), max_length=100, required=False
    )

    def term(self) -> str:
        return self.cleaned_data.get("find", "").strip() if self.is_valid() else ""


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Filter members"), max_length=100, required=False)

    def term(self) -> str:
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""


class AddForm(forms.Form):
    user = _user_field()
    allow_overfill = _overfill_field()


class RemoveForm(forms.Form):
    user = _user_field()


class MoveForm(forms.Form):
    """Move one member to another group of the same kind in the lecture."""

    user = _user_field()
    target = forms.TypedChoiceField(label=_("Move to"), coerce=int)
    allow_overfill = _overfill_field()

    def __init__(self, *args, siblings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(str(s.pk), s.title) for s in siblings]
        self.fields["target"].error_messages["invalid_choice"] = _(
            "Choose a group of the same kind in this lecture."
        )
