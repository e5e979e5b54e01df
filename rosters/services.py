"""Roster maintenance: add, remove and move students, keeping the lecture roster a superset.

Rules (DOMAIN-NOTES, Rosters):
- adding someone to a tutorial, talk or propagating cohort also adds them to the lecture;
- leaving a group does not remove them from the lecture; removing them from the lecture
  removes them from its groups (non-propagating cohorts excepted);
- capacity is enforced unless ``allow_overfill``; at most one tutorial per student per lecture;
- a group's places are counted by ``rosters.selectors.seats_taken`` (the roster plus seats
  that higher apps hand out before materializing), the same rule registration uses;
- every change locks the rows involved through ``mampf.db.lock_rows`` (ascending primary keys,
  no deadlocks between opposite moves), is one transaction, is audited and notifies the
  student by e-mail;
- removing or moving someone asks every check registered with ``register_removal_guard``
  first (assessment refuses when the student has grading data on that roster).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mampf.db import actor_or_none, lock_rows, translate_db_errors
from mampf.models import Cohort, Lecture, Registerable, Talk, Tutorial
from rosters import errors, notifications, selectors
from rosters.hooks import lecture_roster_changed
from rosters.models import RosterChange, RosterEntry

#: Every roster service wears it: a lock timeout is a clean "try again" (code ``busy``).
_busy = translate_db_errors(error=errors.Busy)


def lock_registerables(*registerable_ids: int | None) -> list[Registerable]:
    """Lock the registerables' rows in ascending order (``mampf.db.lock_rows``, one switch)."""
    return lock_rows(Registerable.objects.non_polymorphic(), registerable_ids)


# -- removal guards ------------------------------------------------------------------------------

#: ``check(*, registerable, user) -> str | None``: a reason to refuse, or None to allow.
RemovalGuard = Callable[..., "str | None"]
_REMOVAL_GUARDS: list[RemovalGuard] = []


def register_removal_guard(check: RemovalGuard) -> None:
    """Let a higher app veto taking someone off a roster (assessment: grading data exists).

    ``check(*, registerable, user)`` returns a translated reason to refuse, or None. It runs
    inside the removal's transaction, after the roster rows are locked. Registering the same
    check twice keeps one.
    """
    if check not in _REMOVAL_GUARDS:
        _REMOVAL_GUARDS.append(check)


def unregister_removal_guard(check: RemovalGuard) -> None:
    """For tests that plug in a guard of their own."""
    if check in _REMOVAL_GUARDS:
        _REMOVAL_GUARDS.remove(check)


def _require_removable(*, registerables: Iterable[Registerable], user) -> None:
    for registerable in registerables:
        for check in _REMOVAL_GUARDS:
            reason = check(registerable=registerable, user=user)
            if reason:
                raise errors.RemovalRefused(
                    _("%(name)s cannot leave “%(group)s”: %(reason)s")
                    % {"name": user.name, "group": registerable.title, "reason": reason},
                    details={"registerable_id": registerable.pk, "reason": str(reason)},
                )


def _concrete(registerable: Registerable) -> Registerable:
    if type(registerable) is Registerable:
        return registerable.get_real_instance()
    return registerable


def _ensure_capacity(registerable: Registerable, *, user, allow_overfill: bool) -> None:
    """Refuse when the group has no free place for this user. Places are counted the way
    registration counts them (``selectors.seat_holders``: the roster plus confirmed places not
    yet materialized); a user who already holds one of them needs no new place. Call under the
    group's lock."""
    capacity = (
        Registerable.objects.non_polymorphic()
        .values_list("capacity", flat=True)
        .get(pk=registerable.pk)
    )
    if allow_overfill or capacity is None:
        return
    holders = selectors.seat_holders([registerable.pk])[registerable.pk]
    if user.pk not in holders and len(holders) >= capacity:
        raise errors.GroupFull(
            _("“%(title)s” is full (%(capacity)d places).")
            % {"title": registerable.title, "capacity": capacity},
            details={"capacity": capacity, "taken": len(holders)},
        )


def _other_tutorial_entry(*, user, tutorial: Tutorial) -> RosterEntry | None:
    other_tutorials = Tutorial.objects.filter(lecture_id=tutorial.lecture_id).exclude(
        pk=tutorial.pk
    )
    return (
        RosterEntry.objects.filter(user=user, registerable__in=other_tutorials)
        .select_related("registerable")
        .first()
    )


def _audit(action, *, user, registerable, by, source=None, campaign=None, reason="") -> None:
    RosterChange.objects.create(
        action=action,
        user=user,
        registerable_id=registerable.pk,
        from_registerable_id=source.pk if source else None,
        source_campaign=campaign,
        by=actor_or_none(by),
        reason=reason[:300],
    )


def _propagate_to_lecture(*, registerable: Registerable, user, by, campaign=None) -> None:
    """Keep the lecture roster a superset of its group rosters."""
    if not registerable.propagates_to_lecture:
        return
    lecture = registerable.parent_lecture
    _, created = RosterEntry.objects.get_or_create(
        registerable_id=lecture.pk,
        user=user,
        defaults={"source_campaign": campaign, "added_by": actor_or_none(by)},
    )
    if created:
        _audit(
            RosterChange.Action.ADDED,
            user=user,
            registerable=lecture,
            by=by,
            campaign=campaign,
            reason="propagated from group",
        )


@_busy
def add_user(
    *,
    registerable: Registerable,
    user,
    by,
    allow_overfill: bool = False,
    source_campaign=None,
    reason: str = "",
    notify: bool = True,
) -> RosterEntry:
    """Put a student on a roster (and on the lecture's, for groups that propagate)."""
    registerable = _concrete(registerable)
    lecture = registerable.parent_lecture
    try:
        with transaction.atomic():
            lock_registerables(registerable.pk, lecture.pk)
            if RosterEntry.objects.filter(registerable_id=registerable.pk, user=user).exists():
                raise errors.AlreadyOnRoster()
            if isinstance(registerable, Tutorial):
                other = _other_tutorial_entry(user=user, tutorial=registerable)
                if other is not None:
                    raise errors.AlreadyInGroup(
                        _("%(name)s is already in “%(group)s”; move them instead.")
                        % {"name": user.name, "group": other.registerable.title}
                    )
            _ensure_capacity(registerable, user=user, allow_overfill=allow_overfill)
            entry = RosterEntry.objects.create(
                registerable_id=registerable.pk,
                user=user,
                source_campaign=source_campaign,
                added_by=actor_or_none(by),
            )
            _audit(
                RosterChange.Action.ADDED,
                user=user,
                registerable=registerable,
                by=by,
                campaign=source_campaign,
                reason=reason,
            )
            _propagate_to_lecture(
                registerable=registerable, user=user, by=by, campaign=source_campaign
            )
            if isinstance(registerable, Lecture) or registerable.propagates_to_lecture:
                lecture_roster_changed(lecture_ids=[lecture.pk])
            if notify:
                notifications.added(user=user, registerable=registerable, by=by)
            return entry
    except IntegrityError:
        raise errors.AlreadyOnRoster() from None


def _groups_of_lecture(lecture: Lecture) -> list[int]:
    """Registerables whose members must also be on the lecture roster."""
    ids = list(Tutorial.objects.filter(lecture=lecture).values_list("pk", flat=True))
    ids += list(Talk.objects.filter(lecture=lecture).values_list("pk", flat=True))
    ids += list(
        Cohort.objects.filter(lecture=lecture, propagate_to_lecture=True).values_list(
            "pk", flat=True
        )
    )
    return ids


@_busy
def remove_user(
    *, registerable: Registerable, user, by, reason: str = "", notify: bool = True
) -> None:
    """Take a student off a roster; off the lecture means off its groups too."""
    registerable = _concrete(registerable)
    with transaction.atomic():
        cascade_ids: list[int] = []
        if isinstance(registerable, Lecture):
            # Lock the lecture with all its groups (one ascending order, like every other
            # change), then read the memberships: an add that commits meanwhile is included.
            groups = _groups_of_lecture(registerable)
            lock_registerables(registerable.pk, *groups)
            cascade_ids = list(
                RosterEntry.objects.filter(user=user, registerable_id__in=groups).values_list(
                    "registerable_id", flat=True
                )
            )
        else:
            lock_registerables(registerable.pk)
        if not RosterEntry.objects.filter(registerable_id=registerable.pk, user=user).exists():
            raise errors.NotOnRoster()
        leaving = [registerable]
        if cascade_ids:
            leaving += list(Registerable.objects.filter(pk__in=cascade_ids).order_by("pk"))
        _require_removable(registerables=leaving, user=user)
        RosterEntry.objects.filter(registerable_id=registerable.pk, user=user).delete()
        _audit(
            RosterChange.Action.REMOVED, user=user, registerable=registerable, by=by, reason=reason
        )
        for group_id in cascade_ids:
            RosterEntry.objects.filter(registerable_id=group_id, user=user).delete()
            RosterChange.objects.create(
                action=RosterChange.Action.REMOVED,
                user=user,
                registerable_id=group_id,
                by=actor_or_none(by),
                reason="removed from the lecture",
            )
        if isinstance(registerable, Lecture):
            lecture_roster_changed(lecture_ids=[registerable.pk])
        if notify:
            notifications.removed(user=user, registerable=registerable, by=by)


@_busy
def move_user(
    *,
    user,
    source: Registerable,
    target: Registerable,
    by,
    allow_overfill: bool = False,
    reason: str = "",
    notify: bool = True,
) -> RosterEntry:
    """Move a student between two groups of one lecture; a failed move changes nothing."""
    source, target = _concrete(source), _concrete(target)
    if source.pk == target.pk:
        raise errors.InvalidMove(_("The student is already in this group."))
    if type(source) is not type(target) or source.parent_lecture.pk != target.parent_lecture.pk:
        raise errors.InvalidMove()
    try:
        with transaction.atomic():
            lock_registerables(source.pk, target.pk, target.parent_lecture_id)
            entry = RosterEntry.objects.filter(registerable_id=source.pk, user=user).first()
            if entry is None:
                raise errors.NotOnRoster(
                    _("%(name)s is not in “%(group)s”.")
                    % {"name": user.name, "group": source.title}
                )
            if RosterEntry.objects.filter(registerable_id=target.pk, user=user).exists():
                raise errors.AlreadyOnRoster()
            _require_removable(registerables=[source], user=user)
            _ensure_capacity(target, user=user, allow_overfill=allow_overfill)
            entry.delete()
            moved = RosterEntry.objects.create(
                registerable_id=target.pk,
                user=user,
                source_campaign=None,
                added_by=actor_or_none(by),
            )
            _propagate_to_lecture(registerable=target, user=user, by=by)
            if target.propagates_to_lecture:
                lecture_roster_changed(lecture_ids=[target.parent_lecture_id])
            _audit(
                RosterChange.Action.MOVED,
                user=user,
                registerable=target,
                source=source,
                by=by,
                reason=reason,
            )
            if notify:
                notifications.moved(users=[user], source=source, target=target, by=by)
            return moved
    except IntegrityError:
        raise errors.AlreadyOnRoster() from None


def move_for_campaign(*, campaign, moves: Iterable[tuple[int, int, int]], by=None) -> int:
    """Move students between groups as part of a campaign's finalization, each
    ``(user_id, source_id, target_id)``: off the source roster, onto the target's (remembering
    the campaign), one ``moved`` audit row each. Removal guards are asked first. Call inside
    the caller's transaction; returns how many moved."""
    moves = sorted(set(moves))
    if not moves:
        return 0
    lock_registerables(*{source for _u, source, _t in moves}, *{target for _u, _s, target in moves})
    users = get_user_model().objects.in_bulk([user_id for user_id, _s, _t in moves])
    groups = Registerable.objects.in_bulk([source for _u, source, _t in moves])
    actor = actor_or_none(by)
    for user_id, source_id, target_id in moves:
        _require_removable(registerables=[groups[source_id]], user=users[user_id])
        RosterEntry.objects.filter(registerable_id=source_id, user_id=user_id).delete()
        RosterEntry.objects.get_or_create(
            registerable_id=target_id,
            user_id=user_id,
            defaults={"source_campaign_id": campaign.pk, "added_by": actor},
        )
        RosterChange.objects.create(
            action=RosterChange.Action.MOVED,
            user_id=user_id,
            registerable_id=target_id,
            from_registerable_id=source_id,
            source_campaign_id=campaign.pk,
            by=actor,
            reason="moved by the campaign's finalization",
        )
    return len(moves)


@dataclass(frozen=True)
class MaterializationSummary:
    added: int
    removed: int
    kept_manual: int
    propagated_to_lecture: int


def materialize_allocation(
    *, campaign, user_ids_by_registerable: dict[int, Iterable[int]], by=None
) -> MaterializationSummary:
    """Make each registerable's roster hold the campaign's users, in bulk and idempotently.

    Adds missing users (remembering the campaign), removes only users this same campaign had
    put there and who are no longer assigned, keeps manual entries and entries of other
    campaigns, and adds every member of a propagating group to the lecture roster. Every change
    gets its audit row. The query count does not grow with the number of students. Call inside
    the caller's transaction, after locking the registerables.
    """
    wanted = {reg_id: set(user_ids) for reg_id, user_ids in user_ids_by_registerable.items()}
    registerables = {r.pk: r for r in Registerable.objects.filter(pk__in=list(wanted))}
    by_id = getattr(actor_or_none(by), "pk", None)
    existing: dict[int, dict[int, int | None]] = {reg_id: {} for reg_id in wanted}
    for reg_id, user_id, source_id in RosterEntry.objects.filter(
        registerable_id__in=list(wanted)
    ).values_list("registerable_id", "user_id", "source_campaign_id"):
        existing[reg_id][user_id] = source_id

    additions: list[tuple[int, int]] = []
    removals: list[tuple[int, int]] = []
    kept_manual = 0
    lecture_members: dict[int, set[int]] = {}
    for reg_id, user_ids in wanted.items():
        current = existing[reg_id]
        additions.extend((reg_id, user_id) for user_id in sorted(user_ids - current.keys()))
        for user_id, source_id in current.items():
            if user_id in user_ids:
                continue
            if source_id == campaign.pk:
                removals.append((reg_id, user_id))
            elif source_id is None:
                kept_manual += 1
        if registerables[reg_id].propagates_to_lecture:
            lecture_members.setdefault(registerables[reg_id].parent_lecture_id, set()).update(
                user_ids
            )

    audit = {"campaign_id": campaign.pk, "by_id": by_id}
    _bulk_add(additions, reason="allocation finalized", **audit)
    _bulk_remove(removals, reason="no longer assigned", **audit)
    propagated = 0
    if lecture_members:
        on_lecture = set(
            RosterEntry.objects.filter(registerable_id__in=list(lecture_members)).values_list(
                "registerable_id", "user_id"
            )
        )
        lecture_additions = [
            (lecture_id, user_id)
            for lecture_id, members in lecture_members.items()
            for user_id in sorted(members)
            if (lecture_id, user_id) not in on_lecture
        ]
        _bulk_add(lecture_additions, reason="propagated from group", **audit)
        propagated = len(lecture_additions)
    changed_lectures = {
        reg_id
        for reg_id, _user in additions + removals
        if isinstance(registerables[reg_id], Lecture)
    }
    if propagated:
        changed_lectures.update(lecture_members)
    lecture_roster_changed(lecture_ids=changed_lectures)
    return MaterializationSummary(
        added=len(additions),
        removed=len(removals),
        kept_manual=kept_manual,
        propagated_to_lecture=propagated,
    )


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _bulk_add(pairs: list[tuple[int, int]], *, campaign_id, by_id, reason: str) -> None:
    """Insert roster entries and their audit rows; one statement on PostgreSQL."""
    if not pairs:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH added AS (
                    INSERT INTO {_table(RosterEntry)}
                        (registerable_id, user_id, source_campaign_id, added_at, added_by_id)
                    SELECT pair.registerable_id, pair.user_id, %s, %s, %s
                    FROM unnest(%s::bigint[], %s::bigint[]) AS pair(registerable_id, user_id)
                    ON CONFLICT (registerable_id, user_id) DO NOTHING
                    RETURNING registerable_id, user_id
                )
                INSERT INTO {_table(RosterChange)}
                    (action, user_id, registerable_id, source_campaign_id, by_id, at, reason)
                SELECT %s, user_id, registerable_id, %s, %s, %s, %s FROM added
                """,  # noqa: S608 - table names come from model metadata, values are parameters
                [
                    campaign_id,
                    now,
                    by_id,
                    [p[0] for p in pairs],
                    [p[1] for p in pairs],
                    RosterChange.Action.ADDED,
                    campaign_id,
                    by_id,
                    now,
                    reason,
                ],
            )
        return
    RosterEntry.objects.bulk_create(
        [
            RosterEntry(
                registerable_id=reg, user_id=user, source_campaign_id=campaign_id, added_by_id=by_id
            )
            for reg, user in pairs
        ]
    )
    RosterChange.objects.bulk_create(
        [
            RosterChange(
                action=RosterChange.Action.ADDED,
                user_id=user,
                registerable_id=reg,
                source_campaign_id=campaign_id,
                by_id=by_id,
                reason=reason,
            )
            for reg, user in pairs
        ]
    )


def _bulk_remove(pairs: list[tuple[int, int]], *, campaign_id, by_id, reason: str) -> None:
    """Delete the campaign's own roster entries for these pairs and audit each removal."""
    if not pairs:
        return
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH removed AS (
                    DELETE FROM {_table(RosterEntry)} AS entry
                    USING unnest(%s::bigint[], %s::bigint[]) AS pair(registerable_id, user_id)
                    WHERE entry.registerable_id = pair.registerable_id
                      AND entry.user_id = pair.user_id
                      AND entry.source_campaign_id = %s
                    RETURNING entry.registerable_id, entry.user_id
                )
                INSERT INTO {_table(RosterChange)}
                    (action, user_id, registerable_id, source_campaign_id, by_id, at, reason)
                SELECT %s, user_id, registerable_id, %s, %s, %s, %s FROM removed
                """,  # noqa: S608 - table names come from model metadata, values are parameters
                [
                    [p[0] for p in pairs],
                    [p[1] for p in pairs],
                    campaign_id,
                    RosterChange.Action.REMOVED,
                    campaign_id,
                    by_id,
                    now,
                    reason,
                ],
            )
        return
    condition = Q()
    for reg_id in {reg for reg, _user in pairs}:
        condition |= Q(registerable_id=reg_id, user_id__in=[u for r, u in pairs if r == reg_id])
    RosterEntry.objects.filter(condition, source_campaign_id=campaign_id).delete()
    RosterChange.objects.bulk_create(
        [
            RosterChange(
                action=RosterChange.Action.REMOVED,
                user_id=user,
                registerable_id=reg,
                source_campaign_id=campaign_id,
                by_id=by_id,
                reason=reason,
            )
            for reg, user in pairs
        ]
    )


def conflicting_tutorial_memberships(
    *, campaign, user_ids_by_registerable: dict[int, Iterable[int]]
) -> list[tuple[int, int, int]]:
    """(user, assigned tutorial, other tutorial) where materializing would break the
    one-tutorial-per-lecture rule: the student already sits in another tutorial of that lecture
    (by hand or through another campaign; this campaign's own old entries get replaced)."""
    tutorial_lecture = dict(
        Tutorial.objects.filter(pk__in=list(user_ids_by_registerable)).values_list(
            "pk", "lecture_id"
        )
    )
    assigned_by_user: dict[tuple[int, int], int] = {}
    for tutorial_id, lecture_id in tutorial_lecture.items():
        for user_id in user_ids_by_registerable[tutorial_id]:
            assigned_by_user[(user_id, lecture_id)] = tutorial_id
    if not assigned_by_user:
        return []
    rows = (
        RosterEntry.objects.filter(
            user_id__in={user for user, _lecture in assigned_by_user},
            registerable__in=Tutorial.objects.filter(lecture_id__in=set(tutorial_lecture.values())),
        )
        .exclude(source_campaign=campaign)
        .values_list("user_id", "registerable_id", "registerable__tutorial__lecture_id")
    )
    return [
        (user_id, assigned_by_user[(user_id, lecture_id)], other_id)
        for user_id, other_id, lecture_id in rows
        if (user_id, lecture_id) in assigned_by_user
        and assigned_by_user[(user_id, lecture_id)] != other_id
    ]
