"""Reads of the assessment app: fixed query counts, stated per function.

Also the roster removal guard (``has_grading_data``) that ``assessment.apps`` plugs into
``rosters.services`` at ``ready()``, and the exam grading facts (``exam_grading_facts``) it
plugs into ``mampf.exam_states``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from assessment.models import (
    Assessment,
    Participation,
    Submission,
    SubmissionMember,
    Task,
    TaskPoint,
)
from mampf import exam_states
from mampf.models import Tutorial
from rosters.models import RosterEntry


def tutorial_ids_of(*, lecture_id: int, user_ids: list[int]) -> dict[int, int]:
    """Each user's tutorial in the lecture (user id -> tutorial id); one query."""
    tutorials = Tutorial.objects.filter(lecture_id=lecture_id).values("pk")
    return dict(
        RosterEntry.objects.filter(user_id__in=user_ids, registerable_id__in=tutorials)
        .order_by("user_id", "registerable_id")
        .values_list("user_id", "registerable_id")
    )


def exam_grading_facts(exam_ids: list[int]) -> dict[int, exam_states.ExamFacts]:
    """Per exam: whether any participation of its exam assessments is reviewed (grading has
    begun) and whether every one of them has its results published (graded). One query."""
    rows = (
        Assessment.objects.filter(kind=Assessment.Kind.EXAM, exam_id__in=exam_ids)
        .annotate(
            any_reviewed=Exists(
                Participation.objects.filter(
                    assessment=OuterRef("pk"), status=Participation.Status.REVIEWED
                )
            )
        )
        .values_list("exam_id", "results_published_at", "any_reviewed")
        .order_by()
    )
    reviewed: dict[int, bool] = {}
    published: dict[int, bool] = {}
    for exam_id, published_at, any_reviewed in rows:
        reviewed[exam_id] = reviewed.get(exam_id, False) or bool(any_reviewed)
        published[exam_id] = published.get(exam_id, True) and published_at is not None
    return {
        exam_id: exam_states.ExamFacts(any_reviewed=reviewed[exam_id], published=published[exam_id])
        for exam_id in reviewed
    }


EXAM_STATE_SOURCE = exam_states.ExamStateSource(name="assessment", facts=exam_grading_facts)


def has_grading_data(*, registerable, user) -> str | None:
    """Why ``user`` may not leave this talk's or exam's roster, or None if they may.

    A speaker or candidate whose participation in one of the talk's or exam's assessments has
    points, a grade or a status other than pending keeps their place: removing or moving them
    would orphan grading data. Tutorials and lectures are never guarded here (a participation
    keeps the tutorial it was created with). Two queries at most.
    """
    user_id = getattr(user, "pk", user)
    rows = Participation.objects.filter(
        Q(assessment__talk_id=registerable.pk) | Q(assessment__exam_id=registerable.pk),
        user_id=user_id,
    )
    graded = (
        rows.filter(
            ~Q(status=Participation.Status.PENDING)
            | Q(grade_value__isnull=False)
            | Q(pk__in=TaskPoint.objects.values("participation_id"))
        )
        .select_related("assessment")
        .first()
    )
    if graded is None:
        return None
    return _(
        "%(user)s already has grading data in “%(assessment)s” (status: %(status)s); "
        "they cannot be removed from or moved off this roster."
    ) % {
        "user": str(user) if not isinstance(user, int) else user,
        "assessment": graded.assessment.title,
        "status": graded.get_status_display(),
    }


def results_visible(*, participation: Participation) -> bool:
    """Published as a whole, or (assignments) for the participation's tutorial; one query."""
    assessment = participation.assessment
    if assessment.results_published_at is not None:
        return True
    if assessment.kind != Assessment.Kind.ASSIGNMENT or participation.tutorial_id is None:
        return False
    return assessment.tutorial_publications.filter(tutorial_id=participation.tutorial_id).exists()


def participation_history(*, participation: Participation) -> list:
    """The participation's audit rows, newest first, with the actor and task; one query."""
    return list(participation.changes.select_related("by", "task").order_by("-at", "-id"))


# -- the tutor's grading table ------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    task: Task
    value: Decimal | None


@dataclass(frozen=True)
class SheetRow:
    """One row of the grading table: a team's submission (all members) or one student."""

    key: str  # "s<submission id>" or "p<participation id>"
    submission: Submission | None
    participations: list[Participation]
    cells: list[Cell]
    differs: bool  # team members hold different points (graded one by one)

    @property
    def is_team(self) -> bool:
        return self.submission is not None

    @property
    def main(self) -> Participation:
        return self.participations[0]

    @property
    def points_total(self) -> Decimal:
        return self.main.points_total

    @property
    def versions(self) -> list[tuple[int, int]]:
        return [(p.pk, p.version) for p in self.participations]

    @property
    def graded(self) -> bool:
        return all(p.status != Participation.Status.PENDING for p in self.participations)


@dataclass(frozen=True)
class GradingSheet:
    assessment: Assessment
    tutorial: Tutorial
    tasks: list[Task]
    max_total: Decimal
    rows: list[SheetRow]
    without_row: int  # tutorial members without a participation yet
    published: bool

    @property
    def graded_count(self) -> int:
        return sum(len(row.participations) for row in self.rows if row.graded)

    @property
    def student_count(self) -> int:
        return sum(len(row.participations) for row in self.rows)


def assessment_for_grading(*, assessment_id: int) -> Assessment:
    """The assessment with its lecture (for permission checks); one query."""
    return Assessment.objects.select_related("lecture").get(pk=assessment_id)


def tutorial_of_lecture(*, tutorial_id: int, lecture_id: int) -> Tutorial:
    """A tutorial of this lecture with its lecture; one query (DoesNotExist otherwise)."""
    return Tutorial.objects.select_related("lecture").get(pk=tutorial_id, lecture_id=lecture_id)


def grading_sheet(
    *, assessment: Assessment, tutorial: Tutorial, only: set[str] | None = None
) -> GradingSheet:
    """The grading table of one tutorial for one assessment, in six queries at any size.

    Rows: one per submission that has a member with a participation in this tutorial (all its
    members' participations together), then one per remaining participation, by name.
    ``only`` restricts the rows to these keys (one row re-rendered after a save).
    """
    tasks = list(assessment.tasks.order_by("position"))
    participations = list(
        Participation.objects.filter(assessment=assessment, tutorial=tutorial)
        .select_related("user")
        .order_by("user__name", "user__pk")
    )
    by_user = {p.user_id: p for p in participations}
    memberships = list(
        SubmissionMember.objects.filter(
            submission__in=SubmissionMember.objects.filter(
                assessment=assessment, user_id__in=list(by_user)
            ).values("submission_id")
        )
        .select_related("submission", "user")
        .order_by("submission_id", "user__name")
    )
    # Teammates from another tutorial (rare) still get their rows shown in the team.
    extra_ids = [m.user_id for m in memberships if m.user_id not in by_user]
    if extra_ids:
        for p in Participation.objects.filter(
            assessment=assessment, user_id__in=extra_ids
        ).select_related("user"):
            by_user[p.user_id] = p
    points: dict[int, dict[int, Decimal]] = {}
    for participation_id, task_id, value in TaskPoint.objects.filter(
        participation_id__in=[p.pk for p in by_user.values()]
    ).values_list("participation_id", "task_id", "points"):
        points.setdefault(participation_id, {})[task_id] = value

    def cells_of(rows: list[Participation]) -> tuple[list[Cell], bool]:
        values = [points.get(p.pk, {}) for p in rows]
        first = values[0] if values else {}
        return [Cell(task, first.get(task.pk)) for task in tasks], any(
            v != first for v in values[1:]
        )

    rows: list[SheetRow] = []
    placed: set[int] = set()
    teams: dict[int, list] = {}
    for membership in memberships:
        teams.setdefault(membership.submission_id, []).append(membership)
    for submission_id, members in teams.items():
        team_rows = [by_user[m.user_id] for m in members if m.user_id in by_user]
        if not team_rows:
            continue
        placed.update(p.pk for p in team_rows)
        cells, differs = cells_of(team_rows)
        rows.append(SheetRow(f"s{submission_id}", members[0].submission, team_rows, cells, differs))
    for participation in participations:
        if participation.pk in placed:
            continue
        cells, _differs = cells_of([participation])
        rows.append(SheetRow(f"p{participation.pk}", None, [participation], cells, False))
    if only is not None:
        rows = [row for row in rows if row.key in only]
    without_row = (
        RosterEntry.objects.filter(registerable_id=tutorial.pk)
        .exclude(user_id__in=Participation.objects.filter(assessment=assessment).values("user_id"))
        .count()
    )
    published = assessment.results_published_at is not None or (
        assessment.tutorial_publications.filter(tutorial=tutorial).exists()
    )
    return GradingSheet(
        assessment=assessment,
        tutorial=tutorial,
        tasks=tasks,
        max_total=sum((t.max_points for t in tasks), Decimal("0")),
        rows=rows,
        without_row=without_row,
        published=published,
    )
