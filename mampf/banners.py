"""Banners on a lecture's pages, supplied by higher apps: a registry.

Lecture pages live in several apps (``mampf``'s lecture overview, ``rosters``, ``registration``,
``assessment``); a higher app such as ``performance`` wants to tell the lecture's staff something
on every one of them ("12 certifications are out of date"). Those apps may not import the higher
one, so it plugs a provider in at ``AppConfig.ready()`` and ``base.html`` asks this module
through the ``{% lecture_banners %}`` tag whenever the view's context holds a ``lecture``.

Rules:
- banners are for the lecture's staff only (teacher, editors, site staff): the check is made
  here, once, before any provider runs. Students and tutors pay nothing: the navigation's role
  flags (one query the layout makes anyway) already say that they manage no lecture at all;
- a provider gets ``(request, lecture)`` and returns a ``Banner`` or ``None``; it should cost at
  most one query (the whole banner area stays within two: the editor check, when the user is not
  the teacher or site staff, and one per provider);
- a provider must never fail the page: an exception in a provider is logged and its banner left
  out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mampf import permissions
from mampf.models import Lecture

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Banner:
    """One line for the lecture's staff, with an optional link to act on it."""

    message: str
    link_url: str = ""
    link_text: str = ""
    level: str = "warning"  # info, warning (the page's alert styles)


BannerProvider = Callable[[object, Lecture], "Banner | None"]

_PROVIDERS: dict[str, BannerProvider] = {}


def register_lecture_banner(provider: BannerProvider, *, name: str | None = None) -> None:
    """Add a provider (under ``name``, default its qualified name); registering another
    provider under a name already taken is a programming error."""
    key = name or f"{provider.__module__}.{provider.__qualname__}"
    existing = _PROVIDERS.get(key)
    if existing is not None and existing is not provider:
        raise ValueError(f"A lecture banner provider named {key!r} is already registered.")
    _PROVIDERS[key] = provider


def unregister_lecture_banner(name: str) -> None:
    """For tests that plug in a provider of their own."""
    _PROVIDERS.pop(name, None)


def is_lecture_staff(user, lecture: Lecture, *, manages_any_lecture: bool | None = None) -> bool:
    """Teacher, editor or site staff of this lecture. ``manages_any_lecture`` (the navigation's
    flag, when the caller has it) spares students and tutors the editor query."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    if manages_any_lecture is False:
        return False
    return permissions.can_manage_lecture(user, lecture)


def lecture_banners(request, lecture, *, manages_any_lecture: bool | None = None) -> list[Banner]:
    """The banners every provider has for this lecture, for its staff; nothing for anyone else."""
    if not isinstance(lecture, Lecture) or not _PROVIDERS:
        return []
    if not is_lecture_staff(
        getattr(request, "user", None), lecture, manages_any_lecture=manages_any_lecture
    ):
        return []
    banners = []
    for name, provider in list(_PROVIDERS.items()):
        try:
            banner = provider(request, lecture)
        except Exception:  # a banner must never break the page it sits on
            logger.exception("lecture banner provider %s failed", name)
            continue
        if banner is not None:
            banners.append(banner)
    return banners
