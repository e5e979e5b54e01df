"""``link_paths``: site paths inside a service's message become links.

Refusals are plain translated text (services never build HTML), and some name the page where the
problem is fixed ("certify it at /lectures/7/certification/"). The filter escapes the text and
turns every site-internal path in it into a link, so the page shows a link without the service
knowing about HTML.
"""

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeData, mark_safe

register = template.Library()

# A path that starts the text or follows a space or an opening bracket, made of URL-safe
# characters and ending with a slash (our routes all do).
_PATH = re.compile(r"(?:(?<=^)|(?<=[\s(]))(/[A-Za-z0-9_\-./]*/)")


@register.filter(is_safe=True)
def link_paths(text) -> str:
    if isinstance(text, SafeData):  # already HTML (a view built it): leave it as it is
        return text
    escaped = escape(str(text))
    return mark_safe(  # noqa: S308 - built from escaped text and format_html only
        _PATH.sub(lambda m: format_html('<a href="{0}">{0}</a>', m.group(1)), escaped)
    )
