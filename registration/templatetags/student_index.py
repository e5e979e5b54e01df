"""The rows of "My registrations", written in Python (``{% open_rows %}``, ``{% finished_rows %}``,
``{% others_items %}``).

"My registrations" is the page every student opens first in a registration week. As with the
seat table (``seat_table.py``) and the admin's change list, its repeated rows are built with
``format_html`` from the entries of ``registration.selectors.student.student_index``: the
template loop with its included outcome badge cost about 0.25 ms per row. The sections,
headings and table headers stay in ``index.html``; the strings are the template's messages.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mampf.dates import date_text
from mampf.html import format_html
from registration.selectors.student import (
    OUTCOME_CONFIRMED,
    OUTCOME_PENDING,
    OUTCOME_REJECTED,
    STATE_OPEN,
)

register = template.Library()


def outcome_badge(entry) -> str:
    """Where I stand in the entry's campaign: registered / assigned (and where), my ranking or
    waiting for the allocation, not assigned (and why), or not registered."""
    outcome, is_open = entry.outcome, entry.state == STATE_OPEN
    if outcome.kind == OUTCOME_CONFIRMED:
        titles = ", ".join(r.item.registerable.title for r in outcome.confirmed)
        return format_html('<span class="badge badge-confirmed">{}</span>\n  {}',
                           _("Registered") if is_open else _("Assigned"), titles)
    if outcome.kind == OUTCOME_PENDING:
        if is_open:
            count = len(outcome.ranking)
            label = ngettext("%(counter)s choice ranked", "%(counter)s choices ranked",
                             count) % {"counter": count}
        else:
            label = _("Waiting for the allocation")
        return format_html('<span class="badge badge-pending">{}</span>', label)
    if outcome.kind == OUTCOME_REJECTED:
        return format_html('<span class="badge badge-rejected">{}</span> <small>{}</small>',
                           _("Not assigned"), outcome.reason)
    return format_html('<span class="muted">{}</span>', _("Not registered"))


def _title_cell(entry) -> str:
    campaign = entry.campaign
    badge = (format_html(' <span class="badge">{}</span>', _("Interest registration"))
             if campaign.planning_only else "")
    return format_html('<a href="{}">{}</a>{}', entry.url, campaign.title, badge)


def _lecture_cell(entry) -> str:
    lecture = entry.campaign.lecture
    return format_html('{} <small class="muted">{}</small>', lecture.title, lecture.term)


def _join(rows: list[str]) -> str:
    return mark_safe("\n".join(rows))  # noqa: S308 - each row is format_html output


@register.simple_tag
def open_rows(entries) -> str:
    """The open campaigns' table rows: deadline and time left, my status, the next step."""
    labels = (_("Lecture"), _("Mode"), _("Deadline"), _("My status"))
    rows = []
    for entry in entries:
        campaign, registered = entry.campaign, entry.outcome.registered
        if registered:
            action = _("View")
        elif campaign.is_preference_based:
            action = _("Rank your choices")
        else:
            action = _("Register")
        deadline = campaign.registration_deadline
        left = _("%(left)s left") % {"left": timeuntil(deadline)} if deadline else ""
        rows.append(format_html(
            '<tr data-campaign="{}"><td>{}</td><td data-label="{}">{}</td>'
            '<td data-label="{}">{}</td><td data-label="{}">{}<br><small class="muted">{}</small>'
            '</td><td data-label="{}">{}</td><td class="cell-action"><a class="btn btn-small{}" '
            'href="{}">{}<span class="visually-hidden">: {}</span></a></td></tr>',
            campaign.pk, _title_cell(entry), labels[0], _lecture_cell(entry),
            labels[1], entry.mode_label, labels[2], date_text(deadline, "SHORT_DATETIME_FORMAT"),
            left, labels[3], outcome_badge(entry), "" if registered else " btn-primary",
            entry.url, action, campaign.title,
        ))
    return _join(rows)


@register.simple_tag
def finished_rows(entries) -> str:
    """The closed campaigns I took part in: deadline and my result."""
    labels = (_("Lecture"), _("Deadline"), _("My result"))
    return _join([
        format_html(
            '<tr data-campaign="{}"><td>{}</td><td data-label="{}">{}</td>'
            '<td data-label="{}">{}</td><td data-label="{}">{}</td></tr>',
            entry.campaign.pk, _title_cell(entry), labels[0], _lecture_cell(entry), labels[1],
            date_text(entry.campaign.registration_deadline, "SHORT_DATETIME_FORMAT"), labels[2],
            outcome_badge(entry),
        )
        for entry in entries
    ])


@register.simple_tag
def others_items(entries) -> str:
    """The closed campaigns I did not register in: one list item each."""
    return _join([
        format_html(
            '<li data-campaign="{}">{} · {} <small class="muted">{}</small></li>',
            entry.campaign.pk, _title_cell(entry), entry.campaign.lecture.title,
            _("closed %(deadline)s") % {
                "deadline": date_text(entry.campaign.registration_deadline, "SHORT_DATE_FORMAT")},
        )
        for entry in entries
    ])
