"""assessment.services: every rule and refusal (by ``.code``), audit rows, nothing changed on
refusal."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from assessment import errors, selectors, services
from assessment.models import GradeChange, Participation, Submission, SubmissionMember, TaskPoint
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def snapshot(assessment):
    """Everything a refusal must leave alone."""
    return (
        sorted(
            Participation.objects.filter(assessment=assessment).values_list(
                "pk", "status", "points_total", "grade_value", "version", "note"
            )
        ),
        sorted(
            TaskPoint.objects.filter(task__assessment=assessment).values_list(
                "participation_id", "task_id", "points", "submission_id"
            )
        ),
        GradeChange.objects.filter(assessment=assessment).count(),
        assessment.__class__.objects.filter(pk=assessment.pk)
        .values_list("results_published_at", flat=True)
        .get(),
        assessment.tutorial_publications.count(),
        assessment.tasks.count(),
    )


@pytest.fixture
def tutor():
    return StaffFactory(is_staff=False)


@pytest.fixture
def sheet():
    """An assignment with three tasks of 10 points, grading open."""
    assessment = AssessmentFactory()
    tasks = [TaskFactory(assessment=assessment, position=i) for i in (1, 2, 3)]
    return assessment, tasks


@pytest.fixture
def row(sheet):
    return ParticipationFactory(assessment=sheet[0])


def fresh(participation):
    return Participation.objects.get(pk=participation.pk)


# -- seeding ----------------------------------------------------------------------------------


def test_seed_participations_is_idempotent_and_remembers_the_tutorial():
    assessment = AssessmentFactory()
    tutorial = TutorialFactory(lecture=assessment.lecture)
    students = UserFactory.create_batch(3)
    RosterEntry.objects.create(registerable=tutorial, user=students[0])
    ParticipationFactory(assessment=assessment, user=students[2])

    ids = [s.pk for s in students]
    assert services.seed_participations(assessment=assessment, user_ids=ids) == 2
    assert services.seed_participations(assessment=assessment, user_ids=ids) == 0
    assert services.seed_participations(assessment=assessment, user_ids=[]) == 0
    rows = {p.user_id: p for p in Participation.objects.filter(assessment=assessment)}
    assert set(rows) == set(ids)
    assert rows[students[0].pk].tutorial_id == tutorial.pk
    assert rows[students[1].pk].tutorial_id is None
    assert {p.status for p in rows.values()} == {"pending"}


def test_seeding_many_students_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    assessment = AssessmentFactory()
    students = UserFactory.create_batch(60)
    with django_assert_max_num_queries(8):
        created = services.seed_participations(
            assessment=assessment, user_ids=[s.pk for s in students]
        )
    assert created == 60


# -- entering points --------------------------------------------------------------------------


def test_points_keep_total_and_status_and_write_audit_rows(sheet, row, tutor):
    assessment, (t1, t2, t3) = sheet
    services.enter_points(participation=row, points={t1: D("4.5"), t2: "3,25"}, by=tutor)
    row = fresh(row)
    assert row.points_total == D("7.75") and row.status == "pending" and row.version == 1

    services.enter_points(participation=row, points={t3: D("12")}, by=tutor)  # bonus: > max
    row = fresh(row)
    assert row.points_total == D("19.75") and row.status == "reviewed"

    services.enter_points(participation=row, points={t2: None}, by=tutor)
    row = fresh(row)
    assert row.points_total == D("16.50") and row.status == "pending"
    assert not TaskPoint.objects.filter(participation=row, task=t2).exists()

    changes = list(GradeChange.objects.filter(participation=row).order_by("id"))
    points = [(c.task_id, c.old, c.new) for c in changes if c.field == "points"]
    assert points == [
        (t1.pk, "", "4.50"),
        (t2.pk, "", "3.25"),
        (t3.pk, "", "12.00"),
        (t2.pk, "3.25", ""),
    ]
    statuses = [(c.old, c.new) for c in changes if c.field == "status"]
    assert statuses == [("pending", "reviewed"), ("reviewed", "pending")]
    assert all(c.by_id == tutor.pk for c in changes)
    graded = TaskPoint.objects.get(participation=row, task=t1)
    assert graded.grader_id == tutor.pk


def test_saving_the_same_values_again_changes_nothing(sheet, row, tutor):
    _assessment, (t1, *_rest) = sheet
    services.enter_points(participation=row, points={t1: D("1")}, by=tutor)
    before = snapshot(sheet[0])
    services.enter_points(participation=fresh(row), points={t1: "1.00"}, by=tutor)
    assert snapshot(sheet[0]) == before


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (D("-1"), "negative_points"),
        ("-0,5", "negative_points"),
        ("1" * 40, "invalid_points"),
        (D("1" * 40), "invalid_points"),
        (D("100000"), "invalid_points"),
        ("abc", "invalid_points"),
        ("NaN", "invalid_points"),
        (D("Infinity"), "invalid_points"),
        (1.5, "invalid_points"),
        (D("1.255"), "invalid_points"),
        (True, "invalid_points"),
    ],
)
def test_bad_points_are_refused_and_change_nothing(sheet, row, tutor, value, code):
    assessment, (t1, t2, _t3) = sheet
    services.enter_points(participation=row, points={t2: D("2")}, by=tutor)
    before = snapshot(assessment)
    with pytest.raises(errors.InvalidPoints) as refusal:
        services.enter_points(participation=fresh(row), points={t1: value, t2: D("3")}, by=tutor)
    assert refusal.value.code == code
    assert str(refusal.value)
    assert snapshot(assessment) == before


def test_a_task_of_another_assessment_is_refused(sheet, row, tutor):
    foreign = TaskFactory()
    before = snapshot(sheet[0])
    with pytest.raises(errors.TaskNotInAssessment) as refusal:
        services.enter_points(
            participation=row, points={sheet[1][0]: D("1"), foreign: D("1")}, by=tutor
        )
    assert refusal.value.code == "task_not_in_assessment"
    assert snapshot(sheet[0]) == before


def test_grading_opens_only_after_deadline_and_grace(tutor):
    now = timezone.now()
    within_grace = AssessmentFactory(deadline=now - datetime.timedelta(minutes=5), grace_minutes=15)
    before_deadline = AssessmentFactory(deadline=now + datetime.timedelta(days=1))
    for assessment in (within_grace, before_deadline):
        task = TaskFactory(assessment=assessment)
        row = ParticipationFactory(assessment=assessment)
        before = snapshot(assessment)
        with pytest.raises(errors.GradingNotOpen) as refusal:
            services.enter_points(participation=row, points={task: D("1")}, by=tutor)
        assert refusal.value.code == "grading_not_open"
        assert snapshot(assessment) == before


def test_exams_are_graded_at_once_talks_never_with_points(tutor):
    exam = AssessmentFactory(kind="exam")
    task = TaskFactory(assessment=exam)
    row = ParticipationFactory(assessment=exam)
    services.enter_points(participation=row, points={task: D("8")}, by=tutor)
    assert fresh(row).status == "reviewed"

    talk = AssessmentFactory(kind="talk")
    talk_task = TaskFactory(assessment=talk)  # only possible by hand; the service refuses
    talk_row = ParticipationFactory(assessment=talk)
    with pytest.raises(errors.WrongKind) as refusal:
        services.enter_points(participation=talk_row, points={talk_task: D("1")}, by=tutor)
    assert refusal.value.code == "wrong_kind"
    with pytest.raises(errors.WrongKind):
        services.add_task(assessment=talk, max_points=D("5"), by=tutor)


def test_a_stale_version_gets_changed_meanwhile_with_the_current_values(sheet, row, tutor):
    assessment, (t1, t2, _t3) = sheet
    shown = row.version
    services.enter_points(participation=row, points={t1: D("5")}, by=tutor, expected_version=shown)
    before = snapshot(assessment)
    with pytest.raises(errors.ChangedMeanwhile) as refusal:
        services.enter_points(
            participation=row,
            points={t1: D("6"), t2: D("1")},
            by=StaffFactory(),
            expected_version=shown,
        )
    assert refusal.value.code == "changed_meanwhile"
    assert refusal.value.details["version"] == shown + 1
    assert refusal.value.details["points"] == {t1.pk: "5.00"}
    assert refusal.value.details["points_total"] == "5.00"
    assert snapshot(assessment) == before
    services.enter_points(
        participation=row, points={t1: D("6")}, by=tutor, expected_version=shown + 1
    )
    assert fresh(row).points_total == D("6")


def test_no_points_on_absent_or_exempt_rows(sheet, tutor):
    assessment, (t1, *_rest) = sheet
    for status in ("absent", "exempt"):
        row = ParticipationFactory(assessment=assessment, status=status)
        before = snapshot(assessment)
        with pytest.raises(errors.StatusForbids) as refusal:
            services.enter_points(participation=row, points={t1: D("1")}, by=tutor)
        assert refusal.value.code == "status_forbids"
        assert snapshot(assessment) == before


# -- team grading -----------------------------------------------------------------------------


def team_submission(assessment, members):
    submission = Submission.objects.create(assessment=assessment, uploaded_at=timezone.now())
    for member in members:
        SubmissionMember.objects.create(submission=submission, assessment=assessment, user=member)
    return submission


def test_grading_a_submission_gives_every_member_the_same_points(sheet, tutor):
    assessment, (t1, t2, t3) = sheet
    a, b = UserFactory.create_batch(2)
    tutorial = TutorialFactory(lecture=assessment.lecture)
    RosterEntry.objects.create(registerable=tutorial, user=b)
    ParticipationFactory(assessment=assessment, user=a)  # b has no row yet
    submission = team_submission(assessment, [a, b])

    rows = services.grade_submission(
        submission=submission, points={t1: D("1"), t2: D("2"), t3: D("3.5")}, by=tutor
    )
    assert len(rows) == 2
    for member in (a, b):
        row = Participation.objects.get(assessment=assessment, user=member)
        assert row.points_total == D("6.5") and row.status == "reviewed"
        assert set(row.task_points.values_list("submission_id", flat=True)) == {submission.pk}
    assert Participation.objects.get(assessment=assessment, user=b).tutorial_id == tutorial.pk
    assert GradeChange.objects.filter(assessment=assessment, field="points").count() == 6


def test_team_grading_is_all_or_nothing(sheet, tutor):
    assessment, (t1, *_rest) = sheet
    a, b = UserFactory.create_batch(2)
    ParticipationFactory(assessment=assessment, user=a)
    ParticipationFactory(assessment=assessment, user=b, status="exempt")
    submission = team_submission(assessment, [a, b])
    before = snapshot(assessment)
    with pytest.raises(errors.StatusForbids):
        services.grade_submission(submission=submission, points={t1: D("1")}, by=tutor)
    assert snapshot(assessment) == before


def test_team_grading_with_a_stale_version_is_refused(sheet, tutor):
    assessment, (t1, *_rest) = sheet
    a, b = UserFactory.create_batch(2)
    row_a = ParticipationFactory(assessment=assessment, user=a)
    ParticipationFactory(assessment=assessment, user=b)
    submission = team_submission(assessment, [a, b])
    services.enter_points(participation=row_a, points={t1: D("2")}, by=tutor)
    before = snapshot(assessment)
    with pytest.raises(errors.ChangedMeanwhile):
        services.grade_submission(
            submission=submission,
            points={t1: D("4")},
            by=tutor,
            expected_versions={row_a.pk: 0},
        )
    assert snapshot(assessment) == before


def test_an_empty_submission_is_refused(sheet, tutor):
    submission = Submission.objects.create(assessment=sheet[0])
    with pytest.raises(errors.NotParticipating) as refusal:
        services.grade_submission(submission=submission, points={sheet[1][0]: D("1")}, by=tutor)
    assert refusal.value.code == "not_participating"


# -- absent, exempt -----------------------------------------------------------------------------


def test_absent_and_exempt_are_refused_on_reviewed_rows(sheet, row, tutor):
    assessment, tasks = sheet
    services.enter_points(participation=row, points={t: D("1") for t in tasks}, by=tutor)
    before = snapshot(assessment)
    with pytest.raises(errors.StatusForbids) as refusal:
        services.mark_absent(participation=row, by=tutor)
    assert refusal.value.code == "status_forbids"
    with pytest.raises(errors.StatusForbids):
        services.mark_exempt(participation=row, by=tutor, note="ill")
    assert snapshot(assessment) == before


def test_marks_are_audited_and_can_be_cleared(sheet, row, tutor):
    services.mark_absent(participation=row, by=tutor)
    assert fresh(row).status == "absent"
    services.mark_exempt(participation=row, by=tutor, note="Medical certificate")
    row = fresh(row)
    assert row.status == "exempt" and row.note == "Medical certificate"
    services.clear_mark(participation=row, by=tutor)
    assert fresh(row).status == "pending"
    changes = list(
        GradeChange.objects.filter(participation=row)
        .order_by("id")
        .values_list("field", "old", "new")
    )
    assert changes == [
        ("status", "pending", "absent"),
        ("status", "absent", "exempt"),
        ("note", "", "Medical certificate"),
        ("status", "exempt", "pending"),
    ]


def test_clearing_a_mark_is_refused_on_a_pending_row(row, tutor):
    with pytest.raises(errors.StatusForbids):
        services.clear_mark(participation=row, by=tutor)


def test_exempt_drops_an_existing_grade(tutor):
    exam = AssessmentFactory(kind="exam")
    row = ParticipationFactory(assessment=exam, status="absent")
    Participation.objects.filter(pk=row.pk).update(grade_value=D("5.0"))
    services.mark_exempt(participation=row, by=tutor, note="withdrew")
    row = fresh(row)
    assert row.status == "exempt" and row.grade_value is None
    assert GradeChange.objects.filter(participation=row, field="grade", old="5.0").exists()


# -- tasks ------------------------------------------------------------------------------------


def test_a_new_task_reopens_reviewed_rows(sheet, tutor):
    assessment, tasks = sheet
    done = ParticipationFactory(assessment=assessment)
    services.enter_points(participation=done, points={t: D("1") for t in tasks}, by=tutor)
    absent = ParticipationFactory(assessment=assessment, status="absent")
    version = fresh(done).version

    task = services.add_task(assessment=assessment, max_points="5", title="Bonus", by=tutor)
    assert task.position == 4 and task.max_points == D("5")
    assert fresh(done).status == "pending" and fresh(done).version == version + 1
    assert fresh(absent).status == "absent"
    assert GradeChange.objects.filter(
        participation=done, field="status", old="reviewed", new="pending"
    ).exists()
    assert GradeChange.objects.filter(assessment=assessment, field="task", task=task).exists()


def test_adding_a_task_refuses_bad_maxima_and_taken_positions(sheet, tutor):
    assessment, _tasks = sheet
    before = snapshot(assessment)
    for bad in (None, "-1", "x", "1" * 40):
        with pytest.raises(errors.InvalidPoints):
            services.add_task(assessment=assessment, max_points=bad, by=tutor)
    with pytest.raises(errors.AssessmentError) as refusal:
        services.add_task(assessment=assessment, max_points="1", position=1, by=tutor)
    assert refusal.value.code == "task_position_taken"
    assert snapshot(assessment) == before


def test_a_task_with_points_cannot_be_deleted(sheet, row, tutor):
    assessment, (t1, *_rest) = sheet
    services.enter_points(participation=row, points={t1: D("0")}, by=tutor)
    before = snapshot(assessment)
    with pytest.raises(errors.TaskHasPoints) as refusal:
        services.delete_task(task=t1, by=tutor)
    assert refusal.value.code == "task_has_points"
    assert snapshot(assessment) == before


def test_deleting_the_last_missing_task_completes_rows(sheet, row, tutor):
    assessment, (t1, t2, t3) = sheet
    services.enter_points(participation=row, points={t1: D("1"), t2: D("2")}, by=tutor)
    services.delete_task(task=t3, by=tutor)
    row = fresh(row)
    assert row.status == "reviewed"
    assert not assessment.tasks.filter(pk=t3.pk).exists()
    assert GradeChange.objects.filter(
        assessment=assessment, field="task", reason="task deleted"
    ).exists()


# -- publication ------------------------------------------------------------------------------


def test_publish_per_tutorial_and_withdraw(
    sheet, tutor, mailoutbox, django_capture_on_commit_callbacks
):
    assessment, _tasks = sheet
    tutorial = TutorialFactory(lecture=assessment.lecture)
    other = TutorialFactory(lecture=assessment.lecture)
    mine = ParticipationFactory(assessment=assessment, tutorial=tutorial)
    theirs = ParticipationFactory(assessment=assessment, tutorial=other)

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(assessment=assessment, by=tutor, tutorial=tutorial)
    assert selectors.results_visible(participation=fresh(mine))
    assert not selectors.results_visible(participation=fresh(theirs))
    assert [m.to for m in mailoutbox] == [[mine.user.email]]

    before = snapshot(assessment)
    with pytest.raises(errors.AlreadyPublished) as refusal:
        services.publish_results(assessment=assessment, by=tutor, tutorial=tutorial)
    assert refusal.value.code == "already_published"
    assert snapshot(assessment) == before

    services.withdraw_results(assessment=assessment, by=tutor, tutorial=tutorial)
    assert not selectors.results_visible(participation=fresh(mine))
    with pytest.raises(errors.NotPublished) as refusal:
        services.withdraw_results(assessment=assessment, by=tutor, tutorial=tutorial)
    assert refusal.value.code == "not_published"
    assert list(
        GradeChange.objects.filter(assessment=assessment, field="publication")
        .order_by("id")
        .values_list("new", "tutorial_id", "by_id")
    ) == [("published", tutorial.pk, tutor.pk), ("withdrawn", tutorial.pk, tutor.pk)]


def test_publish_as_a_whole(tutor, mailoutbox, django_capture_on_commit_callbacks):
    exam = AssessmentFactory(kind="exam")
    rows = ParticipationFactory.create_batch(3, assessment=exam)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(assessment=exam, by=tutor)
    exam.refresh_from_db()
    assert exam.results_published_at is not None
    assert all(selectors.results_visible(participation=fresh(r)) for r in rows)
    assert len(mailoutbox) == 3
    with pytest.raises(errors.AlreadyPublished):
        services.publish_results(assessment=exam, by=tutor)
    services.withdraw_results(assessment=exam, by=tutor)
    exam.refresh_from_db()
    assert exam.results_published_at is None
    with pytest.raises(errors.NotPublished):
        services.withdraw_results(assessment=exam, by=tutor)


def test_publication_scope_is_checked(tutor):
    exam = AssessmentFactory(kind="exam")
    tutorial = TutorialFactory(lecture=exam.lecture)
    before = snapshot(exam)
    with pytest.raises(errors.WrongKind):
        services.publish_results(assessment=exam, by=tutor, tutorial=tutorial)
    sheet = AssessmentFactory()
    with pytest.raises(errors.TutorialNotInLecture) as refusal:
        services.publish_results(assessment=sheet, by=tutor, tutorial=TutorialFactory())
    assert refusal.value.code == "tutorial_not_in_lecture"
    assert snapshot(exam) == before
    assert snapshot(sheet)[3:5] == (None, 0)


# -- roster guard -----------------------------------------------------------------------------


def test_roster_guard_protects_graded_speakers_and_candidates(tutor):
    talk_assessment = AssessmentFactory(kind="talk")
    talk = talk_assessment.talk
    speaker = ParticipationFactory(assessment=talk_assessment)
    assert selectors.has_grading_data(registerable=talk, user=speaker.user) is None
    Participation.objects.filter(pk=speaker.pk).update(grade_value=D("1.3"))
    reason = selectors.has_grading_data(registerable=talk, user=speaker.user)
    assert reason and talk_assessment.title in reason

    exam_assessment = AssessmentFactory(kind="exam")
    task = TaskFactory(assessment=exam_assessment)
    candidate = ParticipationFactory(assessment=exam_assessment)
    absent = ParticipationFactory(assessment=exam_assessment, status="absent")
    exam = exam_assessment.exam
    assert selectors.has_grading_data(registerable=exam, user=candidate.user) is None
    assert selectors.has_grading_data(registerable=exam, user=absent.user)
    services.enter_points(participation=candidate, points={task: D("0")}, by=tutor)
    assert selectors.has_grading_data(registerable=exam, user=candidate.user)
    # The same student on a tutorial or the lecture roster is not guarded here.
    tutorial = TutorialFactory(lecture=exam_assessment.lecture)
    assert selectors.has_grading_data(registerable=tutorial, user=candidate.user) is None
    assert selectors.has_grading_data(registerable=exam.lecture, user=candidate.user) is None
    assert selectors.has_grading_data(registerable=talk, user=candidate.user) is None


def test_the_guard_is_registered_when_rosters_offers_the_registry(monkeypatch):
    from rosters import services as roster_services

    registered = []
    monkeypatch.setattr(roster_services, "register_removal_guard", registered.append, raising=False)
    apps.get_app_config("assessment").ready()
    assert registered == [selectors.has_grading_data]


# -- talks --------------------------------------------------------------------------------------


def test_a_talk_is_graded_with_a_grade_only(tutor):
    talk = AssessmentFactory(kind="talk")
    row = ParticipationFactory(assessment=talk)
    services.enter_grade(participation=row, grade="1,3", by=tutor)
    row = fresh(row)
    assert row.grade_value == D("1.3") and row.grade_source == "manual"
    assert row.status == "reviewed" and row.version == 1
    services.enter_grade(participation=row, grade=None, by=tutor, expected_version=1)
    row = fresh(row)
    assert row.grade_value is None and row.status == "pending" and row.grade_source == ""
    assert list(
        GradeChange.objects.filter(participation=row)
        .order_by("id")
        .values_list("field", "old", "new")
    ) == [
        ("grade", "", "1.3"),
        ("status", "pending", "reviewed"),
        ("grade", "1.3", ""),
        ("status", "reviewed", "pending"),
    ]


@pytest.mark.parametrize("grade", ["4,3", "4.7", "0", "6", "abc", "1" * 40, 1.3, "NaN"])
def test_talk_grades_must_be_german_grades(tutor, grade):
    talk = AssessmentFactory(kind="talk")
    row = ParticipationFactory(assessment=talk)
    before = snapshot(talk)
    with pytest.raises(errors.InvalidGrade) as refusal:
        services.enter_grade(participation=row, grade=grade, by=tutor)
    assert refusal.value.code == "invalid_grade"
    assert snapshot(talk) == before


def test_grades_by_hand_only_for_talks_and_not_on_marked_rows(tutor):
    for kind in ("assignment", "exam"):
        row = ParticipationFactory(assessment=AssessmentFactory(kind=kind))
        with pytest.raises(errors.WrongKind):
            services.enter_grade(participation=row, grade="1.0", by=tutor)
        assert fresh(row).grade_value is None
    talk = AssessmentFactory(kind="talk")
    absent = ParticipationFactory(assessment=talk, status="absent")
    before = snapshot(talk)
    with pytest.raises(errors.StatusForbids):
        services.enter_grade(participation=absent, grade="2.0", by=tutor)
    with pytest.raises(errors.ChangedMeanwhile):
        services.enter_grade(participation=absent, grade=None, by=tutor, expected_version=5)
    assert snapshot(talk) == before
