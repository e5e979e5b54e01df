"""``{% seat_table %}``: the students' seat table, written in Python.

The seat table is on every student's campaign page and htmx polls it every 15 seconds while a
campaign is open, so it is the most rendered markup of the site. Like the admin's change list
(``items_for_result``), it is built with ``format_html`` (``mampf.html``) from the decorated
items of ``registration.selectors.student.campaign_page`` (``seats_text``, ``register_url``,
...): a template loop cost about 60 microseconds per row, this about 8, and the frame as a
template another 0.1 ms. Every string is translated with the messages the template used.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mampf.html import format_html

register = template.Library()

_CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
ROW_MINE = mark_safe(' class="row-mine"')


def csrf_input(context) -> str:
    """What ``{% csrf_token %}`` writes: the hidden input with the request's (masked) token."""
    token = context.get("csrf_token")
    if not token or str(token) == "NOTPROVIDED":
        return ""
    return format_html(_CSRF_INPUT, str(token))


def _action_cell(item, *, can_withdraw: bool, csrf_input: str) -> str:
    if item.is_mine and can_withdraw:
        return format_html(
            '<form method="post" action="{}" class="inline-form">{}'
            '<button type="submit" id="seat-action-{}" class="btn btn-small" data-confirm="{}">'
            '{}<span class="visually-hidden"> {}</span></button></form>',
            item.withdraw_url, csrf_input, item.pk,
            _("Give up your place in %(title)s?") % {"title": item.title},
            _("Withdraw"), _("from %(title)s") % {"title": item.title},
        )
    if not item.is_mine and getattr(item, "can_register", False):
        return format_html(
            '<form method="post" action="{}" class="inline-form">{}'
            '<button type="submit" id="seat-action-{}" class="btn btn-small btn-primary">'
            '{}<span class="visually-hidden"> {}</span></button></form>',
            item.register_url, csrf_input, item.pk,
            _("Register"), _("for %(title)s") % {"title": item.title},
        )
    return ""


_POLL = (' hx-get="{}" hx-trigger="every 15s [document.visibilityState === \'visible\']"'
         ' hx-swap="outerHTML"')


@register.simple_tag(takes_context=True)
def seat_table(context) -> str:
    """The table of ``page``'s items with their seats (and the Register / Withdraw buttons when
    ``show_actions``); it refreshes itself through htmx when ``poll_seats``."""
    page, poll = context["page"], bool(context.get("poll_seats"))
    show_actions = bool(context.get("show_actions"))
    return format_html(
        '<div id="seat-table"{}>\n'
        '  <div class="table-wrap"><table class="table table-stack">\n'
        '    <caption class="visually-hidden">{}</caption>\n'
        "    <thead><tr>\n"
        '      <th scope="col">{}</th>\n'
        '      <th scope="col">{}</th>\n'
        '      <th scope="col">{}</th>\n'
        '      <th scope="col" class="num">{}</th>{}\n'
        "    </tr></thead>\n"
        "    <tbody>\n"
        "    {}\n"
        "    </tbody>\n"
        "  </table></div>{}\n"
        "</div>",
        format_html(_POLL, context["urls"].seats) if poll else "",
        _("Groups and seats"),
        _("Exam") if page.is_exam else _("Group"),
        _("Time"),
        _("Place"),
        _("Seats"),
        format_html('\n      <th scope="col"><span class="visually-hidden">{}</span></th>',
                    _("Action")) if show_actions else "",
        seat_rows(context),
        format_html('\n  <p class="muted"><small>{}</small></p>',
                    _("Seat counts update by themselves every few seconds; reload the page if "
                      "they do not.")) if poll else "",
    )


def seat_rows(context) -> str:
    """One ``<tr>`` per item of ``page``; an action cell when ``show_actions``."""
    items = context["page"].items
    show_actions = bool(context.get("show_actions"))
    if not items:
        return format_html('<tr><td colspan="5" class="muted">{}</td></tr>',
                           _("This registration has no groups yet."))
    labels = (_("Time"), _("Place"), _("Seats"))
    mine_badge = format_html(' <span class="badge badge-confirmed">{}</span>', _("Your place"))
    full_badge = format_html('<span class="badge badge-rejected">{}</span> ', _("full"))
    csrf = csrf_input(context) if show_actions else ""
    can_withdraw = bool(context.get("can_withdraw"))
    rows = []
    for item in items:
        seats = (format_html('{}<small class="muted">{}</small>', full_badge, item.seats_text)
                 if item.shows_full else item.seats_text)
        action = (format_html('<td class="cell-action">{}</td>',
                              _action_cell(item, can_withdraw=can_withdraw,
                                           csrf_input=csrf))
                  if show_actions else "")
        rows.append(format_html(
            '<tr data-item="{}"{}><th scope="row">{}{}</th><td data-label="{}">{}</td>'
            '<td data-label="{}">{}</td><td class="num" data-label="{}" data-seats="{}">{}</td>'
            "{}</tr>",
            item.pk, ROW_MINE if item.is_mine else "", item.title,
            mine_badge if item.is_mine else "", labels[0], item.when, labels[1], item.where,
            labels[2], item.taken, seats, action,
        ))
    return mark_safe("\n".join(rows))  # noqa: S308 - each row is format_html output
