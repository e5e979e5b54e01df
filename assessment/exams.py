"""Exam grading (issue 10 item 1): the exam assessment, its correctors and its point entry.

Rules (DOMAIN-NOTES "Assessments", "Exams"; spec 000 phase 11):
- an exam's grading (an ``Assessment`` of kind ``exam`` linked to the ``Exam``) is created only
  once the exam's registration is completed: at least one (not planning-only) campaign offering
  the exam is ``completed`` and none is open, closed or processing (``registration_completed``);
  otherwise ``RegistrationNotCompleted`` and nothing is created. One grading per exam through
  this service (``ExamGradingExists``); creation and a reopening campaign serialize on the
  exam's row lock (``registration.exam_rules`` takes the same lock);
- creation seeds a pending participation for every candidate on the exam roster in bulk; later
  additions to the roster are seeded by the beat job (``seed_due_exams`` inside
  ``assessment.tasks.seed_due_participations``) and by the "add the missing candidates" button:
  idempotent, safe twice at once (the insert skips rows that exist meanwhile);
- problems are the assessment's tasks (``assessment.services.add_task`` and the existing
  settings-and-tasks page);
- points, absent and exempt go through ``assessment.services`` (``enter_points``,
  ``mark_absent``, ``mark_exempt``, ``clear_mark``) with the optimistic ``version``; here a
  candidate must still be on the exam roster (``NotOnExamRoster``), checked under a share lock
  on their roster entry so that a removal cannot slip in between;
- correctors (``ExamCorrector``) are named by the lecture's staff; who may enter points is
  ``mampf.permissions.can_correct_exam`` (views check it, services trust ``by``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from assessment import errors, selectors_exams, services
from assessment.models import Assessment, ExamCorrector, GradeChange, Participation, Task
from assessment.services import _seed
from mampf import catalogue_services
from mampf.catalogue_errors import CatalogueError
from mampf.db import actor_or_none, lock_rows, translate_db_errors
from mampf.models import Exam, Registerable, Tutorial
from rosters.models import RosterEntry
from rosters.selectors import roster_user_ids

Status = Participation.Status


# -- creation and seeding ---------------------------------------------------------------------


def require_registration_completed(exam: Exam) -> None:
    """Refuses ``RegistrationNotCompleted`` unless the exam's registration is completed."""
    if not selectors_exams.registration_completed(exam_id=exam.pk):
        raise errors.RegistrationNotCompleted(details={"exam_id": exam.pk})


@translate_db_errors(error=errors.Busy)
def create_exam_assessment(*, exam: Exam, by, title: str | None = None) -> Assessment:
    """The exam's grading, with a pending row for every candidate on the exam roster.

    Refuses ``RegistrationNotCompleted`` and ``ExamGradingExists``; nothing is created then.
    Bulk: a fixed number of statements whatever the number of candidates.
    """
    name = (title if title is not None else exam.title).strip()[:200]
    if not name:
        raise errors.AssessmentError(_("Please give a title."), code="title_missing")
    require_registration_completed(exam)
    with transaction.atomic():
        # The exam's row lock: two clicks serialize, and a finalized campaign cannot reopen
        # meanwhile (registration.exam_rules takes the same lock when it reopens one).
        lock_rows(Registerable.objects.non_polymorphic(), [exam.pk])
        if Assessment.objects.filter(kind=Assessment.Kind.EXAM, exam_id=exam.pk).exists():
            raise errors.ExamGradingExists()
        require_registration_completed(exam)
        assessment = Assessment.objects.create(
            lecture_id=exam.lecture_id, kind=Assessment.Kind.EXAM, exam=exam, title=name
        )
        seeded = _seed(assessment, roster_user_ids(exam))
        GradeChange.objects.create(
            assessment=assessment,
            field=GradeChange.Field.SETTINGS,
            new=f"{name} | exam {exam.pk} | {seeded} candidates"[:100],
            reason="exam grading created",
            by=actor_or_none(by),
        )
    return assessment


@translate_db_errors(error=errors.Busy)
def seed_exam(*, assessment: Assessment) -> int:
    """A pending row for every exam candidate without one (late additions); how many.

    Idempotent and safe twice at once. Nothing happens for a published exam (its results are
    final) or an assessment that is not an exam's.
    """
    if assessment.kind != Assessment.Kind.EXAM or assessment.exam_id is None:
        raise errors.WrongKind()
    missing = selectors_exams.candidates_without_row(assessment=assessment)
    if not missing:
        return 0
    with transaction.atomic():
        return _seed(assessment, missing)


def seed_due_exams() -> dict[int, int]:
    """The beat job's part for exams: seed every unpublished exam grading; id -> rows."""
    result = {}
    rows = Assessment.objects.filter(
        kind=Assessment.Kind.EXAM, exam__isnull=False, results_published_at__isnull=True
    ).order_by("pk")
    for assessment in rows:
        count = seed_exam(assessment=assessment)
        if count:
            result[assessment.pk] = count
    return result


# -- correctors -------------------------------------------------------------------------------


def _audit_setting(assessment_id: int, *, old: str = "", new: str = "", reason: str, by) -> None:
    GradeChange.objects.create(
        assessment_id=assessment_id,
        field=GradeChange.Field.SETTINGS,
        old=old[:100],
        new=new[:100],
        reason=reason,
        by=actor_or_none(by),
    )


def _require_exam(assessment: Assessment) -> None:
    if assessment.kind != Assessment.Kind.EXAM or assessment.exam_id is None:
        raise errors.WrongKind(_("Only an exam's grading has correctors."))


@translate_db_errors(error=errors.Busy)
def add_corrector(*, assessment: Assessment, email: str, by):
    """Make the account with exactly this e-mail address a corrector; returns the user.

    Refuses ``CorrectorRefused`` (no such active account, already a corrector, or a candidate
    of this exam: nobody corrects their own exam).
    """
    _require_exam(assessment)
    try:
        user = catalogue_services.find_tutor_account(email=email)
    except CatalogueError:
        raise errors.CorrectorRefused(
            _("There is no active account with exactly this e-mail address."),
            code="corrector_not_found",
        ) from None
    with transaction.atomic():
        locked = services._lock_assessment(assessment.pk, shared=False)
        if RosterEntry.objects.filter(registerable_id=locked.exam_id, user=user).exists():
            raise errors.CorrectorRefused(
                _("%(name)s is a candidate of this exam and cannot correct it.")
                % {"name": user.name},
                code="corrector_is_candidate",
            )
        if ExamCorrector.objects.filter(assessment=locked, user=user).exists():
            raise errors.CorrectorRefused(
                _("%(name)s already corrects this exam.") % {"name": user.name},
                code="already_corrector",
            )
        ExamCorrector.objects.create(assessment=locked, user=user, added_by=actor_or_none(by))
        _audit_setting(locked.pk, new=f"corrector {user.email}", reason="corrector added", by=by)
    return user


@translate_db_errors(error=errors.Busy)
def add_lecture_tutors(*, assessment: Assessment, by) -> int:
    """Every tutor of the lecture's tutorials becomes a corrector (candidates excepted); how
    many were new. Bulk, idempotent."""
    _require_exam(assessment)
    with transaction.atomic():
        locked = services._lock_assessment(assessment.pk, shared=False)
        tutor_ids = set(
            Tutorial.tutors.through.objects.filter(tutorial__lecture_id=locked.lecture_id)
            .values_list("user_id", flat=True)
            .distinct()
        )
        tutor_ids -= set(
            RosterEntry.objects.filter(
                registerable_id=locked.exam_id, user_id__in=tutor_ids
            ).values_list("user_id", flat=True)
        )
        tutor_ids -= set(
            ExamCorrector.objects.filter(assessment=locked).values_list("user_id", flat=True)
        )
        if not tutor_ids:
            return 0
        actor = actor_or_none(by)
        ExamCorrector.objects.bulk_create(
            [
                ExamCorrector(assessment=locked, user_id=pk, added_by=actor)
                for pk in sorted(tutor_ids)
            ],
            ignore_conflicts=True,
        )
        _audit_setting(
            locked.pk, new=f"{len(tutor_ids)} tutors as correctors", reason="correctors added",
            by=by,
        )
    return len(tutor_ids)


@translate_db_errors(error=errors.Busy)
def remove_corrector(*, assessment: Assessment, user_id: int, by) -> None:
    """Take a corrector off the exam (their points stay). Refuses ``CorrectorRefused``."""
    _require_exam(assessment)
    with transaction.atomic():
        locked = services._lock_assessment(assessment.pk, shared=False)
        row = ExamCorrector.objects.filter(assessment=locked, user_id=user_id).select_related(
            "user"
        ).first()
        if row is None:
            raise errors.CorrectorRefused(
                _("This person does not correct this exam."), code="not_a_corrector"
            )
        row.delete()
        _audit_setting(
            locked.pk, old=f"corrector {row.user.email}", reason="corrector removed", by=by
        )


# -- points and marks -------------------------------------------------------------------------


def _require_candidate(participation: Participation) -> None:
    """Inside a transaction: the participation is an exam row whose student is still on the
    exam roster; their roster entry stays share-locked until the commit."""
    assessment = participation.assessment
    if assessment.kind != Assessment.Kind.EXAM or assessment.exam_id is None:
        raise errors.WrongKind(_("This is not an exam's grading."))
    entry_ids = list(
        RosterEntry.objects.filter(
            registerable_id=assessment.exam_id, user_id=participation.user_id
        ).values_list("pk", flat=True)[:1]
    )
    if not lock_rows(RosterEntry, entry_ids, shared=True):
        raise errors.NotOnExamRoster(details={"participation": participation.pk})


@translate_db_errors(error=errors.Busy)
def enter_exam_points(
    *,
    participation: Participation,
    points: Mapping[Task, Decimal | None],
    by,
    expected_version: int | None = None,
    reason: str = "",
) -> Participation:
    """``assessment.services.enter_points`` for an exam candidate still on the exam roster.

    Refuses ``NotOnExamRoster`` and ``WrongKind`` besides every refusal of ``enter_points``
    (``ChangedMeanwhile`` on a stale ``expected_version``, ``StatusForbids`` on an absent or
    exempt row, ``InvalidPoints``, ``TaskNotInAssessment``); nothing changes on a refusal.
    """
    with transaction.atomic():
        _require_candidate(participation)
        return services.enter_points(
            participation=participation,
            points=points,
            by=by,
            expected_version=expected_version,
            reason=reason,
        )


MARKS = ("absent", "exempt", "clear")


@translate_db_errors(error=errors.Busy)
def mark_candidate(
    *,
    participation: Participation,
    mark: str,
    by,
    note: str = "",
    expected_version: int | None = None,
    exempt_reason: str | None = None,
) -> Participation:
    """Absent, exempt (with a note and ``exempt_reason``: medical certificate, withdrawn or
    another reason) or clear the mark, for a candidate on the exam roster."""
    if mark not in MARKS:
        raise errors.StatusForbids()
    with transaction.atomic():
        _require_candidate(participation)
        if mark == "absent":
            return services.mark_absent(
                participation=participation, by=by, expected_version=expected_version
            )
        if mark == "exempt":
            return services.mark_exempt(
                participation=participation,
                by=by,
                note=note,
                expected_version=expected_version,
                exempt_reason=exempt_reason,
            )
        return services.clear_mark(
            participation=participation, by=by, expected_version=expected_version
        )


@dataclass
class ProblemOutcome:
    """What saving one problem's column did: saved rows, and each refused row with why."""

    saved: list[Participation] = field(default_factory=list)
    refused: list[tuple[Participation, errors.AssessmentError]] = field(default_factory=list)

    @property
    def conflicts(self) -> list[tuple[Participation, errors.AssessmentError]]:
        return [(p, e) for p, e in self.refused if isinstance(e, errors.ChangedMeanwhile)]


def enter_problem_points(
    *,
    assessment: Assessment,
    task: Task,
    entries: Iterable[tuple[Participation, object, int | None]],
    by,
) -> ProblemOutcome:
    """One problem for many candidates: ``entries`` are (participation, points, version shown).

    Only this task's points are written, each candidate's through ``enter_exam_points`` in its
    own short transaction (a corrector's page of 100 candidates does not hold 100 row locks
    at once, and one stale row does not cost the others their points). Refused rows (changed
    meanwhile, not on the roster, absent or exempt) are returned with their refusal.
    """
    if task.assessment_id != assessment.pk:
        raise errors.TaskNotInAssessment()
    outcome = ProblemOutcome()
    for participation, value, version in entries:
        if participation.assessment_id != assessment.pk:
            raise errors.AssessmentError(_("This row belongs to another assessment."))
        try:
            row = enter_exam_points(
                participation=participation,
                points={task: value},
                by=by,
                expected_version=version,
                reason="per problem",
            )
        except (errors.AssessmentError, errors.Busy) as exc:
            outcome.refused.append((participation, exc))
        else:
            outcome.saved.append(row)
    return outcome
