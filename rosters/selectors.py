"""Reads of roster data; every function runs a fixed number of queries, whatever the size."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from mampf.db import PreparedQuery
from mampf.models import Cohort, Exam, Lecture, Registerable, Talk, Tutorial
from mampf.pending import pending_user_ids
from mampf.selectors import is_valid_id
from rosters.models import RosterChange, RosterEntry

# Database ids are 64-bit; anything larger cannot exist and must not reach the driver.
SEARCH_LIMIT = 20
RECENT_CHANGES = 20
# How the groups of one kind are listed (the lecture prefix of the models' ordering dropped).
GROUP_ORDER = {
    Tutorial: ("weekday", "starts_at", "title", "pk"),
    Talk: ("position", "pk"),
    Cohort: ("title", "pk"),
    Exam: ("date", "title", "pk"),
}


def roster_user_ids(registerable) -> list[int]:
    """The users currently materialized on the registerable's roster (domain data)."""
    return list(
        RosterEntry.objects.filter(registerable_id=registerable.pk)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def roster_size(registerable) -> int:
    return RosterEntry.objects.filter(registerable_id=registerable.pk).count()



# -- taken seats: the one definition -----------------------------------------------------------
#
# A group's place is taken by everyone on its roster, plus everyone a *pending seat source*
# reports: a higher app that hands out places before they reach the roster (registration:
# confirmed registrations of campaigns whose results are not materialized yet) plugs a source
# in at ``AppConfig.ready()``. Each person counts once per group.

#: ``source(registerable_ids, *, excluding_campaign_id) -> QuerySet`` of
#: ``(registerable_id, user_id)`` value rows (``values_list`` with exactly those two columns);
#: ``registerable_ids`` is a list of ids or a one-column ``values`` queryset of them (a subquery).
PendingSeatSource = Callable[..., QuerySet]
_PENDING_SEAT_SOURCES: list[PendingSeatSource] = []


def register_pending_seat_source(source: PendingSeatSource) -> None:
    """Add a source of seats held outside the roster (idempotent: registering twice is once)."""
    if source not in _PENDING_SEAT_SOURCES:
        _PENDING_SEAT_SOURCES.append(source)


def unregister_pending_seat_source(source: PendingSeatSource) -> None:
    """For tests that plug in a source of their own."""
    if source in _PENDING_SEAT_SOURCES:
        _PENDING_SEAT_SOURCES.remove(source)


def seat_holders_query(
    registerable_ids: Iterable[int] | QuerySet, *, excluding_campaign_id: int | None = None
) -> QuerySet:
    """``(registerable_id, user_id)`` rows of everyone holding a place of these groups: the
    roster ``UNION`` every pending seat source (a pair appears once). For ``seat_holders`` and
    for callers that count inside a larger statement (``registration.services.seat_check``, the
    students' seat table). The groups are ids, or a ``values`` queryset of ids (a subquery:
    the groups of one campaign, say)."""
    if isinstance(registerable_ids, QuerySet):
        ids = registerable_ids
    else:
        ids = sorted({int(pk) for pk in registerable_ids if pk is not None})
    on_roster = RosterEntry.objects.filter(registerable_id__in=ids)
    if excluding_campaign_id is not None:
        on_roster = on_roster.exclude(source_campaign_id=excluding_campaign_id)
    query = on_roster.order_by().values_list("registerable_id", "user_id")
    others = [
        source(ids, excluding_campaign_id=excluding_campaign_id).order_by()
        for source in _PENDING_SEAT_SOURCES
    ]
    return query.union(*others) if others else query


def pending_seat_sources_key() -> tuple:
    """What the SQL of ``seat_holders_query`` depends on besides its arguments (for
    ``mampf.db.PreparedQuery`` keys)."""
    return tuple(_PENDING_SEAT_SOURCES)


def seat_holders(
    registerable_ids: Iterable[int], *, excluding_campaign_id: int | None = None
) -> dict[int, set[int]]:
    """Per group, the users who hold one of its places: on the roster, or holding a pending
    seat (see ``register_pending_seat_source``). ``excluding_campaign_id`` leaves out what that
    campaign itself put there (roster rows it materialized, its own pending seats), for the
    campaign's allocation, which recomputes them. One query (a ``UNION``), whatever the size."""
    ids = sorted({int(pk) for pk in registerable_ids if pk is not None})
    holders: dict[int, set[int]] = {pk: set() for pk in ids}
    if not ids:
        return holders
    values = {f"id{index}": pk for index, pk in enumerate(ids)}
    if excluding_campaign_id is not None:
        values["excluding"] = excluding_campaign_id
    rows = _SEAT_HOLDERS.fetchall(key=(len(ids), *pending_seat_sources_key()), **values)
    for registerable_id, user_id in rows:
        holders[registerable_id].add(user_id)
    return holders


def _seat_holders_sql(**values):
    ids = [value for name, value in values.items() if name.startswith("id")]
    return seat_holders_query(
        ids, excluding_campaign_id=values.get("excluding")
    ).query.sql_with_params()


# The SQL text per number of groups (read every time: the seat table is what a rush watches).
_SEAT_HOLDERS = PreparedQuery(_seat_holders_sql)


def seats_taken(
    registerable_ids: Iterable[int], *, excluding_campaign_id: int | None = None
) -> dict[int, int]:
    """Per group, how many places are taken (``seat_holders`` counted)."""
    return {
        pk: len(users)
        for pk, users in seat_holders(
            registerable_ids, excluding_campaign_id=excluding_campaign_id
        ).items()
    }


def tutorial_place_query(*, user_id: int, registerable_id: int) -> QuerySet:
    """``place_id``, ``place_title`` of the first tutorial of the same lecture as
    ``registerable_id`` that this user sits in (empty for other kinds of group or when they sit
    in none); a queryset, so callers can fold it into a larger statement."""
    lecture = Tutorial.objects.filter(pk=registerable_id).values("lecture_id")
    return (
        RosterEntry.objects.filter(
            user_id=user_id,
            registerable__in=Tutorial.objects.filter(lecture_id__in=lecture).values("pk"),
        )
        .order_by("registerable_id")
        .values(place_id=F("registerable_id"), place_title=F("registerable__title"))[:1]
    )


def members_of(registerable_ids) -> QuerySet:
    """``user_id`` values of everyone on these rosters (a subquery for other apps' filters)."""
    return RosterEntry.objects.filter(registerable_id__in=registerable_ids).values("user_id")


def entries_from_campaign(campaign_id: int) -> int:
    """How many roster entries a campaign put there (materialized results still in place)."""
    return RosterEntry.objects.filter(source_campaign_id=campaign_id).count()


def kind_label(registerable: Registerable) -> str:
    return str(registerable._meta.verbose_name).capitalize()


# -- lookups ------------------------------------------------------------------------------------


def lecture_for_rosters(*, lecture_id: int) -> Lecture:
    """The lecture with term and teacher (raises Lecture.DoesNotExist for unknown ids)."""
    if not is_valid_id(lecture_id):
        raise Lecture.DoesNotExist
    return Lecture.objects.select_related("term", "teacher").get(pk=lecture_id)


def registerable_for_roster(*, registerable_id: int) -> Registerable:
    """The concrete group (tutorial, talk, ...) or lecture; DoesNotExist for anything else."""
    if not is_valid_id(registerable_id):
        raise Registerable.DoesNotExist
    registerable = Registerable.objects.get(pk=registerable_id)
    if type(registerable) is Registerable:
        raise Registerable.DoesNotExist
    return registerable


# -- lecture overview ---------------------------------------------------------------------------


@dataclass
class GroupRow:
    """One roster of a lecture as the overview shows it."""

    registerable: Registerable
    kind: str
    filled: int
    tutors: list[str] = field(default_factory=list)
    when: str = ""
    where: str = ""

    @property
    def capacity(self) -> int | None:
        return self.registerable.capacity

    @property
    def utilization_percent(self) -> int | None:
        if not self.capacity:
            return None
        return round(100 * self.filled / self.capacity)

    @property
    def meter_percent(self) -> int:
        return min(100, self.utilization_percent or 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.filled >= self.capacity


def _counted(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(filled=Count("roster_entries", distinct=True))


def _when_and_where(registerable: Registerable) -> tuple[str, str]:
    """Time and place as the pages show them, for each kind of group."""
    if isinstance(registerable, Tutorial):
        return registerable.schedule, registerable.room
    if isinstance(registerable, Talk):
        return (date_format(registerable.date, "SHORT_DATE_FORMAT") if registerable.date else "",
                "")
    if isinstance(registerable, Exam):
        when = registerable.date
        return (
            date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT") if when else "",
            registerable.location,
        )
    if isinstance(registerable, Cohort):
        return "", str(registerable.get_purpose_display())
    return "", ""


def group_row(registerable: Registerable, *, filled: int, tutors=()) -> GroupRow:
    when, where = _when_and_where(registerable)
    return GroupRow(
        registerable=registerable,
        kind=kind_label(registerable),
        filled=filled,
        tutors=[tutor.name for tutor in tutors],
        when=when,
        where=where,
    )


def lecture_groups(*, lecture: Lecture) -> list[GroupRow]:
    """The lecture roster, then tutorials, talks, cohorts and exams (six queries in all)."""
    rows = [group_row(lecture, filled=roster_size(lecture))]
    tutorials = _counted(Tutorial.objects.filter(lecture=lecture)).prefetch_related("tutors")
    rows += [
        group_row(tutorial, filled=tutorial.filled, tutors=tutorial.tutors.all())
        for tutorial in tutorials.order_by(*GROUP_ORDER[Tutorial])
    ]
    for model in (Talk, Cohort, Exam):
        groups = _counted(model.objects.filter(lecture=lecture)).order_by(*GROUP_ORDER[model])
        rows += [group_row(group, filled=group.filled) for group in groups]
    return rows


@dataclass(frozen=True)
class ExportRow:
    kind: str
    group: str
    tutors: str
    name: str
    email: str
    matriculation_number: str
    source: str
    added_at: object


def lecture_export_rows(*, lecture: Lecture, manual_label: str) -> list[ExportRow]:
    """Every roster of the lecture, group by group, students by name (seven queries)."""
    groups = lecture_groups(lecture=lecture)
    return _export_rows(groups, manual_label=manual_label)


def roster_export_rows(*, registerable: Registerable, manual_label: str) -> list[ExportRow]:
    tutors = registerable.tutors.all() if isinstance(registerable, Tutorial) else ()
    group = group_row(registerable, filled=0, tutors=tutors)
    return _export_rows([group], manual_label=manual_label)


def _export_rows(groups: list[GroupRow], *, manual_label: str) -> list[ExportRow]:
    by_group: dict[int, list] = defaultdict(list)
    entries = (
        RosterEntry.objects.filter(registerable_id__in=[g.registerable.pk for g in groups])
        .order_by("user__name", "user__email", "pk")
        .values_list(
            "registerable_id", "user__name", "user__email", "user__matriculation_number",
            "source_campaign__title", "added_at",
        )
    )
    for registerable_id, *rest in entries:
        by_group[registerable_id].append(rest)
    rows = []
    for group in groups:
        tutors = ", ".join(group.tutors)
        for name, email, matriculation, source, added_at in by_group.get(
            group.registerable.pk, []
        ):
            rows.append(
                ExportRow(
                    kind=group.kind,
                    group=group.registerable.title,
                    tutors=tutors,
                    name=name,
                    email=email,
                    matriculation_number=matriculation or "",
                    source=source or manual_label,
                    added_at=added_at,
                )
            )
    return rows


# -- one roster ---------------------------------------------------------------------------------


def roster_members(*, registerable: Registerable, search: str = "") -> QuerySet:
    """The roster's entries with the student and the source campaign (one query per page)."""
    entries = RosterEntry.objects.filter(registerable_id=registerable.pk).select_related(
        "user", "source_campaign", "added_by"
    )
    search = search.strip()
    if search:
        entries = entries.filter(_user_matches(search, prefix="user__"))
    return entries.order_by("user__name", "user__email", "pk")


@dataclass
class Sibling:
    """Another group of the same kind in the same lecture, a possible move target."""

    pk: int
    title: str
    capacity: int | None
    filled: int

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.filled >= self.capacity


def sibling_groups(*, registerable: Registerable) -> list[Sibling]:
    """Groups a member of this roster can be moved to, with their fill (one query)."""
    if isinstance(registerable, Lecture):
        return []
    model = type(registerable)
    siblings = (
        _counted(model.objects.filter(lecture_id=registerable.parent_lecture.pk))
        .exclude(pk=registerable.pk)
        .order_by(*GROUP_ORDER[model])
    )
    return [Sibling(pk=s.pk, title=str(s), capacity=s.capacity, filled=s.filled)
            for s in siblings]


def recent_changes(*, registerable: Registerable, limit: int = RECENT_CHANGES) -> list:
    """The newest audit rows of this roster, moves away from it included (one query)."""
    return list(
        RosterChange.objects.filter(
            Q(registerable_id=registerable.pk) | Q(from_registerable_id=registerable.pk)
        )
        .select_related("user", "by", "registerable", "from_registerable", "source_campaign")
        .order_by("-at", "-id")[:limit]
    )


def _user_matches(search: str, *, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}name__icontains": search})
        | Q(**{f"{prefix}email__icontains": search})
        | Q(**{f"{prefix}institutional_email__icontains": search})
        | Q(**{f"{prefix}matriculation_number__icontains": search})
    )


@dataclass
class Candidate:
    """A search result for "add student": who they are and where they already are."""

    user: object
    on_this_roster: bool
    other_tutorial: str = ""


search_log = logging.getLogger("rosters.search")

# Who else is "related to a lecture" for the add-student search, contributed by higher apps
# (registration: everyone registered in one of the lecture's campaigns) at ``AppConfig.ready()``,
# so rosters never imports them. A source maps a lecture id to a queryset of user ids.
RelatedUsersSource = Callable[[int], QuerySet]
_related_user_sources: list[RelatedUsersSource] = []


def register_related_users_source(source: RelatedUsersSource) -> None:
    """Add a source of users related to a lecture (idempotent)."""
    if source not in _related_user_sources:
        _related_user_sources.append(source)


def _related_to_lecture(lecture_id: int) -> Q:
    """On any roster of the lecture (the lecture's own or one of its groups), or related by a
    registered source; subqueries only, so the search stays one query."""
    group_ids = [
        model.objects.filter(lecture_id=lecture_id).values("pk")
        for model in (Tutorial, Talk, Cohort, Exam)
    ]
    on_a_roster = Q(registerable_id=lecture_id)
    for ids in group_ids:
        on_a_roster |= Q(registerable_id__in=ids)
    related = Q(pk__in=RosterEntry.objects.filter(on_a_roster).values("user_id"))
    for source in _related_user_sources:
        related |= Q(pk__in=source(lecture_id))
    return related


def _exact_identity(search: str) -> Q:
    """Someone a teacher can name exactly: matriculation number, login address or confirmed
    university address (an unconfirmed one proves nothing)."""
    return (
        Q(matriculation_number=search)
        | Q(email__iexact=search)
        | Q(institutional_email__iexact=search, institutional_email_verified_at__isnull=False)
    )


def search_candidates(
    *, registerable: Registerable, search: str, by=None, limit: int = SEARCH_LIMIT
) -> list[Candidate]:
    """Active users a teacher may add to this roster (two queries).

    A teacher sees only what they need, not every account of the site: students related to the
    lecture match by part of their name, e-mail or matriculation number; anyone else only by an
    exact matriculation number or e-mail address. At most ``limit`` results. Each search is
    logged with who searched, the lecture and the length of the term (never the term itself).
    """
    search = search.strip()
    if not search:
        return []
    lecture = registerable.parent_lecture
    users = list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter((_user_matches(search) & _related_to_lecture(lecture.pk)) | _exact_identity(search))
        .order_by("name", "email")[:limit]
    )
    search_log.info(
        "roster search by user %s in lecture %s on roster %s: term of %d characters, %d results",
        getattr(by, "pk", None), lecture.pk, registerable.pk, len(search), len(users),
    )
    if not users:
        return []
    memberships = RosterEntry.objects.filter(user__in=users).filter(
        Q(registerable_id=registerable.pk)
        | Q(registerable__in=Tutorial.objects.filter(lecture_id=lecture.pk))
    )
    on_this: set[int] = set()
    tutorial_of: dict[int, str] = {}
    for user_id, registerable_id, title in memberships.values_list(
        "user_id", "registerable_id", "registerable__title"
    ):
        if registerable_id == registerable.pk:
            on_this.add(user_id)
        else:
            tutorial_of[user_id] = title
    return [
        Candidate(
            user=user,
            on_this_roster=user.pk in on_this,
            other_tutorial=tutorial_of.get(user.pk, "") if isinstance(registerable, Tutorial)
            else "",
        )
        for user in users
    ]


def entry_of(*, registerable: Registerable, user_id: int) -> RosterEntry:
    """The user's entry on this roster (raises RosterEntry.DoesNotExist)."""
    if not is_valid_id(user_id):
        raise RosterEntry.DoesNotExist
    return RosterEntry.objects.select_related("user").get(
        registerable_id=registerable.pk, user_id=user_id
    )


# -- roster page: selection, "move here", e-mail list (rosters pages) --------------------------


def members_by_ids(*, registerable: Registerable, user_ids) -> list:
    """The selected users that are on this roster, by name (one query)."""
    ids = [pk for pk in user_ids if is_valid_id(pk)]
    return list(
        get_user_model()
        .objects.filter(pk__in=ids, roster_entries__registerable_id=registerable.pk)
        .order_by("name", "pk")
    )


def sibling_group_of(*, registerable: Registerable, user_id: int) -> Registerable | None:
    """The other group of the same kind in this lecture the user is in, if any (one query)."""
    if isinstance(registerable, Lecture) or not is_valid_id(user_id):
        return None
    model = type(registerable)
    return (
        model.objects.filter(
            lecture_id=registerable.parent_lecture.pk, roster_entries__user_id=user_id
        )
        .exclude(pk=registerable.pk)
        .order_by("pk")
        .first()
    )


def roster_emails(*, registerable: Registerable) -> list[str]:
    """Every member's e-mail address, by name (one query), for "copy e-mail addresses"."""
    return list(
        RosterEntry.objects.filter(registerable_id=registerable.pk)
        .exclude(user__email="")
        .order_by("user__name", "user__email")
        .values_list("user__email", flat=True)
    )


def confirmed_not_listed(*, registerable: Registerable) -> int:
    """People with a confirmed place in this group (``mampf.pending``, e.g. a first-come-first-
    served campaign not finalized yet) who are not on its roster yet (two queries)."""
    waiting = pending_user_ids([registerable.pk]).get(registerable.pk, set())
    if not waiting:
        return 0
    listed = RosterEntry.objects.filter(
        registerable_id=registerable.pk, user_id__in=waiting
    ).count()
    return len(waiting) - listed


# -- tutors -------------------------------------------------------------------------------------


def tutorials_of_tutor(*, user) -> list[GroupRow]:
    """The tutorials this user tutors, with lecture and fill (two queries)."""
    tutorials = (
        _counted(Tutorial.objects.filter(tutors=user))
        .select_related("lecture", "lecture__term")
        .prefetch_related("tutors")
        .order_by("lecture__title", "weekday", "starts_at", "pk")
    )
    return [
        group_row(tutorial, filled=tutorial.filled, tutors=tutorial.tutors.all())
        for tutorial in tutorials
    ]
