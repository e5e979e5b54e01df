"""Paths of pages that take one id, without resolving the URL configuration on every call.

``path_for("registration:student_campaign", 7)`` is ``reverse(...)`` with ``args=[7]``: the route
is reversed once per process (and script prefix and URL configuration) with a stand-in id, and
each call puts the real id in its place. Only the text of the route is kept -- it depends on the
code, never on data -- so this is safe to use on any page (the index lists up to 50 campaigns,
each with its link).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_STAND_IN = "918273645546372819"
_ROUTES: dict[tuple, tuple[str, str]] = {}


def path_for(name: str, pk: int) -> str:
    key = (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    route = _ROUTES.get(key)
    if route is None:
        before, marker, after = reverse(name, args=[int(_STAND_IN)]).partition(_STAND_IN)
        if not marker:
            raise ValueError(f"path_for: {name} does not take one id")
        route = _ROUTES[key] = (before, after)
    return f"{route[0]}{int(pk)}{route[1]}"
