"""Performance records: figures on a small hand-built lecture, fingerprint stability, roster
changes, query count (issue 9 item 1). Runs on SQLite (the portable path) and PostgreSQL (the
one-statement path); both must give the same figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment import achievements as achievement_services
from assessment import services as grading
from assessment.models import Submission, SubmissionMember
from performance.models import Record
from performance.services import compute_and_upsert_all_records, compute_and_upsert_record_for
from performance.signals import records_changed
from rosters.models import RosterEntry
from tests.factories import (
    AchievementFactory,
    AssessmentFactory,
    LectureFactory,
    ParticipationFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


class Lecture:
    """Names for the hand-built lecture below."""


@pytest.fixture
def course():
    """Three assignments (10 points each), an exam and a talk; five students on the lecture
    roster and one who is only in a tutorial-less limbo (not on the roster); three achievements.
    """
    c = Lecture()
    c.lecture = LectureFactory()
    c.teacher = c.lecture.teacher
    c.s1, c.s2, c.s3, c.s4, c.s5, c.outsider = UserFactory.create_batch(6)
    for student in (c.s1, c.s2, c.s3, c.s4, c.s5):
        RosterEntry.objects.create(registerable=c.lecture, user=student)
    c.a1 = AssessmentFactory(lecture=c.lecture, title="Sheet 1")
    c.a1_t1 = TaskFactory(assessment=c.a1, position=1, max_points=D("4"))
    c.a1_t2 = TaskFactory(assessment=c.a1, position=2, max_points=D("6"))
    c.a2 = AssessmentFactory(lecture=c.lecture, title="Sheet 2")
    c.a2_t1 = TaskFactory(assessment=c.a2, position=1, max_points=D("5"))
    c.a2_t2 = TaskFactory(assessment=c.a2, position=2, max_points=D("5"))
    c.a3 = AssessmentFactory(lecture=c.lecture, title="Sheet 3")
    c.a3_t1 = TaskFactory(assessment=c.a3, position=1, max_points=D("10"))
    c.exam = AssessmentFactory(lecture=c.lecture, kind="exam", title="Exam")
    c.exam_t1 = TaskFactory(assessment=c.exam, position=1, max_points=D("50"))
    c.talk = AssessmentFactory(lecture=c.lecture, kind="talk", title="Talk")
    c.boolean = AchievementFactory(lecture=c.lecture, title="Presentation")
    c.numeric = AchievementFactory(
        lecture=c.lecture, title="Quizzes", value_type="numeric", threshold=D("3")
    )
    c.percent = AchievementFactory(
        lecture=c.lecture, title="Lab", value_type="percentage", threshold=D("50")
    )
    return c


def grade(c, user, assessment, points):
    row = ParticipationFactory(assessment=assessment, user=user)
    grading.enter_points(participation=row, points=points, by=c.teacher)
    return row


def hand_in(assessment, *users):
    submission = Submission.objects.create(assessment=assessment, uploaded_at=timezone.now())
    for user in users:
        SubmissionMember.objects.create(submission=submission, assessment=assessment, user=user)
    return submission


@pytest.fixture
def graded(course):
    c = course
    # s1: two reviewed sheets (7.50 and 10), the third handed in and half marked (pending).
    grade(c, c.s1, c.a1, {c.a1_t1: D("3.5"), c.a1_t2: D("4")})
    grade(c, c.s1, c.a2, {c.a2_t1: D("5"), c.a2_t2: D("5")})
    hand_in(c.a3, c.s1)
    grade(c, c.s1, c.a3, {})  # a row, no points: pending
    # The exam never counts, however many points.
    grade(c, c.s1, c.exam, {c.exam_t1: D("40")})
    # s2: absent on sheet 1, exempt from sheet 2, no row for sheet 3.
    grading.mark_absent(
        participation=ParticipationFactory(assessment=c.a1, user=c.s2), by=c.teacher
    )
    grading.mark_exempt(
        participation=ParticipationFactory(assessment=c.a2, user=c.s2), by=c.teacher, note="ill"
    )
    # s3: exempt from every sheet.
    for sheet in (c.a1, c.a2, c.a3):
        grading.mark_exempt(
            participation=ParticipationFactory(assessment=sheet, user=c.s3), by=c.teacher
        )
    # s4 + s5: a team on sheet 1, graded once for both; s5 handed in sheet 2 (no row yet).
    team = hand_in(c.a1, c.s4, c.s5)
    grading.grade_submission(
        submission=team, points={c.a1_t1: D("4"), c.a1_t2: D("2.25")}, by=c.teacher
    )
    hand_in(c.a2, c.s5)
    # Achievements: one of each type.
    achievement_services.enter_achievement_values(
        achievement=c.boolean, values={c.s1.pk: "yes", c.s2.pk: "no"}, by=c.teacher
    )
    achievement_services.enter_achievement_values(
        achievement=c.numeric, values={c.s1.pk: "3", c.s2.pk: "2.99"}, by=c.teacher
    )
    achievement_services.enter_achievement_values(
        achievement=c.percent, values={c.s1.pk: "49.99", c.s2.pk: "50"}, by=c.teacher
    )
    return c


def records(c) -> dict[int, Record]:
    return {r.user_id: r for r in Record.objects.filter(lecture=c.lecture)}


def sheet(points, status, submitted=False, maximum="10.00"):
    return {"points": points, "max": maximum, "status": status, "submitted": submitted}


def test_figures_exactly_right(graded):
    c = graded
    assert compute_and_upsert_all_records(lecture=c.lecture) == 5
    got = records(c)
    assert set(got) == {c.s1.pk, c.s2.pk, c.s3.pk, c.s4.pk, c.s5.pk}  # not the outsider

    s1 = got[c.s1.pk]
    assert (s1.points, s1.maximum, s1.points_pending_marking) == (D("17.50"), D("30"), D("10"))
    assert s1.percentage == D("58.33")  # 58.333... rounded down
    assert s1.per_assessment == {
        str(c.a1.pk): sheet("7.50", "reviewed"),
        str(c.a2.pk): sheet("10.00", "reviewed"),
        str(c.a3.pk): sheet(None, "pending", submitted=True),
    }
    assert s1.achievements == {
        str(c.boolean.pk): "met",
        str(c.numeric.pk): "met",  # 3 >= 3
        str(c.percent.pk): "not_met",  # 49.99 < 50
    }

    s2 = got[c.s2.pk]
    assert (s2.points, s2.maximum, s2.points_pending_marking) == (D("0"), D("20"), D("0"))
    assert s2.percentage == D("0.00")
    assert s2.per_assessment == {
        str(c.a1.pk): sheet(None, "absent"),
        str(c.a2.pk): sheet(None, "exempt"),
        str(c.a3.pk): sheet(None, "none"),
    }
    assert s2.achievements == {
        str(c.boolean.pk): "not_met",
        str(c.numeric.pk): "not_met",
        str(c.percent.pk): "met",
    }

    s3 = got[c.s3.pk]
    assert (s3.points, s3.maximum, s3.percentage) == (D("0"), D("0"), None)
    assert {v["status"] for v in s3.per_assessment.values()} == {"exempt"}
    assert set(s3.achievements.values()) == {"ungraded"}

    for member in (c.s4, c.s5):
        team = got[member.pk]
        assert team.per_assessment[str(c.a1.pk)] == sheet("6.25", "reviewed", submitted=True)
        assert team.points == D("6.25")
        assert team.maximum == D("30")
    assert got[c.s4.pk].points_pending_marking == D("0")
    # s5 handed in sheet 2 without a row yet: pending marking counts its maximum.
    assert got[c.s5.pk].per_assessment[str(c.a2.pk)] == sheet(None, "none", submitted=True)
    assert got[c.s5.pk].points_pending_marking == D("10")
    assert got[c.s5.pk].percentage == D("20.83")

    for record in got.values():
        assert len(record.fingerprint) == 32
        assert record.figures_changed_at == record.computed_at


def test_an_empty_team_submission_is_not_handed_in(course):
    c = course
    Submission.objects.create(assessment=c.a1)  # created by an invitation, no file yet
    SubmissionMember.objects.create(
        submission=Submission.objects.get(assessment=c.a1), assessment=c.a1, user=c.s1
    )
    compute_and_upsert_all_records(lecture=c.lecture)
    assert records(c)[c.s1.pk].per_assessment[str(c.a1.pk)]["submitted"] is False


def test_a_lecture_without_assignments_or_achievements(db):
    lecture = LectureFactory()
    student = UserFactory()
    RosterEntry.objects.create(registerable=lecture, user=student)
    assert compute_and_upsert_all_records(lecture=lecture) == 1
    record = Record.objects.get(lecture=lecture)
    assert (record.points, record.maximum, record.percentage) == (D("0"), D("0"), None)
    assert record.per_assessment == {} and record.achievements == {}


def test_a_no_change_recompute_keeps_fingerprint_and_figures_changed_at(graded):
    c = graded
    compute_and_upsert_all_records(lecture=c.lecture)
    before = {
        r.user_id: (r.fingerprint, r.figures_changed_at, r.computed_at) for r in records(c).values()
    }
    heard = []

    def listener(sender, lecture_id, user_ids, **kwargs):
        heard.append(list(user_ids))

    records_changed.connect(listener)
    try:
        compute_and_upsert_all_records(lecture=c.lecture)
    finally:
        records_changed.disconnect(listener)
    for user_id, record in records(c).items():
        fingerprint, changed_at, computed_at = before[user_id]
        assert record.fingerprint == fingerprint
        assert record.figures_changed_at == changed_at
        assert record.computed_at > computed_at
    assert heard == []


def test_one_change_moves_only_that_students_fingerprint(
    graded, django_capture_on_commit_callbacks
):
    c = graded
    compute_and_upsert_all_records(lecture=c.lecture)
    before = {r.user_id: (r.fingerprint, r.figures_changed_at) for r in records(c).values()}
    row = c.s1.participations.get(assessment=c.a3)
    grading.enter_points(participation=row, points={c.a3_t1: D("8")}, by=c.teacher)
    heard = []

    def listener(sender, lecture_id, user_ids, **kwargs):
        heard.append((lecture_id, list(user_ids)))

    records_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            compute_and_upsert_all_records(lecture=c.lecture)
    finally:
        records_changed.disconnect(listener)
    after = records(c)
    assert after[c.s1.pk].points == D("25.50")
    assert after[c.s1.pk].points_pending_marking == D("0")
    assert after[c.s1.pk].fingerprint != before[c.s1.pk][0]
    assert after[c.s1.pk].figures_changed_at > before[c.s1.pk][1]
    for other in (c.s2, c.s3, c.s4, c.s5):
        assert after[other.pk].fingerprint == before[other.pk][0]
        assert after[other.pk].figures_changed_at == before[other.pk][1]
    assert heard == [(c.lecture.pk, [c.s1.pk])]


def test_leaving_the_roster_deletes_the_record(graded):
    c = graded
    compute_and_upsert_all_records(lecture=c.lecture)
    RosterEntry.objects.filter(registerable=c.lecture, user=c.s2).delete()
    assert compute_and_upsert_all_records(lecture=c.lecture) == 4
    assert c.s2.pk not in records(c)


def test_one_students_record(graded):
    c = graded
    record = compute_and_upsert_record_for(lecture=c.lecture, user=c.s1)
    assert record.points == D("17.50")
    assert Record.objects.filter(lecture=c.lecture).count() == 1
    compute_and_upsert_all_records(lecture=c.lecture)
    again = compute_and_upsert_record_for(lecture=c.lecture, user=c.s1)
    assert again.fingerprint == record.fingerprint
    assert again.figures_changed_at == record.figures_changed_at
    # Not on the roster: no record, and an old one goes.
    assert compute_and_upsert_record_for(lecture=c.lecture, user=c.outsider) is None
    RosterEntry.objects.filter(registerable=c.lecture, user=c.s4).delete()
    assert compute_and_upsert_record_for(lecture=c.lecture, user=c.s4) is None
    assert Record.objects.filter(lecture=c.lecture, user=c.s4).count() == 0
    assert Record.objects.filter(lecture=c.lecture).count() == 4


def test_percentage_is_capped_for_huge_bonus_points(course):
    c = course
    sheet_ = AssessmentFactory(lecture=c.lecture)
    small = TaskFactory(assessment=sheet_, position=1, max_points=D("0.01"))
    for other in (c.a1, c.a2, c.a3):
        for user in (c.s1,):
            grading.mark_exempt(
                participation=ParticipationFactory(assessment=other, user=user), by=c.teacher
            )
    grade(c, c.s1, sheet_, {small: D("99999")})
    compute_and_upsert_all_records(lecture=c.lecture)
    assert records(c)[c.s1.pk].percentage == D("9999.99")


def _build(lecture, teacher, n_students: int, sheets, tasks) -> None:
    users = UserFactory.create_batch(n_students)
    RosterEntry.objects.bulk_create([RosterEntry(registerable=lecture, user=u) for u in users])
    from assessment.models import Participation, TaskPoint

    rows = Participation.objects.bulk_create(
        [Participation(assessment=s, user=u, points_total=D("3")) for s in sheets for u in users]
    )
    TaskPoint.objects.bulk_create(
        [
            TaskPoint(participation=r, task=t, points=D("3"))
            for r in rows
            for t in tasks[r.assessment_id][:1]
        ]
    )


def test_query_count_does_not_grow_with_students(db, django_assert_max_num_queries):
    lecture = LectureFactory()
    sheets = [AssessmentFactory(lecture=lecture) for _ in range(3)]
    tasks = {s.pk: [TaskFactory(assessment=s, position=1)] for s in sheets}
    AchievementFactory(lecture=lecture)
    _build(lecture, lecture.teacher, 10, sheets, tasks)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        compute_and_upsert_all_records(lecture=lecture)
    _build(lecture, lecture.teacher, 200, sheets, tasks)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert compute_and_upsert_all_records(lecture=lecture) == 210
    assert len(small.captured_queries) <= 12


def test_records_older_than_now_are_never_backdated(graded):
    c = graded
    compute_and_upsert_all_records(lecture=c.lecture)
    Record.objects.filter(lecture=c.lecture).update(computed_at=timezone.now() - timedelta(days=3))
    compute_and_upsert_all_records(lecture=c.lecture)
    assert all(r.computed_at > timezone.now() - timedelta(minutes=1) for r in records(c).values())
