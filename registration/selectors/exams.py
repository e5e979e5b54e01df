"""Reads about exams and their registration campaigns (staff pages, the exam phase source).

Every function runs a fixed number of queries whatever the number of exams and campaigns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from mampf import exam_states
from mampf.models import Exam, Lecture
from mampf.selectors import is_valid_id
from registration import exam_rules
from registration.models import Item


def exam_state_facts(exam_ids: list[int]) -> dict[int, exam_states.ExamFacts]:
    """The ``mampf.exam_states`` source of this app: the statuses of the campaigns offering
    each exam (planning-only campaigns never write a roster and do not count). One query."""
    statuses: dict[int, list[str]] = defaultdict(list)
    rows = (
        Item.objects.filter(registerable_id__in=exam_ids, campaign__planning_only=False)
        .values_list("registerable_id", "campaign__status")
        .order_by()
    )
    for exam_id, status in rows:
        statuses[exam_id].append(status)
    return {
        exam_id: exam_states.ExamFacts(campaign_statuses=tuple(values))
        for exam_id, values in statuses.items()
    }


SOURCE = exam_states.ExamStateSource(name="registration", facts=exam_state_facts)


@dataclass
class ExamRow:
    """One exam of a lecture for the staff pages: its campaigns, phase and what may be done."""

    exam: Exam
    phase: exam_states.ExamPhase
    campaigns: list = field(default_factory=list)  # (id, title, status), newest first
    running: list = field(default_factory=list)  # the not finalized ones among them

    @property
    def can_create_campaign(self) -> bool:
        return not self.running


def lecture_exams(*, lecture: Lecture, now=None) -> list[ExamRow]:
    """The lecture's exams by date with their campaigns and phase: the exams, their
    campaigns, and one query per exam state source (four with registration and assessment)."""
    exams = list(
        Exam.objects.filter(lecture=lecture)
        .annotate(roster_size=Count("roster_entries"))
        .order_by("date", "title", "pk")
    )
    if not exams:
        return []
    campaigns: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    rows = (
        Item.objects.filter(registerable_id__in=[e.pk for e in exams])
        .values_list("registerable_id", "campaign_id", "campaign__title", "campaign__status")
        .order_by("-campaign__created_at", "-campaign_id")
    )
    for exam_id, campaign_id, title, status in rows:
        campaigns[exam_id].append((campaign_id, title, status))
    phases = exam_states.exam_phases(exams, now=now)
    return [
        ExamRow(
            exam=exam,
            phase=phases[exam.pk],
            campaigns=campaigns[exam.pk],
            running=[c for c in campaigns[exam.pk] if c[2] in exam_rules.NOT_FINALIZED],
        )
        for exam in exams
    ]


def exam_of_lecture(*, lecture: Lecture, exam_id) -> Exam:
    """An exam of exactly this lecture (``Exam.DoesNotExist`` otherwise, also for junk ids)."""
    try:
        exam_id = int(exam_id)
    except (TypeError, ValueError):
        raise Exam.DoesNotExist from None
    if not is_valid_id(exam_id):
        raise Exam.DoesNotExist
    return Exam.objects.select_related("lecture").get(pk=exam_id, lecture=lecture)

