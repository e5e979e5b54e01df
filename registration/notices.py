"""Notices on a student's campaign page, supplied by higher apps: a registry.

The campaign page belongs to ``registration``, but some of what a student needs to read there is
known only above it: ``performance`` knows whether the student is admitted to the exam. It plugs
a provider in at ``AppConfig.ready()``; the campaign page asks this module through the
``{% campaign_notices campaign %}`` tag (not in the seat table that htmx polls).

Rules:
- a provider gets ``(campaign, user)`` and returns a list of ``CampaignNotice`` (usually empty);
  it must cost nothing for campaigns it has nothing to say about (read the campaign's prefetched
  policies, never query for them) and a bounded number of queries otherwise;
- providers only look things up, never recompute or write anything;
- a provider that fails is logged and left out: the page still works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CampaignNotice:
    """One notice: a headline, optional detail lines and a link."""

    level: str  # success, warning, info (the page's alert styles)
    title: str
    lines: tuple[str, ...] = ()
    link_url: str = ""
    link_text: str = ""
    code: str = ""  # machine-readable, for tests and styling (e.g. "admitted")


CampaignNoticeProvider = Callable[[object, object], list[CampaignNotice]]

_PROVIDERS: dict[str, CampaignNoticeProvider] = {}


def register_campaign_notice(provider: CampaignNoticeProvider, *, name: str) -> None:
    """Add a provider; another provider under a name already taken is a programming error."""
    existing = _PROVIDERS.get(name)
    if existing is not None and existing is not provider:
        raise ValueError(f"A campaign notice provider named {name!r} is already registered.")
    _PROVIDERS[name] = provider


def unregister_campaign_notice(name: str) -> None:
    """For tests that plug in a provider of their own."""
    _PROVIDERS.pop(name, None)


def campaign_notices(campaign, *, user) -> list[CampaignNotice]:
    """Every provider's notices for this student on this campaign's page."""
    if not (user is not None and user.is_authenticated):
        return []
    notices: list[CampaignNotice] = []
    for name, provider in list(_PROVIDERS.items()):
        try:
            notices.extend(provider(campaign, user) or ())
        except Exception:  # a notice must never break the registration page
            logger.exception("campaign notice provider %s failed", name)
    return notices
