"""The registration audit of one lecture: every registration, allocation result, campaign step
(including staff registering or cancelling by hand), allocation run and roster change, with who
and when, newest first.

The sources are the tables that exist: ``UserRegistration`` (a row's creation and, when it was
decided later, its result), ``CampaignTransition`` (status changes and the staff hand actions,
whose note names the student), ``RegistrationEvent`` (a registration row that was deleted: a
withdrawal, a withdrawn or replaced ranking, a staff cancellation), ``AllocationRun`` and
``rosters.RosterChange``.

Each source is one query ordered by time; the CSV reads them with server-side iterators and
merges them (``heapq.merge``), so a lecture with 40,000 roster changes streams in flat memory.
"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mampf.db import among
from mampf.models import Registerable
from registration.models import (
    AllocationRun,
    Campaign,
    CampaignTransition,
    RegistrationEvent,
    UserRegistration,
)
from rosters.models import RosterChange

from .errors import InvalidFilter

HEADER = [
    gettext_lazy("When"),
    gettext_lazy("Event"),
    gettext_lazy("Student"),
    gettext_lazy("Matriculation number"),
    gettext_lazy("Group"),
    gettext_lazy("Campaign"),
    gettext_lazy("Details"),
    gettext_lazy("By"),
]
PAGE_ROWS = 200
CHUNK = 2000
# A registration decided later than this after it was made has its own "result" event.
DECIDED_LATER = datetime.timedelta(seconds=1)


@dataclass(frozen=True)
class AuditFilter:
    """Who and when: ``student`` matches part of a name, or an exact e-mail address or
    matriculation number; ``since`` and ``until`` are local dates, both inclusive."""

    student: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None

    @classmethod
    def from_query(cls, params) -> AuditFilter:
        """The filter of a query string; ``InvalidFilter`` for a date that is not a date."""

        def date(name):
            text = (params.get(name) or "").strip()
            if not text:
                return None
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                raise InvalidFilter() from None

        since, until = date("since"), date("until")
        if since and until and since > until:
            raise InvalidFilter(_("The first day comes after the last day."))
        return cls(student=(params.get("student") or "").strip()[:200], since=since, until=until)

    def _bounds(self):
        tz = timezone.get_current_timezone()
        start = (
            datetime.datetime.combine(self.since, datetime.time.min, tzinfo=tz)
            if self.since
            else None
        )
        end = (
            datetime.datetime.combine(
                self.until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
            )
            if self.until
            else None
        )
        return start, end

    def when(self, queryset, field: str):
        start, end = self._bounds()
        if start:
            queryset = queryset.filter(**{f"{field}__gte": start})
        if end:
            queryset = queryset.filter(**{f"{field}__lt": end})
        return queryset

    def who(self, queryset, prefix: str = "user__"):
        if not self.student:
            return queryset
        return queryset.filter(
            Q(**{f"{prefix}name__icontains": self.student})
            | Q(**{f"{prefix}email__iexact": self.student})
            | Q(**{f"{prefix}matriculation_number": self.student})
        )

    @property
    def active(self) -> bool:
        return bool(self.student or self.since or self.until)


class LectureAudit:
    """The audit sources of one lecture under one filter (two queries to set up)."""

    def __init__(self, *, lecture, flt: AuditFilter):
        self.lecture, self.flt = lecture, flt
        self.groups = dict(
            Registerable.objects.non_polymorphic()
            .filter(
                Q(pk=lecture.pk)
                | Q(tutorial__lecture_id=lecture.pk)
                | Q(talk__lecture_id=lecture.pk)
                | Q(cohort__lecture_id=lecture.pk)
                | Q(exam__lecture_id=lecture.pk)
            )
            .order_by()
            .values_list("pk", "title")
        )
        self.campaigns = dict(
            Campaign.objects.filter(lecture_id=lecture.pk).order_by().values_list("pk", "title")
        )

    def _campaign(self, pk):
        if pk is None:
            return ""
        return self.campaigns.get(pk) or _("deleted campaign #%(id)s") % {"id": pk}

    # -- the sources, each ordered newest first, each yielding (at, row) ---------------------

    def _registrations(self):
        qs = self.flt.who(
            self.flt.when(
                UserRegistration.objects.filter(campaign__lecture_id=self.lecture.pk), "created_at"
            )
        )
        labels = dict(UserRegistration.Status.choices)
        for at, name, number, title, campaign, status, rank, reason in self._read(
            qs.order_by("-created_at", "-pk").values_list(
                "created_at",
                "user__name",
                "user__matriculation_number",
                "item__registerable__title",
                "campaign_id",
                "status",
                "preference_rank",
                "rejection_reason",
            )
        ):
            detail = [_("now: %(status)s") % {"status": labels.get(status, status)}]
            if rank:
                detail.append(_("choice %(rank)s") % {"rank": rank})
            if reason:
                detail.append(reason)
            yield (
                at,
                [
                    at,
                    _("registered"),
                    name,
                    number,
                    title,
                    self._campaign(campaign),
                    "; ".join(str(d) for d in detail),
                    "",
                ],
            )

    def _events(self):
        # Campaigns of the lecture by id: the events' campaign is no database foreign key.
        qs = RegistrationEvent.objects.filter(among("campaign_id", list(self.campaigns)))
        qs = self.flt.who(self.flt.when(qs, "at"))
        actions = dict(RegistrationEvent.Action.choices)
        labels = dict(UserRegistration.Status.choices)
        for at, action, name, number, group, campaign, status, rank, by in self._read(
            qs.order_by("-at", "-pk").values_list(
                "at",
                "action",
                "user__name",
                "user__matriculation_number",
                "registerable_id",
                "campaign_id",
                "status",
                "preference_rank",
                "by__name",
            )
        ):
            detail = [_("was: %(status)s") % {"status": labels.get(status, status)}]
            if rank:
                detail.append(_("choice %(rank)s") % {"rank": rank})
            yield (
                at,
                [
                    at,
                    actions.get(action, action),
                    name,
                    number,
                    self.groups.get(group, f"#{group}") if group else "",
                    self._campaign(campaign),
                    "; ".join(str(d) for d in detail),
                    by or "",
                ],
            )

    def _results(self):
        qs = (
            UserRegistration.objects.filter(campaign__lecture_id=self.lecture.pk)
            .exclude(status=UserRegistration.Status.PENDING)
            .filter(updated_at__gt=F("created_at") + DECIDED_LATER)
        )
        qs = self.flt.who(self.flt.when(qs, "updated_at"))
        for at, name, number, title, campaign, status, reason in self._read(
            qs.order_by("-updated_at", "-pk").values_list(
                "updated_at",
                "user__name",
                "user__matriculation_number",
                "item__registerable__title",
                "campaign_id",
                "status",
                "rejection_reason",
            )
        ):
            event = _("place confirmed") if status == "confirmed" else _("not placed")
            yield at, [at, event, name, number, title, self._campaign(campaign), reason, ""]

    def _transitions(self):
        qs = self.flt.when(
            CampaignTransition.objects.filter(campaign__lecture_id=self.lecture.pk), "at"
        )
        if self.flt.student:
            # Hand registrations and cancellations name the student in the note.
            qs = qs.filter(note__icontains=self.flt.student)
        labels = dict(Campaign.Status.choices)
        for at, campaign, old, new, note, by in self._read(
            qs.order_by("-at", "-pk").values_list(
                "at", "campaign_id", "from_status", "to_status", "note", "by__name"
            )
        ):
            if old == new:
                event = _("changed by staff")
            else:
                event = _("campaign %(old)s → %(new)s") % {
                    "old": labels.get(old, old),
                    "new": labels.get(new, new),
                }
            yield at, [at, event, "", "", "", self._campaign(campaign), note, by or ""]

    def _runs(self):
        if self.flt.student:
            return
        qs = self.flt.when(
            AllocationRun.objects.filter(campaign__lecture_id=self.lecture.pk), "created_at"
        )
        labels = dict(AllocationRun.Status.choices)
        for at, campaign, status, stats, error, by in self._read(
            qs.order_by("-created_at", "-pk").values_list(
                "created_at", "campaign_id", "status", "statistics", "error", "requested_by__name"
            )
        ):
            detail = [str(labels.get(status, status))]
            if isinstance(stats, dict) and "assigned" in stats:
                detail.append(
                    _("%(assigned)s placed, %(unassigned)s not placed")
                    % {
                        "assigned": stats.get("assigned", 0),
                        "unassigned": stats.get("unassigned", 0),
                    }
                )
            if error:
                detail.append(error[:200])
            yield (
                at,
                [
                    at,
                    _("allocation run"),
                    "",
                    "",
                    "",
                    self._campaign(campaign),
                    "; ".join(detail),
                    by or "",
                ],
            )

    def _roster(self):
        qs = RosterChange.objects.filter(among("registerable_id", list(self.groups)))
        qs = self.flt.who(self.flt.when(qs, "at"))
        labels = dict(RosterChange.Action.choices)
        for at, action, name, number, group, old_group, campaign, reason, by in self._read(
            qs.order_by("-at", "-pk").values_list(
                "at",
                "action",
                "user__name",
                "user__matriculation_number",
                "registerable_id",
                "from_registerable_id",
                "source_campaign_id",
                "reason",
                "by__name",
            )
        ):
            detail = [reason] if reason else []
            if old_group:
                detail.insert(
                    0, _("from %(group)s") % {"group": self.groups.get(old_group, f"#{old_group}")}
                )
            yield (
                at,
                [
                    at,
                    _("roster: %(action)s") % {"action": labels.get(action, action)},
                    name,
                    number,
                    self.groups.get(group, f"#{group}"),
                    self._campaign(campaign),
                    "; ".join(str(d) for d in detail),
                    by or "",
                ],
            )

    # -- reading -----------------------------------------------------------------------------

    limit: int | None = None

    def _read(self, queryset):
        if self.limit is not None:
            return iter(queryset[: self.limit])
        return queryset.iterator(chunk_size=CHUNK)

    def rows(self, *, limit: int | None = None):
        """Every row, newest first (``limit``: only the newest that many, for the page)."""
        self.limit = limit
        sources = [
            self._registrations(),
            self._events(),
            self._results(),
            self._transitions(),
            self._runs(),
            self._roster(),
        ]
        merged = heapq.merge(*sources, key=lambda pair: pair[0], reverse=True)
        for count, (_at, row) in enumerate(merged):
            if limit is not None and count >= limit:
                return
            yield row
