"""Reads behind the coursework pages (staff, tutor, student, audit); fixed query counts.

Counts are grouped in the database (never a query per student or per row), so a lecture of
300 students costs what one of 3 does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, Sum
from django.utils import timezone

from assessment.models import (
    Assessment,
    DeadlineExtension,
    Participation,
    SubmissionMember,
    Task,
    TaskPoint,
    TutorialPublication,
)
from mampf.models import Tutorial

Status = Participation.Status


@dataclass
class TutorialStatus:
    tutorial: Tutorial
    students: int = 0
    submitted: int = 0
    graded: int = 0
    published: bool = False


@dataclass
class AssessmentRow:
    assessment: Assessment
    tutorials: list[TutorialStatus]
    task_count: int = 0
    max_total: Decimal = Decimal("0")

    @property
    def students(self) -> int:
        return sum(t.students for t in self.tutorials)

    @property
    def graded(self) -> int:
        return sum(t.graded for t in self.tutorials)


def _status_counts(assessment_ids, tutorial_ids=None) -> dict[tuple[int, int], dict]:
    """(assessment id, tutorial id) -> students, submitted, graded; one query."""
    submitted = SubmissionMember.objects.filter(
        assessment_id=OuterRef("assessment_id"), user_id=OuterRef("user_id")
    )
    rows = Participation.objects.filter(assessment_id__in=assessment_ids)
    if tutorial_ids is not None:
        rows = rows.filter(tutorial_id__in=tutorial_ids)
    rows = (
        rows.annotate(handed_in=Exists(submitted))
        .values("assessment_id", "tutorial_id")
        .annotate(
            students=Count("pk"),
            submitted=Count("pk", filter=Q(handed_in=True) | Q(submitted_at__isnull=False)),
            graded=Count("pk", filter=~Q(status=Status.PENDING)),
        )
        .order_by()
    )
    return {(r["assessment_id"], r["tutorial_id"]): r for r in rows}


def _published(assessment_ids) -> set[tuple[int, int]]:
    return set(
        TutorialPublication.objects.filter(assessment_id__in=assessment_ids).values_list(
            "assessment_id", "tutorial_id"
        )
    )


def lecture_assessments(*, lecture) -> list[AssessmentRow]:
    """Every assessment of the lecture with its status per tutorial; five queries."""
    assessments = list(
        Assessment.objects.filter(lecture=lecture)
        .annotate(task_count=Count("tasks"))
        .order_by(F("deadline").asc(nulls_last=True), "pk")
    )
    tutorials = list(Tutorial.objects.filter(lecture=lecture).order_by("title", "pk"))
    ids = [a.pk for a in assessments]
    counts = _status_counts(ids)
    published = _published(ids)
    maxima = dict(
        Task.objects.filter(assessment_id__in=ids)
        .values("assessment_id")
        .annotate(total=Sum("max_points"))
        .values_list("assessment_id", "total")
        .order_by()
    )
    result = []
    for a in assessments:
        whole = a.results_published_at is not None
        statuses = []
        for t in tutorials:
            c = counts.get((a.pk, t.pk), {})
            statuses.append(
                TutorialStatus(
                    tutorial=t,
                    students=c.get("students", 0),
                    submitted=c.get("submitted", 0),
                    graded=c.get("graded", 0),
                    published=whole or (a.pk, t.pk) in published,
                )
            )
        result.append(
            AssessmentRow(
                assessment=a,
                tutorials=statuses,
                task_count=a.task_count,
                max_total=maxima.get(a.pk) or Decimal("0"),
            )
        )
    return result


@dataclass
class TaskStats:
    task: Task
    graded: int
    mean: Decimal | None
    best: Decimal | None
    full: int

    @property
    def full_share(self) -> int | None:
        """Per cent of the graded ones with full points (rounded), None if none graded."""
        if not self.graded:
            return None
        return round(100 * self.full / self.graded)


def assessment_overview(*, assessment: Assessment) -> dict:
    """Per-task statistics and per-tutorial status of one assessment; six queries."""
    tasks = list(assessment.tasks.order_by("position"))
    stats = {
        row["task_id"]: row
        for row in TaskPoint.objects.filter(task__assessment=assessment)
        .values("task_id")
        .annotate(
            graded=Count("pk"),
            mean=Avg("points"),
            best=Max("points"),
            full=Count("pk", filter=Q(points__gte=F("task__max_points"))),
        )
        .order_by()
    }
    task_stats = []
    for task in tasks:
        s = stats.get(task.pk, {})
        mean = s.get("mean")
        task_stats.append(
            TaskStats(
                task=task,
                graded=s.get("graded", 0),
                mean=None if mean is None else Decimal(mean).quantize(Decimal("0.01")),
                best=s.get("best"),
                full=s.get("full", 0),
            )
        )
    tutorials = list(Tutorial.objects.filter(lecture_id=assessment.lecture_id).order_by("title"))
    counts = _status_counts([assessment.pk])
    published = _published([assessment.pk])
    whole = assessment.results_published_at is not None
    statuses = [
        TutorialStatus(
            tutorial=t,
            students=counts.get((assessment.pk, t.pk), {}).get("students", 0),
            submitted=counts.get((assessment.pk, t.pk), {}).get("submitted", 0),
            graded=counts.get((assessment.pk, t.pk), {}).get("graded", 0),
            published=whole or (assessment.pk, t.pk) in published,
        )
        for t in tutorials
    ]
    return {
        "tasks": tasks,
        "task_stats": task_stats,
        "tutorials": statuses,
        "max_total": sum((t.max_points for t in tasks), Decimal("0")),
    }


# -- tutor ------------------------------------------------------------------------------------


@dataclass
class TutorSheet:
    assessment: Assessment
    tutorial: Tutorial
    students: int
    graded: int
    published: bool


def tutor_sheets(*, user) -> list[TutorSheet]:
    """Every assignment and exam of the lectures of the user's tutorials, per own tutorial,
    with progress; four queries."""
    tutorials = list(
        Tutorial.objects.filter(tutors=user).select_related("lecture").order_by("title", "pk")
    )
    if not tutorials:
        return []
    assessments = list(
        Assessment.objects.filter(lecture_id__in={t.lecture_id for t in tutorials})
        .filter(kind=Assessment.Kind.ASSIGNMENT)  # exams: their correctors' page
        .select_related("lecture")
        .order_by(F("deadline").desc(nulls_last=True), "pk")
    )
    ids = [a.pk for a in assessments]
    counts = _status_counts(ids, tutorial_ids=[t.pk for t in tutorials])
    published = _published(ids)
    sheets = []
    for a in assessments:
        for t in tutorials:
            if t.lecture_id != a.lecture_id:
                continue
            c = counts.get((a.pk, t.pk), {})
            sheets.append(
                TutorSheet(
                    assessment=a,
                    tutorial=t,
                    students=c.get("students", 0),
                    graded=c.get("graded", 0),
                    published=a.results_published_at is not None or (a.pk, t.pk) in published,
                )
            )
    return sheets


# -- student ----------------------------------------------------------------------------------


@dataclass
class ResultTask:
    task: Task
    points: Decimal | None
    grader: str = ""


@dataclass
class Result:
    participation: Participation
    tasks: list[ResultTask]
    max_total: Decimal
    team: list[str] = field(default_factory=list)


def my_results(*, user, lecture_id: int) -> list[Result]:
    """The user's published results in one lecture (only published ones); five queries."""
    published_tutorials = TutorialPublication.objects.filter(
        assessment_id=OuterRef("assessment_id"), tutorial_id=OuterRef("tutorial_id")
    )
    participations = list(
        Participation.objects.filter(user=user, assessment__lecture_id=lecture_id)
        .annotate(tutorial_published=Exists(published_tutorials))
        .filter(
            Q(assessment__results_published_at__isnull=False)
            | Q(assessment__kind=Assessment.Kind.ASSIGNMENT, tutorial_published=True)
        )
        .select_related("assessment", "tutorial")
        .order_by(F("assessment__deadline").asc(nulls_last=True), "assessment_id")
    )
    if not participations:
        return []
    assessment_ids = [p.assessment_id for p in participations]
    tasks: dict[int, list[Task]] = {}
    for task in Task.objects.filter(assessment_id__in=assessment_ids).order_by("position"):
        tasks.setdefault(task.assessment_id, []).append(task)
    points = {
        (tp.participation_id, tp.task_id): tp
        for tp in TaskPoint.objects.filter(
            participation_id__in=[p.pk for p in participations]
        ).select_related("grader")
    }
    teams: dict[int, list[str]] = {}
    for m in (
        SubmissionMember.objects.filter(
            submission_id__in=SubmissionMember.objects.filter(
                user=user, assessment_id__in=assessment_ids
            ).values("submission_id")
        )
        .exclude(user=user)
        .select_related("user")
        .order_by("user__name")
    ):
        teams.setdefault(m.assessment_id, []).append(m.user.name)
    results = []
    for p in participations:
        own = tasks.get(p.assessment_id, [])
        cells = []
        for task in own:
            tp = points.get((p.pk, task.pk))
            cells.append(
                ResultTask(
                    task=task,
                    points=tp.points if tp else None,
                    grader=(tp.grader.name if tp and tp.grader else ""),
                )
            )
        results.append(
            Result(
                participation=p,
                tasks=cells,
                max_total=sum((t.max_points for t in own), Decimal("0")),
                team=teams.get(p.assessment_id, []),
            )
        )
    return results


def my_result_lectures(*, user):
    """The lectures in which the user has any assessment row (for links); one query."""
    from mampf.models import Lecture

    return (
        Lecture.objects.filter(assessments__participations__user=user).distinct().order_by("title")
    )


@dataclass(frozen=True)
class HandIn:
    """An assignment the student may still upload to, with their own deadline."""

    assessment: Assessment
    deadline: datetime.datetime  # the personal one: an extension if later
    closes: datetime.datetime  # deadline + grace period
    submitted: bool

    @property
    def late_now(self) -> bool:
        return timezone.now() > self.deadline


def assignments_to_hand_in(*, user, now=None) -> list[HandIn]:
    """Assignments taking uploads in the lectures the user belongs to (their roster or one of
    their tutorials'), still open for them (their extension counts), soonest first; three
    queries."""
    from mampf.models import Lecture

    now = now or timezone.now()
    lectures = Lecture.objects.filter(
        Q(roster_entries__user=user) | Q(tutorials__roster_entries__user=user)
    ).values("pk")
    assignments = list(
        Assessment.objects.filter(
            kind=Assessment.Kind.ASSIGNMENT,
            submission_required=True,
            deadline__isnull=False,
            lecture_id__in=lectures,
        )
        .select_related("lecture")
        .order_by("deadline", "pk")
        .distinct()
    )
    if not assignments:
        return []
    ids = [a.pk for a in assignments]
    extensions = dict(
        DeadlineExtension.objects.filter(user=user, assessment_id__in=ids).values_list(
            "assessment_id", "deadline"
        )
    )
    submitted = set(
        SubmissionMember.objects.filter(
            user=user, assessment_id__in=ids, submission__uploaded_at__isnull=False
        ).values_list("assessment_id", flat=True)
    )
    rows = []
    for assessment in assignments:
        deadline = max(assessment.deadline, extensions.get(assessment.pk, assessment.deadline))
        closes = deadline + datetime.timedelta(minutes=assessment.grace_minutes)
        if closes >= now:
            rows.append(HandIn(assessment, deadline, closes, assessment.pk in submitted))
    return sorted(rows, key=lambda row: (row.deadline, row.assessment.pk))


def participation_for_history(*, participation_id: int) -> Participation:
    """The participation with its assessment, lecture, user and tutorial; one query."""
    return Participation.objects.select_related("assessment__lecture", "user", "tutorial").get(
        pk=participation_id
    )
