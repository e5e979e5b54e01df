"""Roster maintenance for several students at once: all or nothing.

``move_users`` and ``remove_users`` run the single-student services (``rosters.services``) for
every selected student inside one transaction, so every rule (capacity counted fresh after each
move, one tutorial per lecture, removal guards, audit rows) applies exactly as for one student.
A refusal for any of them rolls everything back and raises ``BulkRefused`` naming each refused
student and why. A busy database is not collected: it aborts at once (``Busy``). The students
get one e-mail each and the tutors of both groups one e-mail for the whole move, after commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from mampf.models import Registerable
from rosters import errors, notifications, services
from rosters.models import RosterEntry

MAX_SELECTED = 500


def _sorted(users: Sequence) -> list:
    return sorted({user.pk: user for user in users}.values(), key=lambda u: (u.name, u.pk))


def _refusal(user, exc: errors.RosterError) -> dict:
    return {"user": user.pk, "name": user.name or user.email, "code": exc.code,
            "message": str(exc)}


def _refuse(refusals: list[dict], *, total: int) -> errors.BulkRefused:
    reasons = "; ".join(f"{r['name']}: {r['message']}" for r in refusals)
    return errors.BulkRefused(
        _("Nothing was changed: %(count)d of %(total)d could not be changed. %(reasons)s")
        % {"count": len(refusals), "total": total, "reasons": reasons},
        details={"refusals": refusals},
    )


def _check_size(users: Sequence) -> None:
    if not users:
        raise errors.RosterError(_("Select at least one student."), code="nothing_selected")
    if len(users) > MAX_SELECTED:
        raise errors.RosterError(
            _("Select at most %(count)d students at once.") % {"count": MAX_SELECTED},
            code="too_many_selected",
        )


def move_users(
    *,
    users: Sequence,
    source: Registerable,
    target: Registerable,
    by,
    allow_overfill: bool = False,
    reason: str = "",
) -> list[RosterEntry]:
    """Move every student from ``source`` to ``target``, or nobody (``BulkRefused``)."""
    users = _sorted(users)
    _check_size(users)
    refusals: list[dict] = []
    moved: list[RosterEntry] = []
    with transaction.atomic():
        for user in users:
            try:
                moved.append(
                    services.move_user(
                        user=user,
                        source=source,
                        target=target,
                        by=by,
                        allow_overfill=allow_overfill,
                        reason=reason,
                        notify=False,
                    )
                )
            except errors.Busy:
                raise
            except errors.RosterError as exc:
                refusals.append(_refusal(user, exc))
        if refusals:
            raise _refuse(refusals, total=len(users))
        notifications.moved(users=users, source=source, target=target, by=by)
    return moved


def remove_users(*, users: Sequence, registerable: Registerable, by, reason: str = "") -> int:
    """Take every student off the roster, or nobody (``BulkRefused``); returns the count."""
    users = _sorted(users)
    _check_size(users)
    refusals: list[dict] = []
    with transaction.atomic():
        for user in users:
            try:
                services.remove_user(registerable=registerable, user=user, by=by, reason=reason)
            except errors.Busy:
                raise
            except errors.RosterError as exc:
                refusals.append(_refusal(user, exc))
        if refusals:
            raise _refuse(refusals, total=len(users))
    return len(users)
