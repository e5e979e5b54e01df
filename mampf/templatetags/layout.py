"""``{% site_header %}``: the layout's header without rendering it on every request.

The header (skip link, navigation, language form, log-out form) is the same for every request of
one language, one layout (``mampf.context_processors.Layout``) and one set of navigation entries,
except for the CSRF token, the current path and the user's name. It is rendered once per process
for each such combination, with markers where those three go, and each request fills them in
(escaped as the template would). What is kept depends on the code, the URL configuration and the
translations only -- never on data in the database: the navigation flags themselves (``nav``)
are read per request, and are part of the key.
"""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_CSRF = "\ue000csrf\ue000"
_PATH = "\ue000path\ue000"
_NAME = "\ue000name\ue000"
_RENDERED: dict[tuple, str] = {}


class _Flags:
    """The navigation entries one header shows (plain values: the key of the kept header)."""

    def __init__(self, authenticated: bool, tutors_groups: bool, is_site_staff: bool):
        self.authenticated = authenticated
        self.tutors_groups = tutors_groups
        self.is_site_staff = is_site_staff


@register.simple_tag(takes_context=True)
def site_header(context) -> str:
    request, nav, layout = context.get("request"), context["nav"], context["layout"]
    authenticated = nav.authenticated
    language = get_language()
    key = (layout, language, authenticated,
           authenticated and nav.tutors_groups, authenticated and nav.is_site_staff)
    rendered = _RENDERED.get(key)
    if rendered is None:
        rendered = _RENDERED[key] = render_to_string(
            "partials/site_header.html",
            {"layout": layout, "nav": _Flags(*key[2:]), "LANGUAGE_CODE": language,
             "csrf_token": _CSRF, "full_path": _PATH, "user_name": _NAME},
        )
    user = getattr(request, "user", None)
    return mark_safe(  # noqa: S308 - the kept header is template output; the fillings are escaped
        rendered.replace(_CSRF, escape(str(context.get("csrf_token", ""))))
        .replace(_PATH, escape(request.get_full_path()) if request is not None else "")
        .replace(_NAME, escape(getattr(user, "name", "") or "") if authenticated else "")
    )
