"""Forms of the roster pages; they validate ids and options, ``rosters.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mampf.selectors import MAX_DB_ID
from rosters.bulk import MAX_SELECTED


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


def _target_field(*, required: bool = True):
    return forms.TypedChoiceField(
        label=_("Move to"),
        coerce=int,
        empty_value=None,
        required=required,
        error_messages={"required": _("Choose the group to move to.")},
    )


def _target_choices(field, siblings) -> None:
    """The sibling groups, after a "choose a group" placeholder (no silent default)."""
    field.choices = [("", _("Choose a group …"))] + [(str(s.pk), s.title) for s in siblings]
    field.error_messages["invalid_choice"] = _("Choose a group of the same kind in this lecture.")


class MoveForm(forms.Form):
    """Move one member to another group of the same kind in the lecture."""

    user = _user_field()
    target = _target_field()
    allow_overfill = _overfill_field()

    def __init__(self, *args, siblings=(), **kwargs):
        super().__init__(*args, **kwargs)
        _target_choices(self.fields["target"], siblings)


class IdListField(forms.Field):
    """Several ids from repeated inputs (checkboxes named alike); junk is a clear error."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("The selection is not valid. Please reload the page and try again."),
        "required": _("Select at least one student."),
    }

    def __init__(self, *, max_count: int, **kwargs):
        self.max_count = max_count
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        if len(value) > self.max_count:
            raise forms.ValidationError(
                _("Select at most %(count)d students at once."),
                code="too_many",
                params={"count": self.max_count},
            )
        ids = []
        for item in value:
            text = str(item).strip()
            number = int(text) if text.isascii() and text.isdigit() and len(text) < 20 else 0
            if not 0 < number <= MAX_DB_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(number)
        return sorted(set(ids))


class BulkForm(forms.Form):
    """Act on the selected members: move them all to one group, or remove them all."""

    ACTIONS = (("move", _("Move selected")), ("remove", _("Remove selected")))

    user = IdListField(max_count=MAX_SELECTED)
    action = forms.ChoiceField(
        choices=ACTIONS, error_messages={"invalid_choice": _("Choose what to do.")}
    )
    target = _target_field(required=False)
    allow_overfill = _overfill_field()
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, siblings=(), **kwargs):
        super().__init__(*args, **kwargs)
        _target_choices(self.fields["target"], siblings)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "move" and not cleaned.get("target"):
            self.add_error("target", self.fields["target"].error_messages["required"])
        return cleaned


class MoveHereForm(forms.Form):
    """Move a student found in another group of the lecture into this one."""

    user = _user_field()
    allow_overfill = _overfill_field()
