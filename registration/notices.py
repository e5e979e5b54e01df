"""Notices on a student's campaign page, supplied by higher apps: a registry.

The campaign page belongs to ``registration``, but some of what a student needs to read there is
known only above it: ``performance`` knows whether the student is admitted to the exam. It plugs
a provider in at ``AppConfig.ready()``; the campaign page asks this module through the
``{% campaign_notices campaign %}`` tag (not in the seat table that htmx polls).

Rules:
- a provider gets ``(campaign, user)`` and returns a list of ``CampaignNotice`` (usually empty);
  it must cost nothing for campaigns it has nothing to say about (read the campaign's prefetched
  policies, never query for them) and a bounded number of queries otherwise;
- a provider may also register a ``prefetch(campaign_id, user)`` that returns a prepared read
  (``mampf.db.BoundRead``) or ``None``: the page sends it in its one round trip together with
  its own reads (``mampf.db.fetch_together``; on a database that cannot batch statements no
  prefetch is asked for), and the provider is then called with ``prefetched=`` its rows
  (``None`` when the page did not run it: then it reads for itself). The read is sent before
  the page knows the campaign, so it must find nothing, cheaply, for a campaign the provider
  has nothing to say about (a condition in its SQL), and it must be a plain read of code-built
  SQL: it runs in the page's batch, where a database error fails the page like any of the
  page's own reads (a prefetch that fails to *build* is logged and left out);
- providers only look things up, never recompute or write anything;
- a provider that fails is logged and left out: the page still works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mampf.db import BoundRead, batches_statements

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


CampaignNoticeProvider = Callable[..., list[CampaignNotice]]
NoticePrefetch = Callable[[int, object], BoundRead | None]

_PROVIDERS: dict[str, CampaignNoticeProvider] = {}
_PREFETCHES: dict[str, NoticePrefetch] = {}


def register_campaign_notice(provider: CampaignNoticeProvider, *, name: str,
                             prefetch: NoticePrefetch | None = None) -> None:
    """Add a provider (and the read it wants in the page's first round trip); another provider
    under a name already taken is a programming error."""
    existing = _PROVIDERS.get(name)
    if existing is not None and existing is not provider:
        raise ValueError(f"A campaign notice provider named {name!r} is already registered.")
    _PROVIDERS[name] = provider
    if prefetch is not None:
        _PREFETCHES[name] = prefetch
    else:
        _PREFETCHES.pop(name, None)


def unregister_campaign_notice(name: str) -> None:
    """For tests that plug in a provider of their own."""
    _PROVIDERS.pop(name, None)
    _PREFETCHES.pop(name, None)


def notice_reads(campaign_id: int, *, user) -> dict[str, BoundRead]:
    """The providers' reads for this campaign page, by provider name, for the page to send
    along with its own (``mampf.db.fetch_together``) and hand to ``campaign_notices``; none
    where reads cannot share a round trip (they would only cost a query on every page)."""
    if not (user is not None and user.is_authenticated) or not batches_statements():
        return {}
    reads = {}
    for name, prefetch in list(_PREFETCHES.items()):
        try:
            read = prefetch(campaign_id, user)
        except Exception:  # as a failing provider: the page still works
            logger.exception("campaign notice prefetch %s failed", name)
            continue
        if read is not None:
            reads[name] = read
    return reads


def campaign_notices(campaign, *, user, prefetched: dict[str, BoundRead] | None = None
                     ) -> list[CampaignNotice]:
    """Every provider's notices for this student on this campaign's page; ``prefetched``: the
    reads of ``notice_reads`` the page ran."""
    if not (user is not None and user.is_authenticated):
        return []
    notices: list[CampaignNotice] = []
    for name, provider in list(_PROVIDERS.items()):
        try:
            if name in _PREFETCHES:
                read = (prefetched or {}).get(name)
                found = provider(campaign, user, prefetched=None if read is None else read.rows)
            else:
                found = provider(campaign, user)
            notices.extend(found or ())
        except Exception:  # a notice must never break the registration page
            logger.exception("campaign notice provider %s failed", name)
    return notices
