"""The database itself refuses broken grading data (constraints, not only service checks)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from assessment.models import (
    Achievement,
    AchievementValue,
    Assessment,
    Participation,
    Submission,
    SubmissionMember,
    Task,
    TaskPoint,
    TutorialPublication,
)
from tests.factories import (
    AchievementFactory,
    AssessmentFactory,
    ExamFactory,
    LectureFactory,
    ParticipationFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def refused(build):
    with pytest.raises(IntegrityError), transaction.atomic():
        build()


def test_factories_build_valid_rows():
    assignment = AssessmentFactory()
    assert assignment.kind == "assignment" and assignment.deadline is not None
    exam = AssessmentFactory(kind="exam")
    assert exam.exam is not None and exam.exam.lecture_id == exam.lecture_id
    talk = AssessmentFactory(kind="talk")
    assert talk.talk is not None and talk.deadline is None
    task = TaskFactory()
    assert task.max_points == Decimal("10")
    row = ParticipationFactory(status="reviewed")
    assert row.status == "reviewed"
    assert AchievementFactory().value_type == "boolean"


def test_one_participation_per_assessment_and_user():
    row = ParticipationFactory()
    refused(lambda: Participation.objects.create(assessment=row.assessment, user=row.user))


def test_one_task_point_per_participation_and_task():
    task = TaskFactory()
    row = ParticipationFactory(assessment=task.assessment)
    TaskPoint.objects.create(participation=row, task=task, points=Decimal("1"))
    refused(lambda: TaskPoint.objects.create(participation=row, task=task, points=Decimal("2")))


def test_points_are_never_negative_but_have_no_upper_cap():
    task = TaskFactory(max_points=Decimal("5"))
    row = ParticipationFactory(assessment=task.assessment)
    refused(lambda: TaskPoint.objects.create(participation=row, task=task, points=Decimal("-0.5")))
    bonus = TaskPoint.objects.create(participation=row, task=task, points=Decimal("7.5"))
    bonus.refresh_from_db()
    assert bonus.points == Decimal("7.50")
    refused(lambda: TaskFactory(assessment=task.assessment, max_points=Decimal("-1")))
    refused(lambda: Participation.objects.filter(pk=row.pk).update(points_total=Decimal("-1")))


def test_task_positions_are_unique_per_assessment():
    task = TaskFactory()
    refused(lambda: TaskFactory(assessment=task.assessment, position=task.position))


@pytest.mark.parametrize("grade", ["1.0", "1.3", "2.7", "4.0", "5.0"])
def test_valid_german_grades_are_stored(grade):
    row = ParticipationFactory(assessment=AssessmentFactory(kind="exam"))
    Participation.objects.filter(pk=row.pk).update(grade_value=Decimal(grade))
    row.refresh_from_db()
    assert row.grade_value == Decimal(grade)


@pytest.mark.parametrize("grade", ["4.3", "4.7", "0.7", "6.0", "1.5", "3.9"])
def test_other_grades_are_refused(grade):
    row = ParticipationFactory(assessment=AssessmentFactory(kind="exam"))
    refused(lambda: Participation.objects.filter(pk=row.pk).update(grade_value=Decimal(grade)))


def test_exempt_rows_carry_no_grade():
    row = ParticipationFactory(status="exempt")
    refused(lambda: Participation.objects.filter(pk=row.pk).update(grade_value=Decimal("1.0")))


def test_unknown_status_is_refused():
    row = ParticipationFactory()
    refused(lambda: Participation.objects.filter(pk=row.pk).update(status="graded"))


def test_assessment_kind_and_links_must_agree():
    lecture = LectureFactory()
    exam = ExamFactory(lecture=lecture)
    refused(lambda: Assessment.objects.create(lecture=lecture, kind="assignment", title="x"))
    refused(lambda: Assessment.objects.create(lecture=lecture, kind="exam", title="x"))
    refused(lambda: AssessmentFactory(lecture=lecture, kind="assignment", exam=exam, title="x"))
    refused(lambda: Assessment.objects.create(lecture=lecture, kind="quiz", title="x"))
    refused(lambda: AssessmentFactory(lecture=lecture, max_team_size=0))


def test_one_submission_per_student_and_assignment():
    assessment = AssessmentFactory()
    student = UserFactory()
    first = Submission.objects.create(assessment=assessment)
    second = Submission.objects.create(assessment=assessment)
    SubmissionMember.objects.create(submission=first, assessment=assessment, user=student)
    refused(
        lambda: SubmissionMember.objects.create(
            submission=second, assessment=assessment, user=student
        )
    )
    refused(lambda: Submission.objects.create(assessment=assessment, late=True))


def test_achievement_thresholds_fit_their_type():
    lecture = LectureFactory()
    refused(lambda: AchievementFactory(lecture=lecture, threshold=Decimal("1")))
    refused(lambda: AchievementFactory(lecture=lecture, value_type="numeric", threshold=0))
    refused(lambda: AchievementFactory(lecture=lecture, value_type="percentage", threshold=101))
    AchievementFactory(lecture=lecture, value_type="percentage", threshold=Decimal("50"))
    achievement = AchievementFactory(lecture=lecture)
    refused(lambda: AchievementFactory(lecture=lecture, title=achievement.title))
    student = UserFactory()
    refused(lambda: AchievementValue.objects.create(achievement=achievement, user=student))
    refused(
        lambda: AchievementValue.objects.create(
            achievement=achievement, user=student, passed=True, value=Decimal("1")
        )
    )
    AchievementValue.objects.create(achievement=achievement, user=student, passed=True)
    refused(
        lambda: AchievementValue.objects.create(achievement=achievement, user=student, passed=False)
    )
    assert Achievement.objects.filter(lecture=lecture).count() == 2


def test_a_tutorial_is_published_once_per_assessment():
    assessment = AssessmentFactory()
    tutorial = TutorialFactory(lecture=assessment.lecture)
    TutorialPublication.objects.create(assessment=assessment, tutorial=tutorial)
    refused(lambda: TutorialPublication.objects.create(assessment=assessment, tutorial=tutorial))


def test_a_task_with_points_cannot_be_deleted_even_by_hand():
    task = TaskFactory()
    row = ParticipationFactory(assessment=task.assessment)
    TaskPoint.objects.create(participation=row, task=task, points=Decimal("1"))
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Task.objects.filter(pk=task.pk).delete()


def test_grade_changes_are_append_only_in_the_database():
    from django.db import DatabaseError

    from assessment.models import GradeChange

    task = TaskFactory()
    row = ParticipationFactory(assessment=task.assessment)
    change = GradeChange.objects.create(
        assessment=task.assessment, participation=row, task=task, field="points", new="1.00"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        GradeChange.objects.filter(pk=change.pk).update(new="9.00")
    change.old = "0.00"
    with pytest.raises(DatabaseError), transaction.atomic():
        change.save()
    # Deleting the task may still null the reference; deleting the row takes its history.
    Task.objects.filter(pk=task.pk).delete()
    change.refresh_from_db()
    assert change.task_id is None and change.new == "1.00"
    Participation.objects.filter(pk=row.pk).delete()
    assert not GradeChange.objects.filter(pk=change.pk).exists()


def test_review_events_are_append_only_in_the_database():
    from django.db import DatabaseError

    from assessment.models import ReviewEvent

    assessment = TaskFactory().assessment
    event = ReviewEvent.objects.create(assessment=assessment, action="window", detail="1-8 Mar")
    with pytest.raises(DatabaseError), transaction.atomic():
        ReviewEvent.objects.filter(pk=event.pk).update(detail="changed")
    event.refresh_from_db()
    assert event.detail == "1-8 Mar"
