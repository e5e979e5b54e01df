"""Places confirmed by a higher app that are not on a roster yet: a registry.

A first-come-first-served registration confirms a place at once, but the roster (``rosters``)
only receives it when the campaign is finalized. Until then the roster page should say "N
confirmed, not yet in the list" and the student's start page should show the place. ``mampf``
and ``rosters`` sit below ``registration`` and may not import it, so ``registration`` plugs a
``PendingSource`` in at ``AppConfig.ready()`` and the lower apps ask this module.

Sources report confirmed places whatever the rosters hold; callers subtract the people who are
already on the roster (they know how to read rosters). Each source costs one query per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PendingPlace:
    """One confirmed place of one student, not on the roster yet."""

    registerable_id: int
    title: str
    lecture_title: str
    campaign_title: str


@dataclass(frozen=True)
class PendingSource:
    """``user_ids``: registerable ids -> {registerable id: user ids with a confirmed place};
    ``places_of``: a user -> their confirmed places."""

    name: str
    user_ids: Callable[[list[int]], dict[int, set[int]]]
    places_of: Callable[[object], list[PendingPlace]]


_SOURCES: dict[str, PendingSource] = {}


def register_pending_source(source: PendingSource) -> None:
    """Add a source; registering the same name twice with another source is a programming error."""
    existing = _SOURCES.get(source.name)
    if existing is not None and existing != source:
        raise ValueError(f"A pending-place source named {source.name!r} is already registered.")
    _SOURCES[source.name] = source


def unregister_pending_source(name: str) -> None:
    """For tests that plug in a source of their own."""
    _SOURCES.pop(name, None)


def pending_user_ids(registerable_ids: Iterable[int]) -> dict[int, set[int]]:
    """Users with a confirmed place per registerable, from every source (one query each)."""
    ids = sorted(set(registerable_ids))
    found: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return found
    for source in _SOURCES.values():
        for registerable_id, user_ids in source.user_ids(ids).items():
            found[registerable_id] |= set(user_ids)
    return found


def pending_places_of(user) -> list[PendingPlace]:
    """The user's confirmed places from every source, one per group (one query each)."""
    places: dict[int, PendingPlace] = {}
    for source in _SOURCES.values():
        for place in source.places_of(user):
            places.setdefault(place.registerable_id, place)
    return sorted(places.values(), key=lambda p: (p.lecture_title, p.title, p.registerable_id))
