"""``{% campaign_notices campaign %}``: what higher apps tell the student on a campaign page.

The notices are written with ``format_html`` (as the seat rows, ``seat_table.py``): rendering
their partial template cost a tenth of a millisecond on every exam registration page, which
every student of the lecture opens. Each notice is a section with a heading, its lines and an
optional link.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mampf.html import format_html, format_html_join
from registration import notices

register = template.Library()


def notice_html(notice, *, number: int) -> str:
    """One notice; ``number`` makes its heading's id unique on the page."""
    lines = format_html_join("", "<p>{}</p>", ((line,) for line in notice.lines))
    link = (format_html('\n  <p><a href="{}">{}</a></p>', notice.link_url,
                        notice.link_text or _("More"))
            if notice.link_url else "")
    return format_html(
        '<section class="alert alert-{}" aria-labelledby="notice-{}" data-notice="{}">\n'
        '  <h2 id="notice-{}" class="notice-title">{}</h2>\n'
        "  {}{}\n"
        "</section>",
        notice.level, number, notice.code, number, notice.title, lines, link,
    )


@register.simple_tag(takes_context=True)
def campaign_notices(context, campaign) -> str:
    """The notices' markup, or nothing when no provider has one."""
    request = context.get("request")
    user = getattr(request, "user", None)
    found = (notices.campaign_notices(campaign, user=user, prefetched=context.get("notice_reads"))
             if campaign else [])
    return mark_safe(  # noqa: S308 - each notice is format_html output
        "\n".join(notice_html(notice, number=number) for number, notice in enumerate(found, 1))
    )
