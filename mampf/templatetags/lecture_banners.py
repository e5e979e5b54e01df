"""``{% lecture_banners %}``: ``mampf.banners`` for the ``lecture`` in the view's context."""

from django import template
from django.template.loader import render_to_string

from mampf import banners

register = template.Library()


@register.simple_tag(takes_context=True)
def lecture_banners(context) -> str:
    """Nothing (no query, no template) without a ``lecture`` in the view's context, for
    non-staff or without banners: it is in the layout of every page."""
    lecture = context.get("lecture")
    request = context.get("request")
    if lecture is None or request is None:
        return ""
    nav = context.get("nav")
    manages = getattr(nav, "manages_lectures", None) if nav is not None else None
    found = banners.lecture_banners(request, lecture, manages_any_lecture=manages)
    if not found:
        return ""
    return render_to_string("partials/lecture_banners.html", {"banners": found})
