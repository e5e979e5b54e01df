"""``{% campaign_facts %}``, ``{% eligibility_notice %}`` and ``{% ranking_form %}``: the facts
card, the eligibility notice and the ranking form of a student's campaign page, written in
Python.

Every student of a registration week opens this page, many of them several times. The facts
card is a dozen definition pairs with a translated label each, a date and the time left: as
template nodes it cost about 0.3 ms per view, written with ``format_html`` (``mampf.html``)
about a third of that (as the seat table, ``seat_table.py``). The strings are the messages the
templates used.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils import formats, timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mampf.html import format_html, format_html_join
from registration.templatetags.seat_table import csrf_input

register = template.Library()

def _state_label(state: str) -> str:
    if state == "open":
        return _("Open")
    if state == "closed":
        return _("Closed")
    if state == "processing":
        return _("Allocation in progress")
    return _("Completed")


def how_it_works(campaign, *, rank_count: int) -> str:
    if campaign.planning_only:
        return _("Interest registration: you tell the course staff that you are interested; "
                 "this helps them plan and does not put you in a group.")
    if campaign.is_fcfs:
        return _("First come, first served: your place is confirmed at once while seats are "
                 "left.")
    return ngettext(
        "Preference-based: rank up to %(counter)s group; after the deadline everyone is placed "
        "in one group, as high on their list as possible, and the order of registering does not "
        "matter.",
        "Preference-based: rank up to %(counter)s groups; after the deadline everyone is placed "
        "in one group, as high on their list as possible, and the order of registering does not "
        "matter.",
        rank_count,
    ) % {"counter": rank_count}


def _deadline(campaign, *, is_open: bool) -> str:
    deadline = campaign.registration_deadline
    shown = formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT")
    if not is_open:
        return shown
    left = _("%(left)s left") % {"left": timeuntil(deadline)}
    return format_html('{} <span class="muted">({})</span>', shown, left)


def _exam_facts(page) -> str:
    if not page.is_exam:
        return ""
    not_fixed = _("not fixed yet")
    return format_html_join(
        "\n    ",
        '<dt>{}</dt>\n    <dd class="exam-fact">{}</dd>\n    <dt>{}</dt>\n    <dd>{}</dd>\n'
        "    <dt>{}</dt>\n    <dd>{}</dd>",
        ((_("Exam"), item.title, _("Date"), item.when or not_fixed, _("Place"),
          item.where or not_fixed) for item in page.items),
    )


@register.simple_tag(takes_context=True)
def campaign_facts(context) -> str:
    """The lecture, the exam's date and place, how the registration works, the deadline (and
    the time left while it is open), the status and the description."""
    campaign, page = context["campaign"], context["page"]
    state = page.state
    description = (format_html("\n  <p>{}</p>", linebreaksbr(campaign.description))
                   if campaign.description else "")
    lecture = campaign.lecture
    return format_html(
        '<section class="card" aria-label="{}">\n'
        '  <dl class="facts">\n'
        "    <dt>{}</dt>\n"
        '    <dd>{} <span class="muted">{}</span></dd>\n'
        "    {}\n"
        "    <dt>{}</dt>\n"
        "    <dd>{}</dd>\n"
        "    <dt>{}</dt>\n"
        "    <dd>{}</dd>\n"
        "    <dt>{}</dt>\n"
        '    <dd><span class="badge badge-{}">{}</span></dd>\n'
        "  </dl>{}\n"
        "</section>",
        _("About this registration"),
        _("Lecture"), lecture.title, lecture.term,
        _exam_facts(page),
        _("How it works"), how_it_works(campaign, rank_count=context.get("rank_count") or 0),
        _("Deadline"), _deadline(campaign, is_open=bool(context.get("is_open"))),
        _("Status"), state, _state_label(state),
        description,
    )


@register.simple_tag(takes_context=True)
def eligibility_notice(context) -> str:
    """Why the student cannot register (and what to do), or that they meet the requirements;
    nothing when the campaign has no rules or is not open."""
    eligibility = context.get("eligibility")
    if not eligibility:
        return ""
    if eligibility.passed:
        if not eligibility.trace:
            return ""
        return format_html('<p class="alert alert-success" id="eligibility">{}</p>',
                           _("You meet the requirements of this registration."))
    action = (format_html("\n  <p><strong>{}</strong> {}</p>", _("What to do:"),
                          eligibility.action) if eligibility.action else "")
    profile_url = context["layout"].urls.get("profile", "")
    failed_kind = getattr(eligibility.failed_policy, "kind", None)
    profile = (format_html('\n    <p><a class="btn" href="{}">{}</a></p>', profile_url,
                           _("Go to my profile"))
               if failed_kind == "institutional_email" and profile_url else "")
    return format_html(
        '<section class="alert alert-warning" role="alert" aria-labelledby="eligibility-heading"'
        ' id="eligibility">\n'
        '  <h2 id="eligibility-heading">{}</h2>\n'
        "  <p>{}</p>{}{}\n"
        "</section>",
        _("Registration is not possible yet") if eligibility.is_blocker
        else _("You cannot register"),
        eligibility.message or _("You do not meet a requirement of this registration."),
        action, profile,
    )


@register.simple_tag(takes_context=True)
def ranking_form(context) -> str:
    """The preference campaign's ranking: one select per rank (``preference_form.rank_rows``,
    the saved ranking preselected), saving and withdrawing; or why ranking is not possible."""
    form = context.get("preference_form")
    if not form:
        body = format_html('<p class="muted">{}</p>',
                           _("Ranking is not possible for you right now (see above)."))
    else:
        ranked = bool(context["page"].outcome.ranking)
        urls, csrf = context["urls"], csrf_input(context)
        rank_count = form.rank_count
        errors = form.non_field_errors()
        error_html = (format_html('\n    <div class="alert alert-error" role="alert">{}</div>',
                                  format_html_join("", "<p>{}</p>", ((e,) for e in errors)))
                      if errors else "")
        withdraw = (format_html(
            '\n  <form method="post" action="{}" class="actions withdraw-ranking">\n'
            "    {}\n"
            '    <button type="submit" class="btn" data-confirm="{}">{}</button>\n'
            "  </form>",
            urls.withdraw_preferences, csrf, _("Withdraw your whole ranking?"),
            _("Withdraw my ranking"),
        ) if ranked and context.get("can_withdraw") else "")
        body = format_html(
            "<p>{}</p>\n"
            '  <form method="post" action="{}" data-ranking-form novalidate\n'
            '        data-label-up="{}" data-label-down="{}"\n'
            '        data-announce="{}">\n'
            "    {}{}\n"
            '    <ol class="rank-list">\n'
            "      {}\n"
            "    </ol>\n"
            '    <p class="visually-hidden" aria-live="polite" data-rank-status></p>\n'
            '    <div class="actions">\n'
            '      <button type="submit" class="btn btn-primary">{}</button>{}\n'
            "    </div>\n"
            "  </form>{}",
            ngettext(
                "Choose your favourite group. Each group can be chosen only once.",
                "Choose up to %(counter)s groups, best first. Each group can be chosen only "
                "once; lower choices may stay empty.",
                rank_count,
            ) % {"counter": rank_count},
            urls.submit_preferences, _("Move up"), _("Move down"),
            _("%(item)s is now your %(rank)s."),
            csrf, error_html,
            form.rank_rows(),
            _("Save my new ranking") if ranked else _("Save my ranking"),
            format_html('\n      <a href="{}">{}</a>', urls.result, _("View my saved ranking"))
            if ranked else "",
            withdraw,
        )
    return format_html(
        '<section class="card" aria-labelledby="ranking-heading">\n'
        '  <h2 id="ranking-heading">{}</h2>\n'
        "  {}\n"
        "</section>",
        _("Your ranking"), body,
    )
