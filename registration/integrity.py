"""Registration's integrity checks (spec 002 monitoring; registered at ``ready()``).

- ``orphan_registrations``: a registration whose item is gone, belongs to another campaign or
  points at a group that is gone. The database's foreign keys forbid the first and the last,
  so a hit means corruption (a restore, a disabled constraint): the operators are told at once.
- ``failed_allocation_runs``: solver runs that failed in the last 24 hours (the lecture's staff
  must look at them).
- ``count_drift``: per item of a completed campaign (not planning-only), the confirmed
  registrations against the roster entries that came from that campaign. There is no cached
  counter here (places are always counted fresh, see docs/architecture.md), so "recount" is the
  check itself: every run counts both sides again, and a drift above 5 per item (hand changes
  after finalization or a failed materialization) is reported to the lecture's staff with the
  items named. Nothing is changed: removing or re-adding students by machine would undo a
  teacher's deliberate roster change.

Each check is one SQL statement over the whole site.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mampf.integrity import Action, Finding, counted_by_lecture, register_check
from mampf.models import Registerable
from registration.models import AllocationRun, Campaign, Item, UserRegistration
from rosters.models import RosterEntry

DRIFT_THRESHOLD = 5


def orphan_registrations() -> list[Finding]:
    """Registrations without a valid item (one statement)."""
    sql = f"""
        SELECT c.lecture_id, r.id
        FROM {UserRegistration._meta.db_table} r
        LEFT JOIN {Campaign._meta.db_table} c ON c.id = r.campaign_id
        LEFT JOIN {Item._meta.db_table} i ON i.id = r.item_id
        LEFT JOIN {Registerable._meta.db_table} g ON g.id = i.registerable_id
        WHERE i.id IS NULL OR i.campaign_id <> r.campaign_id OR g.id IS NULL
        ORDER BY r.id
    """  # noqa: S608 - table names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return counted_by_lecture(rows)


def failed_allocation_runs(*, now=None) -> list[Finding]:
    """Allocation runs that failed in the last 24 hours (one query)."""
    since = (now or timezone.now()) - timedelta(hours=24)
    rows = (
        AllocationRun.objects.filter(status=AllocationRun.Status.FAILED)
        .filter(created_at__gte=since)
        .order_by("pk")
        .values_list("campaign__lecture_id", "pk")
    )
    return counted_by_lecture(rows)


def count_drift(*, threshold: int = DRIFT_THRESHOLD) -> list[Finding]:
    """Per lecture the largest drift of its items; ``ids`` are the items above the threshold.
    One statement."""
    sql = f"""
        SELECT c.lecture_id, i.id, ABS(COALESCE(r.n, 0) - COALESCE(e.n, 0)) AS drift
        FROM {Item._meta.db_table} i
        JOIN {Campaign._meta.db_table} c
          ON c.id = i.campaign_id AND c.status = 'completed' AND NOT c.planning_only
        LEFT JOIN (
            SELECT item_id, COUNT(*) AS n FROM {UserRegistration._meta.db_table}
            WHERE status = 'confirmed' GROUP BY item_id
        ) r ON r.item_id = i.id
        LEFT JOIN (
            SELECT registerable_id, source_campaign_id, COUNT(*) AS n
            FROM {RosterEntry._meta.db_table}
            WHERE source_campaign_id IS NOT NULL GROUP BY registerable_id, source_campaign_id
        ) e ON e.registerable_id = i.registerable_id AND e.source_campaign_id = i.campaign_id
        WHERE COALESCE(r.n, 0) <> COALESCE(e.n, 0)
        ORDER BY i.id
    """  # noqa: S608 - table names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    worst: dict = defaultdict(int)
    over: dict = defaultdict(list)
    for lecture_id, item_id, drift in rows:
        worst[lecture_id] = max(worst[lecture_id], int(drift))
        if drift > threshold:
            over[lecture_id].append(item_id)
    return [
        Finding(lecture_id=lecture_id, value=Decimal(value), ids=tuple(over[lecture_id]))
        for lecture_id, value in worst.items()
    ]


def registration_links(ids) -> dict:
    """Registration id -> its campaign's staff page (one query)."""
    rows = UserRegistration.objects.filter(pk__in=list(ids)).values_list("pk", "campaign_id")
    return {pk: reverse("registration:staff_campaign_detail", args=[c]) for pk, c in rows}


def run_links(ids) -> dict:
    rows = AllocationRun.objects.filter(pk__in=list(ids)).values_list("pk", "campaign_id")
    return {pk: reverse("registration:staff_campaign_detail", args=[c]) for pk, c in rows}


def item_links(ids) -> dict:
    rows = Item.objects.filter(pk__in=list(ids)).values_list("pk", "campaign_id")
    return {pk: reverse("registration:staff_campaign_detail", args=[c]) for pk, c in rows}


def register() -> None:
    register_check(
        "orphan_registrations",
        label=_("Orphan registrations (no valid item)"),
        interval=timedelta(weeks=1),
        threshold=0,
        action=Action.ALERT_OPERATORS,
        fn=orphan_registrations,
        links=registration_links,
        object_label=_("registration"),
    )
    register_check(
        "failed_allocation_runs",
        label=_("Failed allocation runs in the last 24 hours"),
        interval=timedelta(hours=1),
        threshold=0,
        action=Action.ALERT_STAFF,
        fn=failed_allocation_runs,
        links=run_links,
        object_label=_("allocation run"),
    )
    register_check(
        "count_drift",
        label=_("Count drift per item: confirmed registrations vs. roster entries"),
        interval=timedelta(hours=1),
        threshold=DRIFT_THRESHOLD,
        action=Action.RECOUNT,
        fn=count_drift,
        aggregate="max",
        links=item_links,
        object_label=_("item"),
    )
