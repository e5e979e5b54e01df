"""Writes behind the staff pages and the lifecycle: assessments and tasks edited, rows seeded.

Keyword-only, one short transaction each, an audit row (``GradeChange``) for every change.
Publication and grading stay in ``assessment.services``; this module only adds what the pages
need beside them:

- ``create_assessment`` / ``update_assessment``: an assignment (deadline, grace, submission
  required, team size) or an exam/talk assessment's title; a missing value never clears one;
- ``update_task``: a task's title and maximum points (``add_task``/``delete_task`` are in
  ``assessment.services``);
- ``seed_due_assignments``: after an assignment's deadline every tutorial member of its lecture
  without a row gets a pending one (the beat job ``assessment.tasks.seed_due_participations``);
  idempotent and safe twice at once (``bulk_create(ignore_conflicts=True)`` on the unique
  (assessment, user) constraint).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment import errors
from assessment.hooks import assignment_changed, results_changed
from assessment.models import Assessment, GradeChange, Task
from assessment.services import _lock_assessment, _seed, clean_points
from mampf.db import actor_or_none, translate_db_errors
from mampf.models import Tutorial
from rosters.models import RosterEntry

MAX_GRACE_MINUTES = 7 * 24 * 60
MAX_TEAM_SIZE = 20
SETTINGS_FIELDS = ("title", "deadline", "grace_minutes", "submission_required", "max_team_size")


def _clean_settings(kind: str, values: dict) -> dict:
    cleaned = {}
    if "title" in values and values["title"] is not None:
        title = str(values["title"]).strip()
        if not title:
            raise errors.AssessmentError(_("Please give a title."), code="title_missing")
        cleaned["title"] = title[:200]
    if kind != Assessment.Kind.ASSIGNMENT:
        return cleaned
    if values.get("deadline") is not None:
        if not isinstance(values["deadline"], datetime.datetime):
            raise errors.AssessmentError(_("Please give a valid deadline."), code="bad_deadline")
        cleaned["deadline"] = values["deadline"]
    if values.get("grace_minutes") is not None:
        grace = int(values["grace_minutes"])
        if not 0 <= grace <= MAX_GRACE_MINUTES:
            raise errors.AssessmentError(
                _("The grace period is 0 to %(max)d minutes.") % {"max": MAX_GRACE_MINUTES},
                code="bad_grace",
            )
        cleaned["grace_minutes"] = grace
    if values.get("submission_required") is not None:
        cleaned["submission_required"] = bool(values["submission_required"])
    if values.get("max_team_size") is not None:
        size = int(values["max_team_size"])
        if not 1 <= size <= MAX_TEAM_SIZE:
            raise errors.AssessmentError(
                _("A team has 1 to %(max)d members.") % {"max": MAX_TEAM_SIZE},
                code="bad_team_size",
            )
        cleaned["max_team_size"] = size
    return cleaned


@translate_db_errors(error=errors.Busy)
def create_assessment(
    *,
    lecture,
    title: str,
    deadline: datetime.datetime,
    by,
    grace_minutes: int = 0,
    submission_required: bool = True,
    max_team_size: int = 1,
) -> Assessment:
    """A new assignment (exercise sheet) of the lecture. Exams and talks come with their exam
    or talk (admin). Refuses a missing title or deadline, a grace period or team size out of
    range."""
    if deadline is None:
        raise errors.AssessmentError(_("An assignment needs a deadline."), code="bad_deadline")
    cleaned = _clean_settings(
        Assessment.Kind.ASSIGNMENT,
        {
            "title": title,
            "deadline": deadline,
            "grace_minutes": grace_minutes,
            "submission_required": submission_required,
            "max_team_size": max_team_size,
        },
    )
    if "title" not in cleaned:
        raise errors.AssessmentError(_("Please give a title."), code="title_missing")
    with transaction.atomic():
        assessment = Assessment.objects.create(
            lecture=lecture, kind=Assessment.Kind.ASSIGNMENT, **cleaned
        )
        GradeChange.objects.create(
            assessment=assessment,
            field=GradeChange.Field.SETTINGS,
            new=_settings_text(assessment),
            reason="assessment created",
            by=actor_or_none(by),
        )
        assignment_changed(assessment)
    return assessment


def _settings_text(assessment: Assessment) -> str:
    deadline = (
        timezone.localtime(assessment.deadline).strftime("%Y-%m-%d %H:%M")
        if assessment.deadline
        else "-"
    )
    return (
        f"{assessment.title} | {deadline} | +{assessment.grace_minutes} min | "
        f"sub={int(assessment.submission_required)} | team={assessment.max_team_size}"
    )[:100]


@translate_db_errors(error=errors.Busy)
def update_assessment(*, assessment: Assessment, by, **values) -> Assessment:
    """Change the settings given (``SETTINGS_FIELDS``); a value not given (or ``None``) is kept.

    Exams and talks keep their kind-specific fields empty: only the title changes there.
    """
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock_assessment(assessment.pk, shared=False)
        cleaned = _clean_settings(locked.kind, values)
        changed = {k: v for k, v in cleaned.items() if getattr(locked, k) != v}
        if not changed:
            return locked
        old = _settings_text(locked)
        for key, value in changed.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(changed))
        GradeChange.objects.create(
            assessment=locked,
            field=GradeChange.Field.SETTINGS,
            old=old,
            new=_settings_text(locked),
            reason="assessment changed",
            by=actor_or_none(by),
        )
        assignment_changed(locked)
    return locked


@translate_db_errors(error=errors.Busy)
def update_task(*, task: Task, by, title: str | None = None, max_points=None) -> Task:
    """A task's title and/or maximum (bonus points above it stay possible); ``None`` keeps."""
    maximum = clean_points(max_points) if max_points is not None else None
    if max_points is not None and maximum is None:
        raise errors.InvalidPoints(_("Please give the task's maximum points."))
    with transaction.atomic():
        assessment = _lock_assessment(task.assessment_id, shared=False)
        row = Task.objects.filter(pk=task.pk).first()
        if row is None:
            raise errors.AssessmentError(_("This task no longer exists."), code="task_gone")
        old = f"{row} / {row.max_points}"
        changed = []
        if title is not None and title.strip()[:200] != row.title:
            row.title = title.strip()[:200]
            changed.append("title")
        if maximum is not None and maximum != row.max_points:
            row.max_points = maximum
            changed.append("max_points")
        if not changed:
            return row
        row.save(update_fields=changed)
        GradeChange.objects.create(
            assessment_id=row.assessment_id,
            task=row,
            field=GradeChange.Field.TASK,
            old=old[:100],
            new=f"{row} / {row.max_points}"[:100],
            reason="task changed",
            by=actor_or_none(by),
        )
        if "max_points" in changed:
            assignment_changed(assessment)
            results_changed(assessment=assessment, by=by)
    return row


# -- seeding ----------------------------------------------------------------------------------


def due_assignments(*, now=None):
    """Assignments past their deadline whose results are not published as a whole."""
    return Assessment.objects.filter(
        kind=Assessment.Kind.ASSIGNMENT,
        deadline__lte=now or timezone.now(),
        results_published_at__isnull=True,
    ).order_by("pk")


@translate_db_errors(error=errors.Busy)
def seed_assignment(*, assessment: Assessment) -> int:
    """Every member of a tutorial of the lecture without a row gets a pending one (how many).

    Safe to run twice at once: the insert skips rows that meanwhile exist (unique constraint).
    Three queries at any size.
    """
    members = list(
        RosterEntry.objects.filter(
            registerable_id__in=Tutorial.objects.filter(lecture_id=assessment.lecture_id).values(
                "pk"
            )
        )
        .exclude(user_id__in=assessment.participations.values("user_id"))
        .values_list("user_id", flat=True)
        .distinct()
    )
    if not members:
        return 0
    with transaction.atomic():
        created = _seed(assessment, members)
        if created:
            assignment_changed(assessment)
        return created


def seed_due_assignments(*, now=None) -> dict[int, int]:
    """The beat job's body: seed every due assignment; assessment id -> rows attempted."""
    result = {}
    for assessment in due_assignments(now=now):
        count = seed_assignment(assessment=assessment)
        if count:
            result[assessment.pk] = count
    return result
