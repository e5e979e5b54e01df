"""What finalizing a campaign would do to students who already sit in a tutorial (item 1).

Read by the finalize confirmation page; one query whatever the number of students. The same
conflicts as ``rosters.services.conflicting_tutorial_memberships`` (which finalization uses):
a student this campaign places in a tutorial while they sit in another tutorial of the lecture
by hand or through another campaign.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from mampf.models import Tutorial
from registration.models import Campaign, UserRegistration
from rosters.models import RosterEntry


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
    tutorials = Tutorial.objects.filter(lecture_id=campaign.lecture_id).values("pk")
    elsewhere = (
        RosterEntry.objects.filter(user_id=OuterRef("user_id"), registerable__in=tutorials)
        .exclude(registerable_id=OuterRef("item__registerable_id"))
        .exclude(source_campaign_id=campaign.pk)
        .order_by("registerable_id")
        .values("registerable__title")[:1]
    )
    rows = (
        UserRegistration.objects.filter(
            campaign=campaign,
            status=UserRegistration.Status.CONFIRMED,
            item__registerable__in=tutorials,
        )
        .annotate(current=Subquery(elsewhere))
        .filter(current__isnull=False)
        .order_by("user__name", "user_id")
        .values_list("user_id", "user__name", "user__email", "current", "item__registerable__title")
    )
    return [
        TutorialConflict(user_id=u, name=n, email=e, current=c, assigned=a)
        for u, n, e, c, a in rows
    ]
