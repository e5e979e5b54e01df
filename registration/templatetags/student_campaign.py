"""``{% campaign_facts %}``, ``{% eligibility_notice %}``, ``{% ranking_form %}`` and
``{% my_result %}``: the facts card, the eligibility notice, the ranking form and "Your
registration / Your result" of a student's campaign and result pages, written in Python.

Every student of a registration week opens this page, many of them several times. The facts
card is a dozen definition pairs with a translated label each, a date and the time left: as
template nodes it cost about 0.3 ms per view, written with ``format_html`` (``mampf.html``)
about a third of that (as the seat table, ``seat_table.py``). The strings are the messages the
templates used. Every sentence is escaped as a whole with its values put in (the German
texts hold no markup); the values are the campaign's and the student's data.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mampf.dates import date_text
from mampf.html import format_html, format_html_join
from registration.selectors.student import OUTCOME_CONFIRMED, OUTCOME_PENDING, OUTCOME_REJECTED
from registration.templatetags.seat_table import csrf_input

register = template.Library()


def _state_label(state: str) -> str:
    """The status badge's word for the student's view of the campaign (``student_state``)."""
    if state == "open":
        return _("Open")
    if state == "closed":
        return _("Closed")
    if state == "processing":
        return _("Allocation in progress")
    return _("Completed")


def how_it_works(campaign, *, rank_count: int) -> str:
    """One sentence on how places are given in this campaign."""
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
    """The deadline, with the time left while the campaign is open."""
    deadline = campaign.registration_deadline
    shown = date_text(deadline, "DATETIME_FORMAT")
    if not is_open:
        return shown
    left = _("%(left)s left") % {"left": timeuntil(deadline)}
    return format_html('{} <span class="muted">({})</span>', shown, left)


def _exam_facts(page) -> str:
    """Each exam's title, date and place (an exam registration only)."""
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
    layout = context.get("layout")
    profile_url = layout.urls.get("profile", "") if layout is not None else ""
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


def _my_places(campaign, outcome, *, is_open: bool) -> str:
    """My confirmed place(s): interest registered, registered (open) or assigned."""
    if campaign.planning_only:
        message = _("You registered your interest in %(summary)s.")
    elif is_open:
        message = _("You are registered for %(summary)s.")
    else:
        message = _("You were assigned to %(summary)s.")
    return format_html('<div class="alert alert-success">{}</div>', format_html_join(
        "", "<p>{}</p>", ((message % {"summary": r.item.summary},) for r in outcome.confirmed),
    ))


def _my_standing(campaign, outcome, *, is_open: bool) -> str:
    """The alert that says where I stand, by the outcome's kind."""
    if outcome.kind == OUTCOME_CONFIRMED:
        return _my_places(campaign, outcome, is_open=is_open)
    if outcome.kind == OUTCOME_PENDING:
        if is_open:
            deadline = date_text(campaign.registration_deadline, "DATETIME_FORMAT")
            return format_html('<div class="alert alert-success"><p>{}</p></div>', _(
                "The allocation runs after the deadline (%(deadline)s); until then you can "
                "change your ranking.") % {"deadline": deadline})
        return format_html('<div class="alert alert-info"><p>{}</p></div>', _(
            "You are waiting for the allocation. Your result appears here once the course "
            "staff publish it."))
    if outcome.kind == OUTCOME_REJECTED:
        return format_html('<div class="alert alert-warning"><p>{} {}</p></div>',
                           _("You were not assigned to a group."), outcome.reason)
    if is_open:
        return format_html("<p>{}</p>", _("You have not registered yet."))
    return format_html('<p class="muted">{}</p>', _("You did not register in this campaign."))


@register.simple_tag(takes_context=True)
def my_result(context) -> str:
    """Where the student stands: their place(s), their ranking and its state, not assigned (and
    why), or not registered."""
    campaign, outcome = context["campaign"], context["page"].outcome
    is_open = bool(context.get("is_open"))
    ranking = (format_html(
        '\n  <h3>{}</h3>\n  <ol class="ranking">\n    {}\n  </ol>', _("Your choices"),
        format_html_join("", "<li>{}</li>", ((r.item.summary,) for r in outcome.ranking)),
    ) if outcome.ranking else "")
    return format_html(
        '<section class="card" aria-labelledby="result-heading" id="result">\n'
        '  <h2 id="result-heading">{}</h2>\n'
        "  {}{}\n"
        "</section>",
        _("Your registration") if is_open else _("Your result"),
        _my_standing(campaign, outcome, is_open=is_open), ranking,
    )
