"""The integrity monitor (issue 12 items 1 and 2): every metric of DOMAIN-NOTES fires when its
invariant is broken on purpose (raw SQL where the ORM forbids it), its alert is mailed once,
and after the repair a recovery message follows."""

from __future__ import annotations

import datetime
import importlib
import io
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from assessment.models import GradeChange, Participation, TaskPoint
from mampf.integrity import checks, get_check
from operations import monitor
from operations.models import Alert, JobHeartbeat, MetricResult
from performance.models import Certification, Record
from registration.models import AllocationRun, Campaign, Policy, UserRegistration
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    ParticipationFactory,
    PolicyFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)
from tests.performance.examgate_data import certify, make_record

pytestmark = pytest.mark.django_db

OPERATORS = ["ops@example.org"]


@pytest.fixture(autouse=True)
def _operators(settings):
    settings.OPERATORS_EMAILS = OPERATORS


def _run(name, capture):
    with capture(execute=True):
        return monitor.run_check(name)


def _mails_to(addresses):
    return [m for m in mail.outbox if set(m.to) & set(addresses)]


def _set_status(model, pk, status):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET status = %s WHERE id = %s", [status, pk])


# -- registration ---------------------------------------------------------------------------------


def test_orphan_registration_fires_alerts_operators_once_and_recovers(
    django_capture_on_commit_callbacks,
):
    item = ItemFactory()
    other = ItemFactory()  # another campaign's item
    registration = UserRegistration.objects.create(
        campaign=item.campaign, item=item, user=UserFactory(), status="confirmed"
    )
    assert monitor.run_check("orphan_registrations").ok
    # Point the registration at another campaign's item: the ORM's services never do this.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {UserRegistration._meta.db_table} SET item_id = %s WHERE id = %s",
            [other.pk, registration.pk],
        )
    outcome = _run("orphan_registrations", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.value == 1 and outcome.ids == [registration.pk]
    alerts = _mails_to(OPERATORS)
    assert len(alerts) == 1 and "Orphan registrations" in alerts[0].subject
    assert str(registration.pk) in alerts[0].body

    _run("orphan_registrations", django_capture_on_commit_callbacks)
    assert len(_mails_to(OPERATORS)) == 1, "an open alert is not mailed again"

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {UserRegistration._meta.db_table} SET item_id = %s WHERE id = %s",
            [item.pk, registration.pk],
        )
    assert _run("orphan_registrations", django_capture_on_commit_callbacks).ok
    mails = _mails_to(OPERATORS)
    assert len(mails) == 2 and "recovered" in mails[1].subject
    assert not Alert.objects.get(metric="orphan_registrations").is_open


def test_registration_without_any_item_is_an_orphan(django_capture_on_commit_callbacks):
    item = ItemFactory()
    registration = UserRegistration.objects.create(
        campaign=item.campaign, item=item, user=UserFactory(), status="pending"
    )
    # A dangling foreign key (the constraint is deferred, so inside the test it holds).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {UserRegistration._meta.db_table} SET item_id = 987654321 WHERE id = %s",
            [registration.pk],
        )
    assert monitor.measure(get_check("orphan_registrations")).ids == [registration.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {UserRegistration._meta.db_table} SET item_id = %s WHERE id = %s",
            [item.pk, registration.pk],
        )


def test_failed_allocation_run_alerts_the_lecture_staff_once(django_capture_on_commit_callbacks):
    campaign = CampaignFactory()
    teacher = campaign.lecture.teacher
    run = AllocationRun.objects.create(campaign=campaign, status="failed", seed=1, error="boom")
    outcome = _run("failed_allocation_runs", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.ids == [run.pk]
    to_teacher = _mails_to([teacher.email])
    assert len(to_teacher) == 1 and campaign.lecture.title in to_teacher[0].body
    assert str(run.pk) in to_teacher[0].body
    assert _mails_to(OPERATORS) == [], "a lecture's problem goes to its staff"

    _run("failed_allocation_runs", django_capture_on_commit_callbacks)
    assert len(_mails_to([teacher.email])) == 1

    AllocationRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert _run("failed_allocation_runs", django_capture_on_commit_callbacks).ok
    mails = _mails_to([teacher.email])
    assert len(mails) == 2 and "recovered" in mails[1].subject.lower()


def test_count_drift_above_five_per_item_is_reported_with_the_item(
    django_capture_on_commit_callbacks,
):
    tutorial = TutorialFactory()
    campaign = CampaignFactory(lecture=tutorial.lecture)
    item = ItemFactory(campaign=campaign, registerable=tutorial)
    students = UserFactory.create_batch(6)
    UserRegistration.objects.bulk_create(
        [
            UserRegistration(campaign=campaign, item=item, user=u, status="confirmed")
            for u in students
        ]
    )
    _set_status(Campaign, campaign.pk, "completed")
    # Five of six on the roster: drift 1, within the threshold.
    RosterEntry.objects.bulk_create(
        [RosterEntry(registerable=tutorial, user=u, source_campaign=campaign) for u in students[:5]]
    )
    outcome = _run("count_drift", django_capture_on_commit_callbacks)
    assert outcome.ok and outcome.value == 1
    # Staff emptied the roster by hand: drift 6.
    RosterEntry.objects.filter(registerable=tutorial).delete()
    outcome = _run("count_drift", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.value == 6 and outcome.ids == [item.pk]
    teacher = tutorial.lecture.teacher
    assert len(_mails_to([teacher.email])) == 1
    RosterEntry.objects.bulk_create(
        [RosterEntry(registerable=tutorial, user=u, source_campaign=campaign) for u in students]
    )
    assert _run("count_drift", django_capture_on_commit_callbacks).value == 0
    mails = _mails_to([teacher.email])
    assert len(mails) == 2 and "recovered" in mails[1].subject.lower()


def test_group_member_missing_from_the_lecture_roster(django_capture_on_commit_callbacks):
    tutorial = TutorialFactory()
    lecture = tutorial.lecture
    student = UserFactory()
    RosterEntry.objects.create(registerable=lecture, user=student)
    entry = RosterEntry.objects.create(registerable=tutorial, user=student)
    assert _run("group_members_missing_from_lecture", django_capture_on_commit_callbacks).ok
    # Removed from the lecture around the services (which would cascade to the tutorial).
    RosterEntry.objects.filter(registerable=lecture, user=student).delete()
    outcome = _run("group_members_missing_from_lecture", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.ids == [entry.pk]
    assert len(_mails_to([lecture.teacher.email])) == 1
    RosterEntry.objects.create(registerable=lecture, user=student)
    assert _run("group_members_missing_from_lecture", django_capture_on_commit_callbacks).ok
    assert len(_mails_to([lecture.teacher.email])) == 2


# -- performance ----------------------------------------------------------------------------------


def _admission_campaign(lecture, *, phase="registration"):
    campaign = CampaignFactory(lecture=lecture)
    PolicyFactory(campaign=campaign, kind="student_performance", phase=phase, config={})
    _set_status(Campaign, campaign.pk, "open")
    return campaign


def test_pending_certifications_while_a_gated_campaign_is_open(django_capture_on_commit_callbacks):
    lecture = LectureFactory()
    student = UserFactory()
    certification = certify(lecture, student, status="pending")
    assert _run("pending_certifications", django_capture_on_commit_callbacks).ok, "no campaign"
    campaign = _admission_campaign(lecture, phase=Policy.Phase.FINALIZATION)
    assert monitor.measure(get_check("pending_certifications")).ok, (
        "a finalization-phase rule of an open campaign decides later"
    )
    Policy.objects.filter(campaign=campaign).update(phase=Policy.Phase.BOTH)
    outcome = _run("pending_certifications", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.ids == [certification.pk]
    assert len(_mails_to([lecture.teacher.email])) == 1
    Certification.objects.filter(pk=certification.pk).update(status="passed")
    assert _run("pending_certifications", django_capture_on_commit_callbacks).ok
    assert len(_mails_to([lecture.teacher.email])) == 2


def test_stale_certifications_above_ten_percent(django_capture_on_commit_callbacks):
    lecture = LectureFactory()
    students = UserFactory.create_batch(10)
    for student in students:
        make_record(lecture, student)
        certify(lecture, student)
    Record.objects.filter(lecture=lecture, user=students[0]).update(fingerprint="changed")
    outcome = _run("stale_certifications", django_capture_on_commit_callbacks)
    assert outcome.ok and outcome.value == Decimal("10.00"), "10 % is the threshold itself"
    Record.objects.filter(lecture=lecture, user=students[1]).update(fingerprint="changed")
    outcome = _run("stale_certifications", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.value == Decimal("20.00")
    assert len(outcome.ids) == 2
    assert len(_mails_to([lecture.teacher.email])) == 1
    Certification.objects.filter(lecture=lecture).update(record_fingerprint="changed")
    Record.objects.filter(lecture=lecture).update(fingerprint="changed")
    assert _run("stale_certifications", django_capture_on_commit_callbacks).ok
    assert len(_mails_to([lecture.teacher.email])) == 2


def test_old_records_while_grading_goes_on_are_recomputed(django_capture_on_commit_callbacks):
    tutorial = TutorialFactory()
    lecture = tutorial.lecture
    AssessmentFactory(lecture=lecture)  # an assignment not published: grading goes on
    student = UserFactory()
    RosterEntry.objects.create(registerable=lecture, user=student)
    make_record(lecture, student)
    Record.objects.filter(lecture=lecture).update(
        computed_at=timezone.now() - datetime.timedelta(hours=50)
    )
    outcome = _run("record_age", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.value >= 50 and outcome.repaired == 1
    # The recompute the repair requested ran (eagerly, after the commit): the record is fresh.
    record = Record.objects.get(lecture=lecture, user=student)
    assert timezone.now() - record.computed_at < datetime.timedelta(minutes=5)
    alerts = _mails_to(OPERATORS)
    assert len(alerts) == 1 and "recomputation was requested" in alerts[0].body
    assert _run("record_age", django_capture_on_commit_callbacks).ok
    assert len(_mails_to(OPERATORS)) == 2


# -- assessment -----------------------------------------------------------------------------------


def test_points_total_mismatch_is_repaired_with_an_audit_row(django_capture_on_commit_callbacks):
    task = TaskFactory()
    participation = ParticipationFactory(assessment=task.assessment)
    TaskPoint.objects.create(participation=participation, task=task, points=Decimal("7.5"))
    Participation.objects.filter(pk=participation.pk).update(points_total=Decimal("7.5"))
    assert monitor.run_check("points_total_mismatch").ok
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Participation._meta.db_table} SET points_total = 99 WHERE id = %s",
            [participation.pk],
        )
    version = Participation.objects.get(pk=participation.pk).version
    outcome = _run("points_total_mismatch", django_capture_on_commit_callbacks)
    assert not outcome.ok and outcome.ids == [participation.pk] and outcome.repaired == 1
    participation.refresh_from_db()
    assert participation.points_total == Decimal("7.5")
    assert participation.version == version + 1
    audit = GradeChange.objects.get(participation=participation, field="points")
    assert (Decimal(audit.old), Decimal(audit.new)) == (Decimal(99), Decimal("7.5"))
    assert "integrity repair" in audit.reason
    teacher = task.assessment.lecture.teacher
    alerts = _mails_to([teacher.email])
    assert len(alerts) == 1 and "Repaired automatically" in alerts[0].body
    assert _run("points_total_mismatch", django_capture_on_commit_callbacks).ok
    mails = _mails_to([teacher.email])
    assert len(mails) == 2 and "recovered" in mails[1].subject.lower()
    stored = MetricResult.objects.filter(metric="points_total_mismatch", lecture=None)
    assert list(stored.order_by("at", "id").values_list("value", "ok", "repaired")) == [
        (Decimal(0), True, 0),
        (Decimal(1), False, 1),
        (Decimal(0), True, 0),
    ]


# -- the jobs themselves --------------------------------------------------------------------------


def test_overdue_beat_job_is_an_alert(django_capture_on_commit_callbacks):
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    JobHeartbeat.objects.create(
        job="registration-close-due-campaigns",
        task="registration.tasks.close_due_campaigns",
        first_started_at=long_ago,
        last_started_at=long_ago,
    )
    outcome = _run("overdue_jobs", django_capture_on_commit_callbacks)
    # The minute jobs are late, and so is every other minute job that never ran since.
    assert not outcome.ok
    assert "registration-close-due-campaigns" in outcome.ids
    assert "registration-open-due-campaigns" in outcome.ids
    assert "integrity-points-total-mismatch" not in outcome.ids, "a daily job is not late yet"
    assert len(_mails_to(OPERATORS)) == 1


def test_beat_jobs_record_their_runs_through_the_task_signals():
    from mampf.tasks import lapse_unconfirmed_addresses
    from operations.tasks import run_integrity_check

    lapse_unconfirmed_addresses.apply()
    beat = JobHeartbeat.objects.get(job="mampf-lapse-unconfirmed-addresses")
    assert beat.last_succeeded_at is not None and beat.last_failed_at is None

    run_integrity_check.apply(args=["count_drift"])
    assert JobHeartbeat.objects.get(job="integrity-count-drift").last_succeeded_at

    result = run_integrity_check.apply(args=["no_such_check"], throw=False)
    assert result.failed()
    assert not JobHeartbeat.objects.filter(
        task="operations.tasks.run_integrity_check", last_failed_at__isnull=False
    ).exists(), "a run with arguments of no beat entry is no beat job"


def test_a_failing_beat_job_records_its_error(monkeypatch):
    import dataclasses

    from mampf import integrity
    from operations.tasks import run_integrity_check

    def broken():
        raise RuntimeError("database exploded")

    check = dataclasses.replace(get_check("count_drift"), fn=broken)
    monkeypatch.setitem(integrity._CHECKS, "count_drift", check)
    assert run_integrity_check.apply(args=["count_drift"], throw=False).failed()
    beat = JobHeartbeat.objects.get(job="integrity-count-drift")
    assert beat.last_failed_at and "database exploded" in beat.last_error
    assert beat.last_succeeded_at is None


# -- the schedule, the command, the demo ----------------------------------------------------------


def test_beat_schedule_names_every_job(settings):
    from mampf.celery import app
    from operations.jobs import cadence

    schedule = settings.CELERY_BEAT_SCHEDULE
    for name, entry in schedule.items():
        importlib.import_module(entry["task"].rsplit(".", 1)[0])  # as the worker's autodiscovery
        assert entry["task"] in app.tasks, f"{name}: {entry['task']} is no task"
    for check in checks():
        entries = [
            e
            for e in schedule.values()
            if e["task"] == "operations.tasks.run_integrity_check" and e.get("args") == [check.name]
        ]
        assert len(entries) == 1, f"no beat job runs the check {check.name}"
        assert cadence(entries[0]["schedule"]) == check.interval, check.name
    assert {c.name for c in checks()} >= {
        "orphan_registrations",
        "failed_allocation_runs",
        "count_drift",
        "pending_certifications",
        "stale_certifications",
        "record_age",
        "points_total_mismatch",
        "overdue_jobs",
        "group_members_missing_from_lecture",
    }


def test_integrity_check_command_prints_json_and_exits_1_when_over():
    out = io.StringIO()
    call_command("integrity_check", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert {row["metric"] for row in rows} == {c.name for c in checks()}
    assert all(set(row) == {"metric", "value", "threshold", "ok", "ids"} for row in rows)

    campaign = CampaignFactory()
    run = AllocationRun.objects.create(campaign=campaign, status="failed", seed=1)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("integrity_check", "--json", stdout=out)
    assert exit_info.value.code == 1
    failed = {row["metric"]: row for row in json.loads(out.getvalue())}["failed_allocation_runs"]
    assert failed == {
        "metric": "failed_allocation_runs",
        "value": 1.0,
        "threshold": 0.0,
        "ok": False,
        "ids": [run.pk],
    }
    assert not MetricResult.objects.exists(), "without --record the command only measures"
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("integrity_check", stdout=out)
    assert "failed_allocation_runs" in out.getvalue() and "OVER" in out.getvalue()


@pytest.mark.slow
def test_the_demo_semester_is_all_green():
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    outcomes = monitor.measure_all()
    assert [(o.check.name, o.value) for o in outcomes if not o.ok] == []


def test_checks_take_a_bounded_number_of_queries(django_assert_max_num_queries):
    lecture = LectureFactory()
    for _ in range(30):
        student = UserFactory()
        make_record(lecture, student)
        certify(lecture, student, status="pending")
    _admission_campaign(lecture)
    Record.objects.filter(lecture=lecture).update(fingerprint="changed")
    with django_assert_max_num_queries(12):
        outcomes = monitor.measure_all()
    assert {o.check.name for o in outcomes if not o.ok} == {
        "pending_certifications",
        "stale_certifications",
    }


def test_alerts_reach_each_teacher_in_their_language(django_capture_on_commit_callbacks):
    campaign = CampaignFactory()
    lecture = campaign.lecture
    teacher = lecture.teacher
    teacher.language = "de"
    teacher.save(update_fields=["language"])
    editor = UserFactory(language="en")
    lecture.editors.add(editor)
    AllocationRun.objects.create(campaign=campaign, status="failed", seed=1)
    _run("failed_allocation_runs", django_capture_on_commit_callbacks)
    german = _mails_to([teacher.email])
    english = _mails_to([editor.email])
    assert len(german) == 1 and len(english) == 1
    assert german[0].subject == (
        "Integritätswarnung: Fehlgeschlagene Zuteilungsläufe der letzten 24 Stunden"
    )
    assert "Schwelle 0" in german[0].body and f"in {lecture.title}" in german[0].body
    assert english[0].subject == "Integrity alert: Failed allocation runs in the last 24 hours"
