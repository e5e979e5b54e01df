"""Exam grading services (issue 10 item 1): creation after the registration, seeding from the
exam roster (also late additions), correctors, points and marks for candidates only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessment import errors, exams, selectors_exams, services
from assessment.models import Assessment, ExamCorrector, GradeChange, Participation, TaskPoint
from assessment.tasks import seed_due_participations
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Status = Campaign.Status


def exam_with_campaign(status=Status.COMPLETED, candidates=3, lecture=None):
    lecture = lecture or LectureFactory()
    exam = ExamFactory(lecture=lecture)
    ItemFactory(campaign=CampaignFactory(lecture=lecture, status=status), registerable=exam)
    users = [UserFactory(name=f"Candidate {i:04d}") for i in range(candidates)]
    RosterEntry.objects.bulk_create(RosterEntry(registerable=exam, user=u) for u in users)
    return exam, users


def snapshot():
    return (
        Assessment.objects.count(),
        Participation.objects.count(),
        GradeChange.objects.count(),
        list(Participation.objects.values_list("pk", "status", "points_total", "version")),
        list(TaskPoint.objects.values_list("pk", "points")),
    )


# -- creation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.OPEN, Status.CLOSED, Status.PROCESSING])
def test_creation_refused_before_the_registration_is_completed(status):
    exam, _users = exam_with_campaign(status=status)
    before = snapshot()
    with pytest.raises(errors.RegistrationNotCompleted) as info:
        exams.create_exam_assessment(exam=exam, by=exam.lecture.teacher)
    assert info.value.code == "registration_not_completed"
    assert "registration" in str(info.value)
    assert snapshot() == before


def test_creation_refused_without_any_campaign_or_with_a_running_late_one():
    exam = ExamFactory()
    with pytest.raises(errors.RegistrationNotCompleted):
        exams.create_exam_assessment(exam=exam, by=None)
    exam, _users = exam_with_campaign()
    ItemFactory(campaign=CampaignFactory(lecture=exam.lecture, status=Status.OPEN),
                registerable=exam)
    with pytest.raises(errors.RegistrationNotCompleted):
        exams.create_exam_assessment(exam=exam, by=None)
    assert not Assessment.objects.exists()


def test_planning_only_campaign_does_not_complete_the_registration():
    exam = ExamFactory()
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, planning_only=True,
                                 status=Status.COMPLETED),
        registerable=exam,
    )
    with pytest.raises(errors.RegistrationNotCompleted):
        exams.create_exam_assessment(exam=exam, by=None)


def test_created_after_completion_with_a_row_for_every_candidate(django_assert_max_num_queries):
    exam, users = exam_with_campaign(candidates=250)
    outsider = UserFactory()  # not on the exam roster
    tutorial = TutorialFactory(lecture=exam.lecture)
    RosterEntry.objects.create(registerable=tutorial, user=users[0])
    with django_assert_max_num_queries(16):  # bulk; SQLite batches the insert by its variable limit
        assessment = exams.create_exam_assessment(exam=exam, by=exam.lecture.teacher)
    assert assessment.kind == "exam" and assessment.exam == exam
    assert assessment.title == exam.title and assessment.lecture_id == exam.lecture_id
    rows = Participation.objects.filter(assessment=assessment)
    assert set(rows.values_list("user_id", flat=True)) == {u.pk for u in users}
    assert not rows.filter(user=outsider).exists()
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    assert rows.get(user=users[0]).tutorial == tutorial
    audit = GradeChange.objects.get(assessment=assessment)
    assert audit.field == "settings" and audit.by == exam.lecture.teacher


def test_a_second_grading_of_the_same_exam_is_refused():
    exam, _users = exam_with_campaign()
    exams.create_exam_assessment(exam=exam, by=None)
    before = snapshot()
    with pytest.raises(errors.ExamGradingExists) as info:
        exams.create_exam_assessment(exam=exam, by=None)
    assert info.value.code == "exam_grading_exists"
    assert snapshot() == before


# -- late additions -----------------------------------------------------------------------------


def test_late_roster_additions_are_seeded_by_the_beat_job_idempotently():
    exam, users = exam_with_campaign(candidates=2)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    late = [UserFactory(), UserFactory()]
    RosterEntry.objects.bulk_create(RosterEntry(registerable=exam, user=u) for u in late)
    assert selectors_exams.candidates_without_row(assessment=assessment) == sorted(
        u.pk for u in late
    )
    assert seed_due_participations() == 2
    assert seed_due_participations() == 0  # safe twice
    assert exams.seed_exam(assessment=assessment) == 0
    assert set(
        Participation.objects.filter(assessment=assessment).values_list("user_id", flat=True)
    ) == {u.pk for u in users + late}


def test_published_exam_is_not_seeded_any_more():
    exam, _users = exam_with_campaign(candidates=1)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    services.publish_results(assessment=assessment, by=None)
    RosterEntry.objects.create(registerable=exam, user=UserFactory())
    assert exams.seed_due_exams() == {}
    assert Participation.objects.filter(assessment=assessment).count() == 1


# -- correctors ---------------------------------------------------------------------------------


def test_correctors_by_email_and_all_tutors():
    exam, users = exam_with_campaign(candidates=1)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    teacher = exam.lecture.teacher
    corrector = UserFactory(email="corr@example.org")
    assert exams.add_corrector(assessment=assessment, email="CORR@example.org", by=teacher) == (
        corrector
    )
    with pytest.raises(errors.CorrectorRefused) as info:
        exams.add_corrector(assessment=assessment, email="corr@example.org", by=teacher)
    assert info.value.code == "already_corrector"
    with pytest.raises(errors.CorrectorRefused) as info:
        exams.add_corrector(assessment=assessment, email=users[0].email, by=teacher)
    assert info.value.code == "corrector_is_candidate"
    with pytest.raises(errors.CorrectorRefused) as info:
        exams.add_corrector(assessment=assessment, email="nobody@example.org", by=teacher)
    assert info.value.code == "corrector_not_found"
    tutors = [UserFactory(), UserFactory()]
    TutorialFactory(lecture=exam.lecture, tutors=tutors)
    TutorialFactory(tutors=[UserFactory()])  # another lecture's tutor
    assert exams.add_lecture_tutors(assessment=assessment, by=teacher) == 2
    assert exams.add_lecture_tutors(assessment=assessment, by=teacher) == 0
    assert set(ExamCorrector.objects.values_list("user_id", flat=True)) == {
        corrector.pk, *(t.pk for t in tutors)
    }
    exams.remove_corrector(assessment=assessment, user_id=corrector.pk, by=teacher)
    with pytest.raises(errors.CorrectorRefused) as info:
        exams.remove_corrector(assessment=assessment, user_id=corrector.pk, by=teacher)
    assert info.value.code == "not_a_corrector"
    assert GradeChange.objects.filter(assessment=assessment, field="settings").count() == 4


# -- points and marks -------------------------------------------------------------------------


@pytest.fixture
def graded_exam():
    exam, users = exam_with_campaign(candidates=3)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    tasks = [TaskFactory(assessment=assessment, position=i + 1) for i in range(2)]
    rows = {r.user_id: r for r in Participation.objects.filter(assessment=assessment)}
    return {"exam": exam, "assessment": assessment, "tasks": tasks, "users": users,
            "rows": [rows[u.pk] for u in users]}


def test_points_for_a_candidate(graded_exam):
    t1, t2 = graded_exam["tasks"]
    row = graded_exam["rows"][0]
    row = exams.enter_exam_points(participation=row, points={t1: "7,5", t2: 3}, by=None,
                                  expected_version=0)
    assert row.points_total == Decimal("10.50") and row.status == "reviewed"


def test_points_for_a_candidate_not_on_the_roster_are_refused(graded_exam):
    t1, _t2 = graded_exam["tasks"]
    row = graded_exam["rows"][1]
    RosterEntry.objects.filter(registerable=graded_exam["exam"], user=row.user).delete()
    before = snapshot()
    with pytest.raises(errors.NotOnExamRoster) as info:
        exams.enter_exam_points(participation=row, points={t1: 5}, by=None)
    assert info.value.code == "not_on_exam_roster"
    with pytest.raises(errors.NotOnExamRoster):
        exams.mark_candidate(participation=row, mark="absent", by=None)
    outcome = exams.enter_problem_points(
        assessment=graded_exam["assessment"], task=t1, entries=[(row, 5, 0)], by=None
    )
    assert outcome.saved == [] and outcome.refused[0][1].code == "not_on_exam_roster"
    assert snapshot() == before


def test_absent_and_exempt(graded_exam):
    t1, _t2 = graded_exam["tasks"]
    a, b, _c = graded_exam["rows"]
    a = exams.mark_candidate(participation=a, mark="absent", by=None, expected_version=0)
    assert a.status == "absent"
    with pytest.raises(errors.StatusForbids):
        exams.enter_exam_points(participation=a, points={t1: 1}, by=None)
    b = exams.mark_candidate(participation=b, mark="exempt", note="medical certificate", by=None)
    assert b.status == "exempt" and b.note == "medical certificate"
    b = exams.mark_candidate(participation=b, mark="clear", by=None, expected_version=b.version)
    assert b.status == "pending"
    with pytest.raises(errors.ChangedMeanwhile):
        exams.mark_candidate(participation=a, mark="clear", by=None, expected_version=0)


def test_per_problem_saves_only_that_task_and_reports_stale_rows(graded_exam):
    t1, t2 = graded_exam["tasks"]
    a, b, c = graded_exam["rows"]
    exams.enter_exam_points(participation=b, points={t2: 4}, by=None)  # b is now version 1
    outcome = exams.enter_problem_points(
        assessment=graded_exam["assessment"],
        task=t1,
        entries=[(a, "6", 0), (b, "5", 0), (c, None, 0)],
        by=None,
    )
    assert [p.pk for p in outcome.saved] == [a.pk, c.pk]
    assert len(outcome.conflicts) == 1 and outcome.conflicts[0][0] == b
    assert outcome.conflicts[0][1].code == "changed_meanwhile"
    assert dict(TaskPoint.objects.values_list("participation_id", "points")) == {
        a.pk: Decimal("6.00"), b.pk: Decimal("4.00")
    }
    assert set(TaskPoint.objects.filter(participation=a).values_list("task_id", flat=True)) == {
        t1.pk
    }
    assert GradeChange.objects.filter(reason="per problem").count() == 1


def test_per_problem_refuses_a_task_of_another_assessment(graded_exam):
    other = TaskFactory()
    with pytest.raises(errors.TaskNotInAssessment):
        exams.enter_problem_points(
            assessment=graded_exam["assessment"], task=other, entries=[], by=None
        )


def test_exam_points_refuse_other_kinds():
    task = TaskFactory()  # an assignment's task
    row = Participation.objects.create(assessment=task.assessment, user=UserFactory())
    with pytest.raises(errors.WrongKind):
        exams.enter_exam_points(participation=row, points={task: 1}, by=None)


def test_offline_sheet_refuses_a_candidate_not_on_the_roster(graded_exam):
    from assessment import sheets

    assessment = graded_exam["assessment"]
    a, b, _c = graded_exam["rows"]
    head, _rows = sheets.sheet_table(assessment=assessment)
    RosterEntry.objects.filter(registerable=graded_exam["exam"], user=b.user).delete()

    def line(user, p1, p2):
        return [user.matriculation_number or "", user.name, "", p1, p2, str(user.pk)][
            : len(head)
        ]

    assert len(head) == 6, head  # matriculation, name, team, 2 problems, marker
    before = snapshot()
    with pytest.raises(sheets.SheetRejected) as info:
        sheets.import_sheet(
            assessment=assessment, rows=[head, line(a.user, "1", "2"), line(b.user, "3", "4")],
            by=None,
        )
    assert [p.row for p in info.value.problems] == [3]
    assert "no longer) a candidate" in info.value.problems[0].message
    assert snapshot() == before
    sheets.import_sheet(assessment=assessment, rows=[head, line(a.user, "1", "2")], by=None)
    a.refresh_from_db()
    assert a.points_total == Decimal("3.00")
