"""Reads behind exam grading (``assessment.exams``); each states its query count.

Candidate lists are paged (``PAGE_SIZE`` rows, searchable by name or matriculation number and
filterable by status), so a page of an exam with 2,000 candidates costs what one with 30 does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from assessment.models import Assessment, ExamCorrector, Participation, Task, TaskPoint
from mampf import exam_phase
from mampf.models import Exam
from registration.selectors.exams import exam_state_facts
from rosters.models import RosterEntry

Status = Participation.Status
PAGE_SIZE = 100
MAX_QUERY = 100
STATUS_FILTERS = ("pending", "reviewed", "absent", "exempt")


def registration_completed(*, exam_id: int) -> bool:
    """At least one campaign offering the exam is completed and none is still running (open,
    closed or processing); drafts and planning-only campaigns do not count. One query."""
    facts = exam_state_facts([exam_id]).get(exam_id)
    statuses = set(facts.campaign_statuses) if facts else set()
    return exam_phase.COMPLETED_STATUS in statuses and not statuses & exam_phase.RUNNING_STATUSES


def candidates_without_row(*, assessment: Assessment) -> list[int]:
    """User ids on the exam roster without a participation in this assessment; one query."""
    return list(
        RosterEntry.objects.filter(registerable_id=assessment.exam_id)
        .exclude(user_id__in=Participation.objects.filter(assessment=assessment).values("user_id"))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def exam_assessment(*, assessment_id: int) -> Assessment:
    """An exam assessment with its lecture and exam (``Assessment.DoesNotExist`` otherwise, also
    for another kind); one query."""
    return Assessment.objects.select_related("lecture", "exam").get(
        pk=assessment_id, kind=Assessment.Kind.EXAM, exam__isnull=False
    )


# -- the lecture's exams ----------------------------------------------------------------------


@dataclass
class ExamGradingRow:
    exam: Exam
    candidates: int
    completed: bool
    assessment: Assessment | None

    @property
    def can_create(self) -> bool:
        return self.completed and self.assessment is None


def lecture_exam_gradings(*, lecture) -> list[ExamGradingRow]:
    """Every exam of the lecture with its roster size, whether its registration is completed
    and its exam grading (if any); three queries."""
    exams = list(
        Exam.objects.filter(lecture=lecture)
        .annotate(candidates=Count("roster_entries"))
        .order_by("date", "title", "pk")
    )
    if not exams:
        return []
    facts = exam_state_facts([e.pk for e in exams])
    gradings: dict[int, Assessment] = {}
    for a in Assessment.objects.filter(
        kind=Assessment.Kind.EXAM, exam_id__in=[e.pk for e in exams]
    ).order_by("-pk"):
        gradings[a.exam_id] = a
    rows = []
    for exam in exams:
        statuses = set(facts[exam.pk].campaign_statuses) if exam.pk in facts else set()
        rows.append(
            ExamGradingRow(
                exam=exam,
                candidates=exam.candidates,
                completed=exam_phase.COMPLETED_STATUS in statuses
                and not statuses & exam_phase.RUNNING_STATUSES,
                assessment=gradings.get(exam.pk),
            )
        )
    return rows


# -- the exam grading overview ----------------------------------------------------------------


@dataclass
class ExamOverview:
    tasks: list[Task]
    max_total: Decimal
    correctors: list[ExamCorrector]
    counts: dict[str, int]
    candidates: int
    without_row: int
    off_roster: int

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def exam_overview(*, assessment: Assessment) -> ExamOverview:
    """Problems, correctors, rows per status, candidates on the roster, candidates without a row
    and rows whose student left the roster; five queries."""
    tasks = list(assessment.tasks.order_by("position"))
    correctors = list(
        ExamCorrector.objects.filter(assessment=assessment)
        .select_related("user")
        .order_by("user__name", "user_id")
    )
    counts = {s: 0 for s in Status.values}
    for status, count in (
        Participation.objects.filter(assessment=assessment)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[status] = count
    roster = RosterEntry.objects.filter(registerable_id=assessment.exam_id)
    on_roster = Participation.objects.filter(
        assessment=assessment, user_id__in=roster.values("user_id")
    ).count()
    candidates = roster.count()
    return ExamOverview(
        tasks=tasks,
        max_total=sum((t.max_points for t in tasks), Decimal("0")),
        correctors=correctors,
        counts=counts,
        candidates=candidates,
        without_row=candidates - on_roster,
        off_roster=sum(counts.values()) - on_roster,
    )


# -- the point entry pages --------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    task: Task
    value: Decimal | None


@dataclass
class CandidateRow:
    participation: Participation
    on_roster: bool
    cells: list[Cell]

    @property
    def key(self) -> str:
        return f"p{self.participation.pk}"

    @property
    def editable(self) -> bool:
        return self.on_roster and self.participation.status in (Status.PENDING, Status.REVIEWED)


@dataclass
class EntryPage:
    assessment: Assessment
    tasks: list[Task]
    max_total: Decimal
    rows: list[CandidateRow]
    total: int  # rows matching the filter
    page: int
    pages: int
    query: str = ""
    status: str = ""
    task: Task | None = None  # the per-problem mode's problem
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def clean_filters(*, query: str = "", status: str = "", page=1) -> tuple[str, str, int]:
    """Search text (trimmed, at most ``MAX_QUERY`` characters), a known status or "", and a
    page number of at least 1 (junk becomes 1)."""
    query = (query or "").strip()[:MAX_QUERY]
    status = status if status in STATUS_FILTERS else ""
    try:
        page = max(1, min(int(page), 10**6))
    except (TypeError, ValueError):
        page = 1
    return query, status, page


def _candidates(assessment: Assessment, *, query: str, status: str):
    rows = Participation.objects.filter(assessment=assessment)
    if query:
        rows = rows.filter(
            Q(user__name__icontains=query) | Q(user__matriculation_number__startswith=query)
        )
    if status:
        rows = rows.filter(status=status)
    return rows


def entry_page(
    *,
    assessment: Assessment,
    query: str = "",
    status: str = "",
    page=1,
    task: Task | None = None,
    only: int | None = None,
) -> EntryPage:
    """One page of candidates (by name) with their points: all problems, or only ``task``'s
    (the per-problem mode). ``only`` is one participation id (a row re-rendered after a save).
    Four queries at any number of candidates: tasks, count, the page's rows (with the user and
    whether they are on the roster), their task points."""
    query, status, page = clean_filters(query=query, status=status, page=page)
    tasks = list(assessment.tasks.order_by("position"))
    shown = [task] if task is not None else tasks
    rows_qs = _candidates(assessment, query=query, status=status)
    if only is not None:
        rows_qs = Participation.objects.filter(assessment=assessment, pk=only)
        total = 1
    else:
        total = rows_qs.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    start = (page - 1) * PAGE_SIZE
    participations = list(
        rows_qs.select_related("user")
        .annotate(
            on_roster=Exists(
                RosterEntry.objects.filter(
                    registerable_id=assessment.exam_id, user_id=OuterRef("user_id")
                )
            )
        )
        .order_by("user__name", "user_id")[start : start + PAGE_SIZE]
    )
    points: dict[int, dict[int, Decimal]] = {}
    if participations and shown:
        for participation_id, task_id, value in TaskPoint.objects.filter(
            participation_id__in=[p.pk for p in participations],
            task_id__in=[t.pk for t in shown],
        ).values_list("participation_id", "task_id", "points"):
            points.setdefault(participation_id, {})[task_id] = value
    rows = [
        CandidateRow(
            participation=p,
            on_roster=p.on_roster,
            cells=[Cell(t, points.get(p.pk, {}).get(t.pk)) for t in shown],
        )
        for p in participations
    ]
    return EntryPage(
        assessment=assessment,
        tasks=tasks,
        max_total=sum((t.max_points for t in tasks), Decimal("0")),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        query=query,
        status=status,
        task=task,
    )


def problem_task(*, assessment: Assessment, task_id) -> Task:
    """A task of this assessment (``Task.DoesNotExist`` otherwise); one query."""
    return Task.objects.get(pk=task_id, assessment=assessment)


def problem_progress(*, assessment: Assessment, task: Task) -> dict:
    """How many candidates have points for this problem, and their mean; one query."""
    result = TaskPoint.objects.filter(task=task).aggregate(n=Count("pk"), total=Sum("points"))
    n = result["n"] or 0
    return {
        "scored": n,
        "mean": (result["total"] / n).quantize(Decimal("0.01")) if n else None,
    }


# -- a corrector's exams ----------------------------------------------------------------------


def exams_to_correct(*, user) -> list[Assessment]:
    """The exam gradings this user corrects, newest first, with lecture and exam; one query."""
    if not (user.is_authenticated and user.is_active):
        return []
    return list(
        Assessment.objects.filter(kind=Assessment.Kind.EXAM, correctors__user=user)
        .select_related("lecture", "exam")
        .order_by("-created_at", "-pk")
    )


def off_roster_user_ids(*, assessment: Assessment, user_ids) -> set[int]:
    """Of these users, those not on the exam roster of this exam assessment (an empty set for
    other kinds); one query (none for other kinds)."""
    if assessment.kind != Assessment.Kind.EXAM or assessment.exam_id is None:
        return set()
    ids = set(user_ids)
    if not ids:
        return set()
    return ids - set(
        RosterEntry.objects.filter(
            registerable_id=assessment.exam_id, user_id__in=list(ids)
        ).values_list("user_id", flat=True)
    )
