"""Places registration hands out before they reach the roster (a rosters pending seat source).

``rosters.selectors.seats_taken`` is the one definition of a taken place; registration plugs
this source in at ``RegistrationConfig.ready()``, so rosters never imports registration and
registration never reads rosters' tables for capacity.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from registration.models import Campaign, UserRegistration


def confirmed_not_materialized(
    registerable_ids: Iterable[int], *, excluding_campaign_id: int | None = None
) -> QuerySet:
    """``(registerable_id, user_id)`` of confirmed registrations in campaigns whose results are
    not in the rosters yet (every campaign not completed)."""
    rows = UserRegistration.objects.filter(
        item__registerable_id__in=(registerable_ids if isinstance(registerable_ids, QuerySet)
                                   else list(registerable_ids)),
        status=UserRegistration.Status.CONFIRMED,
    ).exclude(campaign__status=Campaign.Status.COMPLETED)
    if excluding_campaign_id is not None:
        rows = rows.exclude(campaign_id=excluding_campaign_id)
    return rows.order_by().values_list("item__registerable_id", "user_id")
