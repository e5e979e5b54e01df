"""What finalizing a campaign would do to students who already sit in a tutorial (item 1).

Read by the finalize confirmation page; five queries whatever the number of students.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from mampf.models import Registerable
from registration.models import Campaign, UserRegistration
from rosters import services as roster_services


@dataclass(frozen=True)
class TutorialConflict:
    user_id: int
    name: str
    email: str
    current: str  # the tutorial they sit in now
    assigned: str  # the tutorial this campaign gives them


def tutorial_conflicts(*, campaign: Campaign) -> list[TutorialConflict]:
    """Students this campaign places in a tutorial while they sit in another tutorial of the
    lecture, by name (``campaign_finalize(conflicts=...)`` decides what happens to them)."""
    if campaign.planning_only or campaign.status == Campaign.Status.COMPLETED:
        return []
    users_by_registerable: dict[int, set[int]] = {}
    for user_id, registerable_id in UserRegistration.objects.filter(
        campaign=campaign, status=UserRegistration.Status.CONFIRMED
    ).values_list("user_id", "item__registerable_id"):
        users_by_registerable.setdefault(registerable_id, set()).add(user_id)
    found = roster_services.conflicting_tutorial_memberships(
        campaign=campaign, user_ids_by_registerable=users_by_registerable
    )
    if not found:
        return []
    users = get_user_model().objects.only("pk", "name", "email").in_bulk(
        {user_id for user_id, _assigned, _other in found}
    )
    titles = dict(
        Registerable.objects.non_polymorphic()
        .filter(pk__in={g for _u, a, o in found for g in (a, o)})
        .values_list("pk", "title")
    )
    rows = [
        TutorialConflict(
            user_id=user_id,
            name=users[user_id].name,
            email=users[user_id].email,
            current=titles[other],
            assigned=titles[assigned],
        )
        for user_id, assigned, other in found
    ]
    return sorted(rows, key=lambda row: (row.name.casefold(), row.user_id))
