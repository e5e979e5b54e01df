"""Paths of pages that take ids, without resolving the URL configuration on every call.

``path_for("registration:student_campaign", 7)`` is ``reverse(...)`` with ``args=[7]``, and
``path_for("registration:register", 7, 12)`` with ``args=[7, 12]``: the route is reversed once per
process (and script prefix and URL configuration) with stand-in ids, and each call puts the real
ids in their places. Only the text of the route is kept -- it depends on the code, never on data
-- so this is safe to use on any page (the index lists up to 50 campaigns, each with its link;
a seat table has a Register form per group).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Stand-ins no real id equals, one per position (ids are positive and far smaller).
_STAND_INS = ("918273645546372819", "918273645546372827", "918273645546372833")
_ROUTES: dict[tuple, tuple[str, ...]] = {}


def _route(name: str, count: int) -> tuple[str, ...]:
    """The route's text split around its ids: ``count + 1`` pieces."""
    text = reverse(name, args=[int(stand_in) for stand_in in _STAND_INS[:count]])
    pieces = []
    for stand_in in _STAND_INS[:count]:
        before, marker, text = text.partition(stand_in)
        if not marker:
            raise ValueError(f"path_for: {name} does not take {count} ids in order")
        pieces.append(before)
    pieces.append(text)
    return tuple(pieces)


def path_for(name: str, *pks: int) -> str:
    count = len(pks)
    if not 1 <= count <= len(_STAND_INS):
        raise ValueError(f"path_for: 1 to {len(_STAND_INS)} ids, not {count}")
    key = (name, count, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    route = _ROUTES.get(key)
    if route is None:
        route = _ROUTES[key] = _route(name, count)
    if count == 1:
        return f"{route[0]}{int(pks[0])}{route[1]}"
    filled = (piece + str(int(pk)) for piece, pk in zip(route[:-1], pks, strict=True))
    return "".join(filled) + route[-1]
