"""Issue 9 item 7: the staff's stale digest (once per interval, only when something became
stale, one claim under concurrency) and the students' decision mail (first decision and
changes only, in the student's language)."""

import datetime
import time

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from performance import notifications, signals
from performance.models import Certification, LectureState
from performance.selectors import certification_states
from tests.concurrency import run_concurrently
from tests.factories import LectureFactory, UserFactory
from tests.performance.examgate_data import (
    certify,
    change_figures,
    make_record,
    make_rule,
    students,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture():
    lecture = LectureFactory(title="Analysis 2")
    editor = UserFactory(email="editor@example.org", matriculation_number=None)
    lecture.editors.add(editor)
    lecture.editor = editor
    return lecture


def certified(lecture, count=3, status="passed"):
    rule = make_rule(lecture)
    people = students(lecture, count)
    for user in people:
        make_record(lecture, user)
        certify(lecture, user, status, rule=rule)
    return rule, people


def send_records_changed(lecture, users, *, capture):
    """What the recompute does: the signal on commit of its transaction."""
    with capture(execute=True):
        with transaction.atomic():
            transaction.on_commit(
                lambda: signals.records_changed.send(
                    sender=None, lecture_id=lecture.pk, user_ids=[u.pk for u in users]
                )
            )


def staff_mail(mailoutbox, lecture):
    staff = {lecture.teacher.email, lecture.editor.email}
    return [m for m in mailoutbox if m.to[0] in staff]


# -- the staleness query agrees with the derived state -----------------------------------------


def test_stale_query_agrees_with_certification_states(lecture):
    rule = make_rule(lecture)
    other_rule_lecture = LectureFactory()
    other_rule = make_rule(other_rule_lecture)
    people = students(lecture, 8)
    fresh, moved, no_record, old_version, foreign_rule, carried, pending, no_rule = people
    for user in people:
        if user is not no_record:
            make_record(lecture, user)
    certify(lecture, fresh, rule=rule)
    certify(lecture, moved, rule=rule)
    certify(lecture, no_record, rule=rule, fingerprint="fp-1")
    certify(lecture, old_version, rule=rule)
    certify(lecture, foreign_rule, rule=other_rule)
    certify(lecture, carried, "passed", source="carried_over", rule=rule)
    certify(lecture, pending, "pending", rule=rule)
    certify(lecture, no_rule, "failed", rule=None)
    change_figures(lecture, [moved, carried])
    Certification.objects.filter(user=old_version).update(rule_version=rule.version - 1 or 99)

    states = certification_states(lecture=lecture, user_ids=[u.pk for u in people])
    expected = {pk for pk, state in states.items() if state == "stale"}
    found = set(
        notifications.stale_certifications(lecture_id=lecture.pk).values_list("user_id", flat=True)
    )
    assert found == expected == {moved.pk, no_record.pk, old_version.pk, foreign_rule.pk,
                                 no_rule.pk}
    assert notifications.stale_count(lecture_id=lecture.pk) == 5

    # Without an active rule, only certifications decided under a rule are stale by rule.
    rule.is_active = False
    rule.save()
    states = certification_states(lecture=lecture, user_ids=[u.pk for u in people])
    assert set(
        notifications.stale_certifications(lecture_id=lecture.pk).values_list("user_id", flat=True)
    ) == {pk for pk, state in states.items() if state == "stale"}


# -- the digest ----------------------------------------------------------------------------------


def test_two_recomputes_send_one_digest_then_another_after_the_interval(
    lecture, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://mampf.example.org"
    settings.PERFORMANCE_STALE_DIGEST_HOURS = 3
    _rule, people = certified(lecture, 4)

    change_figures(lecture, people[:2])
    send_records_changed(lecture, people[:2], capture=django_capture_on_commit_callbacks)
    first = staff_mail(mailoutbox, lecture)
    assert sorted(m.to[0] for m in first) == sorted([lecture.teacher.email, lecture.editor.email])
    message = first[0]
    assert "Analysis 2" in message.subject
    assert "Out-of-date certifications now: 2." in message.body
    link = "https://mampf.example.org" + reverse("performance:dashboard", args=[lecture.pk])
    assert link in message.body
    students_mailed = [m for m in mailoutbox if m not in first]
    assert students_mailed == []

    # A second grading burst within the interval: no second mail.
    change_figures(lecture, people[2:], fingerprint="fp-3")
    send_records_changed(lecture, people[2:], capture=django_capture_on_commit_callbacks)
    assert len(staff_mail(mailoutbox, lecture)) == 2

    # After the interval the next change sends the next digest, with the current count.
    LectureState.objects.filter(pk=lecture.pk).update(
        stale_digest_sent_at=timezone.now() - datetime.timedelta(hours=3, minutes=1)
    )
    change_figures(lecture, people[:1], fingerprint="fp-4")
    send_records_changed(lecture, people[:1], capture=django_capture_on_commit_callbacks)
    mails = staff_mail(mailoutbox, lecture)
    assert len(mails) == 4
    assert "Out-of-date certifications now: 4." in mails[-1].body


def test_interval_is_a_setting(lecture, mailoutbox, settings, django_capture_on_commit_callbacks):
    settings.PERFORMANCE_STALE_DIGEST_HOURS = 0.5
    _rule, people = certified(lecture, 1)
    change_figures(lecture, people)
    now = timezone.now()

    def digest(at):
        with django_capture_on_commit_callbacks(execute=True):
            return notifications.send_stale_digest(
                lecture_id=lecture.pk, user_ids=[people[0].pk], now=at
            )

    assert digest(now) == 2
    assert digest(now + datetime.timedelta(minutes=29)) == 0
    assert digest(now + datetime.timedelta(minutes=31)) == 2
    assert len(mailoutbox) == 4


def test_a_recompute_that_changes_nothing_stale_sends_nothing_and_claims_nothing(
    lecture, mailoutbox, django_capture_on_commit_callbacks
):
    _rule, people = certified(lecture, 3)
    # The recompute reports these students, but their fingerprints did not move (or they have
    # no certification at all): nothing is stale.
    uncertified = students(lecture, 1)
    make_record(lecture, uncertified[0], fingerprint="fp-9")
    send_records_changed(lecture, people + uncertified, capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []
    claimed = LectureState.objects.filter(pk=lecture.pk, stale_digest_sent_at__isnull=False)
    assert not claimed.exists()
    # An empty list of students is nothing to report either.
    assert notifications.send_stale_digest(lecture_id=lecture.pk, user_ids=[]) == 0


def test_stale_students_outside_the_change_do_not_trigger_a_digest(lecture, mailoutbox):
    """A certification already stale earlier does not make every later recompute mail again:
    only the students whose figures just changed are asked."""
    _rule, people = certified(lecture, 2)
    change_figures(lecture, people[:1])
    assert notifications.send_stale_digest(lecture_id=lecture.pk, user_ids=[people[1].pk]) == 0
    assert mailoutbox == []


def test_digest_speaks_each_recipients_language(
    lecture, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    lecture.teacher.language = "de"
    lecture.teacher.save()
    _rule, people = certified(lecture, 1)
    change_figures(lecture, people)
    with django_capture_on_commit_callbacks(execute=True):
        notifications.send_stale_digest(lecture_id=lecture.pk, user_ids=[people[0].pk])
    by_address = {m.to[0]: m for m in mailoutbox}
    assert by_address[lecture.teacher.email].body.startswith("Hallo")
    assert by_address[lecture.editor.email].body.startswith("Hello")


def test_claim_is_taken_once_per_interval(lecture):
    now = timezone.now()
    assert notifications.claim_stale_digest(lecture_id=lecture.pk, now=now) is True
    assert notifications.claim_stale_digest(lecture_id=lecture.pk, now=now) is False
    later = now + notifications.digest_interval()
    assert notifications.claim_stale_digest(lecture_id=lecture.pk, now=later) is True
    assert LectureState.objects.get(pk=lecture.pk).stale_digest_sent_at == later


RACE_WINDOW_SECONDS = 0.2


def naive_claim(*, lecture_id, now):
    """What the conditional UPDATE replaces: read, decide in Python, write."""
    state, _created = LectureState.objects.get_or_create(lecture_id=lecture_id)
    due = state.stale_digest_sent_at is None or (
        state.stale_digest_sent_at <= now - notifications.digest_interval()
    )
    time.sleep(RACE_WINDOW_SECONDS)
    if due:
        LectureState.objects.filter(pk=lecture_id).update(stale_digest_sent_at=now)
    return due


def digest_rush(lecture, people):
    LectureState.objects.get_or_create(lecture=lecture)  # the recompute's bookkeeping row
    ids = [u.pk for u in people]
    return run_concurrently(
        [lambda: notifications.send_stale_digest(lecture_id=lecture.pk, user_ids=ids)] * 6
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_digest(on_postgres, mailoutbox, monkeypatch):
    lecture = LectureFactory()
    _rule, people = certified(lecture, 5)
    change_figures(lecture, people)
    real_claim = notifications.claim_stale_digest

    def slow_claim(**kwargs):
        time.sleep(RACE_WINDOW_SECONDS)  # every worker has passed the stale check by now
        return real_claim(**kwargs)

    monkeypatch.setattr(notifications, "claim_stale_digest", slow_claim)
    outcomes = digest_rush(lecture, people)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert sorted(value for _kind, value in outcomes) == [0, 0, 0, 0, 0, 1]
    assert [m.to[0] for m in mailoutbox] == [lecture.teacher.email]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_a_read_then_write_claim_sends_several_digests(
    on_postgres, mailoutbox, monkeypatch
):
    """Proves the test above can see duplicates: only the claim differs."""
    lecture = LectureFactory()
    _rule, people = certified(lecture, 5)
    change_figures(lecture, people)
    monkeypatch.setattr(notifications, "claim_stale_digest", naive_claim)
    outcomes = digest_rush(lecture, people)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert len(mailoutbox) > 1


def test_deleted_lecture_sends_nothing():
    assert notifications.send_stale_digest(lecture_id=987654, user_ids=[1]) == 0
    assert notifications.notify_students_of_decisions(lecture_id=987654, user_ids=[1]) == 0


# -- the students' decision mail --------------------------------------------------------------


def send_certifications_changed(lecture, users, *, capture):
    with capture(execute=True):
        with transaction.atomic():
            transaction.on_commit(
                lambda: signals.certifications_changed.send(
                    sender=None, lecture_id=lecture.pk, user_ids=[u.pk for u in users]
                )
            )


def decide(certification, status, **fields):
    Certification.objects.filter(pk=certification.pk).update(
        status=status, certified_at=timezone.now(), **fields
    )


def test_student_hears_once_when_first_decided_and_again_only_on_a_change(
    lecture, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://mampf.example.org"
    rule = make_rule(lecture)
    [ada] = students(lecture, 1)
    make_record(lecture, ada)
    cert = certify(lecture, ada, "pending", rule=rule)

    # Pending is no decision: nothing is sent, nothing remembered.
    send_certifications_changed(lecture, [ada], capture=django_capture_on_commit_callbacks)
    assert mailoutbox == []
    cert.refresh_from_db()
    assert cert.student_notified_status == ""

    decide(cert, "passed")
    send_certifications_changed(lecture, [ada], capture=django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mailoutbox] == [ada.email]
    assert "has been decided: you are admitted" in mailoutbox[0].body
    link = "https://mampf.example.org" + reverse("performance:my_performance", args=[lecture.pk])
    assert link in mailoutbox[0].body
    cert.refresh_from_db()
    assert cert.student_notified_status == "passed"

    # Re-accepted with the same status (say after a grade changed and was re-certified): silent.
    decide(cert, "passed", record_fingerprint="fp-2", source="manual", note="checked")
    send_certifications_changed(lecture, [ada], capture=django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1

    # A pending step in between is not told; a real change is.
    decide(cert, "pending")
    send_certifications_changed(lecture, [ada], capture=django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    decide(cert, "failed")
    send_certifications_changed(lecture, [ada], capture=django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    assert "has changed: you are no longer admitted" in mailoutbox[1].body
    cert.refresh_from_db()
    assert cert.student_notified_status == "failed"

    # The same signal delivered twice (a retried task) mails nobody again.
    assert notifications.notify_students_of_decisions(lecture_id=lecture.pk, user_ids=[ada.pk]) == 0
    assert len(mailoutbox) == 2


def test_decision_mail_speaks_the_students_language(
    lecture, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "en"
    rule = make_rule(lecture)
    german = UserFactory(language="de")
    english = UserFactory(language="en")
    students_ = [german, english]
    from tests.performance.examgate_data import enrol

    enrol(lecture, *students_)
    for user in students_:
        make_record(lecture, user)
        certify(lecture, user, "failed", rule=rule)
    with django_capture_on_commit_callbacks(execute=True):
        queued = notifications.notify_students_of_decisions(
            lecture_id=lecture.pk, user_ids=[u.pk for u in students_]
        )
    assert queued == 2
    by_address = {m.to[0]: m for m in mailoutbox}
    assert by_address[german.email].body.startswith("Hallo")
    assert "nicht" in by_address[german.email].body
    assert by_address[english.email].body.startswith("Hello")
    assert "you are not admitted" in by_address[english.email].body


def test_only_the_named_students_of_this_lecture_are_told(
    lecture, mailoutbox, django_capture_on_commit_callbacks
):
    rule = make_rule(lecture)
    ada, bob = students(lecture, 2)
    other = LectureFactory()
    for user in (ada, bob):
        make_record(lecture, user)
        certify(lecture, user, "passed", rule=rule)
    certify(other, ada, "passed")
    with django_capture_on_commit_callbacks(execute=True):
        told = notifications.notify_students_of_decisions(lecture_id=lecture.pk, user_ids=[ada.pk])
    assert told == 1
    assert [m.to[0] for m in mailoutbox] == [ada.email]
    assert Certification.objects.get(lecture=other, user=ada).student_notified_status == ""
    assert Certification.objects.get(lecture=lecture, user=bob).student_notified_status == ""


@pytest.fixture
def wide_decision_window(monkeypatch):
    """Sleep after the rows are read (locked), so unlocked workers reliably interleave."""
    real_lock_rows = notifications.lock_rows

    def slow_lock_rows(*args, **kwargs):
        rows = real_lock_rows(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)
        return rows

    monkeypatch.setattr(notifications, "lock_rows", slow_lock_rows)


def decision_rush(lecture, people):
    ids = [u.pk for u in people]
    return run_concurrently(
        [lambda: notifications.notify_students_of_decisions(lecture_id=lecture.pk,
                                                            user_ids=ids)] * 4
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_tell_each_student_once(on_postgres, mailoutbox, wide_decision_window):
    lecture = LectureFactory()
    _rule, people = certified(lecture, 6)
    outcomes = decision_rush(lecture, people)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert sum(value for _kind, value in outcomes) == 6
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in people)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_control_without_row_locks_students_are_told_twice(
    on_postgres, mailoutbox, wide_decision_window, settings
):
    settings.MAMPF_ROW_LOCKS = False
    lecture = LectureFactory()
    _rule, people = certified(lecture, 6)
    outcomes = decision_rush(lecture, people)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert len(mailoutbox) > 6
