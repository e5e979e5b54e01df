"""Reads of the group catalogue pages; each function runs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch

from mampf import exam_states
from mampf.catalogue_services import GROUP_KINDS
from mampf.models import Cohort, Exam, Lecture, Registerable, Talk, Tutorial
from mampf.selectors import is_valid_id


@dataclass(frozen=True)
class LectureGroups:
    """Every group of one lecture, each with ``roster_size``; tutorials with their tutors."""

    tutorials: list[Tutorial]
    talks: list[Talk]
    cohorts: list[Cohort]
    exams: list[Exam]


def lecture_for_groups(*, lecture_id: int) -> Lecture:
    """The lecture with term and teacher (``Lecture.DoesNotExist`` for unknown ids)."""
    if not is_valid_id(lecture_id):
        raise Lecture.DoesNotExist
    return Lecture.objects.select_related("term", "teacher").get(pk=lecture_id)


def lecture_groups(*, lecture: Lecture) -> LectureGroups:
    """Five queries whatever the numbers: one per kind, plus the tutors of all tutorials; and,
    when the lecture has exams, one per exam state source for their phase (``exam.phase``)."""
    counted = {"roster_size": Count("roster_entries")}
    groups = LectureGroups(
        tutorials=list(
            Tutorial.objects.filter(lecture=lecture)
            .annotate(**counted)
            .prefetch_related(
                Prefetch("tutors", queryset=get_user_model().objects.order_by("name", "email"))
            )
            .order_by("weekday", "starts_at", "title", "pk")
        ),
        talks=list(Talk.objects.filter(lecture=lecture).annotate(**counted).order_by("position")),
        cohorts=list(
            Cohort.objects.filter(lecture=lecture).annotate(**counted).order_by("title", "pk")
        ),
        exams=list(
            Exam.objects.filter(lecture=lecture).annotate(**counted).order_by("date", "title")
        ),
    )
    phases = exam_states.exam_phases(groups.exams)
    for exam in groups.exams:
        exam.phase = phases[exam.pk]
    return groups


def group_for_editing(*, group_id: int) -> Registerable:
    """A tutorial, talk, cohort or exam with its lecture and roster size.

    Raises ``Registerable.DoesNotExist`` for unknown ids and for lectures (not a group here).
    """
    if not is_valid_id(group_id):
        raise Registerable.DoesNotExist
    model = (
        Registerable.objects.non_polymorphic()
        .filter(pk=group_id)
        .values_list("polymorphic_ctype__model", flat=True)
        .first()
    )
    kinds = {m._meta.model_name: m for m in GROUP_KINDS.values()}
    if model not in kinds:
        raise Registerable.DoesNotExist
    return (
        kinds[model]
        .objects.select_related("lecture", "lecture__term", "lecture__teacher")
        .annotate(roster_size=Count("roster_entries"))
        .get(pk=group_id)
    )


def tutors_of(*, tutorial: Tutorial) -> list:
    return list(tutorial.tutors.order_by("name", "email"))
