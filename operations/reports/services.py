"""The writes of the reports: the audit row of a staff export of someone's personal data, and
the exact look-up that precedes it (site staff name the person; nobody browses accounts)."""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from mampf import permissions
from mampf.models import User

from .errors import StudentNotFound
from .personal import EXPORT_MARK


def find_person(*, by, term: str) -> User:
    """The one account with exactly this login or confirmed university address or
    matriculation number; site staff only. ``StudentNotFound`` otherwise (also when the
    term matches more than one account, which an exact address cannot)."""
    if not permissions.is_site_staff(by):
        raise PermissionDenied
    term = (term or "").strip()
    if not term or len(term) > 254:
        raise StudentNotFound()
    matches = list(
        User.objects.filter(
            Q(email__iexact=term)
            | Q(matriculation_number=term)
            | Q(institutional_email__iexact=term, institutional_email_verified_at__isnull=False)
        )[:2]
    )
    if len(matches) != 1:
        raise StudentNotFound()
    return matches[0]


def record_personal_export(*, subject: User, by, fmt: str) -> LogEntry:
    """Audit a staff export of ``subject``'s data: an admin log entry on the account (the
    person sees it in their own data). Site staff only."""
    if not permissions.is_site_staff(by):
        raise PermissionDenied
    with transaction.atomic():
        return LogEntry.objects.create(
            user=by,
            content_type=ContentType.objects.get_for_model(User),
            object_id=str(subject.pk),
            object_repr=str(subject)[:200],
            action_flag=CHANGE,
            change_message=f"{EXPORT_MARK}:{fmt}",
        )
