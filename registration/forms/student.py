"""The students' ranking form: one select per rank, checked before the service is asked."""

from __future__ import annotations

import re

from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from mampf.html import escaped, format_html, format_html_join
from registration.selectors.student import ordinal_choice_label

RANK_FIELD = re.compile(r"^rank_(\d{1,6})$")


def rank_field_name(rank: int) -> str:
    return f"rank_{rank}"


class PreferenceForm(forms.Form):
    """Ranks 1..N, each a select of the campaign's items; rank 1 is required, no gaps, no repeats.

    Item ids not offered here (another campaign's, deleted, non-numeric, huge) are refused as an
    invalid choice, so the service only ever sees this campaign's items.
    """

    def __init__(self, *args, items, rank_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {str(item.pk): item for item in items}
        self.rank_count = rank_count
        choices = [("", _("— no choice —"))] + [
            (str(item.pk), getattr(item, "summary", str(item))) for item in items
        ]
        for rank in range(1, rank_count + 1):
            self.fields[rank_field_name(rank)] = forms.ChoiceField(
                label=ordinal_choice_label(rank),
                choices=choices,
                required=rank == 1,
                error_messages={
                    "required": _("Choose at least your 1st choice."),
                    "invalid_choice": _(
                        "That choice is not part of this campaign (or no longer exists). "
                        "Please choose again."
                    ),
                },
            )

    @classmethod
    def initial_from(cls, ranking) -> dict:
        """Prefill with the student's current ranking (rows best first)."""
        return {
            rank_field_name(position): str(row.item_id)
            for position, row in enumerate(ranking, start=1)
        }

    def rank_rows(self) -> str:
        """The ``<li>`` of each rank (``rank_rows_html``) with the form's current choices and
        each field's errors."""
        fields = [self[rank_field_name(rank)] for rank in range(1, self.rank_count + 1)]
        if not fields:
            return ""
        return rank_rows_html(
            choices=fields[0].field.choices,
            rows=[(field.auto_id, field.html_name, field.label, field.field.required,
                   field.value(), field.errors) for field in fields],
        )

    def clean(self):
        cleaned = super().clean()
        if self.is_bound:
            extra = [
                int(match.group(1))
                for key, value in self.data.items()
                if (match := RANK_FIELD.match(key)) and str(value).strip()
            ]
            if any(rank > self.rank_count for rank in extra):
                raise forms.ValidationError(
                    _("You may rank at most %(limit)d items.") % {"limit": self.rank_count},
                    code="too_many_ranks",
                )
        values = [cleaned.get(rank_field_name(rank)) for rank in range(1, self.rank_count + 1)]
        if any(name in self.errors for name in map(rank_field_name, range(1, self.rank_count + 1))):
            return cleaned
        seen: dict[str, int] = {}
        gap_at = None
        for rank, value in enumerate(values, start=1):
            if not value:
                gap_at = gap_at or rank
                continue
            if gap_at is not None:
                self.add_error(
                    rank_field_name(rank),
                    _("Fill in your %(empty)s before your %(filled)s.")
                    % {"empty": ordinal_choice_label(gap_at), "filled": ordinal_choice_label(rank)},
                )
                return cleaned
            if value in seen:
                self.add_error(
                    rank_field_name(rank),
                    _("“%(title)s” is already your %(rank)s; choose each group only once.")
                    % {"title": getattr(self.items[value], "title", self.items[value]),
                       "rank": ordinal_choice_label(seen[value])},
                )
                return cleaned
            seen[value] = rank
        return cleaned

    def ranked_items(self) -> list:
        """The chosen items, best first (call after ``is_valid``)."""
        ranked = []
        for rank in range(1, self.rank_count + 1):
            value = self.cleaned_data.get(rank_field_name(rank))
            if value:
                ranked.append(self.items[value])
        return ranked


def rank_rows_html(*, choices, rows) -> str:
    """The ``<li>`` of each rank: label, select (its options written once for all selects,
    the current choice ``selected``) and the field's errors linked by ``aria-describedby``.
    ``rows``: ``(id, name, label, required, current value, errors)`` per rank. Written here
    rather than by Django's widget templates or a template loop (about 1 ms per select, then
    0.1 ms per row): the ranking form is on every preference campaign's page."""
    options = [
        (str(value), format_html('<option value="{}"', value), escaped(label))
        for value, label in choices
    ]
    html = []
    for rank, (field_id, name, label, required, current, errors) in enumerate(rows, start=1):
        current = "" if current is None else str(current)
        options_html = mark_safe("".join(  # noqa: S308 - built from escaped parts
            f"{start} selected>{text}</option>" if value == current
            else f"{start}>{text}</option>"
            for value, start, text in options
        ))
        invalid = (format_html(' aria-invalid="true" aria-describedby="{}_error"', field_id)
                   if errors else "")
        error_html = (format_html('<div id="{}_error">{}</div>', field_id, format_html_join(
            "", '<p class="error" role="alert">{}</p>', ((error,) for error in errors)))
            if errors else "")
        html.append(format_html(
            '<li data-rank-row{}><label for="{}">{}</label>'
            '<select name="{}" id="{}" data-rank="{}"{}{}>{}</select>{}</li>',
            mark_safe(' class="field-error"') if errors else "",  # noqa: S308 - constant
            field_id, label, name, field_id, rank,
            mark_safe(" required") if required else "",  # noqa: S308 - constant
            invalid, options_html, error_html,
        ))
    return mark_safe("\n".join(html))  # noqa: S308 - each row is format_html output


class RankingOffer:
    """The ranking form as a GET shows it (``preference_form`` in the templates): the student's
    saved ranking preselected, no errors. The same markup as an unbound ``PreferenceForm``
    (``rank_rows_html``), without building a Django form and its fields on every page view;
    a POST is always checked by ``PreferenceForm``."""

    def __init__(self, *, items, rank_count: int, ranking):
        self.items, self.rank_count = items, rank_count
        self.initial = {rank_field_name(rank): str(row.item_id)
                         for rank, row in enumerate(ranking, start=1)}

    def non_field_errors(self) -> list:
        return []

    def rank_rows(self) -> str:
        if not self.rank_count:
            return ""
        choices = [("", _("— no choice —"))] + [
            (str(item.pk), getattr(item, "summary", str(item))) for item in self.items
        ]
        return rank_rows_html(choices=choices, rows=[
            (f"id_{name}", name, ordinal_choice_label(rank), rank == 1, self.initial.get(name))
            + ([],)
            for rank in range(1, self.rank_count + 1)
            for name in (rank_field_name(rank),)
        ])

