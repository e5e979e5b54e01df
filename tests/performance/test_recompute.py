"""Recomputation (issue 9 item 2): every change that feeds a record recomputes it after the
commit (eager Celery in the tests), bursts coalesce into one queued task, the claim is a
compare-and-set, a failure gives the request back, and the beat job picks only old records of
lectures with open grading."""

from __future__ import annotations

import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone

from assessment import achievements as achievement_services
from assessment import pages as assessment_pages
from assessment import services as grading
from assessment import sheets, submissions
from assessment.models import Assessment, Submission, SubmissionMember
from performance import recompute, records
from performance.models import LectureState, Record
from performance.services import compute_and_upsert_all_records
from rosters import services as roster_services
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    LectureFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"startxref\n0\n%%EOF\n"
)


@pytest.fixture
def w():
    """A lecture with one tutorial (Alice and Bob), one assignment with two tasks, current
    records for both students."""

    class W:
        pass

    w = W()
    w.lecture = LectureFactory()
    w.teacher = w.lecture.teacher
    w.tutor = UserFactory()
    w.tutorial = TutorialFactory(lecture=w.lecture, tutors=[w.tutor])
    w.alice, w.bob = UserFactory.create_batch(2)
    for student in (w.alice, w.bob):
        RosterEntry.objects.create(registerable=w.tutorial, user=student)
        RosterEntry.objects.create(registerable=w.lecture, user=student)
    w.sheet = AssessmentFactory(lecture=w.lecture, title="Sheet 1")
    w.t1 = TaskFactory(assessment=w.sheet, position=1, max_points=D("4"))
    w.t2 = TaskFactory(assessment=w.sheet, position=2, max_points=D("6"))
    w.row = ParticipationFactory(assessment=w.sheet, user=w.alice, tutorial=w.tutorial)
    compute_and_upsert_all_records(lecture=w.lecture)
    return w


def record(w, user) -> Record | None:
    return Record.objects.filter(lecture=w.lecture, user=user).first()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block's on-commit callbacks (the hooks, the queued task, eagerly) at its end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# -- every hook recomputes -----------------------------------------------------------------------


def test_enter_points_recomputes(w, committed):
    with committed():
        grading.enter_points(
            participation=w.row, points={w.t1: D("3"), w.t2: D("4.5")}, by=w.teacher
        )
    assert record(w, w.alice).points == D("7.50")
    assert record(w, w.alice).per_assessment[str(w.sheet.pk)]["status"] == "reviewed"
    state = LectureState.objects.get(lecture=w.lecture)
    assert state.recompute_requested_at is None
    assert state.recompute_finished_at is not None and state.records_computed == 2


def test_team_grading_recomputes_every_member(w, committed):
    team = Submission.objects.create(assessment=w.sheet, uploaded_at=timezone.now())
    for member in (w.alice, w.bob):
        SubmissionMember.objects.create(submission=team, assessment=w.sheet, user=member)
    with committed():
        grading.grade_submission(submission=team, points={w.t1: D("4"), w.t2: D("6")}, by=w.tutor)
    assert record(w, w.alice).points == D("10.00")
    assert record(w, w.bob).points == D("10.00")


def test_sheet_import_recomputes(w, committed):
    head, _body = sheets.sheet_table(assessment=w.sheet)
    rows = [head, [w.alice.matriculation_number, w.alice.name, "", "1", "2", str(w.alice.pk)]]
    with committed():
        sheets.import_sheet(assessment=w.sheet, rows=rows, by=w.teacher)
    assert record(w, w.alice).points == D("3.00")


def test_marks_recompute(w, committed):
    with committed():
        grading.mark_exempt(participation=w.row, by=w.teacher, note="ill")
    assert record(w, w.alice).maximum == D("0")
    with committed():
        grading.mark_absent(participation=w.row, by=w.teacher)
    assert record(w, w.alice).maximum == D("10.00")
    assert record(w, w.alice).per_assessment[str(w.sheet.pk)]["status"] == "absent"
    with committed():
        grading.clear_mark(participation=w.row, by=w.teacher)
    assert record(w, w.alice).per_assessment[str(w.sheet.pk)]["status"] == "pending"


def test_seeding_rows_recomputes(w, committed):
    with committed():
        grading.seed_participations(assessment=w.sheet, user_ids=[w.bob.pk])
    assert record(w, w.bob).per_assessment[str(w.sheet.pk)]["status"] == "pending"


def test_tasks_recompute(w, committed):
    with committed():
        task = grading.add_task(assessment=w.sheet, max_points=D("5"), by=w.teacher)
    assert record(w, w.alice).maximum == D("15.00")
    with committed():
        assessment_pages.update_task(task=task, max_points=D("7"), by=w.teacher)
    assert record(w, w.alice).maximum == D("17.00")
    with committed():
        grading.delete_task(task=task, by=w.teacher)
    assert record(w, w.alice).maximum == D("10.00")


def test_assignments_created_changed_and_deleted_recompute(w, committed):
    with committed():
        created = assessment_pages.create_assessment(
            lecture=w.lecture,
            title="Sheet 2",
            deadline=timezone.now() - timedelta(days=1),
            by=w.teacher,
        )
    assert str(created.pk) in record(w, w.alice).per_assessment
    before = record(w, w.alice).computed_at
    with committed():
        assessment_pages.update_assessment(assessment=created, title="Sheet 2b", by=w.teacher)
    assert record(w, w.alice).computed_at > before
    request = RequestFactory().post("/")
    request.user = StaffFactory()
    model_admin = admin.site._registry[Assessment]
    with committed():
        model_admin.delete_model(request, Assessment.objects.get(pk=created.pk))
    assert str(created.pk) not in record(w, w.alice).per_assessment


def test_achievements_recompute(w, committed):
    with committed():
        achievement = achievement_services.create_achievement(
            lecture=w.lecture, title="Talk", value_type="boolean", threshold=None, by=w.teacher
        )
    assert record(w, w.alice).achievements == {str(achievement.pk): "ungraded"}
    with committed():
        achievement_services.enter_achievement_values(
            achievement=achievement, values={w.alice.pk: "yes"}, by=w.teacher
        )
    assert record(w, w.alice).achievements == {str(achievement.pk): "met"}


def test_handing_in_recomputes(w, committed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    open_sheet = AssessmentFactory(
        lecture=w.lecture, deadline=timezone.now() + datetime.timedelta(days=1)
    )
    TaskFactory(assessment=open_sheet, position=1)
    with committed():
        submissions.upload_submission(
            assessment=open_sheet,
            user=w.bob,
            upload=SimpleUploadedFile("s.pdf", PDF, content_type="application/pdf"),
        )
    figures = record(w, w.bob).per_assessment[str(open_sheet.pk)]
    assert figures == {"points": None, "max": "10.00", "status": "none", "submitted": True}
    assert record(w, w.bob).points_pending_marking == D("10.00")


def test_lecture_roster_changes_recompute(w, committed):
    carol = UserFactory()
    with committed():
        roster_services.add_user(registerable=w.lecture, user=carol, by=w.teacher)
    assert record(w, carol) is not None
    with committed():
        roster_services.remove_user(registerable=w.lecture, user=carol, by=w.teacher)
    assert record(w, carol) is None
    dave = UserFactory()
    with committed():  # a tutorial propagates to the lecture roster
        roster_services.add_user(registerable=w.tutorial, user=dave, by=w.teacher)
    assert record(w, dave) is not None


def test_materializing_an_allocation_recomputes(w, committed):
    from tests.factories import CampaignFactory

    campaign = CampaignFactory(lecture=w.lecture)
    erin = UserFactory()
    with committed():
        roster_services.materialize_allocation(
            campaign=campaign, user_ids_by_registerable={w.tutorial.pk: [erin.pk]}
        )
    assert record(w, erin) is not None


def test_exam_grading_does_not_request_a_recompute(w, committed):
    exam = AssessmentFactory(lecture=w.lecture, kind="exam")
    task = TaskFactory(assessment=exam, position=1)
    row = ParticipationFactory(assessment=exam, user=w.alice)
    LectureState.objects.filter(lecture=w.lecture).delete()
    with committed():
        grading.enter_points(participation=row, points={task: D("9")}, by=w.teacher)
    assert not LectureState.objects.filter(lecture=w.lecture).exists()


def test_a_refused_change_requests_nothing(w, committed):
    grading.mark_absent(participation=w.row, by=w.teacher)
    LectureState.objects.filter(lecture=w.lecture).delete()
    with committed(), pytest.raises(grading.errors.StatusForbids):
        grading.enter_points(participation=w.row, points={w.t1: D("1")}, by=w.teacher)
    assert not LectureState.objects.filter(lecture=w.lecture).exists()


# -- coalescing ---------------------------------------------------------------------------------


def test_a_burst_of_requests_queues_one_task(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = [recompute.request_recompute(lecture_ids=[w.lecture.pk]) for _ in range(500)]
    assert queued[0] == [w.lecture.pk]
    assert all(q == [] for q in queued[1:])
    assert len(callbacks) == 1
    assert LectureState.objects.get(lecture=w.lecture).recompute_requested_at is not None


def test_the_claim_is_a_compare_and_set(w):
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    requested = LectureState.objects.get(lecture=w.lecture).recompute_requested_at
    assert recompute.claim_request(lecture_id=w.lecture.pk) == requested
    assert recompute.claim_request(lecture_id=w.lecture.pk) is None  # taken
    state = LectureState.objects.get(lecture=w.lecture)
    assert state.recompute_started_at is not None and state.recompute_finished_at is None
    # A worker that read an older request loses the compare-and-set against a newer one.
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    newer = LectureState.objects.get(lecture=w.lecture).recompute_requested_at
    assert (
        LectureState.objects.filter(lecture=w.lecture, recompute_requested_at=requested).update(
            recompute_requested_at=None
        )
        == 0
    )
    assert recompute.claim_request(lecture_id=w.lecture.pk) == newer


def test_a_run_without_a_request_does_nothing(w):
    assert recompute.run_recompute(lecture_id=w.lecture.pk).rounds == 0
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    assert recompute.run_recompute(lecture_id=w.lecture.pk).rounds == 1
    assert recompute.run_recompute(lecture_id=w.lecture.pk).rounds == 0  # a second delivery


def test_a_request_during_the_run_waits_for_its_own_task(
    w, monkeypatch, django_capture_on_commit_callbacks
):
    """Grading goes on while a recompute runs: the new request queued its own task with the
    countdown, and the running task leaves it alone (the burst keeps coalescing)."""
    real = records.recompute
    calls = []

    def grade_arrives_meanwhile(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            recompute.request_recompute(lecture_ids=[w.lecture.pk])
        return real(**kwargs)

    monkeypatch.setattr(records, "recompute", grade_arrives_meanwhile)
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert recompute.run_recompute(lecture_id=w.lecture.pk).rounds == 1
    assert len(callbacks) == 1  # the new request's own task
    assert LectureState.objects.get(lecture=w.lecture).recompute_requested_at is not None
    assert recompute.run_recompute(lecture_id=w.lecture.pk).rounds == 1  # that task


def test_a_request_older_than_the_countdown_gives_one_more_round(w, monkeypatch, settings):
    settings.PERFORMANCE_RECOMPUTE_DELAY_SECONDS = 0
    real = records.recompute
    calls = []

    def grade_arrives_meanwhile(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            recompute.request_recompute(lecture_ids=[w.lecture.pk])
        return real(**kwargs)

    monkeypatch.setattr(records, "recompute", grade_arrives_meanwhile)
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    assert recompute.run_recompute(lecture_id=w.lecture.pk).rounds == 2
    assert LectureState.objects.get(lecture=w.lecture).recompute_requested_at is None


def test_endless_requests_hand_over_to_a_fresh_task(
    w, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.PERFORMANCE_RECOMPUTE_DELAY_SECONDS = 0
    real = records.recompute

    def always_new_requests(**kwargs):
        recompute.request_recompute(lecture_ids=[w.lecture.pk])
        return real(**kwargs)

    monkeypatch.setattr(records, "recompute", always_new_requests)
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = recompute.run_recompute(lecture_id=w.lecture.pk)
    assert outcome.rounds == recompute.MAX_ROUNDS
    assert len(callbacks) >= 1  # the hand-over
    assert LectureState.objects.get(lecture=w.lecture).recompute_requested_at is not None


def test_a_failed_recompute_gives_the_request_back(w, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(records, "recompute", broken)
    recompute.request_recompute(lecture_ids=[w.lecture.pk])
    requested = LectureState.objects.get(lecture=w.lecture).recompute_requested_at
    with pytest.raises(RuntimeError):
        recompute.run_recompute(lecture_id=w.lecture.pk)
    state = LectureState.objects.get(lecture=w.lecture)
    assert state.recompute_requested_at == requested
    assert "disk full" in state.recompute_error
    assert recompute.recompute_status(lecture=w.lecture).state == "queued"


def test_a_lost_request_is_queued_again(w, django_capture_on_commit_callbacks):
    LectureState.objects.update_or_create(
        lecture=w.lecture,
        defaults={"recompute_requested_at": timezone.now() - timedelta(minutes=11)},
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert recompute.request_recompute(lecture_ids=[w.lecture.pk]) == [w.lecture.pk]
    assert len(callbacks) == 1


def test_requests_for_unknown_lectures_are_ignored(db):
    assert recompute.request_recompute(lecture_ids=[987654, None]) == []
    assert recompute.run_recompute(lecture_id=987654).rounds == 0


# -- the beat job --------------------------------------------------------------------------------


def _lecture_with_records(*, open_grading: bool, age: timedelta, students: int = 2):
    lecture = LectureFactory()
    for student in UserFactory.create_batch(students):
        RosterEntry.objects.create(registerable=lecture, user=student)
    AssessmentFactory(
        lecture=lecture, results_published_at=None if open_grading else timezone.now()
    )
    compute_and_upsert_all_records(lecture=lecture)
    Record.objects.filter(lecture=lecture).update(computed_at=timezone.now() - age)
    return lecture


def test_the_beat_job_picks_only_old_records_of_lectures_with_open_grading(
    db, django_capture_on_commit_callbacks
):
    old_open = _lecture_with_records(open_grading=True, age=timedelta(hours=49))
    fresh_open = _lecture_with_records(open_grading=True, age=timedelta(hours=47))
    old_closed = _lecture_with_records(open_grading=False, age=timedelta(hours=49))
    missing_open = _lecture_with_records(open_grading=True, age=timedelta(hours=1))
    RosterEntry.objects.create(registerable=missing_open, user=UserFactory())
    no_assignment = LectureFactory()
    RosterEntry.objects.create(registerable=no_assignment, user=UserFactory())
    assert recompute.stale_lecture_ids() == sorted([old_open.pk, missing_open.pk])

    with django_capture_on_commit_callbacks(execute=True):
        from performance.tasks import recompute_stale_records

        assert recompute_stale_records.delay().get() == sorted([old_open.pk, missing_open.pk])
    recent = timezone.now() - timedelta(minutes=1)
    assert all(r.computed_at > recent for r in Record.objects.filter(lecture=old_open))
    assert Record.objects.filter(lecture=missing_open).count() == 3
    assert all(r.computed_at < recent for r in Record.objects.filter(lecture=fresh_open))
    assert all(r.computed_at < recent for r in Record.objects.filter(lecture=old_closed))
    assert recompute.stale_lecture_ids() == []


def test_the_beat_job_picks_lost_requests(db):
    lecture = _lecture_with_records(open_grading=False, age=timedelta(hours=1))
    LectureState.objects.create(
        lecture=lecture, recompute_requested_at=timezone.now() - timedelta(minutes=30)
    )
    assert recompute.stale_lecture_ids() == [lecture.pk]


def test_the_beat_job_is_in_the_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "performance.tasks.recompute_stale_records" in tasks
