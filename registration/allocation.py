"""Allocation and finalization of campaigns (spec 001 "Close vs Finalize", DOMAIN-NOTES).

- ``campaign_allocate`` (preference-based only): in one transaction lock the campaign and its
  groups, reset earlier results, re-screen every applicant against finalization-phase policies,
  solve, and write confirmed / still-pending rows plus an ``AllocationRun`` with statistics.
- ``campaign_finalize``: the finalization guard (policies for every confirmed user; a blocker
  stops everything with a message naming what to fix), the roster materializer, pending rows
  turned into explicit rejections, status ``completed``. Idempotent; planning-only campaigns are
  a no-op that says so.

Both read and write in bulk: the number of queries does not grow with the number of students.
``registration.services`` re-exports the public functions. Imports go one way: this module
uses ``registration.lifecycle`` (locks, transitions, task hand-off), never ``services`` or
``tasks``.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mampf.db import actor_or_none, lock_rows
from mampf.models import Registerable
from registration import errors, policies, solvers
from registration.lifecycle import busy_is_try_again as translate_db_errors
from registration.lifecycle import enqueue_on_commit, lock_campaign, transition
from registration.models import AllocationRun, Campaign, Policy, UserRegistration
from rosters import selectors as roster_selectors
from rosters import services as roster_services
from rosters.errors import RosterError

Status = Campaign.Status
RegStatus = UserRegistration.Status
CHUNK = 5000
PROGRESS_TTL = 3600


# -- progress ---------------------------------------------------------------------------------


def progress_key(run_id: int) -> str:
    return f"registration:allocation-run:{run_id}:progress"


def _report(run: AllocationRun, *, percent: int, phase: str) -> None:
    """Progress goes through the cache: the run's own transaction is invisible until commit."""
    cache.set(progress_key(run.pk), {"percent": percent, "phase": phase}, PROGRESS_TTL)


def run_progress(run: AllocationRun) -> dict:
    if not run.is_active:
        return {"percent": 100, "phase": run.get_status_display()}
    return cache.get(progress_key(run.pk)) or {"percent": 0, "phase": _("Waiting for a worker")}


# -- helpers ----------------------------------------------------------------------------------


def _lock_campaign_nowait(campaign: Campaign) -> Campaign:
    try:
        return lock_campaign(campaign, nowait=True)
    except DatabaseError:
        raise errors.AllocationRunning() from None


def _lock_groups(campaign: Campaign) -> None:
    """The campaign's groups under ``FOR UPDATE``, ascending (the lock FCFS and roster
    maintenance take too)."""
    lock_rows(
        Registerable.objects.non_polymorphic(),
        campaign.items.values_list("registerable_id", flat=True),
    )


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _bulk_set(pks: list[int], **values) -> None:
    """Update rows by id: one statement on PostgreSQL (array parameter), chunks elsewhere."""
    if not pks:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = UserRegistration._meta.db_table
        columns = [*values, "updated_at"]
        assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(table)} SET {assignments} "  # noqa: S608
                "WHERE id = ANY(%s)",
                [*values.values(), now, list(pks)],
            )
        return
    for chunk in _chunks(pks):
        UserRegistration.objects.filter(pk__in=chunk).update(**values, updated_at=now)


def _users(user_ids) -> list:
    return list(
        get_user_model()
        .objects.filter(pk__in=list(user_ids))
        .only("pk", "email", "institutional_email", "institutional_email_verified_at", "name")
    )


def _blocker_error(failures: dict[int, policies.EligibilityResult], users: dict[int, object]):
    """One message naming what to fix, grouped by problem, with a few names each."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for user_id, result in failures.items():
        grouped[result.message or result.code].append(user_id)
    problems = []
    for message, user_ids in grouped.items():
        names = ", ".join(str(users[u]) for u in sorted(user_ids)[:5] if u in users)
        more = len(user_ids) - min(len(user_ids), 5)
        listing = names + (
            ngettext(" and %(n)d more", " and %(n)d more", more) % {"n": more} if more else ""
        )
        problems.append(
            ngettext(
                "%(count)d student (%(names)s): %(problem)s",
                "%(count)d students (%(names)s): %(problem)s",
                len(user_ids),
            )
            % {"count": len(user_ids), "names": listing, "problem": message}
        )
    return errors.PolicyBlocker(
        _("Fix these first: %(problems)s") % {"problems": " ".join(problems)},
        details={"problems": problems, "user_ids": sorted(failures)},
    )


def _screen(campaign: Campaign, user_ids) -> dict[int, policies.EligibilityResult]:
    """Finalization-phase verdicts for the users that fail; a blocker aborts."""
    if not policies.applicable_policies(campaign, Policy.Phase.FINALIZATION):
        return {}
    users = _users(user_ids)
    results = policies.evaluate_many(campaign, users, phase=Policy.Phase.FINALIZATION)
    failed = {user_id: result for user_id, result in results.items() if not result.passed}
    blockers = {user_id: result for user_id, result in failed.items() if result.is_blocker}
    if blockers:
        raise _blocker_error(blockers, {u.pk: u for u in users})
    return failed


# -- allocation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalizeOutcome:
    materialized: bool
    already_completed: bool = False
    message: str = ""
    summary: dict = field(default_factory=dict)


def _check_allocatable(campaign: Campaign) -> None:
    if not campaign.is_preference_based:
        raise errors.WrongAllocationMode(
            _("First-come-first-served campaigns need no allocation: close and finalize them.")
        )
    if campaign.status == Status.OPEN and campaign.open_for_registrations():
        raise errors.InvalidTransition(
            _("The campaign is still open. Close it (or wait for the deadline) first."),
            code="campaign_still_open",
        )
    if campaign.status not in (Status.OPEN, Status.CLOSED, Status.PROCESSING):
        raise errors.InvalidTransition(
            _("Allocation is possible only after the campaign closed and before it is completed.")
        )


@translate_db_errors
def request_allocation(
    campaign: Campaign,
    *,
    by,
    seed: int | None = None,
    objective: str = AllocationRun.Objective.RANK_SUM,
    balanced: bool = False,
    force_assignments: bool = False,
) -> AllocationRun:
    """Queue an allocation run for a worker (eagerly run without a broker)."""
    campaign = Campaign.objects.get(pk=campaign.pk)
    _check_allocatable(campaign)
    run = _new_run(
        campaign,
        by=by,
        seed=seed,
        objective=objective,
        balanced=balanced,
        force_assignments=force_assignments,
        status=AllocationRun.Status.QUEUED,
    )
    enqueue_on_commit("registration.tasks.run_allocation", run.pk)
    return run


def _new_run(campaign, *, by, seed, objective, balanced, force_assignments, status):
    if objective not in AllocationRun.Objective.values:
        raise errors.InvalidConfiguration(_("Choose a valid allocation objective."))
    if seed is None:
        seed = secrets.randbelow(2**31)
    try:
        with transaction.atomic():
            return AllocationRun.objects.create(
                campaign=campaign,
                status=status,
                objective=objective,
                seed=int(seed),
                balanced=balanced,
                force_assignments=force_assignments,
                requested_by=actor_or_none(by),
            )
    except IntegrityError:
        raise errors.AllocationRunning() from None


@translate_db_errors
def campaign_allocate(
    campaign: Campaign,
    *,
    by=None,
    seed: int | None = None,
    objective: str = AllocationRun.Objective.RANK_SUM,
    balanced: bool = False,
    force_assignments: bool = False,
    run: AllocationRun | None = None,
) -> AllocationRun:
    """Compute (or recompute) the allocation; the campaign ends in ``processing``.

    Same inputs and same seed give the same result. While one run is active a second one is
    refused (``allocation_running``). A refusal or a crash leaves everything as it was and marks
    the run failed with the reason.
    """
    campaign = Campaign.objects.get(pk=campaign.pk)
    _check_allocatable(campaign)
    if run is None:
        run = _new_run(
            campaign,
            by=by,
            seed=seed,
            objective=objective,
            balanced=balanced,
            force_assignments=force_assignments,
            status=AllocationRun.Status.RUNNING,
        )
        AllocationRun.objects.filter(pk=run.pk).update(started_at=timezone.now())
    else:
        claimed = AllocationRun.objects.filter(
            pk=run.pk, status=AllocationRun.Status.QUEUED
        ).update(status=AllocationRun.Status.RUNNING, started_at=timezone.now())
        if not claimed:
            return AllocationRun.objects.get(pk=run.pk)  # a duplicate delivery: nothing to do
    run.refresh_from_db()
    try:
        with transaction.atomic():
            _allocate_locked(campaign, run=run, by=by)
    except Exception as exc:
        AllocationRun.objects.filter(pk=run.pk).update(
            status=AllocationRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        cache.delete(progress_key(run.pk))
        raise
    cache.delete(progress_key(run.pk))
    run.refresh_from_db()
    return run


def _allocate_locked(campaign: Campaign, *, run: AllocationRun, by) -> None:
    started = time.perf_counter()
    campaign = _lock_campaign_nowait(campaign)
    _check_allocatable(campaign)
    if campaign.status == Status.OPEN:  # deadline passed, the job has not closed it yet
        transition(campaign, "mark_closed", by=by, note="closed for allocation")
    _report(run, percent=5, phase=_("Locking the groups"))
    _lock_groups(campaign)

    registrations = campaign.registrations
    registrations.exclude(status=RegStatus.PENDING, rejection_reason="").update(
        status=RegStatus.PENDING, rejection_reason="", updated_at=timezone.now()
    )
    registrations.filter(preference_rank__isnull=True).delete()  # earlier forced placements
    rows = list(
        registrations.order_by("user_id", "preference_rank").values_list(
            "pk", "user_id", "item_id", "preference_rank"
        )
    )
    applicant_ids = sorted({user_id for _pk, user_id, _item, _rank in rows})

    _report(run, percent=20, phase=_("Checking eligibility"))
    rejected_by_policy = _screen(campaign, applicant_ids)
    if rejected_by_policy:
        by_reason: dict[str, list[int]] = defaultdict(list)
        for pk, user_id, _item, _rank in rows:
            if user_id in rejected_by_policy:
                by_reason[f"policy:{rejected_by_policy[user_id].failed_policy.kind}"].append(pk)
        for reason, pks in by_reason.items():
            _bulk_set(pks, status=RegStatus.REJECTED, rejection_reason=reason)

    preferences: dict[int, list[int]] = defaultdict(list)
    row_of: dict[tuple[int, int], int] = {}
    for pk, user_id, item_id, _rank in rows:
        if user_id in rejected_by_policy:
            continue
        preferences[user_id].append(item_id)
        row_of[(user_id, item_id)] = pk
    items = list(
        campaign.items.values_list("pk", "registerable_id", "registerable__capacity", "exclusive")
    )
    held = _seats_held_elsewhere(campaign, {reg_id for _pk, reg_id, _cap, _ex in items})
    capacities = {
        pk: None if capacity is None else max(0, capacity - len(held.get(reg_id, ())))
        for pk, reg_id, capacity, _exclusive in items
    }
    exclusive = {pk: flag for pk, _reg, _capacity, flag in items}

    _report(run, percent=40, phase=_("Solving"))
    result = solvers.allocate(
        dict(preferences),
        capacities,
        objective=run.objective,
        seed=run.seed,
        force_assignments=run.force_assignments,
        balanced=run.balanced,
    )

    _report(run, percent=75, phase=_("Writing results"))
    confirmed_pks = [row_of[(u, i)] for u, i in result.assignment.items() if (u, i) in row_of]
    _bulk_set(confirmed_pks, status=RegStatus.CONFIRMED)
    forced_rows = [
        UserRegistration(
            campaign=campaign,
            item_id=item_id,
            user_id=user_id,
            status=RegStatus.CONFIRMED,
            preference_rank=None,
            exclusive=exclusive[item_id],
            rejection_reason="",
        )
        for user_id, item_id in result.assignment.items()
        if (user_id, item_id) not in row_of
    ]
    UserRegistration.objects.bulk_create(forced_rows, batch_size=2000)

    if campaign.status != Status.PROCESSING:
        transition(campaign, "mark_processing", by=by, note=f"allocation run {run.pk}")
    statistics = _statistics(
        campaign,
        result=result,
        applicants=len(applicant_ids),
        policy_rejected=len(rejected_by_policy),
    )
    statistics["total_seconds"] = round(time.perf_counter() - started, 4)
    AllocationRun.objects.filter(pk=run.pk).update(
        status=AllocationRun.Status.SUCCEEDED, finished_at=timezone.now(), statistics=statistics
    )


def _reject_pending(campaign: Campaign, *, assigned_user_ids: list[int]) -> int:
    """Pending rows of assigned students become ``assigned_elsewhere``, all others
    ``solver_unassigned``; returns how many students are left without a place. On PostgreSQL
    two statements with an array parameter (no ids shipped back and forth)."""
    now = timezone.now()
    pending = campaign.registrations.filter(status=RegStatus.PENDING)
    if connection.vendor != "postgresql":
        pending.filter(user_id__in=assigned_user_ids).update(
            status=RegStatus.REJECTED, rejection_reason="assigned_elsewhere", updated_at=now
        )
        without_place = pending.values("user_id").distinct().count()
        pending.update(
            status=RegStatus.REJECTED, rejection_reason="solver_unassigned", updated_at=now
        )
        return without_place
    table = connection.ops.quote_name(UserRegistration._meta.db_table)
    update = (
        f"UPDATE {table} SET status = %s, rejection_reason = %s, updated_at = %s "  # noqa: S608
        "WHERE campaign_id = %s AND status = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            update + " AND user_id = ANY(%s)",
            [
                RegStatus.REJECTED,
                "assigned_elsewhere",
                now,
                campaign.pk,
                RegStatus.PENDING,
                assigned_user_ids,
            ],
        )
        cursor.execute(
            f"WITH rejected AS ({update} RETURNING user_id) "  # noqa: S608 - the table name
            "SELECT COUNT(DISTINCT user_id) FROM rejected",
            [RegStatus.REJECTED, "solver_unassigned", now, campaign.pk, RegStatus.PENDING],
        )
        return cursor.fetchone()[0]


def _seats_held_elsewhere(campaign: Campaign, registerable_ids) -> dict[int, set[int]]:
    """Per group, the people who hold a place without this campaign: on the roster by hand or
    through another campaign, or confirmed in another campaign whose results are pending
    (``rosters.selectors.seat_holders``, the one definition of a taken place)."""
    return roster_selectors.seat_holders(registerable_ids, excluding_campaign_id=campaign.pk)


def _capacity_problems(campaign: Campaign, users_by_registerable: dict[int, set[int]]) -> list:
    """Groups this campaign would fill beyond their capacity (capacity lowered after the
    allocation, or people added by hand since)."""
    problems = []
    held = _seats_held_elsewhere(campaign, users_by_registerable)
    for registerable in Registerable.objects.filter(pk__in=list(users_by_registerable)):
        if registerable.capacity is None:
            continue
        others = held.get(registerable.pk, set())
        room = max(0, registerable.capacity - len(others))
        newcomers = users_by_registerable[registerable.pk] - others
        if len(newcomers) > room:
            problems.append(
                _("%(group)s: %(assigned)d assigned but only %(room)d of %(capacity)d places left.")
                % {
                    "group": registerable.title,
                    "assigned": len(newcomers),
                    "room": room,
                    "capacity": registerable.capacity,
                }
            )
    return problems


def _statistics(campaign: Campaign, *, result, applicants: int, policy_rejected: int) -> dict:
    """Rank profile, share with first choice, unassigned count, per-item fill and average rank."""
    considered = applicants - policy_rejected
    first = result.rank_profile.get(1, 0)
    ranks = [rank for rank in result.ranks.values() if rank is not None]
    per_item: dict[int, list] = defaultdict(list)
    for user_id, item_id in result.assignment.items():
        per_item[item_id].append(result.ranks.get(user_id))
    items = []
    for item_id, capacity, title in campaign.items.order_by("position", "pk").values_list(
        "pk", "registerable__capacity", "registerable__title"
    ):
        got = per_item.get(item_id, [])
        ranked = [r for r in got if r is not None]
        items.append(
            {
                "item_id": item_id,
                "title": title,
                "capacity": capacity,
                "assigned": len(got),
                "fill": round(len(got) / capacity, 4) if capacity else None,
                "average_rank": round(sum(ranked) / len(ranked), 3) if ranked else None,
            }
        )
    return {
        "applicants": applicants,
        "considered": considered,
        "policy_rejected": policy_rejected,
        "assigned": len(result.assignment),
        "forced": len(result.forced),
        "unassigned": len(result.unassigned),
        "rank_profile": {str(rank): count for rank, count in sorted(result.rank_profile.items())},
        "first_choice_share": round(first / considered, 4) if considered else None,
        "average_rank": round(sum(ranks) / len(ranks), 3) if ranks else None,
        "items": items,
        "objective": result.objective,
        "seed": result.seed,
        "balanced": result.balanced,
        "force_assignments": result.force_assignments,
        "solver_seconds": round(result.wall_time_seconds, 4),
    }


# -- finalization -----------------------------------------------------------------------------


CONFLICT_MODES = ("refuse", "skip", "move")


@translate_db_errors
def campaign_finalize(
    campaign: Campaign, *, by=None, conflicts: str = "refuse"
) -> FinalizeOutcome:
    """Guard, materialize into rosters, make every outcome explicit, complete. Idempotent.

    ``conflicts`` says what happens to students placed in a tutorial while they already sit in
    another tutorial of the lecture: ``refuse`` (the default) stops everything and names them;
    ``skip`` rejects their registration (reason ``already_in_tutorial``) and they stay where they
    are; ``move`` moves them on the rosters into the new tutorial (audited).
    """
    if conflicts not in CONFLICT_MODES:
        raise errors.InvalidConfiguration(
            _("Choose what happens to students who already sit in another tutorial.")
        )
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.planning_only:
        return FinalizeOutcome(
            materialized=False,
            message=_(
                "Planning-only campaign: results are kept for planning and never put into "
                "rosters, so there is nothing to finalize."
            ),
        )
    if campaign.status == Status.COMPLETED:
        return FinalizeOutcome(
            materialized=False,
            already_completed=True,
            message=_("The campaign is already completed."),
        )
    with transaction.atomic():
        campaign = lock_campaign(campaign)
        if campaign.status == Status.COMPLETED:
            return FinalizeOutcome(
                materialized=False,
                already_completed=True,
                message=_("The campaign is already completed."),
            )
        if AllocationRun.objects.filter(
            campaign=campaign, status__in=["queued", "running"]
        ).exists():
            raise errors.AllocationRunning()
        if campaign.is_preference_based and campaign.status != Status.PROCESSING:
            raise errors.InvalidTransition(
                _("Run the allocation before finalizing."), code="allocation_missing"
            )
        if campaign.is_fcfs and campaign.status != Status.CLOSED:
            raise errors.InvalidTransition(
                _("Close the campaign before finalizing."), code="campaign_still_open"
            )
        _lock_groups(campaign)
        summary = _finalize_locked(campaign, by=by, conflicts=conflicts)
        transition(campaign, "mark_completed", by=by, note="finalized")
        enqueue_on_commit("registration.tasks.send_allocation_results", campaign.pk)
    message = _(
        "Finalized: %(added)d added to rosters, %(removed)d removed, %(rejected)d without a place."
    ) % summary
    if summary["skipped"]:
        message += " " + ngettext(
            "%(skipped)d student stays in their tutorial.",
            "%(skipped)d students stay in their tutorials.",
            summary["skipped"],
        ) % summary
    if summary["moved"]:
        message += " " + ngettext(
            "%(moved)d student was moved from their tutorial.",
            "%(moved)d students were moved from their tutorials.",
            summary["moved"],
        ) % summary
    return FinalizeOutcome(materialized=True, summary=summary, message=message)


def _finalize_locked(campaign: Campaign, *, by, conflicts: str) -> dict:
    confirmed = list(
        campaign.registrations.filter(status=RegStatus.CONFIRMED).values_list(
            "pk", "user_id", "item_id", "item__registerable_id"
        )
    )
    failed = _screen(campaign, {user_id for _pk, user_id, _item, _reg in confirmed})
    if failed:
        by_reason: dict[str, list[int]] = defaultdict(list)
        for pk, user_id, _item, _reg in confirmed:
            if user_id in failed:
                by_reason[f"policy:{failed[user_id].failed_policy.kind}"].append(pk)
        for reason, pks in by_reason.items():
            _bulk_set(pks, status=RegStatus.REJECTED, rejection_reason=reason)
    users_by_registerable: dict[int, set[int]] = {
        reg_id: set() for reg_id in campaign.items.values_list("registerable_id", flat=True)
    }
    for _pk, user_id, _item, reg_id in confirmed:
        if user_id not in failed:
            users_by_registerable[reg_id].add(user_id)

    found = roster_services.conflicting_tutorial_memberships(
        campaign=campaign, user_ids_by_registerable=users_by_registerable
    )
    skipped: set[int] = set()
    if found and conflicts == "refuse":
        raise _tutorial_conflict_error(found)
    if found and conflicts == "skip":
        skipped = {user_id for user_id, _assigned, _other in found}
        pairs = {(user_id, assigned) for user_id, assigned, _other in found}
        rejected = [
            pk for pk, user_id, _item, reg_id in confirmed if (user_id, reg_id) in pairs
        ] + list(
            campaign.registrations.filter(
                user_id__in=skipped, status=RegStatus.PENDING
            ).values_list("pk", flat=True)
        )
        _bulk_set(rejected, status=RegStatus.REJECTED, rejection_reason="already_in_tutorial")
        for user_id, assigned in pairs:
            users_by_registerable[assigned].discard(user_id)

    problems = _capacity_problems(campaign, users_by_registerable)
    if problems:
        raise errors.PolicyBlocker(
            _(
                "Some groups are too full: %(problems)s Run the allocation again or raise the "
                "capacity."
            )
            % {"problems": " ".join(problems)},
            code="capacity_exceeded",
            details={"problems": problems},
        )
    moved = 0
    if found and conflicts == "move":
        try:
            moved = roster_services.move_for_campaign(
                campaign=campaign,
                moves=[(user_id, other, assigned) for user_id, assigned, other in found],
                by=by,
            )
        except RosterError as exc:  # a removal guard said no: nothing is finalized
            raise errors.PolicyBlocker(str(exc), code=exc.code, details=exc.details) from None
    materialized = roster_services.materialize_allocation(
        campaign=campaign, user_ids_by_registerable=users_by_registerable, by=by
    )

    # Every remaining pending row becomes an explicit rejection.
    assigned = sorted(
        {
            user_id
            for _pk, user_id, _item, _reg in confirmed
            if user_id not in failed and user_id not in skipped
        }
    )
    without_place = _reject_pending(campaign, assigned_user_ids=assigned)
    return {
        "added": materialized.added,
        "removed": materialized.removed,
        "kept_manual": materialized.kept_manual,
        "propagated_to_lecture": materialized.propagated_to_lecture,
        "policy_rejected": len(failed),
        "rejected": without_place,
        "skipped": len(skipped),
        "moved": moved,
    }


def _tutorial_conflict_error(conflicts: list[tuple[int, int, int]]) -> errors.PolicyBlocker:
    user_ids = {user_id for user_id, _assigned, _other in conflicts}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "name"))
    listing = ", ".join(sorted({names.get(u, str(u)) for u in user_ids})[:10])
    return errors.PolicyBlocker(
        ngettext(
            "%(count)d student already sits in another tutorial of this lecture (%(names)s). "
            "Choose to skip or move them, or move or remove them in the rosters first.",
            "%(count)d students already sit in another tutorial of this lecture (%(names)s). "
            "Choose to skip or move them, or move or remove them in the rosters first.",
            len(user_ids),
        )
        % {"count": len(user_ids), "names": listing},
        code="tutorial_conflict",
        details={"conflicts": conflicts},
    )


@translate_db_errors
def campaign_allocate_and_finalize(
    campaign: Campaign, *, by=None, conflicts: str = "refuse", **allocation_options
) -> FinalizeOutcome:
    """Convenience: allocate (preference-based) and finalize; planning-only is a no-op."""
    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.planning_only:
        return campaign_finalize(campaign, by=by, conflicts=conflicts)
    if campaign.is_preference_based:
        campaign_allocate(campaign, by=by, **allocation_options)
    elif campaign.status == Status.OPEN and not campaign.open_for_registrations():
        with transaction.atomic():
            locked = lock_campaign(campaign)
            if locked.status == Status.OPEN:
                transition(locked, "mark_closed", by=by, note="closed for finalization")
    return campaign_finalize(campaign, by=by, conflicts=conflicts)
