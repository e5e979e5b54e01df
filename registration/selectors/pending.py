"""Confirmed first-come-first-served places whose campaign is not finalized yet.

Plugged into ``mampf.pending`` at ``RegistrationConfig.ready()``, so that the roster page
(``rosters``) and the student's start page (``mampf``) can show them without importing
registration. A place counts while its campaign is open or closed (finalization puts it on the
roster); draft campaigns hold no registrations and completed ones are on the rosters.
"""

from __future__ import annotations

from collections import defaultdict

from mampf.db import PreparedQuery
from mampf.pending import PendingPlace, PendingSource
from registration.models import Campaign, UserRegistration

WAITING = (Campaign.Status.OPEN, Campaign.Status.CLOSED)


def _confirmed():
    return UserRegistration.objects.filter(
        status=UserRegistration.Status.CONFIRMED,
        campaign__allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
        campaign__status__in=WAITING,
    )


def confirmed_user_ids(registerable_ids: list[int]) -> dict[int, set[int]]:
    """Users with a confirmed FCFS place per registerable (one query)."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = _confirmed().filter(item__registerable_id__in=registerable_ids).values_list(
        "item__registerable_id", "user_id"
    )
    for registerable_id, user_id in rows:
        found[registerable_id].add(user_id)
    return found


_PLACES_OF = PreparedQuery(
    lambda *, user_id: _confirmed()
    .filter(user_id=user_id)
    .order_by("campaign__lecture__title", "item__registerable__title", "pk")
    .values_list(
        "item__registerable_id",
        "item__registerable__title",
        "campaign__lecture__title",
        "campaign__title",
    )
)


def confirmed_places_of(user) -> list[PendingPlace]:
    """The user's confirmed FCFS places (one query; its SQL built once per process)."""
    rows = _PLACES_OF.fetchall(user_id=user.pk)
    return [
        PendingPlace(registerable_id=r, title=title, lecture_title=lecture, campaign_title=via)
        for r, title, lecture, via in rows
    ]


SOURCE = PendingSource(
    name="registration.fcfs_confirmed",
    user_ids=confirmed_user_ids,
    places_of=confirmed_places_of,
)
