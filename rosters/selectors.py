"""Reads of roster data."""

from rosters.models import RosterEntry


def roster_user_ids(registerable) -> list[int]:
    """The users currently materialized on the registerable's roster (domain data)."""
    return list(
        RosterEntry.objects.filter(registerable_id=registerable.pk)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def roster_size(registerable) -> int:
    return RosterEntry.objects.filter(registerable_id=registerable.pk).count()
