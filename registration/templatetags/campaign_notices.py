"""``{% campaign_notices campaign %}``: what higher apps tell the student on a campaign page."""

from django import template

from registration import notices

register = template.Library()


@register.inclusion_tag("registration/student/_notices.html", takes_context=True)
def campaign_notices(context, campaign):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"notices": notices.campaign_notices(campaign, user=user) if campaign else []}
