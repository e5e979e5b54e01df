"""``{% campaign_notices campaign %}``: what higher apps tell the student on a campaign page."""

from django import template
from django.template.loader import render_to_string

from registration import notices

register = template.Library()


@register.simple_tag(takes_context=True)
def campaign_notices(context, campaign) -> str:
    """The notices' markup, or nothing (no template rendered) when no provider has one."""
    request = context.get("request")
    user = getattr(request, "user", None)
    found = notices.campaign_notices(campaign, user=user) if campaign else []
    if not found:
        return ""
    return render_to_string("registration/student/_notices.html", {"notices": found})
