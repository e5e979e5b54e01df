"""Writes of coursework and exam grading. Keyword-only; one short transaction each; audited.

Rules (DOMAIN-NOTES "Assessments", spec 000 phases 5/11, spec 002):
- points are ``Decimal`` (an ``int`` or a string such as ``"7,5"`` is read as one; a float is
  refused), from 0 to 99999.99 with at most two decimal places; no upper cap per task (bonus);
- grading an assignment opens after deadline + grace; exams at once; talks are grade-only;
- ``points_total`` is recomputed from the stored task points inside the same transaction,
  never incremented; a row is ``reviewed`` when every task has points and goes back to
  ``pending`` when one is cleared or a task is added; absent/exempt never from reviewed, and
  no points on an absent or exempt row;
- lock order: the assessment (``FOR SHARE`` when grading, ``FOR UPDATE`` when tasks or
  publication change), then participations in ascending primary key (``mampf.db.lock_rows``,
  switched off only by ``settings.MAMPF_ROW_LOCKS = False`` in the concurrency controls);
- optimistic concurrency: a form sends back the ``version`` it showed; a stale one raises
  ``ChangedMeanwhile`` carrying the current values;
- every change writes ``GradeChange`` rows (bulk in bulk services); ``by`` is the actor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, ProtectedError, RestrictedError, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment import errors
from assessment.hooks import assignment_changed, results_changed
from assessment.models import (
    GERMAN_GRADES,
    Assessment,
    DeadlineExtension,
    GradeChange,
    Participation,
    Submission,
    Task,
    TaskPoint,
    TutorialPublication,
)
from assessment.selectors import tutorial_ids_of
from mampf.db import actor_or_none, among, lock_rows, translate_db_errors

Status = Participation.Status
MAX_POINTS = Decimal("99999.99")
CENT = Decimal("0.01")


# -- input ------------------------------------------------------------------------------------


def clean_points(value) -> Decimal | None:
    """One cell's points as a ``Decimal`` with two places, ``None`` for empty; or a refusal."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise errors.InvalidPoints()
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text:
            return None
        if len(text) > 20:
            raise errors.InvalidPoints()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise errors.InvalidPoints() from None
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise errors.InvalidPoints()
    if value < 0:
        raise errors.NegativePoints()
    if value > MAX_POINTS or value != value.quantize(CENT, rounding="ROUND_DOWN"):
        raise errors.InvalidPoints()
    return value.quantize(CENT)


def _clean_mapping(
    points: Mapping[Task, object], *, assessment_id: int
) -> dict[Task, Decimal | None]:
    cleaned: dict[Task, Decimal | None] = {}
    for task, value in points.items():
        if not isinstance(task, Task) or task.assessment_id != assessment_id:
            raise errors.TaskNotInAssessment()
        cleaned[task] = clean_points(value)
    return cleaned


# -- helpers ----------------------------------------------------------------------------------


def _audit_row(
    *,
    participation=None,
    assessment_id,
    field,
    old="",
    new="",
    by,
    task=None,
    tutorial=None,
    reason="",
) -> GradeChange:
    return GradeChange(
        assessment_id=assessment_id,
        participation=participation,
        task=task,
        tutorial=tutorial,
        field=field,
        old="" if old is None else str(old)[:100],
        new="" if new is None else str(new)[:100],
        reason=reason[:300],
        by=actor_or_none(by),
    )


def _lock_assessment(assessment_id: int, *, shared: bool) -> Assessment:
    rows = lock_rows(Assessment, [assessment_id], shared=shared)
    if not rows:
        raise errors.AssessmentError(_("This assessment no longer exists."))
    return rows[0]


def _require_grading_open(assessment: Assessment, *, now=None, user_ids=()) -> None:
    if assessment.kind == Assessment.Kind.TALK:
        raise errors.WrongKind(_("Talks are graded with a grade only, not with points."))
    opens_at = assessment.grading_opens_at
    if opens_at is not None and user_ids:
        # Personal extensions (area "submissions"): a row opens after its own deadline + grace.
        latest = DeadlineExtension.objects.filter(
            assessment=assessment, user_id__in=list(user_ids), deadline__gt=assessment.deadline
        ).aggregate(latest=Max("deadline"))["latest"]
        if latest is not None:
            opens_at = latest + timedelta(minutes=assessment.grace_minutes)
    if opens_at is not None and (now or timezone.now()) < opens_at:
        raise errors.GradingNotOpen(
            _("Grading opens on %(when)s, after the deadline and the grace period.")
            % {"when": timezone.localtime(opens_at).strftime("%d.%m.%Y %H:%M")}
        )


def current_values(participation: Participation) -> dict:
    """What a grading form shows after ``ChangedMeanwhile``: fresh from the database."""
    points = {
        task_id: str(value)
        for task_id, value in TaskPoint.objects.filter(participation=participation).values_list(
            "task_id", "points"
        )
    }
    return {
        "participation": participation.pk,
        "version": participation.version,
        "status": participation.status,
        "points_total": str(participation.points_total),
        "points": points,
    }


def _check_expected(row: Participation, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != row.version:
        raise errors.ChangedMeanwhile(details=current_values(row))


def _sum_fresh(participation_id: int) -> tuple[Decimal, int]:
    """Total and number of the stored task points, read now (never a running counter)."""
    result = TaskPoint.objects.filter(participation_id=participation_id).aggregate(
        total=Sum("points"), scored=Count("id")
    )
    return result["total"] or Decimal("0"), result["scored"]


def _settle_status(
    row: Participation, *, scored: int, task_count: int, by, reason: str, audits: list[GradeChange]
) -> None:
    """Reviewed when every task has points; back to pending when one is missing."""
    old = row.status
    if row.status == Status.PENDING and task_count and scored >= task_count:
        row.mark_reviewed()
    elif row.status == Status.REVIEWED and scored < task_count:
        row.reopen()
    if row.status != old:
        audits.append(
            _audit_row(
                participation=row,
                assessment_id=row.assessment_id,
                field=GradeChange.Field.STATUS,
                old=old,
                new=row.status,
                by=by,
                reason=reason,
            )
        )


def _apply_points(
    row: Participation,
    cleaned: Mapping[Task, Decimal | None],
    *,
    task_ids: set[int],
    by,
    submission: Submission | None,
    reason: str,
) -> bool:
    """Write one locked participation's task points, total, status, version and audit rows."""
    for task in cleaned:
        if task.pk not in task_ids:
            raise errors.TaskNotInAssessment()
    if row.status in (Status.ABSENT, Status.EXEMPT) and any(
        value is not None for value in cleaned.values()
    ):
        raise errors.StatusForbids(
            _("This student is marked “%(status)s”; clear the mark before entering points.")
            % {"status": row.get_status_display()}
        )
    existing = {tp.task_id: tp for tp in TaskPoint.objects.filter(participation=row)}
    actor = actor_or_none(by)
    create, update, delete, audits = [], [], [], []
    for task, value in cleaned.items():
        old = existing.get(task.pk)
        previous = None if old is None else old.points  # read before the update below
        if value is None:
            if old is None:
                continue
            delete.append(old.pk)
        elif old is None:
            create.append(
                TaskPoint(
                    participation=row, task=task, points=value, grader=actor, submission=submission
                )
            )
        elif old.points != value or (submission is not None and old.submission_id != submission.pk):
            old.points, old.grader, old.graded_at = value, actor, timezone.now()
            if submission is not None:
                old.submission = submission
            update.append(old)
        else:
            continue
        audits.append(
            _audit_row(
                participation=row,
                assessment_id=row.assessment_id,
                task=task,
                field=GradeChange.Field.POINTS,
                old=previous,
                new=value,
                by=by,
                reason=reason,
            )
        )
    if not audits:
        return False
    if delete:
        TaskPoint.objects.filter(pk__in=delete).delete()
    if update:
        TaskPoint.objects.bulk_update(update, ["points", "grader", "graded_at", "submission"])
    if create:
        TaskPoint.objects.bulk_create(create)
    total, scored = _sum_fresh(row.pk)
    row.points_total = total
    _settle_status(
        row, scored=scored, task_count=len(task_ids), by=by, reason=reason, audits=audits
    )
    row.version += 1
    row.save()
    GradeChange.objects.bulk_create(audits)
    return True


def _task_ids(assessment_id: int) -> set[int]:
    return set(Task.objects.filter(assessment_id=assessment_id).values_list("pk", flat=True))


# -- seeding ----------------------------------------------------------------------------------


def _seed(assessment: Assessment, user_ids: Iterable[int]) -> int:
    ids = sorted({int(pk) for pk in user_ids})
    if not ids:
        return 0
    existing = set(
        Participation.objects.filter(assessment=assessment, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    missing = [pk for pk in ids if pk not in existing]
    if not missing:
        return 0
    tutorials = tutorial_ids_of(lecture_id=assessment.lecture_id, user_ids=missing)
    repeaters = _earlier_exam_takers(assessment, missing)
    created = Participation.objects.bulk_create(
        [
            Participation(
                assessment=assessment,
                user_id=pk,
                tutorial_id=tutorials.get(pk),
                first_attempt=pk not in repeaters,
            )
            for pk in missing
        ],
        ignore_conflicts=True,
    )
    return len(created)


def _earlier_exam_takers(assessment: Assessment, user_ids: list[int]) -> set[int]:
    """Students who sat (or missed without excuse) an earlier exam of the lecture: their row
    in this exam is not a first attempt (the ÄApprO reference group). Exempt rows do not count.
    "Earlier" is an exam grading created before this one. One query; none for assignments."""
    if assessment.kind != Assessment.Kind.EXAM:
        return set()
    return set(
        Participation.objects.filter(
            assessment__lecture_id=assessment.lecture_id,
            assessment__kind=Assessment.Kind.EXAM,
            assessment_id__lt=assessment.pk,
            user_id__in=user_ids,
            status__in=[Participation.Status.REVIEWED, Participation.Status.ABSENT],
        ).values_list("user_id", flat=True)
    )


@translate_db_errors(error=errors.Busy)
def seed_participations(*, assessment: Assessment, user_ids: Iterable[int]) -> int:
    """Create a pending participation for each user without one; return how many were new.

    Idempotent: users who already have a row are left alone. Each new row remembers the
    student's tutorial in the lecture at this moment. Two statements plus the tutorial lookup,
    whatever the number of users.
    """
    with transaction.atomic():
        before = Participation.objects.filter(assessment=assessment).count()
        _seed(assessment, user_ids)
        created = Participation.objects.filter(assessment=assessment).count() - before
        if created:
            assignment_changed(assessment)
        return created


# -- points -----------------------------------------------------------------------------------


@translate_db_errors(error=errors.Busy)
def enter_points(
    *,
    participation: Participation,
    points: Mapping[Task, Decimal | None],
    by,
    expected_version: int | None = None,
    reason: str = "",
) -> Participation:
    """Store one student's task points (``None`` clears a cell); keep total and status right.

    Refuses ``TaskNotInAssessment``, ``InvalidPoints``/``NegativePoints``, ``GradingNotOpen``,
    ``WrongKind`` (talks), ``StatusForbids`` (points on an absent or exempt row) and
    ``ChangedMeanwhile`` (``expected_version`` is not the stored one). Nothing changes on a
    refusal. Returns the fresh participation.
    """
    cleaned = _clean_mapping(points, assessment_id=participation.assessment_id)
    with transaction.atomic():
        assessment = _lock_assessment(participation.assessment_id, shared=True)
        _require_grading_open(assessment, user_ids=[participation.user_id])
        rows = lock_rows(Participation, [participation.pk])
        if not rows:
            raise errors.AssessmentError(_("This participation no longer exists."))
        row = rows[0]
        _check_expected(row, expected_version)
        if _apply_points(
            row, cleaned, task_ids=_task_ids(assessment.pk), by=by, submission=None, reason=reason
        ):
            assignment_changed(assessment)
            results_changed(assessment=assessment, participation_ids=[row.pk], by=by)
    return row


@translate_db_errors(error=errors.Busy)
def grade_submission(
    *,
    submission: Submission,
    points: Mapping[Task, Decimal | None],
    by,
    expected_versions: Mapping[int, int] | None = None,
    reason: str = "",
) -> list[Participation]:
    """Give every member of the submission's team the same points, linked to the submission.

    Missing participations are created first. All members' rows are locked (ascending pk)
    and written in one transaction: all of them change or none. ``expected_versions`` maps
    participation ids to the versions the form showed (``ChangedMeanwhile`` if one moved).
    """
    cleaned = _clean_mapping(points, assessment_id=submission.assessment_id)
    with transaction.atomic():
        assessment = _lock_assessment(submission.assessment_id, shared=True)
        member_ids = list(submission.memberships.values_list("user_id", flat=True))
        _require_grading_open(assessment, user_ids=member_ids)
        if not member_ids:
            raise errors.NotParticipating()
        _seed(assessment, member_ids)
        ids = Participation.objects.filter(
            assessment=assessment, user_id__in=member_ids
        ).values_list("pk", flat=True)
        rows = lock_rows(Participation, list(ids))
        for row in rows:
            if expected_versions and row.pk in expected_versions:
                _check_expected(row, expected_versions[row.pk])
        task_ids = _task_ids(assessment.pk)
        for row in rows:
            _apply_points(
                row, cleaned, task_ids=task_ids, by=by, submission=submission, reason=reason
            )
        assignment_changed(assessment)
    return rows


# -- talks: grade only -------------------------------------------------------------------------


def clean_grade(value) -> Decimal | None:
    """A German grade as ``Decimal`` (``"1,3"`` is read too), ``None`` for empty; or a refusal."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | float):
        raise errors.InvalidGrade()
    try:
        grade = Decimal(str(value).strip().replace(",", ".")[:10])
    except InvalidOperation:
        raise errors.InvalidGrade() from None
    if not grade.is_finite() or grade not in GERMAN_GRADES:
        raise errors.InvalidGrade()
    return grade.quantize(Decimal("0.1"))


@translate_db_errors(error=errors.Busy)
def enter_grade(
    *, participation: Participation, grade, by, expected_version: int | None = None
) -> Participation:
    """A talk's grade, entered by hand (``None`` clears it); reviewed once it has one.

    Refuses ``InvalidGrade``, ``WrongKind`` (exam grades come from a grade scheme, assignments
    have none), ``StatusForbids`` (absent or exempt) and ``ChangedMeanwhile``.
    """
    value = clean_grade(grade)
    with transaction.atomic():
        assessment = _lock_assessment(participation.assessment_id, shared=True)
        if assessment.kind != Assessment.Kind.TALK:
            raise errors.WrongKind(_("Only talks are graded with a grade entered by hand."))
        rows = lock_rows(Participation, [participation.pk])
        if not rows:
            raise errors.AssessmentError(_("This participation no longer exists."))
        row = rows[0]
        _check_expected(row, expected_version)
        if row.status in (Status.ABSENT, Status.EXEMPT) and value is not None:
            raise errors.StatusForbids(
                _("This speaker is marked “%(status)s”; clear the mark before grading.")
                % {"status": row.get_status_display()}
            )
        if row.grade_value == value:
            return row
        audits = [
            _audit_row(
                participation=row,
                assessment_id=row.assessment_id,
                field=GradeChange.Field.GRADE,
                old=row.grade_value,
                new=value,
                by=by,
            )
        ]
        row.grade_value = value
        row.grade_source = Participation.GradeSource.MANUAL if value is not None else ""
        _settle_status(
            row, scored=int(value is not None), task_count=1, by=by, reason="grade", audits=audits
        )
        row.version += 1
        row.save()
        GradeChange.objects.bulk_create(audits)
    return row


# -- status marks -----------------------------------------------------------------------------


def _mark(
    participation: Participation,
    *,
    method: str,
    by,
    expected_version,
    note=None,
    reason: str = "",
    exempt_reason: str | None = None,
) -> Participation:
    with transaction.atomic():
        assessment = lock_rows(Assessment, [participation.assessment_id], shared=True)
        rows = lock_rows(Participation, [participation.pk])
        if not rows:
            raise errors.AssessmentError(_("This participation no longer exists."))
        row = rows[0]
        _check_expected(row, expected_version)
        old = row.status
        if method == "clear_mark" and old not in (Status.ABSENT, Status.EXEMPT):
            raise errors.StatusForbids(_("This student is neither absent nor exempt."))
        if old == Status.REVIEWED:
            raise errors.StatusForbids(
                _(
                    "This student's points are complete (reviewed); absent or exempt is no "
                    "longer possible. Clear a task's points first."
                )
            )
        audits = []
        if method != "clear_mark" and old == method.removeprefix("mark_"):
            pass  # already so: only the note may change
        else:
            transition = getattr(row, method)
            from django_fsm import TransitionNotAllowed

            try:
                transition()
            except TransitionNotAllowed:
                raise errors.StatusForbids() from None
            audits.append(
                _audit_row(
                    participation=row,
                    assessment_id=row.assessment_id,
                    field=GradeChange.Field.STATUS,
                    old=old,
                    new=row.status,
                    by=by,
                    reason=reason,
                )
            )
        if row.status == Status.EXEMPT and row.grade_value is not None:
            audits.append(
                _audit_row(
                    participation=row,
                    assessment_id=row.assessment_id,
                    field=GradeChange.Field.GRADE,
                    old=row.grade_value,
                    new=None,
                    by=by,
                    reason=reason or "exempt",
                )
            )
            row.grade_value, row.grade_source = None, ""
        wanted_reason = (exempt_reason or "") if row.status == Status.EXEMPT else ""
        if row.status == Status.EXEMPT and exempt_reason is None:
            wanted_reason = row.exempt_reason  # not sent: kept, never cleared
        if wanted_reason not in Participation.ExemptReason.values:
            raise errors.StatusForbids(_("Unknown reason for the exemption."))
        if wanted_reason != row.exempt_reason:
            audits.append(
                _audit_row(
                    participation=row,
                    assessment_id=row.assessment_id,
                    field=GradeChange.Field.STATUS,
                    old=f"{old} ({row.exempt_reason or 'other'})" if row.exempt_reason else old,
                    new=f"{row.status} ({wanted_reason or 'other'})",
                    by=by,
                    reason=reason or "exemption reason",
                )
            )
            row.exempt_reason = wanted_reason
        if note is not None and note != row.note:
            audits.append(
                _audit_row(
                    participation=row,
                    assessment_id=row.assessment_id,
                    field=GradeChange.Field.NOTE,
                    old=row.note,
                    new=note,
                    by=by,
                    reason=reason,
                )
            )
            row.note = note
        if method == "clear_mark":
            total, scored = _sum_fresh(row.pk)
            _settle_status(
                row,
                scored=scored,
                task_count=len(_task_ids(row.assessment_id)),
                by=by,
                reason=reason,
                audits=audits,
            )
        if audits:
            row.version += 1
            row.save()
            GradeChange.objects.bulk_create(audits)
            assignment_changed(assessment[0] if assessment else None)
            results_changed(
                assessment=assessment[0] if assessment else None, participation_ids=[row.pk], by=by
            )
    return row


@translate_db_errors(error=errors.Busy)
def mark_absent(
    *, participation: Participation, by, expected_version: int | None = None, reason: str = ""
) -> Participation:
    """Pending or exempt -> absent. Refuses ``StatusForbids`` on a reviewed row."""
    return _mark(
        participation, method="mark_absent", by=by, expected_version=expected_version, reason=reason
    )


@translate_db_errors(error=errors.Busy)
def mark_exempt(
    *,
    participation: Participation,
    by,
    note: str = "",
    expected_version: int | None = None,
    exempt_reason: str | None = None,
) -> Participation:
    """Pending or absent -> exempt (drops out of the maximum); the note says why.

    ``exempt_reason`` (``Participation.ExemptReason``: ``medical_certificate``, ``withdrawn`` or
    ``""`` for another reason) is what the examinations office export writes as a status code;
    ``None`` keeps the stored one. Leaving exempt clears it."""
    return _mark(
        participation,
        method="mark_exempt",
        by=by,
        expected_version=expected_version,
        note=note,
        reason=note,
        exempt_reason=exempt_reason,
    )


@translate_db_errors(error=errors.Busy)
def clear_mark(
    *, participation: Participation, by, expected_version: int | None = None, reason: str = ""
) -> Participation:
    """Absent or exempt -> pending (or reviewed, if every task already has points)."""
    return _mark(
        participation, method="clear_mark", by=by, expected_version=expected_version, reason=reason
    )


# -- tasks ------------------------------------------------------------------------------------


@translate_db_errors(error=errors.Busy)
def add_task(
    *, assessment: Assessment, max_points, by, title: str = "", position: int | None = None
) -> Task:
    """Add a task; every reviewed participation goes back to pending (it lacks these points)."""
    maximum = clean_points(max_points)
    if maximum is None:
        raise errors.InvalidPoints(_("Please give the task's maximum points."))
    with transaction.atomic():
        locked = _lock_assessment(assessment.pk, shared=False)
        if locked.kind == Assessment.Kind.TALK:
            raise errors.WrongKind(_("Talks are graded with a grade only; they have no tasks."))
        tasks = Task.objects.filter(assessment=locked)
        if position is None:
            position = (tasks.aggregate(last=Max("position"))["last"] or 0) + 1
        elif position < 1 or tasks.filter(position=position).exists():
            raise errors.AssessmentError(
                _("Position %(position)s is already taken.") % {"position": position},
                code="task_position_taken",
            )
        try:
            with transaction.atomic():
                task = Task.objects.create(
                    assessment=locked, position=position, title=title[:200], max_points=maximum
                )
        except IntegrityError:
            raise errors.AssessmentError(
                _("Position %(position)s is already taken.") % {"position": position},
                code="task_position_taken",
            ) from None
        audits = [
            _audit_row(
                assessment_id=locked.pk,
                task=task,
                field=GradeChange.Field.TASK,
                new=f"{task} / {maximum}",
                by=by,
                reason="task added",
            )
        ]
        reopened = list(
            Participation.objects.filter(assessment=locked, status=Status.REVIEWED).values_list(
                "pk", flat=True
            )
        )
        audits += _move_status(
            assessment_id=locked.pk,
            pks=reopened,
            old=Status.REVIEWED,
            new=Status.PENDING,
            by=by,
            reason="task added",
            task=task,
        )
        GradeChange.objects.bulk_create(audits)
        assignment_changed(locked)
        # The maximum grew: percentage bands move for everyone, not only the reopened rows.
        results_changed(assessment=locked, by=by)
    return task


@translate_db_errors(error=errors.Busy)
def delete_task(*, task: Task, by) -> None:
    """Delete a task without points; rows that now have every task's points become reviewed."""
    with transaction.atomic():
        locked = _lock_assessment(task.assessment_id, shared=False)
        if TaskPoint.objects.filter(task_id=task.pk).exists():
            raise errors.TaskHasPoints()
        label = str(task)
        try:
            with transaction.atomic():
                deleted, _counts = Task.objects.filter(pk=task.pk).delete()
        except (ProtectedError, RestrictedError):
            raise errors.TaskInUse() from None
        if not deleted:
            return
        audits = [
            _audit_row(
                assessment_id=locked.pk,
                field=GradeChange.Field.TASK,
                old=label,
                by=by,
                reason="task deleted",
            )
        ]
        remaining = Task.objects.filter(assessment=locked).count()
        if remaining:
            complete = list(
                Participation.objects.filter(assessment=locked, status=Status.PENDING)
                .annotate(scored=Count("task_points"))
                .filter(scored__gte=remaining)
                .values_list("pk", flat=True)
            )
            audits += _move_status(
                assessment_id=locked.pk,
                pks=complete,
                old=Status.PENDING,
                new=Status.REVIEWED,
                by=by,
                reason="task deleted",
            )
        GradeChange.objects.bulk_create(audits)
        assignment_changed(locked)
        results_changed(assessment=locked, by=by)


def _move_status(
    *, assessment_id: int, pks: list[int], old: str, new: str, by, reason: str, task=None
) -> list[GradeChange]:
    """Move these locked-by-assessment rows from ``old`` to ``new`` in one statement (a new
    version each) and return their unsaved audit rows, for one ``bulk_create`` by the caller."""
    if not pks:
        return []
    Participation.objects.filter(pk__in=pks).update(
        status=new, version=F("version") + 1, updated_at=timezone.now()
    )
    actor = actor_or_none(by)
    return [
        GradeChange(
            assessment_id=assessment_id,
            participation_id=pk,
            task=task,
            field=GradeChange.Field.STATUS,
            old=old,
            new=new,
            reason=reason,
            by=actor,
        )
        for pk in pks
    ]


# -- publication ------------------------------------------------------------------------------


def _check_tutorial(assessment: Assessment, tutorial) -> None:
    if assessment.kind != Assessment.Kind.ASSIGNMENT:
        raise errors.WrongKind(_("Exams and talks are published as a whole, not per tutorial."))
    if tutorial.lecture_id != assessment.lecture_id:
        raise errors.TutorialNotInLecture()


@translate_db_errors(error=errors.Busy)
def publish_results(*, assessment: Assessment, by, tutorial=None) -> Assessment:
    """Publish an assignment's results for one tutorial, or any assessment's as a whole.

    Refuses ``AlreadyPublished``, ``WrongKind`` (a tutorial for an exam or talk) and
    ``TutorialNotInLecture``. The students concerned get one e-mail, after the commit.
    """
    from assessment import tasks

    with transaction.atomic():
        locked = _lock_assessment(assessment.pk, shared=False)
        if tutorial is not None:
            _check_tutorial(locked, tutorial)
            if (
                locked.results_published_at is not None
                or TutorialPublication.objects.filter(assessment=locked, tutorial=tutorial).exists()
            ):
                raise errors.AlreadyPublished()
            TutorialPublication.objects.create(
                assessment=locked, tutorial=tutorial, published_by=actor_or_none(by)
            )
        else:
            if locked.results_published_at is not None:
                raise errors.AlreadyPublished()
            locked.results_published_at = timezone.now()
            locked.save(update_fields=["results_published_at"])
        GradeChange.objects.create(
            assessment=locked,
            tutorial=tutorial,
            field=GradeChange.Field.PUBLICATION,
            old="",
            new="published",
            by=actor_or_none(by),
            reason="published",
        )
        tasks.send_results.delay_on_commit(locked.pk, tutorial.pk if tutorial else None)
    assessment.results_published_at = locked.results_published_at
    return locked


@translate_db_errors(error=errors.Busy)
def withdraw_results(*, assessment: Assessment, by, tutorial=None, reason: str = "") -> Assessment:
    """Undo a publication (of one tutorial, or the whole one). Refuses ``NotPublished``."""
    with transaction.atomic():
        locked = _lock_assessment(assessment.pk, shared=False)
        if tutorial is not None:
            _check_tutorial(locked, tutorial)
            deleted, _counts = TutorialPublication.objects.filter(
                assessment=locked, tutorial=tutorial
            ).delete()
            if not deleted:
                raise errors.NotPublished()
        else:
            if locked.results_published_at is None:
                raise errors.NotPublished()
            locked.results_published_at = None
            locked.save(update_fields=["results_published_at"])
        GradeChange.objects.create(
            assessment=locked,
            tutorial=tutorial,
            field=GradeChange.Field.PUBLICATION,
            old="published",
            new="withdrawn",
            by=actor_or_none(by),
            reason=reason or "withdrawn",
        )
    assessment.results_published_at = locked.results_published_at
    return locked


# -- result notices -----------------------------------------------------------------------------


def claim_result_notices(*, assessment_id: int, participation_ids=None) -> list[int]:
    """Record, for the candidates of a published exam (or these of its rows), that they are
    told their current grade, and return the ids of the users to tell: those never told, or
    told another grade than the one they have now (``ResultNotice``). One upsert that only
    returns the rows it inserted or changed, so two jobs at once claim every row once, and
    those already told the same grade are left out. Users without an address or inactive are
    not claimed. The caller mails the returned users in the same transaction (on commit)."""
    from assessment.models import ResultNotice

    rows = Participation.objects.filter(
        assessment_id=assessment_id,
        assessment__results_published_at__isnull=False,
        user__is_active=True,
    ).exclude(user__email="")
    if participation_ids is not None:
        ids = sorted({int(pk) for pk in participation_ids})
        if not ids:
            return []
        rows = rows.filter(pk__in=ids)
    candidates = list(rows.values_list("pk", "grade_value", "user_id"))
    if not candidates:
        return []
    notices = connection.ops.quote_name(ResultNotice._meta.db_table)
    now = timezone.now()
    if connection.vendor == "postgresql":
        source = "SELECT * FROM unnest(%s::bigint[], %s::numeric[]) AS v(pid, grade)"
        params = [[c[0] for c in candidates], [c[1] for c in candidates]]
    else:
        placeholders = ", ".join(["(%s, %s)"] * len(candidates))
        source = f"SELECT column1, column2 FROM (VALUES {placeholders})"  # noqa: S608 - %s only
        params = [value for c in candidates for value in (c[0], c[1])]
        params = [str(v) if isinstance(v, Decimal) else v for v in params]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {notices} (participation_id, grade, notified_at) "  # noqa: S608 - table
            f"SELECT v.*, %s FROM ({source}) AS v WHERE true "
            "ON CONFLICT (participation_id) DO UPDATE SET grade = excluded.grade, "
            "notified_at = excluded.notified_at "
            f"WHERE {notices}.grade IS DISTINCT FROM excluded.grade "
            "RETURNING participation_id",
            [now, *params],
        )
        claimed = {row[0] for row in cursor.fetchall()}
    return sorted(user_id for pk, _grade, user_id in candidates if pk in claimed)


# -- task points set in bulk by a higher app (remediation: the MC task follows the sheets) ------


@translate_db_errors
def set_task_points_bulk(
    *,
    task: Task,
    points_by_user: Mapping[int, Decimal],
    by,
    reason: str,
    notify: bool = True,
    max_points: Decimal | None = None,
) -> list[int]:
    """Set one task's points for many students at once; return the participations changed.

    For ``remediation``: an exam's MC task follows the latest score of each student's counting
    answer sheet. Only existing participations that are not absent or exempt are written (the
    others carry no points); values that equal the stored ones change nothing. Writes like
    ``enter_points`` — points, ``points_total``, reviewed/pending, ``version``, one
    ``GradeChange`` per changed cell and status — in a fixed number of statements whatever
    the number of students. ``notify=False`` leaves the computed grades to the caller (who
    regrades the whole exam); otherwise the result listeners hear of the changed rows.
    ``max_points`` also sets the task's maximum (an MC question dropped or restored), audited
    as a task change.
    """
    from assessment.sheets import (  # noqa: PLC0415 - sheets imports this module
        _insert_rows,
        _update_rows,
        _update_rows_in_one_statement,
    )

    with transaction.atomic():
        assessment = _lock_assessment(task.assessment_id, shared=max_points is None)
        if max_points is not None:
            maximum = clean_points(max_points)
            old_max = Task.objects.filter(pk=task.pk).values_list("max_points", flat=True).get()
            if maximum is not None and maximum != old_max:
                Task.objects.filter(pk=task.pk).update(max_points=maximum)
                task.max_points = maximum
                GradeChange.objects.create(
                    assessment_id=assessment.pk,
                    task=task,
                    field=GradeChange.Field.TASK,
                    old=str(old_max),
                    new=str(maximum),
                    reason=reason[:300],
                    by=actor_or_none(by),
                )
        wanted = {int(uid): value for uid, value in points_by_user.items()}
        if not wanted:
            return []
        pks = Participation.objects.filter(
            among("user_id", wanted), assessment_id=assessment.pk
        ).values_list("pk", flat=True)
        rows = lock_rows(
            Participation.objects.values_list("pk", "user_id", "status", "version", named=True),
            list(pks),
        )
        rows = [r for r in rows if r.status not in (Status.ABSENT, Status.EXEMPT)]
        if not rows:
            return []
        ids = [r.pk for r in rows]
        stored = dict(
            TaskPoint.objects.filter(among("participation_id", ids), task=task).values_list(
                "participation_id", "points"
            )
        )
        sums = {
            pid: (total, scored)
            for pid, total, scored in TaskPoint.objects.filter(among("participation_id", ids))
            .values("participation_id")
            .annotate(total=Sum("points"), scored=Count("id"))
            .values_list("participation_id", "total", "scored")
        }
        task_count = Task.objects.filter(assessment_id=assessment.pk).count()
        actor = actor_or_none(by)
        actor_id = actor.pk if actor else None
        now = timezone.now()
        replaced, inserted, audit = [], [], []
        touched: dict[int, tuple] = {}
        new_status: dict[int, str] = {}
        moves: dict[str, list[int]] = {Status.REVIEWED: [], Status.PENDING: []}
        for row in rows:
            new = clean_points(wanted[row.user_id])
            old = stored.get(row.pk)
            if new == old:
                continue
            total, scored = sums.get(row.pk, (Decimal("0"), 0))
            if old is not None:
                replaced.append(row.pk)
                total -= old
                scored -= 1
            if new is not None:
                inserted.append((row.pk, new))
                total += new
                scored += 1
            audit.append((row.pk, GradeChange.Field.POINTS.value, task.pk, old, new))
            touched[row.pk] = (row, scored, total)
            status = None
            if row.status == Status.PENDING and task_count and scored >= task_count:
                status = Status.REVIEWED.value
            elif row.status == Status.REVIEWED and scored < task_count:
                status = Status.PENDING.value
            if status:
                new_status[row.pk] = status
                moves[status].append(row.pk)
                audit.append((row.pk, GradeChange.Field.STATUS.value, None, row.status, status))
        if not touched:
            return []
        if replaced:
            TaskPoint.objects.filter(among("participation_id", replaced), task=task).delete()
        _insert_rows(
            TaskPoint,
            ["participation", "points"],
            inserted,
            {"task": task.pk, "grader": actor_id, "graded_at": now, "submission": None},
        )
        if connection.vendor == "postgresql":
            _update_rows_in_one_statement(touched, new_status, now=now)
        else:
            _update_rows(touched, moves, now=now)
        _insert_rows(
            GradeChange,
            ["participation", "field", "task", "old", "new"],
            [
                (pid, field, tid, "" if old is None else str(old), "" if new is None else str(new))
                for pid, field, tid, old, new in audit
            ],
            {
                "assessment": assessment.pk,
                "tutorial": None,
                "reason": reason[:300],
                "by": actor_id,
                "at": now,
            },
        )
        changed = sorted(touched)
        assignment_changed(assessment)
        if notify:
            results_changed(assessment=assessment, participation_ids=changed, by=by)
    return changed
