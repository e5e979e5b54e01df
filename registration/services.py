"""Writes of the registration domain: campaign lifecycle, configuration, student actions.

Every function is keyword-only after its subject, runs in one transaction and raises a
``RegistrationError`` subclass (with a stable ``code``) when it refuses; a refusal changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mampf.db import PreparedQuery, actor_or_none, lock_rows
from mampf.models import Cohort, Exam, Lecture, Registerable
from registration import errors, exam_rules, policies
from registration.allocation import (
    FinalizeOutcome,
    campaign_allocate,
    campaign_allocate_and_finalize,
    campaign_finalize,
    request_allocation,
    run_progress,
)
from registration.lifecycle import busy_is_try_again as _translate_db_errors
from registration.lifecycle import lock_campaign as _lock_campaign
from registration.lifecycle import record_change as _record_change
from registration.lifecycle import share_lock_campaign as _share_lock_campaign
from registration.lifecycle import transition as _transition
from registration.models import (
    Campaign,
    CampaignChange,
    CampaignTransition,
    Item,
    Policy,
    RegistrationEvent,
    UserRegistration,
)
from rosters import selectors as roster_selectors

Status = Campaign.Status
RegStatus = UserRegistration.Status
Event = RegistrationEvent.Action


def _record_removals(*, campaign_id: int, user_id: int, action: str, by) -> int:
    """Trace a student's registration rows in a campaign that are about to be deleted as
    ``RegistrationEvent`` rows: one ``INSERT ... SELECT`` whatever the row count, in the
    caller's transaction (under the student's lock). Returns how many rows it traced."""
    qn = connection.ops.quote_name
    actor = actor_or_none(by)
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    # Table names come from the models, values are parameters.
    sql = (
        f"INSERT INTO {qn(RegistrationEvent._meta.db_table)} "  # noqa: S608
        "(campaign_id, user_id, item_id, registerable_id, action, status, preference_rank, "
        "by_id, at) "
        "SELECT r.campaign_id, r.user_id, r.item_id, i.registerable_id, %s, r.status, "
        "r.preference_rank, %s, %s "
        f"FROM {qn(UserRegistration._meta.db_table)} r "
        f"JOIN {qn(Item._meta.db_table)} i ON i.id = r.item_id "
        "WHERE r.campaign_id = %s AND r.user_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [action, getattr(actor, "pk", None), at, campaign_id, user_id])
        return cursor.rowcount


# -- helpers ------------------------------------------------------------------------------------


def evaluate_policies_for(campaign: Campaign, user, *, phase: str = "registration"):
    """Eligibility of one user for the given phase (see ``registration.policies``)."""
    return policies.evaluate(campaign, user, phase=phase)


def _require_open(campaign: Campaign) -> None:
    if campaign.status != Status.OPEN:
        raise errors.CampaignNotOpen()
    if not campaign.open_for_registrations():
        raise errors.DeadlinePassed()


def _require_eligible(campaign: Campaign, user) -> None:
    result = evaluate_policies_for(campaign, user, phase=Policy.Phase.REGISTRATION)
    if not result.passed:
        raise errors.NotEligible(result=result, details={"policy_code": result.code})


def confirmed_count(item: Item) -> int:
    """Confirmed registrations of this item (this campaign's places)."""
    return UserRegistration.objects.filter(item=item, status=RegStatus.CONFIRMED).count()


def seats_taken(item: Item) -> int:
    """Places of the item's group already taken, each person once: everyone on its roster plus
    confirmed registrations of every campaign whose results are not in the roster yet. The one
    definition lives in ``rosters.selectors.seats_taken`` (registration plugs its confirmed
    places in as a pending seat source, see ``registration.seats``)."""
    return roster_selectors.seats_taken([item.registerable_id])[item.registerable_id]


# -- lifecycle ----------------------------------------------------------------------------------


def _prerequisite_ids(campaign_policies) -> set[int]:
    ids = set()
    for policy in campaign_policies:
        config = policy.config if isinstance(policy.config, dict) else {}
        if policy.kind == Policy.Kind.PREREQUISITE_CAMPAIGN and isinstance(
            config.get("campaign_id"), int
        ):
            ids.add(config["campaign_id"])
    return ids


def _open_preflight(campaign: Campaign) -> None:
    if not campaign.items.exists():
        raise errors.InvalidTransition(
            _("Add at least one item before opening the campaign."), code="no_items"
        )
    if campaign.registration_deadline <= timezone.now():
        raise errors.InvalidTransition(
            _("The registration deadline must be in the future to open the campaign."),
            code="deadline_not_in_future",
        )
    exam_rules.require_deadline_before_campaign_exams(campaign, campaign.registration_deadline)
    active = list(campaign.policies.filter(active=True))
    drafts = Campaign.objects.filter(
        pk__in=_prerequisite_ids(active), status=Status.DRAFT
    ).order_by("pk")
    if drafts:
        raise errors.PrerequisiteNotReady(
            _(
                "The prerequisite campaign “%(title)s” is still a draft: nobody could meet the "
                "rule. Open it first."
            )
            % {"title": drafts[0].title},
            details={"prerequisite_campaign_id": drafts[0].pk},
        )
    problems = []
    for policy in active:
        kind = policies.get_policy_kind(policy.kind)
        if kind is None:
            problems.append(
                _("The rule “%(kind)s” is not available.") % {"kind": policy.get_kind_display()}
            )
            continue
        try:
            kind.clean_config(policy.config or {})
        except ValidationError as exc:
            problems.append(f"{policy.get_kind_display()}: {' '.join(exc.messages)}")
        if kind.open_preflight and policy.phase in (Policy.Phase.REGISTRATION, Policy.Phase.BOTH):
            problems.extend(kind.open_preflight(policy))
    if problems:
        raise errors.PolicyBlocker(
            _("The campaign cannot open yet: %(problems)s") % {"problems": " ".join(problems)},
            details={"problems": problems},
        )


@_translate_db_errors
def campaign_open(campaign: Campaign, *, by) -> Campaign:
    """Open for registrations; needs items, a future deadline and valid policies."""
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if campaign.status != Status.DRAFT:
            raise errors.InvalidTransition(_("Only a draft campaign can be opened."))
        _open_preflight(campaign)
        return _transition(campaign, "mark_open", by=by)


@_translate_db_errors
def campaign_close(campaign: Campaign, *, by=None, note: str = "") -> Campaign:
    """Stop intake. ``by=None`` means the deadline job closed it."""
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if campaign.status != Status.OPEN:
            raise errors.InvalidTransition(_("Only an open campaign can be closed."))
        return _transition(campaign, "mark_closed", by=by, note=note)


def _exam_item_ids(campaign: Campaign) -> list[int]:
    return list(
        Exam.objects.filter(registration_items__campaign=campaign)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@_translate_db_errors
def campaign_reopen(campaign: Campaign, *, by) -> Campaign:
    """Accept registrations again. Computed (not finalized) allocation results are discarded."""
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if campaign.status not in (Status.CLOSED, Status.PROCESSING, Status.COMPLETED):
            raise errors.InvalidTransition(_("Only a closed or finished campaign can be reopened."))
        if campaign.registration_deadline <= timezone.now():
            raise errors.InvalidTransition(
                _("Extend the registration deadline into the future before reopening."),
                code="deadline_not_in_future",
            )
        if campaign.status == Status.COMPLETED:
            # A finalized exam campaign that comes back must not run beside a later one.
            for exam_id in _exam_item_ids(campaign):
                exam_rules.lock_exam_and_require_not_offered(
                    exam_id, exclude_campaign_id=campaign.pk
                )
        if campaign.is_preference_based:
            # Rankings stay; their outcomes go back to pending until the next allocation.
            # Forced placements (unranked rows the allocation created) are computed results
            # too: they go, or they would hold a place the next allocation never chose.
            campaign.registrations.filter(preference_rank__isnull=True).delete()
            campaign.registrations.exclude(status=RegStatus.PENDING).update(
                status=RegStatus.PENDING, rejection_reason="", updated_at=timezone.now()
            )
        return _transition(campaign, "mark_reopened", by=by)


@_translate_db_errors
def campaign_revert_to_draft(campaign: Campaign, *, by) -> Campaign:
    """Back to configuration; only while nobody has registered."""
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if campaign.registrations.exists():
            raise errors.Frozen(
                _("Students have already registered; the campaign cannot go back to draft.")
            )
        if campaign.status not in (Status.OPEN, Status.CLOSED):
            raise errors.InvalidTransition(
                _("Only an open or closed campaign can go back to draft.")
            )
        return _transition(campaign, "mark_draft", by=by)


@_translate_db_errors
def campaign_delete(campaign: Campaign, *, by) -> None:
    """Delete a campaign nobody registered for, that no other campaign names as its
    prerequisite and whose results are not in any roster (after a reopen they may be)."""
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if campaign.registrations.exists():
            raise errors.Frozen(_("Students have registered; the campaign cannot be deleted."))
        dependants = [
            policy.campaign
            for policy in Policy.objects.filter(kind=Policy.Kind.PREREQUISITE_CAMPAIGN)
            .exclude(campaign=campaign)
            .select_related("campaign")
            .order_by("campaign_id")
            if campaign.pk in _prerequisite_ids([policy])
        ]
        if dependants:
            raise errors.CampaignInUse(
                _(
                    "“%(other)s” names this campaign as its prerequisite. Remove that rule "
                    "first."
                )
                % {"other": dependants[0].title},
                details={"campaign_ids": [c.pk for c in dependants]},
            )
        on_rosters = roster_selectors.entries_from_campaign(campaign.pk)
        if on_rosters:
            raise errors.CampaignInUse(
                ngettext(
                    "%(count)d roster place came from this campaign; it cannot be deleted.",
                    "%(count)d roster places came from this campaign; it cannot be deleted.",
                    on_rosters,
                )
                % {"count": on_rosters},
                details={"roster_entries": on_rosters},
            )
        _record_change(
            campaign,
            CampaignChange.Action.DELETED,
            by=by,
            subject=campaign.title,
            old={"status": campaign.status, "lecture_id": campaign.lecture_id},
        )
        campaign.delete()


# -- configuration ------------------------------------------------------------------------------

FROZEN_AFTER_DRAFT = ("allocation_mode", "registration_opens_at", "max_preferences")
EDITABLE_FIELDS = (
    "title",
    "description",
    "allocation_mode",
    "planning_only",
    "registration_opens_at",
    "registration_deadline",
    "max_preferences",
    "allow_withdrawal",
)


def frozen_fields(campaign: Campaign) -> dict[str, str]:
    """Fields that can no longer change, each with the reason shown beside it."""
    if campaign.is_draft:
        return {}
    reason = _("Locked since the campaign opened: students rely on it.")
    return {name: reason for name in FROZEN_AFTER_DRAFT}


EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _validate_campaign_fields(data: dict) -> None:
    deadline = data.get("registration_deadline")
    opens_at = data.get("registration_opens_at")
    if deadline is None:
        raise errors.InvalidConfiguration(_("Set a registration deadline."))
    for moment in (deadline, opens_at):
        if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise errors.InvalidConfiguration(
                _("Dates must lie between the years %(earliest)d and %(latest)d.")
                % {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR}
            )
    if opens_at is not None and opens_at >= deadline:
        raise errors.InvalidConfiguration(_("The opening time must be before the deadline."))
    if not str(data.get("title") or "").strip():
        raise errors.InvalidConfiguration(_("Give the campaign a title."))
    max_preferences = data.get("max_preferences")
    if max_preferences is not None and not 1 <= int(max_preferences) <= 50:
        raise errors.InvalidConfiguration(_("Students may rank between 1 and 50 items."))
    if data.get("allocation_mode") not in Campaign.AllocationMode.values:
        raise errors.InvalidConfiguration(_("Choose an allocation mode."))


@_translate_db_errors
def campaign_create(*, lecture: Lecture, by, **fields) -> Campaign:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise errors.InvalidConfiguration(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    data = {
        "allocation_mode": Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
        "max_preferences": 3,
        **fields,
    }
    _validate_campaign_fields(data)
    with transaction.atomic():
        campaign = Campaign(lecture=lecture, created_by=by, **data)
        campaign.save()
        return campaign


@_translate_db_errors
def campaign_update(campaign: Campaign, *, by, **changes) -> Campaign:
    """Change settings, refusing frozen fields with the reason (spec: freezing rules)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise errors.InvalidConfiguration(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        frozen = frozen_fields(campaign)
        for name, value in changes.items():
            if name in frozen and getattr(campaign, name) != value:
                raise errors.Frozen(
                    _("“%(field)s” can no longer be changed: %(reason)s")
                    % {
                        "field": Campaign._meta.get_field(name).verbose_name,
                        "reason": frozen[name],
                    },
                    details={"field": name},
                )
        data = {name: getattr(campaign, name) for name in EDITABLE_FIELDS} | changes
        _validate_campaign_fields(data)
        if (
            campaign.status == Status.OPEN
            and "registration_deadline" in changes
            and changes["registration_deadline"] <= timezone.now()
        ):
            # A past deadline would end intake silently and unaudited; closing is its own step.
            raise errors.InvalidConfiguration(
                _(
                    "The deadline cannot move into the past while registration is open: that "
                    "would end registration without a word. To stop registration now, use "
                    "“Close registration”."
                ),
                code="deadline_in_past",
                details={"field": "registration_deadline"},
            )
        if (
            campaign.status == Status.COMPLETED
            and data["allocation_mode"] != campaign.allocation_mode
        ):
            raise errors.Frozen()
        if "registration_deadline" in changes:
            exam_rules.require_deadline_before_campaign_exams(
                campaign, changes["registration_deadline"]
            )
        changed = {
            name: value for name, value in changes.items() if getattr(campaign, name) != value
        }
        if changed:
            _record_change(
                campaign,
                CampaignChange.Action.UPDATED,
                by=by,
                subject=", ".join(sorted(changed)),
                old={name: _jsonable(getattr(campaign, name)) for name in changed},
                new={name: _jsonable(value) for name, value in changed.items()},
            )
        for name, value in changes.items():
            setattr(campaign, name, value)
        campaign.save(update_fields=[*changes.keys(), "updated_at"])
        return campaign


def _jsonable(value):
    """Audit values: dates as ISO text, everything else as it is (str, int, bool, None)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _exclusive_for(registerable: Registerable) -> bool:
    """Group seats are exclusive (one per student per campaign); cohort membership is not."""
    return not issubclass(registerable.get_real_instance_class(), Cohort)


@_translate_db_errors
def item_add(*, campaign: Campaign, registerable: Registerable, by) -> Item:
    """Items can always be added (more choice never invalidates a registration)."""
    if registerable.parent_lecture.pk != campaign.lecture_id:
        raise errors.InvalidConfiguration(
            _("“%(title)s” belongs to another lecture.") % {"title": registerable.title}
        )
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if campaign.status == Status.COMPLETED:
            raise errors.Frozen(_("The campaign is completed; reopen it to add items."))
        if campaign.items.filter(registerable=registerable).exists():
            raise errors.InvalidConfiguration(
                _("“%(title)s” is already an item of this campaign.")
                % {"title": registerable.title}
            )
        if exam_rules.is_exam(registerable):
            exam_rules.lock_exam_and_require_not_offered(
                registerable.pk, exclude_campaign_id=campaign.pk
            )
        next_position = (campaign.items.aggregate(m=Max("position"))["m"] or 0) + 1
        item = Item.objects.create(
            campaign=campaign,
            registerable=registerable,
            exclusive=_exclusive_for(registerable),
            position=next_position,
        )
        _record_change(
            campaign,
            CampaignChange.Action.ITEM_ADDED,
            by=by,
            subject=registerable.title,
            new={"item_id": item.pk, "registerable_id": registerable.pk},
        )
        return item


@_translate_db_errors
def item_remove(*, item: Item, by) -> None:
    """Never remove an item somebody registered for or ranked."""
    with transaction.atomic():
        campaign = _lock_campaign(item.campaign)
        if item.registrations.exists():
            raise errors.Frozen(
                _("Students have registered for or ranked “%(title)s”; it cannot be removed.")
                % {"title": item.registerable.title}
            )
        if campaign.status == Status.COMPLETED:
            raise errors.Frozen(_("The campaign is completed; its items cannot change."))
        if campaign.status != Status.DRAFT and not campaign.items.exclude(pk=item.pk).exists():
            raise errors.Frozen(
                _(
                    "“%(title)s” is the last item of a campaign that has opened; students would "
                    "have nothing to choose. Add another item first."
                )
                % {"title": item.registerable.title},
                code="last_item",
            )
        _record_change(
            campaign,
            CampaignChange.Action.ITEM_REMOVED,
            by=by,
            subject=item.registerable.title,
            old={"item_id": item.pk, "registerable_id": item.registerable_id},
        )
        item.delete()


@_translate_db_errors
def item_set_capacity(*, item: Item, capacity: int | None, by) -> Registerable:
    """FCFS: never below the confirmed count. Preference-based: free until completed."""
    if capacity is not None and capacity < 0:
        raise errors.InvalidConfiguration(_("Capacity cannot be negative."))
    with transaction.atomic():
        registerable = _lock_registerable(item.registerable_id)
        campaign = Campaign.objects.get(pk=item.campaign_id)
        if campaign.is_preference_based and campaign.status == Status.COMPLETED:
            raise errors.Frozen(_("Results are published; capacities are locked."))
        if campaign.is_fcfs and capacity is not None:
            confirmed = confirmed_count(item)
            if capacity < confirmed:
                raise errors.Frozen(
                    ngettext(
                        "%(confirmed)d student already holds a place; the capacity cannot drop "
                        "below that.",
                        "%(confirmed)d students already hold a place; the capacity cannot drop "
                        "below that.",
                        confirmed,
                    )
                    % {"confirmed": confirmed},
                    details={"confirmed": confirmed},
                )
        if registerable.capacity != capacity:
            _record_change(
                campaign,
                CampaignChange.Action.CAPACITY_SET,
                by=by,
                subject=registerable.title,
                old={"capacity": registerable.capacity},
                new={"capacity": capacity},
            )
        registerable.capacity = capacity
        registerable.save(update_fields=["capacity"])
        return registerable


def _policy_state(policy: Policy) -> dict:
    return {
        "phase": policy.phase,
        "config": policy.config,
        "active": policy.active,
        "position": policy.position,
    }


def _require_policies_editable(campaign: Campaign) -> None:
    if not campaign.is_draft:
        raise errors.Frozen(
            _(
                "Rules are locked once the campaign has opened: new rules could invalidate places "
                "students already hold."
            )
        )


@_translate_db_errors
def policy_add(
    *, campaign: Campaign, kind: str, phase: str, config: dict, by, active: bool = True
) -> Policy:
    if phase not in Policy.Phase.values:
        raise errors.InvalidConfiguration(_("Choose when the rule applies."))
    try:
        cleaned = policies.clean_policy_config(kind, config)
    except ValidationError as exc:
        raise errors.InvalidConfiguration(" ".join(exc.messages)) from None
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        _require_policies_editable(campaign)
        if campaign.policies.filter(kind=kind).exists():
            raise errors.InvalidConfiguration(_("The campaign already has a rule of this kind."))
        position = (campaign.policies.aggregate(m=Max("position"))["m"] or 0) + 1
        policy = Policy.objects.create(
            campaign=campaign,
            kind=kind,
            phase=phase,
            config=cleaned,
            position=position,
            active=active,
        )
        _record_change(
            campaign,
            CampaignChange.Action.POLICY_ADDED,
            by=by,
            subject=kind,
            new=_policy_state(policy),
        )
        return policy


def policy_open_warnings(policy: Policy) -> list[str]:
    """What the policy's kind would refuse at opening right now (shown when it is saved)."""
    kind = policies.get_policy_kind(policy.kind)
    if kind is None or kind.open_preflight is None:
        return []
    if policy.phase not in (Policy.Phase.REGISTRATION, Policy.Phase.BOTH):
        return []
    return [
        _("Opening will be refused until this is fixed: %(problem)s") % {"problem": problem}
        for problem in kind.open_preflight(policy)
    ]


@_translate_db_errors
def policy_update(
    *,
    policy: Policy,
    by,
    phase: str | None = None,
    config: dict | None = None,
    active: bool | None = None,
    position: int | None = None,
) -> Policy:
    with transaction.atomic():
        _require_policies_editable(_lock_campaign(policy.campaign))
        before = _policy_state(policy)
        if phase is not None:
            if phase not in Policy.Phase.values:
                raise errors.InvalidConfiguration(_("Choose when the rule applies."))
            policy.phase = phase
        if config is not None:
            try:
                policy.config = policies.clean_policy_config(policy.kind, config)
            except ValidationError as exc:
                raise errors.InvalidConfiguration(" ".join(exc.messages)) from None
        if active is not None:
            policy.active = active
        if position is not None:
            policy.position = position
        policy.save()
        after = _policy_state(policy)
        if after != before:
            _record_change(
                policy.campaign_id,
                CampaignChange.Action.POLICY_UPDATED,
                by=by,
                subject=policy.kind,
                old=before,
                new=after,
            )
        return policy


@_translate_db_errors
def policy_remove(*, policy: Policy, by) -> None:
    with transaction.atomic():
        _require_policies_editable(_lock_campaign(policy.campaign))
        _record_change(
            policy.campaign_id,
            CampaignChange.Action.POLICY_REMOVED,
            by=by,
            subject=policy.kind,
            old=_policy_state(policy),
        )
        policy.delete()


# -- student actions ----------------------------------------------------------------------------


def _lock_user(user) -> None:
    """Serialize one student's own requests (double clicks, two tabs)."""
    lock_rows(get_user_model(), [user.pk])


def _lock_registerable(registerable_id: int) -> Registerable:
    """The group's row under ``FOR UPDATE`` (``mampf.db.lock_rows``; the same lock roster
    maintenance takes, so a manual add and a registration never both take the last place)."""
    return lock_rows(Registerable, [registerable_id])[0]


@dataclass(frozen=True)
class SeatCheck:
    """What ``register`` decides on, read in one statement under the group lock."""

    taken: int  # places of the group taken (``rosters.selectors.seat_holders_query``, counted)
    tutorial_place: tuple[int, str] | None  # (pk, title) of a tutorial of the lecture I sit in
    existing_id: int | None  # my row for this item, if any
    existing_status: str | None
    holds_exclusive: bool  # I hold a confirmed exclusive place in this campaign


def _seat_check_sql(*, registerable_id, user_id, campaign_id, item_id):
    """The one statement of ``seat_check``: places taken (each person once, the same
    definition as everywhere: ``rosters.selectors.seat_holders_query``), the tutorial of the
    lecture the student already sits in, their row for this item and whether they already hold
    a confirmed exclusive place in the campaign."""
    holders, holders_params = roster_selectors.seat_holders_query(
        [registerable_id]
    ).query.sql_with_params()
    place, place_params = roster_selectors.tutorial_place_query(
        user_id=user_id, registerable_id=registerable_id
    ).query.sql_with_params()
    mine = UserRegistration.objects.filter(campaign_id=campaign_id, user_id=user_id)
    existing, existing_params = (
        mine.filter(item_id=item_id).order_by()
        .values(existing_id=F("id"), existing_status=F("status"))[:1]
    ).query.sql_with_params()
    exclusive, exclusive_params = (
        mine.filter(status=RegStatus.CONFIRMED, exclusive=True).order_by().values("id")
    ).query.sql_with_params()
    # Only ORM-compiled SQL is pasted together here; every value stays a query parameter.
    sql = (
        f"SELECT (SELECT COUNT(*) FROM ({holders}) holders), place.place_id, place.place_title, "  # noqa: S608
        f"existing.existing_id, existing.existing_status, EXISTS ({exclusive}) "
        f"FROM (SELECT 1 AS one) one LEFT JOIN ({place}) place ON 1 = 1 "
        f"LEFT JOIN ({existing}) existing ON 1 = 1"
    )
    return sql, [*holders_params, *exclusive_params, *place_params, *existing_params]


_SEAT_CHECK = PreparedQuery(_seat_check_sql)


def seat_check(*, user, item: Item) -> SeatCheck:
    """Everything ``register`` decides on, fresh from the database in one query; call it under
    the group's lock (the lock -> count -> write order). The SQL text is built once per process
    (``mampf.db.PreparedQuery``); the rows are read every time, never cached."""
    ((taken, place_id, place_title, existing_id, existing_status, holds_exclusive),) = (
        _SEAT_CHECK.fetchall(
            key=roster_selectors.pending_seat_sources_key(),
            registerable_id=item.registerable_id, user_id=user.pk,
            campaign_id=item.campaign_id, item_id=item.pk,
        )
    )
    return SeatCheck(
        taken=taken,
        tutorial_place=(place_id, place_title) if place_id is not None else None,
        existing_id=existing_id,
        existing_status=existing_status,
        holds_exclusive=bool(holds_exclusive),
    )


def _refuse_second_tutorial(place: tuple[int, str]) -> None:
    """One tutorial per student and lecture: whoever already sits in one (on its roster) cannot
    take a place in another through a later campaign; staff move them instead."""
    place_id, title = place
    raise errors.AlreadyInTutorial(
        _(
            "You already have a place in “%(tutorial)s” of this lecture. Ask the course "
            "staff if you need to change tutorials."
        )
        % {"tutorial": title},
        details={"registerable_id": place_id},
    )


@_translate_db_errors
def register(*, user, item: Item) -> UserRegistration:
    """First come, first served: lock the group, count confirmed seats fresh, then write.

    A second identical request (double click) returns the existing place; a request for another
    exclusive item of the same campaign is refused with ``already_registered``, one for a
    tutorial by a student who already sits in a tutorial of the lecture with
    ``already_in_tutorial``. When the group is
    full the attempt is recorded as rejected (``item_full``, staff see the demand) and refused.
    """
    # The caller's instance (with prefetched policies) saves queries on the hot path; a refusal is
    # never based on it, and the transaction below re-reads the campaign before writing.
    campaign = item.campaign
    if not (campaign.is_fcfs and campaign.open_for_registrations()):
        campaign = Campaign.objects.get(pk=item.campaign_id)
    if not campaign.is_fcfs:
        raise errors.WrongAllocationMode(
            _("Rank your preferences instead; seats are allocated after the deadline.")
        )
    _require_open(campaign)
    _require_eligible(campaign, user)
    full = False
    try:
        with transaction.atomic():
            _lock_user(user)
            campaign = _share_lock_campaign(campaign.pk)
            _require_open(campaign)  # the deadline is checked at the moment of the write
            registerable = _lock_registerable(item.registerable_id)
            check = seat_check(user=user, item=item)
            if check.existing_status == RegStatus.CONFIRMED:
                return UserRegistration.objects.get(pk=check.existing_id)
            if item.exclusive and check.holds_exclusive:
                raise errors.AlreadyRegistered()
            if check.tutorial_place is not None:
                _refuse_second_tutorial(check.tutorial_place)
            capacity = registerable.capacity
            full = capacity is not None and check.taken >= capacity
            status = RegStatus.REJECTED if full else RegStatus.CONFIRMED
            reason = "item_full" if full else ""
            if check.existing_id is not None:
                registration = UserRegistration.objects.get(pk=check.existing_id)
                registration.status, registration.rejection_reason = status, reason
                registration.save(update_fields=["status", "rejection_reason", "updated_at"])
            else:
                registration = UserRegistration.objects.create(
                    campaign=campaign,
                    item=item,
                    user=user,
                    status=status,
                    exclusive=item.exclusive,
                    rejection_reason=reason,
                )
    except IntegrityError:
        # The database's own guard (one confirmed exclusive seat) caught a parallel request.
        raise errors.AlreadyRegistered() from None
    if full:
        raise errors.ItemFull(details={"registration_id": registration.pk})
    return registration


@_translate_db_errors
def withdraw(*, user, item: Item) -> None:
    """Give up a place (FCFS) or drop an item from the ranking (preference-based)."""
    with transaction.atomic():
        _lock_user(user)
        campaign = _share_lock_campaign(item.campaign_id)
        _require_open(campaign)
        if not campaign.allow_withdrawal:
            raise errors.WithdrawalNotAllowed()
        registration = UserRegistration.objects.filter(
            campaign=campaign, user=user, item=item
        ).first()
        if registration is None:
            raise errors.NotRegistered()
        registration.delete()
        RegistrationEvent.objects.create(
            campaign_id=campaign.pk,
            user_id=user.pk,
            item_id=item.pk,
            registerable_id=item.registerable_id,
            action=Event.WITHDRAWN,
            status=registration.status,
            preference_rank=registration.preference_rank,
            by_id=user.pk,
        )
        if campaign.is_preference_based:
            _compact_ranks(campaign=campaign, user=user)


def _compact_ranks(*, campaign: Campaign, user) -> None:
    rows = list(
        UserRegistration.objects.filter(campaign=campaign, user=user).order_by("preference_rank")
    )
    for rank, row in enumerate(rows, start=1):
        if row.preference_rank != rank:
            row.preference_rank = rank
            row.save(update_fields=["preference_rank", "updated_at"])


def max_ranks(campaign: Campaign, *, item_count: int | None = None) -> int:
    """How many items a student may rank: the campaign's maximum, capped by the item count."""
    count = item_count if item_count is not None else campaign.items.count()
    return min(campaign.max_preferences, count)


@_translate_db_errors
def submit_preferences(
    *, user, campaign: Campaign, items: Sequence[Item]
) -> list[UserRegistration]:
    """Replace the student's ranking atomically (items best first)."""
    campaign = Campaign.objects.get(pk=campaign.pk)
    if not campaign.is_preference_based:
        raise errors.WrongAllocationMode(_("This campaign is first come, first served."))
    _require_open(campaign)
    _require_eligible(campaign, user)
    items = list(items)
    if not items:
        raise errors.InvalidPreferences(_("Rank at least one item."))
    item_ids = [getattr(i, "pk", i) for i in items]
    if len(set(item_ids)) != len(item_ids):
        raise errors.InvalidPreferences(_("Each item can be ranked only once."))
    valid = {i.pk: i for i in campaign.items.filter(pk__in=item_ids)}
    if len(valid) != len(item_ids):
        raise errors.ItemNotInCampaign(
            _("One of the ranked items does not belong to this campaign (or no longer exists).")
        )
    limit = max_ranks(campaign)
    if len(item_ids) > limit:
        raise errors.InvalidPreferences(
            _("You may rank at most %(limit)d items.") % {"limit": limit}
        )
    with transaction.atomic():
        _lock_user(user)
        campaign = _share_lock_campaign(campaign.pk)
        _require_open(campaign)
        _record_removals(
            campaign_id=campaign.pk, user_id=user.pk, action=Event.PREFERENCES_REPLACED, by=user
        )
        UserRegistration.objects.filter(campaign=campaign, user=user).delete()
        rows = [
            UserRegistration(
                campaign=campaign,
                item=valid[item_id],
                user=user,
                status=RegStatus.PENDING,
                preference_rank=rank,
                exclusive=valid[item_id].exclusive,
            )
            for rank, item_id in enumerate(item_ids, start=1)
        ]
        try:
            with transaction.atomic():
                return UserRegistration.objects.bulk_create(rows)
        except IntegrityError:
            raise errors.TryAgain() from None


@_translate_db_errors
def withdraw_preferences(*, user, campaign: Campaign) -> int:
    """Remove the whole ranking while the campaign is open."""
    with transaction.atomic():
        _lock_user(user)
        campaign = _share_lock_campaign(campaign.pk)
        _require_open(campaign)
        if not campaign.allow_withdrawal:
            raise errors.WithdrawalNotAllowed()
        traced = _record_removals(
            campaign_id=campaign.pk, user_id=user.pk, action=Event.PREFERENCES_WITHDRAWN, by=user
        )
        if not traced:
            raise errors.NotRegistered(_("You have not ranked anything in this campaign."))
        deleted, _details = UserRegistration.objects.filter(campaign=campaign, user=user).delete()
        return deleted


# -- scheduled bookkeeping ----------------------------------------------------------------------


def close_due_campaigns(*, now=None) -> list[int]:
    """Close open campaigns whose deadline passed. Safe to run twice at once."""
    now = now or timezone.now()
    closed = []
    due = Campaign.objects.filter(status=Status.OPEN, registration_deadline__lte=now)
    for pk in due.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                campaign = (
                    Campaign.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, status=Status.OPEN, registration_deadline__lte=now)
                    .first()
                )
                if campaign is None:
                    continue  # another worker has it, or it changed meanwhile
                _transition(campaign, "mark_closed", by=None, note="deadline passed")
                closed.append(pk)
        except (errors.InvalidTransition, DatabaseError):
            continue
    return closed


def open_due_campaigns(*, now=None) -> list[int]:
    """Open draft campaigns whose opening time arrived (if they are ready to open)."""
    now = now or timezone.now()
    opened = []
    due = Campaign.objects.filter(
        status=Status.DRAFT, registration_opens_at__lte=now, registration_deadline__gt=now
    )
    for pk in due.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                campaign = (
                    Campaign.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, status=Status.DRAFT)
                    .first()
                )
                if campaign is None:
                    continue
                _open_preflight(campaign)
                _transition(campaign, "mark_open", by=None, note="opening time reached")
                opened.append(pk)
        except (errors.RegistrationError, DatabaseError):
            continue  # not ready (no items, bad policy): it stays a draft for staff to fix
    return opened


# Allocation and finalization live in registration.allocation (imported above).
__all__ = [
    "FinalizeOutcome",
    "campaign_allocate",
    "campaign_allocate_and_finalize",
    "campaign_close",
    "campaign_create",
    "campaign_delete",
    "campaign_finalize",
    "campaign_open",
    "campaign_reopen",
    "campaign_revert_to_draft",
    "campaign_update",
    "close_due_campaigns",
    "confirmed_count",
    "evaluate_policies_for",
    "frozen_fields",
    "item_add",
    "item_remove",
    "item_set_capacity",
    "max_ranks",
    "open_due_campaigns",
    "policy_add",
    "policy_remove",
    "policy_update",
    "register",
    "request_allocation",
    "run_progress",
    "submit_preferences",
    "withdraw",
    "withdraw_preferences",
]


# -- staff actions on registrations -------------------------------------------------------------
# Staff place or remove one student by hand from the registrations page. Both need a reason and
# write an audit row (a ``CampaignTransition`` that keeps the status, with who and why in its
# note). A hand placement takes the same lock -> count -> write path as ``register``: the group
# row is locked, its taken seats are counted fresh, and a full group is refused unless staff
# explicitly allow overfilling.


STAFF_REGISTER_STATUSES = {
    Campaign.AllocationMode.FIRST_COME_FIRST_SERVED: (Status.OPEN, Status.CLOSED),
    Campaign.AllocationMode.PREFERENCE_BASED: (Status.PROCESSING,),
}
STAFF_CANCEL_STATUSES = (Status.OPEN, Status.CLOSED, Status.PROCESSING)
AUDIT_NOTE_LENGTH = 300


def _required_reason(reason: str) -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise errors.InvalidConfiguration(
            _("Give a reason; it is kept in the campaign's history."), code="reason_required"
        )
    return reason


def _audit_staff_action(campaign: Campaign, *, by, note: str) -> None:
    CampaignTransition.objects.create(
        campaign=campaign,
        from_status=campaign.status,
        to_status=campaign.status,
        by=actor_or_none(by),
        note=note[:AUDIT_NOTE_LENGTH],
    )


def _staff_campaign(campaign_id: int) -> Campaign:
    locked = lock_rows(Campaign, [campaign_id], shared=True)
    if not locked:
        raise errors.InvalidTransition(_("This campaign no longer exists."))
    return locked[0]


def _require_staff_register_allowed(campaign: Campaign) -> None:
    if campaign.status == Status.COMPLETED:
        raise errors.Frozen(
            _("The campaign is finalized: add the student on the roster page instead.")
        )
    if campaign.status not in STAFF_REGISTER_STATUSES[campaign.allocation_mode]:
        if campaign.is_preference_based:
            raise errors.WrongAllocationMode(
                _(
                    "In a preference-based campaign students are placed by the allocation; "
                    "place a student by hand after the allocation has run, before finalizing."
                )
            )
        raise errors.CampaignNotOpen(
            _("Students can be registered by hand while the campaign is open or closed.")
        )


@_translate_db_errors
def staff_register(
    *, campaign: Campaign, item: Item, user, by, reason: str, allow_overfill: bool = False
) -> UserRegistration:
    """Give ``user`` a confirmed place in ``item`` by hand (policies are not checked: staff
    decide). Refuses a full group (``item_full``) unless ``allow_overfill``, a student who
    already holds an exclusive place (``already_registered``), a finalized campaign
    (``frozen``) and a missing reason (``reason_required``). A later re-run of a preference
    allocation recomputes every place, hand placements included."""
    reason = _required_reason(reason)
    if item.campaign_id != campaign.pk:
        raise errors.ItemNotInCampaign()
    try:
        with transaction.atomic():
            lock_rows(get_user_model(), [user.pk])
            campaign = _staff_campaign(campaign.pk)
            _require_staff_register_allowed(campaign)
            registerable = lock_rows(Registerable.objects.non_polymorphic(),
                                      [item.registerable_id])[0]
            mine = {
                r.item_id: r for r in UserRegistration.objects.filter(campaign=campaign, user=user)
            }
            existing = mine.get(item.pk)
            if existing and existing.status == RegStatus.CONFIRMED:
                raise errors.AlreadyRegistered(
                    _("%(name)s already holds a place in “%(title)s”.")
                    % {"name": user.name, "title": registerable.title}
                )
            if item.exclusive and any(
                r.status == RegStatus.CONFIRMED and r.exclusive for r in mine.values()
            ):
                raise errors.AlreadyRegistered(
                    _(
                        "%(name)s already holds a place in this campaign. Cancel it first to "
                        "move them."
                    )
                    % {"name": user.name}
                )
            capacity = registerable.capacity
            taken = seats_taken(item)
            if capacity is not None and taken >= capacity and not allow_overfill:
                raise errors.ItemFull(
                    _(
                        "“%(title)s” is full (%(taken)d of %(capacity)d places taken). Allow "
                        "overfilling to place the student anyway."
                    )
                    % {"title": registerable.title, "taken": taken, "capacity": capacity},
                    details={"taken": taken, "capacity": capacity},
                )
            if existing:
                existing.status, existing.rejection_reason = RegStatus.CONFIRMED, ""
                existing.save(update_fields=["status", "rejection_reason", "updated_at"])
                registration = existing
            else:
                registration = UserRegistration.objects.create(
                    campaign=campaign,
                    item=item,
                    user=user,
                    status=RegStatus.CONFIRMED,
                    exclusive=item.exclusive,
                    rejection_reason="",
                )
            overfilled = capacity is not None and taken >= capacity
            _audit_staff_action(
                campaign,
                by=by,
                note=(
                    _("%(name)s registered by hand for “%(title)s”%(overfill)s: %(reason)s")
                    % {
                        "name": user.name,
                        "title": registerable.title,
                        "overfill": _(" (overfilled)") if overfilled else "",
                        "reason": reason,
                    }
                ),
            )
    except IntegrityError:
        raise errors.AlreadyRegistered() from None
    return registration


@_translate_db_errors
def staff_cancel(*, campaign: Campaign, user, by, reason: str) -> int:
    """Remove every registration (place and ranking) of ``user`` in the campaign; returns how
    many rows went. Refuses a finalized campaign (``frozen``: the roster is the truth then), a
    student without registrations (``not_registered``) and a missing reason."""
    reason = _required_reason(reason)
    with transaction.atomic():
        lock_rows(get_user_model(), [user.pk])
        campaign = _staff_campaign(campaign.pk)
        if campaign.status == Status.COMPLETED:
            raise errors.Frozen(
                _("The campaign is finalized: remove the student on the roster page instead.")
            )
        if campaign.status not in STAFF_CANCEL_STATUSES:
            raise errors.CampaignNotOpen()
        _record_removals(campaign_id=campaign.pk, user_id=user.pk, action=Event.CANCELLED, by=by)
        deleted, _details = UserRegistration.objects.filter(campaign=campaign, user=user).delete()
        if not deleted:
            raise errors.NotRegistered(
                _("%(name)s has no registration in this campaign.") % {"name": user.name}
            )
        _audit_staff_action(
            campaign,
            by=by,
            note=_("registration of %(name)s cancelled by hand: %(reason)s")
            % {"name": user.name, "reason": reason},
        )
        return deleted


def policies_frozen_reason(campaign: Campaign) -> str:
    """Why the campaign's rules can no longer change, in the service's own words ("" while
    they can); pages show it beside a locked form instead of restating the rule."""
    try:
        _require_policies_editable(campaign)
    except errors.Frozen as exc:
        return str(exc)
    return ""


@_translate_db_errors
def campaign_create_with_items(
    *, lecture: Lecture, by, fields: dict, registerables: Sequence[Registerable],
    enrollment_title: str | None = None,
) -> Campaign:
    """The creation wizard's one write: the campaign with its chosen items and, for the mixed
    track (``enrollment_title`` given), the parallel enrollment campaign with the lecture as
    its item. One transaction: a refused item leaves no half-configured campaign behind."""
    with transaction.atomic():
        campaign = campaign_create(lecture=lecture, by=by, **fields)
        for registerable in registerables:
            item_add(campaign=campaign, registerable=registerable, by=by)
        if enrollment_title is not None:
            enrollment = campaign_create(
                lecture=lecture,
                by=by,
                **(
                    fields
                    | {
                        "title": enrollment_title,
                        "allocation_mode": Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
                    }
                ),
            )
            item_add(campaign=enrollment, registerable=lecture, by=by)
    return campaign


@_translate_db_errors
def exam_campaign_create(
    *,
    exam: Exam,
    by,
    title: str,
    registration_deadline,
    description: str = "",
    registration_opens_at=None,
    allow_withdrawal: bool = True,
) -> Campaign:
    """The exam registration of ``exam``: a first-come-first-served draft campaign of the exam's
    lecture with the exam as its single item and the ``student_performance`` policy for
    registration and finalization (see ``registration.exam_rules``).

    Refuses a deadline at or after the exam (``deadline_after_exam``) and an exam that another
    campaign, not yet finalized, offers (``exam_already_offered``). The policy is attached by
    name: its kind comes from ``performance``; while no app registers it the campaign cannot
    open (the open pre-flight names the missing rule). One transaction, audited."""
    exam_rules.require_deadline_before_exam(exam, registration_deadline)
    kind = policies.get_policy_kind(exam_rules.EXAM_POLICY_KIND)
    config: dict = {}
    if kind is not None:
        try:
            config = kind.clean_config({})
        except ValidationError as exc:
            raise errors.InvalidConfiguration(" ".join(exc.messages)) from None
    with transaction.atomic():
        exam_rules.lock_exam_and_require_not_offered(exam.pk)
        campaign = campaign_create(
            lecture=exam.lecture,
            by=by,
            title=title,
            description=description,
            allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
            registration_deadline=registration_deadline,
            registration_opens_at=registration_opens_at,
            allow_withdrawal=allow_withdrawal,
            planning_only=False,
        )
        item_add(campaign=campaign, registerable=exam, by=by)
        policy = Policy.objects.create(
            campaign=campaign,
            kind=exam_rules.EXAM_POLICY_KIND,
            phase=exam_rules.EXAM_POLICY_PHASE,
            config=config,
            position=1,
        )
        _record_change(
            campaign,
            CampaignChange.Action.POLICY_ADDED,
            by=by,
            subject=policy.kind,
            new=_policy_state(policy),
        )
    return campaign


CAMPAIGN_STEPS = {
    "open": campaign_open,
    "close": campaign_close,
    "reopen": campaign_reopen,
    "draft": campaign_revert_to_draft,
    "delete": campaign_delete,
}


class _DryRun(Exception):
    """Raised inside a dry run's transaction so that everything it wrote is rolled back."""


def campaign_step(campaign: Campaign, *, action: str, by):
    """Run one lifecycle step by name (``open``, ``close``, ``reopen``, ``draft``, ``delete``)."""
    step = CAMPAIGN_STEPS.get(action)
    if step is None:
        raise errors.InvalidTransition()
    return step(campaign, by=by)


def campaign_step_refusal(campaign: Campaign, *, action: str, by) -> str:
    """Why the step would be refused right now ("" if it would go through), in the service's
    own words: the step runs for real inside a transaction that is then rolled back, so a
    confirmation page never restates (and never drifts from) the services' rules."""
    try:
        with transaction.atomic():
            campaign_step(campaign, action=action, by=by)
            raise _DryRun
    except _DryRun:
        return ""
    except errors.RegistrationError as exc:
        return str(exc)


@_translate_db_errors
def staff_place_unassigned(
    *, campaign: Campaign, user, registerable: Registerable, by, allow_overfill: bool = False
):
    """Put a registrant left without a place into one of the campaign's groups, by hand.

    Only after finalization (``not_finalized``: before it the allocation decides), only into a
    group of this campaign (``item_not_in_campaign``); the roster service checks capacity and
    writes its own audit row. Returns the roster entry."""
    from rosters import services as roster_services

    campaign = Campaign.objects.get(pk=campaign.pk)
    if campaign.status != Status.COMPLETED:
        raise errors.InvalidTransition(
            _("Students can be placed here once the campaign is finalized."),
            code="not_finalized",
        )
    if not campaign.items.filter(registerable_id=registerable.pk).exists():
        raise errors.ItemNotInCampaign()
    return roster_services.add_user(
        registerable=registerable,
        user=user,
        by=by,
        allow_overfill=allow_overfill,
        reason=_("placed by hand after “%(campaign)s”") % {"campaign": campaign.title},
    )
