"""Reads for the catalogue pages; each function runs a fixed number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce

from mampf import permissions
from mampf.db import BoundRead, PreparedQuery, fetch_together
from mampf.models import (
    Cohort,
    Exam,
    Lecture,
    Registerable,
    Talk,
    Term,
    Tutorial,
    tutorial_schedule,
)
from mampf.pending import PendingPlace, pending_places_of


def lectures_for_dashboard(*, user):
    """Managed lectures with their term and roster size, newest term first."""
    return (
        permissions.managed_lectures(user)
        .select_related("term", "teacher")
        .annotate(roster_size=Count("roster_entries", distinct=True))
        .order_by("-term__year", "term__season", "title")
    )


def tutorials_of_tutor(*, user):
    """The tutorials this user tutors, with lecture and roster size."""
    return (
        Tutorial.objects.filter(tutors=user)
        .select_related("lecture", "lecture__term")
        .annotate(roster_size=Count("roster_entries"))
        .order_by("lecture__title", "weekday", "starts_at")
    )


@dataclass(frozen=True)
class StaffRoles:
    """What a user does besides being a student; ``any`` when the start page needs a staff
    section at all."""

    manages_lectures: bool
    tutors_groups: bool
    is_site_staff: bool

    @property
    def any(self) -> bool:
        return self.manages_lectures or self.tutors_groups or self.is_site_staff


def _staff_roles_query(*, user_id):
    manages = Lecture.objects.non_polymorphic().filter(Q(teacher=OuterRef("pk"))
                                                       | Q(editors=OuterRef("pk")))
    tutors = Tutorial.tutors.through.objects.filter(user_id=OuterRef("pk"))
    return (
        get_user_model().objects.filter(pk=user_id).order_by()
        .values_list(Exists(manages), Exists(tutors))
    )


_STAFF_ROLES = PreparedQuery(_staff_roles_query)


def staff_roles(*, user) -> StaffRoles:
    """Whether the user manages a lecture or tutors a group: one query for both (site staff
    manage every lecture without asking), so that a student pays nothing for the staff
    sections of the start page."""
    read = staff_roles_read(user=user)
    return staff_roles_from(read.fetch() if read is not None else [], user=user)


def staff_roles_read(*, user) -> BoundRead | None:
    """The query of ``staff_roles``, for a page that runs it along with its own reads
    (``mampf.db.fetch_together``); ``None`` for a user who has no roles to look up."""
    if not (user.is_authenticated and user.is_active):
        return None
    return _STAFF_ROLES.bind(user_id=user.pk)


def staff_roles_from(rows: list, *, user) -> StaffRoles:
    """``staff_roles`` from the rows of ``staff_roles_read``."""
    if not (user.is_authenticated and user.is_active):
        return StaffRoles(False, False, False)
    row = rows[0] if rows else (False, False)
    is_staff = permissions.is_site_staff(user)
    return StaffRoles(manages_lectures=is_staff or bool(row[0]), tutors_groups=bool(row[1]),
                      is_site_staff=is_staff)


@dataclass(frozen=True)
class Membership:
    """One roster the student is on, with the columns the start page shows (read only)."""

    registerable_id: int
    title: str
    lecture_title: str = ""
    schedule: str = ""
    room: str = ""
    date: object = None
    location: str = ""
    term: str = ""
    tutors: str = ""
    order: int = 0  # a talk's position

    def __str__(self):
        return self.title


# The columns of every group kind a student can be on the roster of, in one query: no
# polymorphic down-cast (one query per kind) and no model rows for the joined tables.
_MEMBERSHIP_COLUMNS = (
    "pk", "polymorphic_ctype_id", "title",
    "tutorial__weekday", "tutorial__starts_at", "tutorial__ends_at", "tutorial__room",
    "talk__position", "talk__date", "exam__date", "exam__location",
    "as_lecture__term__season", "as_lecture__term__year",
)


_MEMBERSHIPS = PreparedQuery(
    lambda *, user_id: Registerable.objects.non_polymorphic()
    .filter(roster_entries__user_id=user_id)
    .annotate(lecture_title=Coalesce("tutorial__lecture__title", "talk__lecture__title",
                                     "exam__lecture__title"))
    .order_by()
    .values_list(*_MEMBERSHIP_COLUMNS, "lecture_title")
)


def memberships_of_student(*, user, along: Iterable[BoundRead] = ()) -> dict[str, list]:
    """Where the user is on a roster, by kind (``lectures``, ``tutorials``, ``talks``,
    ``exams``; cohorts are not shown), and ``pending``: confirmed places not on a roster yet
    (``mampf.pending``). One query for every roster (in one round trip with the reads
    ``along``), one for the tutors' names (only when the user is in a tutorial) and one per
    pending-place source."""
    rows, *_ = fetch_together(_MEMBERSHIPS.bind(user_id=user.pk), *along)
    kinds = {ContentType.objects.get_for_model(model, for_concrete_model=True).pk: name
             for model, name in ((Lecture, "lectures"), (Tutorial, "tutorials"),
                                 (Talk, "talks"), (Exam, "exams"))}
    found: dict[str, list] = {"lectures": [], "tutorials": [], "talks": [], "exams": []}
    for (pk, ctype_id, title, weekday, starts_at, ends_at, room, position, talk_date,
         exam_date, location, season, year, lecture_title) in rows:
        kind = kinds.get(ctype_id)
        if kind == "tutorials":
            schedule = tutorial_schedule(weekday=weekday, starts_at=starts_at, ends_at=ends_at)
            found[kind].append(Membership(pk, title, lecture_title or "", schedule=schedule,
                                          room=room or ""))
        elif kind == "talks":
            found[kind].append(Membership(pk, f"{position}. {title}", lecture_title or "",
                                          date=talk_date, order=position or 0))
        elif kind == "exams":
            found[kind].append(Membership(pk, title, lecture_title or "", date=exam_date,
                                          location=location or ""))
        elif kind == "lectures":
            term = str(Term(season=season, year=year)) if season else ""
            found[kind].append(Membership(pk, title, term=term))
    if found["tutorials"]:
        found["tutorials"] = _with_tutors(found["tutorials"])
    found["lectures"].sort(key=lambda m: m.title)
    found["tutorials"].sort(key=lambda m: (m.lecture_title, m.title))
    found["talks"].sort(key=lambda m: (m.lecture_title, m.order))
    found["exams"].sort(key=lambda m: (m.date is None, m.date or 0, m.title))
    listed = {row[0] for row in rows}
    pending = [place for place in pending_places_of(user)
               if place.registerable_id not in listed]
    return {"pending": pending, **found}


_TUTORS_OF = PreparedQuery(
    lambda **ids: Tutorial.tutors.through.objects.filter(tutorial_id__in=list(ids.values()))
    .order_by("user__name", "user__email")
    .values_list("tutorial_id", "user__name", "user__email")
)


def _with_tutors(tutorials: list[Membership]) -> list[Membership]:
    """The tutors' names of these tutorials, in the users' order (one query)."""
    names: dict[int, list[str]] = {}
    ids = {f"id{index}": m.registerable_id for index, m in enumerate(tutorials)}
    for tutorial_id, name, email in _TUTORS_OF.fetchall(key=len(ids), **ids):
        names.setdefault(tutorial_id, []).append(name or email)
    return [replace(m, tutors=", ".join(names.get(m.registerable_id, []))) for m in tutorials]


def confirmed_places_not_listed(*, user) -> list[PendingPlace]:
    """The user's confirmed places (``mampf.pending``) minus the rosters they are already on."""
    places = pending_places_of(user)
    if not places:
        return []
    listed = set(
        Registerable.objects.non_polymorphic()
        .filter(pk__in=[p.registerable_id for p in places], roster_entries__user=user)
        .values_list("pk", flat=True)
    )
    return [place for place in places if place.registerable_id not in listed]


MAX_DB_ID = 2**63 - 1


def is_valid_id(value) -> bool:
    """Whether an id from a URL or a form can exist in the database at all (a larger one would
    overflow the integer column, on SQLite with an error instead of no row)."""
    return isinstance(value, int) and 0 < value <= MAX_DB_ID


def lecture_or_404(lecture_id) -> Lecture:
    """The lecture of a URL, with its term (one query); ``Http404`` for an impossible or unknown
    id. Views check permissions on the result themselves."""
    from django.http import Http404

    if not is_valid_id(lecture_id):
        raise Http404
    lecture = Lecture.objects.filter(pk=lecture_id).select_related("term").first()
    if lecture is None:
        raise Http404
    return lecture


def lecture_overview(*, lecture_id: int) -> Lecture:
    """A lecture with every group kind and roster counts, in a fixed number of queries."""
    if not is_valid_id(lecture_id):
        raise Lecture.DoesNotExist
    counted = {"roster_size": Count("roster_entries")}
    return (
        Lecture.objects.select_related("term", "teacher")
        .annotate(roster_size=Count("roster_entries"))
        .prefetch_related(
            "editors",
            Prefetch(
                "tutorials",
                queryset=Tutorial.objects.annotate(**counted).prefetch_related("tutors"),
            ),
            Prefetch("talks", queryset=Talk.objects.annotate(**counted)),
            Prefetch("cohorts", queryset=Cohort.objects.annotate(**counted)),
            Prefetch("exams", queryset=Exam.objects.annotate(**counted)),
        )
        .get(pk=lecture_id)
    )
