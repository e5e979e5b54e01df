"""Reads for the catalogue pages."""

from django.db.models import Count, Prefetch

from mampf import permissions
from mampf.models import Cohort, Exam, Lecture, Talk, Tutorial


def lectures_for_dashboard(*, user):
    """Managed lectures with their term and roster size, newest term first."""
    return (
        permissions.managed_lectures(user)
        .select_related("term", "teacher")
        .annotate(roster_size=Count("roster_entries", distinct=True))
        .order_by("-term__year", "title")
    )


def tutorials_of_tutor(*, user):
    return (
        Tutorial.objects.filter(tutors=user)
        .select_related("lecture", "lecture__term")
        .annotate(roster_size=Count("roster_entries"))
        .order_by("lecture__title", "weekday", "starts_at")
    )


def lecture_overview(*, lecture_id: int) -> Lecture:
    """A lecture with every group kind and roster counts, in a fixed number of queries."""
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
