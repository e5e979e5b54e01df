"""Reads for the catalogue pages; each function runs a fixed number of queries."""

from django.db.models import Count, Prefetch

from mampf import permissions
from mampf.models import Cohort, Exam, Lecture, Registerable, Talk, Tutorial
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


def memberships_of_student(*, user) -> dict[str, list]:
    """Where the user is on a roster, by kind: one query per kind, whatever the numbers; and
    ``pending``: confirmed places not on a roster yet (``mampf.pending``, two queries more)."""
    on_roster = {"roster_entries__user": user}
    return {
        "pending": confirmed_places_not_listed(user=user),
        "lectures": list(
            Lecture.objects.filter(**on_roster).select_related("term").order_by("title")
        ),
        "tutorials": list(
            Tutorial.objects.filter(**on_roster)
            .select_related("lecture")
            .prefetch_related("tutors")
            .order_by("lecture__title", "title")
        ),
        "talks": list(
            Talk.objects.filter(**on_roster).select_related("lecture").order_by(
                "lecture__title", "position"
            )
        ),
        "exams": list(
            Exam.objects.filter(**on_roster).select_related("lecture").order_by("date", "title")
        ),
    }


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
