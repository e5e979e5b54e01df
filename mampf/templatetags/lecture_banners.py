"""``{% lecture_banners %}``: ``mampf.banners`` for the ``lecture`` in the view's context."""

from django import template

from mampf import banners

register = template.Library()


@register.inclusion_tag("partials/lecture_banners.html", takes_context=True)
def lecture_banners(context):
    """Nothing (and no query) without a ``lecture`` in the view's context or for non-staff."""
    lecture = context.get("lecture")
    request = context.get("request")
    if lecture is None or request is None:
        return {"banners": []}
    nav = context.get("nav")
    manages = getattr(nav, "manages_lectures", None) if nav is not None else None
    return {"banners": banners.lecture_banners(request, lecture, manages_any_lecture=manages)}
