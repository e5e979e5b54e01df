"""What higher apps know about exams, for the exam phase shown to staff: a registry.

The phase of an exam (``mampf.exam_phase``) depends on facts ``mampf`` cannot read: the
statuses of the registration campaigns offering the exam (``registration``) and whether its
results are being graded or are published (``assessment``). Both apps sit above ``mampf``, so
each plugs an ``ExamStateSource`` in at ``AppConfig.ready()`` and pages ask this module.

A source answers for many exams at once in one query: ``facts(exam_ids)`` returns
``{exam_id: ExamFacts}`` for the exams it knows something about (others may be left out).
Facts of several sources are merged: campaign statuses are joined, the flags or-ed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import pgettext_lazy

from mampf import exam_phase


@dataclass(frozen=True)
class ExamFacts:
    """What one source knows about one exam."""

    campaign_statuses: tuple[str, ...] = ()
    any_reviewed: bool = False
    published: bool = False

    def merged(self, other: ExamFacts) -> ExamFacts:
        return ExamFacts(
            campaign_statuses=self.campaign_statuses + other.campaign_statuses,
            any_reviewed=self.any_reviewed or other.any_reviewed,
            published=self.published or other.published,
        )


@dataclass(frozen=True)
class ExamStateSource:
    name: str
    facts: Callable[[list[int]], dict[int, ExamFacts]]


_SOURCES: dict[str, ExamStateSource] = {}


def register_exam_state_source(source: ExamStateSource) -> None:
    """Add a source; the same name with another source is a programming error."""
    existing = _SOURCES.get(source.name)
    if existing is not None and existing != source:
        raise ValueError(f"An exam state source named {source.name!r} is already registered.")
    _SOURCES[source.name] = source


def unregister_exam_state_source(name: str) -> ExamStateSource | None:
    """For tests that plug in a source of their own; returns the removed source."""
    return _SOURCES.pop(name, None)


def registered_sources() -> dict[str, ExamStateSource]:
    return dict(_SOURCES)


PHASE_LABELS = {
    exam_phase.PREPARATION: pgettext_lazy("exam phase", "Registration not open yet"),
    exam_phase.REGISTRATION: pgettext_lazy("exam phase", "Registration"),
    exam_phase.FINALIZED: pgettext_lazy("exam phase", "Registration finalized"),
    exam_phase.CONDUCTED: pgettext_lazy("exam phase", "Conducted"),
    exam_phase.GRADING: pgettext_lazy("exam phase", "Grading"),
    exam_phase.GRADED: pgettext_lazy("exam phase", "Graded"),
}


@dataclass(frozen=True)
class ExamPhase:
    code: str

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self.code])

    def __str__(self) -> str:
        return self.label


def exam_facts(exam_ids: Iterable[int]) -> dict[int, ExamFacts]:
    """Merged facts per exam from every source (one query per source, none without exams)."""
    ids = sorted(set(exam_ids))
    found = {exam_id: ExamFacts() for exam_id in ids}
    if not ids:
        return found
    for source in _SOURCES.values():
        for exam_id, facts in source.facts(ids).items():
            if exam_id in found:
                found[exam_id] = found[exam_id].merged(facts)
    return found


def exam_phases(exams: Iterable, *, now=None) -> dict[int, ExamPhase]:
    """The phase of each exam (objects with ``pk`` and ``date``), one query per source."""
    exams = list(exams)
    now = now or timezone.now()
    facts = exam_facts(exam.pk for exam in exams)
    return {
        exam.pk: ExamPhase(
            exam_phase.exam_phase(
                campaign_statuses=facts[exam.pk].campaign_statuses,
                exam_date=exam.date,
                now=now,
                any_reviewed=facts[exam.pk].any_reviewed,
                published=facts[exam.pk].published,
            )
        )
        for exam in exams
    }
