"""Certification services: accept all, manual override, re-certify; audit and signals."""

from __future__ import annotations

import pytest

from performance import selectors, services, signals
from performance.certification import (
    InvalidStatus,
    NoRule,
    NoteRequired,
    NotInLecture,
    NotStale,
)
from performance.models import Certification, CertificationChange, Rule
from tests.factories import LectureFactory, UserFactory
from tests.performance.certify_helpers import (
    FAILING,
    OPEN,
    PASSING,
    change_record,
    enrol,
    make_rule,
    make_students,
    set_records,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture():
    return LectureFactory()


@pytest.fixture
def students(lecture):
    users = make_students(4)
    enrol(lecture, users)
    return users


@pytest.fixture
def graded(lecture, students):
    ada, bob, cem, dia = students
    make_rule(lecture)
    set_records(lecture, {ada: PASSING, bob: FAILING, cem: OPEN, dia: PASSING})
    return students


@pytest.fixture
def changed(monkeypatch):
    calls = []

    def receiver(sender, lecture_id, user_ids, **kwargs):
        calls.append((lecture_id, sorted(user_ids)))

    signals.certifications_changed.connect(receiver)
    yield calls
    signals.certifications_changed.disconnect(receiver)


def certs(lecture):
    return {
        c.user_id: c for c in Certification.objects.filter(lecture=lecture)
    }


def test_accept_all_writes_the_proposals_with_rule_fingerprint_and_figures(
    lecture, graded, django_capture_on_commit_callbacks, changed
):
    ada, bob, cem, dia = graded
    teacher = lecture.teacher
    with django_capture_on_commit_callbacks(execute=True):
        written = services.accept_all_proposals(lecture=lecture, by=teacher)
    assert written == 4
    found = certs(lecture)
    assert {u: c.status for u, c in found.items()} == {
        ada.pk: "passed", bob.pk: "failed", cem.pk: "pending", dia.pk: "passed"
    }
    rule = Rule.objects.get(lecture=lecture)
    record = ada.performance_records.get()
    cert = found[ada.pk]
    assert cert.source == "computed" and cert.note == ""
    assert (cert.rule_id, cert.rule_version) == (rule.pk, rule.version)
    assert cert.record_fingerprint == record.fingerprint
    assert cert.figures["per_assessment"] == record.per_assessment
    assert cert.figures["points"].startswith("32")
    assert cert.certified_by == teacher
    history = CertificationChange.objects.filter(lecture_id=lecture.pk)
    assert sorted(history.values_list("user_id", "action", "old_status", "new_status")) == sorted(
        [(u.pk, "accepted", "", found[u.pk].status) for u in graded]
    )
    assert all(h.figures == found[h.user_id].figures for h in history)
    assert changed == [(lecture.pk, sorted(u.pk for u in graded))]
    assert selectors.lecture_completeness(lecture=lecture).pending == (cem.pk,)


def test_accept_all_again_changes_nothing_and_writes_no_history(lecture, graded, changed):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    before = snapshot()
    assert services.accept_all_proposals(lecture=lecture, by=lecture.teacher) == 0
    assert snapshot() == before


def test_accept_all_recertifies_stale_and_pending_computed_ones_only(
    lecture, graded, django_capture_on_commit_callbacks, changed
):
    ada, bob, cem, dia = graded
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    services.override_certification(
        lecture=lecture, user=dia, status="failed", note="Copied sheet 3", by=lecture.teacher
    )
    change_record(lecture, cem, (5, 5, 10, 10))  # the pending one is now passed
    change_record(lecture, ada, (8, 8, 8, 9))  # stale, still passed
    change_record(lecture, dia, (9, 9, 9, 9))  # the manual one goes stale: left alone
    assert selectors.certification_states(
        lecture=lecture, user_ids=[ada.pk, cem.pk, dia.pk]
    ) == {ada.pk: "stale", cem.pk: "stale", dia.pk: "stale"}
    changed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        written = services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    assert written == 2
    found = certs(lecture)
    assert found[cem.pk].status == "passed" and found[ada.pk].status == "passed"
    assert found[dia.pk].source == "manual" and found[dia.pk].status == "failed"
    last = CertificationChange.objects.filter(action="recertified")
    assert sorted(last.values_list("user_id", "old_status", "new_status")) == sorted(
        [(ada.pk, "passed", "passed"), (cem.pk, "pending", "passed")]
    )
    # Only the student whose status moved is told; ada's decision merely got fresh figures.
    assert changed == [(lecture.pk, [cem.pk])]
    assert selectors.certification_states(
        lecture=lecture, user_ids=[ada.pk, cem.pk, dia.pk]
    ) == {ada.pk: "passed", cem.pk: "passed", dia.pk: "stale"}


def test_accept_all_leaves_students_without_a_record_missing(lecture, graded):
    latecomer = UserFactory()
    enrol(lecture, [latecomer])
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    assert not Certification.objects.filter(user=latecomer).exists()
    assert selectors.lecture_completeness(lecture=lecture).missing == (latecomer.pk,)


def test_accept_all_without_a_rule_is_refused(lecture, students):
    set_records(lecture, {students[0]: PASSING})
    before = snapshot()
    with pytest.raises(NoRule) as refused:
        services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    assert refused.value.code == "no_rule"
    assert snapshot() == before


def test_a_rule_change_makes_computed_ones_stale_and_accept_all_takes_the_new_version(
    lecture, graded
):
    ada, bob, cem, dia = graded
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    Rule.objects.filter(lecture=lecture).update(threshold_value=90, version=2)
    states = selectors.certification_states(lecture=lecture, user_ids=[ada.pk, bob.pk])
    assert states == {ada.pk: "stale", bob.pk: "stale"}
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    found = certs(lecture)
    assert found[ada.pk].status == "failed" and found[ada.pk].rule_version == 2


# -- manual override ----------------------------------------------------------------------------


def test_override_needs_a_note_and_is_audited(
    lecture, graded, django_capture_on_commit_callbacks, changed
):
    ada, bob, cem, dia = graded
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    changed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cert = services.override_certification(
            lecture=lecture, user=bob, status="passed", note="Medical certificate for sheet 2",
            by=lecture.teacher,
        )
    assert (cert.status, cert.source, cert.note) == (
        "passed", "manual", "Medical certificate for sheet 2"
    )
    assert cert.record_fingerprint == bob.performance_records.get().fingerprint
    row = CertificationChange.objects.filter(user_id=bob.pk).order_by("-id").first()
    assert (row.action, row.old_status, row.new_status, row.old_source, row.new_source) == (
        "overridden", "failed", "passed", "computed", "manual"
    )
    assert row.note == "Medical certificate for sheet 2" and row.by == lecture.teacher
    assert changed == [(lecture.pk, [bob.pk])]
    # Accept-all never touches it.
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    assert certs(lecture)[bob.pk].status == "passed"


@pytest.mark.parametrize("note", ["", "   ", None])
def test_override_without_a_note_is_refused(lecture, graded, note):
    before = snapshot()
    with pytest.raises(NoteRequired) as refused:
        services.override_certification(
            lecture=lecture, user=graded[0], status="passed", note=note, by=lecture.teacher
        )
    assert refused.value.code == "note_required"
    assert snapshot() == before


def test_override_with_a_bad_status_is_refused(lecture, graded):
    before = snapshot()
    for status in ("pending", "maybe", ""):
        with pytest.raises(InvalidStatus) as refused:
            services.override_certification(
                lecture=lecture, user=graded[0], status=status, note="x", by=lecture.teacher
            )
        assert refused.value.code == "invalid_status"
    assert snapshot() == before


def test_certifying_a_student_who_is_not_in_the_lecture_is_refused(lecture, graded):
    outsider = UserFactory()
    other = LectureFactory()
    enrol(other, [outsider])
    before = snapshot()
    with pytest.raises(NotInLecture) as refused:
        services.override_certification(
            lecture=lecture, user=outsider, status="passed", note="x", by=lecture.teacher
        )
    assert refused.value.code == "not_in_lecture"
    with pytest.raises(NotInLecture):
        services.recertify(lecture=lecture, user=outsider, by=lecture.teacher)
    assert snapshot() == before


# -- re-certify ---------------------------------------------------------------------------------


def test_recertify_a_stale_computed_one_takes_the_new_proposal(lecture, graded):
    ada = graded[0]
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    change_record(lecture, ada, (1, 1, 1, 1))
    cert = services.recertify(lecture=lecture, user=ada, by=lecture.teacher)
    assert (cert.status, cert.source) == ("failed", "computed")
    assert CertificationChange.objects.filter(
        user_id=ada.pk, action="recertified", old_status="passed", new_status="failed"
    ).exists()
    assert selectors.certification_states(lecture=lecture, user_ids=[ada.pk]) == {
        ada.pk: "failed"
    }


def test_recertify_a_stale_manual_one_needs_the_teachers_decision_and_note(lecture, graded):
    bob = graded[1]
    services.override_certification(
        lecture=lecture, user=bob, status="passed", note="Ill", by=lecture.teacher
    )
    change_record(lecture, bob, (2, 2, 2, 2))
    before = snapshot()
    with pytest.raises(NoteRequired):
        services.recertify(lecture=lecture, user=bob, status="passed", by=lecture.teacher)
    assert snapshot() == before
    cert = services.recertify(
        lecture=lecture, user=bob, status="passed", note="Still ill: confirmed", by=lecture.teacher
    )
    assert (cert.status, cert.source, cert.note) == ("passed", "manual", "Still ill: confirmed")
    assert selectors.certification_states(lecture=lecture, user_ids=[bob.pk]) == {
        bob.pk: "passed"
    }


def test_recertify_a_current_one_is_refused(lecture, graded):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    before = snapshot()
    with pytest.raises(NotStale) as refused:
        services.recertify(lecture=lecture, user=graded[0], by=lecture.teacher)
    assert refused.value.code == "not_stale"
    assert snapshot() == before


def test_history_rows_cannot_be_rewritten(lecture, graded):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    row = CertificationChange.objects.first()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        CertificationChange.objects.filter(pk=row.pk).update(new_status="passed", note="forged")
