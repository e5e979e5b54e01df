"""Reads for the allocation, finalization and unassigned pages (a fixed number of queries each).

The statistics come from the run's stored JSON (written by ``registration.allocation``); what
this module adds is what a page needs to show them: shares, bar widths, the assignments per item
and, after finalization, the registrants who still have no place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from registration import policies
from registration.models import AllocationRun, Campaign, Item, Policy, UserRegistration
from rosters import selectors as roster_selectors

RegStatus = UserRegistration.Status
RunStatus = AllocationRun.Status
HISTORY_LIMIT = 20
TOP_CHOICES = 3


# -- runs ---------------------------------------------------------------------------------------


def run_history(*, campaign: Campaign, limit: int = HISTORY_LIMIT) -> list[AllocationRun]:
    """The newest runs first, with who asked for them (one query)."""
    return list(
        AllocationRun.objects.filter(campaign=campaign)
        .select_related("requested_by")
        .order_by("-created_at", "-id")[:limit]
    )


def active_run(runs: list[AllocationRun]) -> AllocationRun | None:
    return next((run for run in runs if run.is_active), None)


def latest_successful_run(*, campaign: Campaign, runs: list[AllocationRun]):
    """The run whose result the registrations hold now (older than the history page: a query)."""
    for run in runs:
        if run.status == RunStatus.SUCCEEDED:
            return run
    return (
        AllocationRun.objects.filter(campaign=campaign, status=RunStatus.SUCCEEDED)
        .select_related("requested_by")
        .order_by("-created_at", "-id")
        .first()
    )


def run_for_progress(*, campaign: Campaign) -> AllocationRun | None:
    """The active run, or else the newest one (the progress fragment polls this)."""
    runs = AllocationRun.objects.filter(campaign=campaign).order_by("-created_at", "-id")
    return runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first() or runs.first()


# -- preview of a run ---------------------------------------------------------------------------


@dataclass
class RankRow:
    rank: str
    count: int
    share_percent: float | None
    bar_percent: int


@dataclass
class ItemRow:
    item_id: int
    title: str
    capacity: int | None
    assigned: int
    fill_percent: int | None
    average_rank: float | None
    students: list = field(default_factory=list)


@dataclass
class AssignedStudent:
    name: str
    email: str
    matriculation_number: str
    rank: int | None  # None: placed by forced assignment outside the student's ranking


@dataclass
class Preview:
    run: AllocationRun
    statistics: dict
    rank_rows: list[RankRow]
    items: list[ItemRow]
    first_choice_percent: float | None
    without_place: list[AssignedStudent] = field(default_factory=list)


def _percent(part, whole) -> float | None:
    if not whole:
        return None
    return round(100 * part / whole, 1)


def _assigned_students(campaign: Campaign) -> dict[int, list[AssignedStudent]]:
    by_item: dict[int, list[AssignedStudent]] = defaultdict(list)
    rows = (
        campaign.registrations.filter(status=RegStatus.CONFIRMED)
        .order_by("item_id", "user__name", "user_id")
        .values_list(
            "item_id", "user__name", "user__email", "user__matriculation_number",
            "preference_rank",
        )
    )
    for item_id, name, email, matriculation, rank in rows:
        by_item[item_id].append(AssignedStudent(name, email, matriculation or "", rank))
    return by_item


def _students_without_place(campaign: Campaign) -> list[AssignedStudent]:
    rows = (
        campaign.registrations.values("user_id", "user__name", "user__email",
                                      "user__matriculation_number")
        .annotate(confirmed=Count("id", filter=Q(status=RegStatus.CONFIRMED)))
        .filter(confirmed=0)
        .order_by("user__name", "user_id")
    )
    return [
        AssignedStudent(
            row["user__name"], row["user__email"], row["user__matriculation_number"] or "", None
        )
        for row in rows
    ]


def preview_of(*, campaign: Campaign, run: AllocationRun) -> Preview:
    """Statistics of the run in display form, the students per group and those without one."""
    stats = run.statistics or {}
    considered = stats.get("considered") or 0
    profile = stats.get("rank_profile") or {}
    largest = max(profile.values(), default=0)
    rank_rows = [
        RankRow(
            rank=rank,
            count=count,
            share_percent=_percent(count, considered),
            bar_percent=round(100 * count / largest) if largest else 0,
        )
        for rank, count in sorted(profile.items(), key=lambda pair: int(pair[0]))
    ]
    assigned = _assigned_students(campaign)
    items = [
        ItemRow(
            item_id=row.get("item_id"),
            title=row.get("title", ""),
            capacity=row.get("capacity"),
            assigned=row.get("assigned", 0),
            fill_percent=(
                min(100, round(100 * row["fill"])) if row.get("fill") is not None else None
            ),
            average_rank=row.get("average_rank"),
            students=assigned.get(row.get("item_id"), []),
        )
        for row in stats.get("items", [])
    ]
    share = stats.get("first_choice_share")
    return Preview(
        run=run,
        statistics=stats,
        rank_rows=rank_rows,
        items=items,
        first_choice_percent=round(100 * share, 1) if share is not None else None,
        without_place=_students_without_place(campaign),
    )


# -- finalization -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalizeForecast:
    """What finalizing would do now: who gets a place, who does not, how many e-mails.

    ``rejected`` names the confirmed registrants a finalization-phase policy would turn away
    (say, no exam admission), as ``(name, reason)`` pairs; ``blocked`` the ones for whom it
    would refuse to finalize at all (a decision missing or out of date). Read without locks;
    the service screens again under them."""

    registrants: int
    placed: int
    without_place: int
    rejected: tuple[tuple[str, str], ...] = ()
    blocked: tuple[tuple[str, str], ...] = ()


def _policy_screen(campaign: Campaign, user_ids: list[int]):
    """The finalization-phase verdicts of the users that would not pass, by user id."""
    if not user_ids or not policies.applicable_policies(campaign, Policy.Phase.FINALIZATION):
        return {}, {}
    users = list(get_user_model().objects.filter(pk__in=user_ids).order_by("name", "pk"))
    results = policies.evaluate_many(campaign, users, phase=Policy.Phase.FINALIZATION)
    names = {user.pk: user.name for user in users}
    failed = {pk: result for pk, result in results.items() if not result.passed}

    def listing(blocker: bool):
        return tuple(
            (names.get(pk, ""), str(result.message or result.code))
            for pk, result in sorted(failed.items(), key=lambda kv: (names.get(kv[0], ""), kv[0]))
            if result.is_blocker == blocker
        )

    return listing(False), listing(True)


def finalize_forecast(*, campaign: Campaign) -> FinalizeForecast:
    per_user = list(
        campaign.registrations.values("user_id")
        .annotate(confirmed=Count("id", filter=Q(status=RegStatus.CONFIRMED)))
        .order_by()
        .values_list("user_id", "confirmed")
    )
    confirmed = [user_id for user_id, count in per_user if count]
    rejected, blocked = _policy_screen(campaign, confirmed)
    placed = len(confirmed) - len(rejected)
    return FinalizeForecast(
        registrants=len(per_user),
        placed=placed,
        without_place=len(per_user) - placed,
        rejected=rejected,
        blocked=blocked,
    )


# -- unassigned registrants ---------------------------------------------------------------------


def _item_registerable_ids(campaign: Campaign):
    return Item.objects.filter(campaign=campaign).values("registerable_id")


def unassigned_user_ids(*, campaign: Campaign) -> list[int]:
    """Registrants without a confirmed row who are not on any of the campaign's rosters either.

    Someone placed by hand after finalization drops off the list, although their registration
    rows stay rejected (the rows record the campaign's decision, the roster the current truth).
    """
    placed_by_hand = roster_selectors.members_of(_item_registerable_ids(campaign))
    return list(
        campaign.registrations.exclude(user_id__in=placed_by_hand)
        .values("user_id", "user__name")
        .annotate(confirmed=Count("id", filter=Q(status=RegStatus.CONFIRMED)))
        .filter(confirmed=0)
        .order_by("user__name", "user_id")
        .values_list("user_id", flat=True)
    )


def is_registrant(*, campaign: Campaign, user_id: int) -> bool:
    return campaign.registrations.filter(user_id=user_id).exists()


@dataclass
class Choice:
    registerable_id: int
    title: str
    rank: int | None
    capacity: int | None
    filled: int

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.filled >= self.capacity


@dataclass
class UnassignedRow:
    user: object
    choices: list[Choice]


@dataclass
class Target:
    registerable_id: int
    title: str
    capacity: int | None
    filled: int

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.filled >= self.capacity


def campaign_targets(*, campaign: Campaign) -> list[Target]:
    """The campaign's groups with their places taken (``rosters.selectors.seats_taken``: the
    roster plus confirmed places not yet materialized; two queries)."""
    items = list(
        campaign.items.order_by("position", "id").values_list(
            "registerable_id", "registerable__title", "registerable__capacity"
        )
    )
    fill = roster_selectors.seats_taken([reg_id for reg_id, _t, _c in items])
    return [
        Target(registerable_id=reg_id, title=title, capacity=capacity, filled=fill.get(reg_id, 0))
        for reg_id, title, capacity in items
    ]


def unassigned_rows(
    *, campaign: Campaign, user_ids: list[int], targets: list[Target]
) -> list[UnassignedRow]:
    """The students of one page with their top choices (two queries for any page size)."""
    users = get_user_model().objects.in_bulk(user_ids)
    by_target = {target.registerable_id: target for target in targets}
    choices: dict[int, list[Choice]] = defaultdict(list)
    rows = (
        campaign.registrations.filter(user_id__in=user_ids)
        .order_by("user_id", "preference_rank", "id")
        .values_list("user_id", "item__registerable_id", "preference_rank")
    )
    for user_id, registerable_id, rank in rows:
        if len(choices[user_id]) >= TOP_CHOICES or registerable_id not in by_target:
            continue
        target = by_target[registerable_id]
        choices[user_id].append(
            Choice(
                registerable_id=registerable_id,
                title=target.title,
                rank=rank,
                capacity=target.capacity,
                filled=target.filled,
            )
        )
    return [
        UnassignedRow(user=users[user_id], choices=choices.get(user_id, []))
        for user_id in user_ids
        if user_id in users
    ]
