"""Teachers and editors keep the groups of their own lecture: tutorials, talks, cohorts, exams.

Rules:
- Callers have checked ``mampf.permissions.can_manage_lecture``; services trust ``by``, which
  must be the acting user (every change writes an audit row naming them).
- Every write is one short transaction. Changes and deletions first lock the group's
  ``Registerable`` row (``mampf.db.lock_rows``), the row registrations and roster changes lock
  before they count seats, so a capacity change and a new seat never pass each other.
- A ``changes`` mapping names only the fields to change; a field it does not name keeps its
  saved value. ``None`` for ``capacity`` means unlimited.
- The capacity never goes below the places already taken (``CapacityBelowTaken``), counted
  fresh under the lock by ``seats_taken``. This layer refuses; it does not ask to confirm.
- A group is deleted only while its roster is empty (``GroupNotEmpty``) and nothing else holds
  on to it, such as a campaign item (``GroupInUse``, from the database's RESTRICT/PROTECT).
- Whether a cohort's members join the lecture changes only while the cohort is empty: flipping
  it with members would break the rule that the lecture roster is a superset of its groups.
- Tutors are found by their exact e-mail address (login address, or a confirmed university
  address); any active account may tutor. Nobody browses the site's accounts.
- Audit: one ``django.contrib.admin`` ``LogEntry`` per change (who, when, which group, which
  fields), so the admin site's history of a group also shows changes made on these pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError, Q, RestrictedError
from django.utils import translation
from django.utils.translation import gettext as _

from mampf import catalogue_errors as errors
from mampf.db import lock_rows, translate_db_errors
from mampf.models import Cohort, Exam, Lecture, Registerable, Talk, Tutorial

GROUP_KINDS: dict[str, type[Registerable]] = {
    "tutorial": Tutorial,
    "talk": Talk,
    "cohort": Cohort,
    "exam": Exam,
}

# The fields teachers may set, per kind (the lecture is fixed at creation).
EDITABLE_FIELDS: dict[type[Registerable], tuple[str, ...]] = {
    Tutorial: ("title", "capacity", "weekday", "starts_at", "ends_at", "room"),
    Talk: ("title", "capacity", "position", "date"),
    Cohort: ("title", "capacity", "purpose", "propagate_to_lecture"),
    Exam: ("title", "capacity", "date", "location"),
}


# -- places taken -------------------------------------------------------------------------------

SeatCounter = Callable[[Registerable], int]
_seat_counter: SeatCounter | None = None


def register_seat_counter(counter: SeatCounter) -> None:
    """Let a higher app (rosters) supply the one definition of "places taken" at ``ready()``.

    ``mampf`` cannot import it; until one is registered, the roster size counts. A second,
    different counter is refused rather than silently replacing the first.
    """
    global _seat_counter
    if _seat_counter is not None and _seat_counter is not counter:
        raise RuntimeError("A seat counter is already registered.")
    _seat_counter = counter


def seats_taken(group: Registerable) -> int:
    """Places of the group already taken (call under the group's lock for a decision)."""
    if _seat_counter is not None:
        return _seat_counter(group)
    return group.roster_entries.count()


# -- helpers ------------------------------------------------------------------------------------


def _audit(*, by, group: Registerable, flag: int, message: list[dict]) -> None:
    LogEntry.objects.create(
        user_id=by.pk,
        content_type=ContentType.objects.get_for_model(group),
        object_id=str(group.pk),
        object_repr=str(group)[:200],
        action_flag=flag,
        change_message=json.dumps(message),
    )


def _field_label(model, name: str) -> str:
    """The field's name untranslated, as the admin stores it (it translates when showing)."""
    with translation.override(None):
        return str(model._meta.get_field(name).verbose_name)


def _require_actor(by) -> None:
    if not getattr(by, "pk", None):
        raise ValueError("Group changes need the acting user (by) for the audit row.")


def _lock_group(group: Registerable) -> Registerable:
    """Lock the group's row, then read it fresh as its concrete kind."""
    model = type(group)
    if not lock_rows(Registerable.objects.non_polymorphic(), [group.pk]):
        raise errors.GroupMissing()
    try:
        return model.objects.get(pk=group.pk)
    except model.DoesNotExist as exc:
        raise errors.GroupMissing() from exc


def _model_of(group: Registerable) -> type[Registerable]:
    model = type(group)
    if model not in EDITABLE_FIELDS:
        raise TypeError(f"{model.__name__} is not a group kind of the catalogue.")
    return model


def _known_values(model: type[Registerable], values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS[model])
    if unknown:
        raise errors.InvalidGroupData(
            _("These fields cannot be set here: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = dict(values)
    if "title" in cleaned:
        cleaned["title"] = " ".join(str(cleaned["title"] or "").split())
    return cleaned


def _validate(group: Registerable, *, taken: int | None) -> None:
    """Domain rules and field shapes; raises a ``CatalogueError``, never a ValidationError."""
    if not group.title:
        raise errors.InvalidGroupData(_("Please enter a title."), code="title_missing")
    if group.capacity is not None:
        if group.capacity < 0:
            raise errors.InvalidGroupData(
                _("The capacity cannot be negative."), code="capacity_negative"
            )
        if taken is not None and group.capacity < taken:
            raise errors.CapacityBelowTaken(
                _(
                    "“%(title)s” already has %(taken)d places taken, so its capacity cannot be "
                    "lower than %(taken)d. Remove people from the roster first."
                )
                % {"title": group.title, "taken": taken},
                details={"taken": taken, "capacity": group.capacity},
            )
    if isinstance(group, Tutorial) and group.starts_at and group.ends_at:
        if group.ends_at <= group.starts_at:
            raise errors.InvalidGroupData(
                _("The tutorial must end after it starts."), code="ends_before_start"
            )
    if isinstance(group, Talk):
        clash = Talk.objects.filter(lecture_id=group.lecture_id, position=group.position)
        if group.pk:
            clash = clash.exclude(pk=group.pk)
        if clash.exists():
            raise errors.TalkPositionTaken()
    try:
        group.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise errors.InvalidGroupData(" ".join(exc.messages)) from exc


def _save(group: Registerable, **kwargs) -> None:
    """Save; a unique clash the check above could not see (a race) is a clean refusal."""
    try:
        with transaction.atomic():
            group.save(**kwargs)
    except IntegrityError as exc:
        if isinstance(group, Talk):
            raise errors.TalkPositionTaken() from exc
        raise errors.InvalidGroupData() from exc


# -- groups -------------------------------------------------------------------------------------


@translate_db_errors(error=errors.CatalogueBusy)
def create_group(*, lecture: Lecture, kind: str, values: Mapping[str, Any], by) -> Registerable:
    """Create a tutorial, talk, cohort or exam of ``lecture`` (``kind`` as in GROUP_KINDS).

    A talk without a position goes to the end. Refuses ``InvalidGroupData``,
    ``TalkPositionTaken``.
    """
    _require_actor(by)
    try:
        model = GROUP_KINDS[kind]
    except KeyError as exc:
        raise errors.InvalidGroupData(_("Unknown kind of group.")) from exc
    values = _known_values(model, values)
    with transaction.atomic():
        group = model(lecture=lecture, **values)
        if model is Talk and group.position is None:
            # Serializes talk creation per lecture, so two new talks get two positions.
            lock_rows(Registerable.objects.non_polymorphic(), [lecture.pk])
            last = Talk.objects.filter(lecture=lecture).aggregate(last=Max("position"))["last"]
            group.position = (last or 0) + 1
        _validate(group, taken=None)
        _save(group)
        _audit(by=by, group=group, flag=ADDITION, message=[{"added": {}}])
    return group


@translate_db_errors(error=errors.CatalogueBusy)
def update_group(*, group: Registerable, changes: Mapping[str, Any], by) -> Registerable:
    """Change the named fields of a group; fields not named keep their value.

    Refuses ``CapacityBelowTaken``, ``PropagationLocked``, ``TalkPositionTaken``,
    ``InvalidGroupData``, ``GroupMissing``; a refusal changes nothing. Returns the fresh group.
    """
    _require_actor(by)
    model = _model_of(group)
    changes = _known_values(model, changes)
    with transaction.atomic():
        fresh = _lock_group(group)
        changed = [name for name, value in changes.items() if getattr(fresh, name) != value]
        if not changed:
            return fresh
        for name in changed:
            setattr(fresh, name, changes[name])
        if "propagate_to_lecture" in changed and fresh.roster_entries.exists():
            raise errors.PropagationLocked()
        taken = seats_taken(fresh) if "capacity" in changed else None
        _validate(fresh, taken=taken)
        _save(fresh, update_fields=changed)
        labels = [_field_label(model, name) for name in changed]
        _audit(by=by, group=fresh, flag=CHANGE, message=[{"changed": {"fields": labels}}])
    return fresh


@translate_db_errors(error=errors.CatalogueBusy)
def delete_group(*, group: Registerable, by) -> None:
    """Delete a group whose roster is empty and which nothing else refers to.

    Refuses ``GroupNotEmpty`` (someone is on the roster), ``GroupInUse`` (a campaign item or
    other protected reference), ``GroupMissing``; a refusal changes nothing.
    """
    _require_actor(by)
    _model_of(group)
    with transaction.atomic():
        fresh = _lock_group(group)
        members = fresh.roster_entries.count()
        if members:
            raise errors.GroupNotEmpty(
                _(
                    "“%(title)s” cannot be deleted while %(count)d people are on its roster. "
                    "Move or remove them first."
                )
                % {"title": fresh.title, "count": members},
                details={"members": members},
            )
        _audit(by=by, group=fresh, flag=DELETION, message=[])
        try:
            with transaction.atomic():
                fresh.delete()
        except (RestrictedError, ProtectedError, IntegrityError) as exc:
            raise errors.GroupInUse() from exc


# -- tutors -------------------------------------------------------------------------------------


def find_tutor_account(*, email: str):
    """The one active account with exactly this login (or confirmed university) address."""
    address = (email or "").strip()
    if not address:
        raise errors.TutorNotFound()
    matches = list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(email__iexact=address)
            | Q(institutional_email__iexact=address, institutional_email_verified_at__isnull=False)
        )[:2]
    )
    if len(matches) != 1:
        raise errors.TutorNotFound()
    return matches[0]


@translate_db_errors(error=errors.CatalogueBusy)
def add_tutor(*, tutorial: Tutorial, email: str, by):
    """Make the account with exactly this e-mail address a tutor of the tutorial.

    Refuses ``TutorNotFound`` (no such active account), ``AlreadyTutor``. Returns the user.
    """
    _require_actor(by)
    user = find_tutor_account(email=email)
    with transaction.atomic():
        fresh = _lock_group(tutorial)
        if fresh.tutors.filter(pk=user.pk).exists():
            raise errors.AlreadyTutor()
        fresh.tutors.add(user)
        label = _field_label(Tutorial, "tutors")
        _audit(
            by=by,
            group=fresh,
            flag=CHANGE,
            message=[{"added": {"name": label, "object": f"{user.name} <{user.email}>"}}],
        )
    return user


@translate_db_errors(error=errors.CatalogueBusy)
def remove_tutor(*, tutorial: Tutorial, user_id: int, by) -> None:
    """Take a tutor off the tutorial. Refuses ``NotATutor``."""
    _require_actor(by)
    with transaction.atomic():
        fresh = _lock_group(tutorial)
        user = fresh.tutors.filter(pk=user_id).first()
        if user is None:
            raise errors.NotATutor()
        fresh.tutors.remove(user)
        label = _field_label(Tutorial, "tutors")
        _audit(
            by=by,
            group=fresh,
            flag=CHANGE,
            message=[{"deleted": {"name": label, "object": f"{user.name} <{user.email}>"}}],
        )
