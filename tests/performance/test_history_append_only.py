"""Certification and rule history can be written and deleted, never rewritten (database
triggers, on PostgreSQL and SQLite alike)."""

import pytest
from django.db import DatabaseError, transaction

from performance.models import CertificationChange, Rule, RuleChange
from tests.factories import LectureFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_certification_history_cannot_be_rewritten():
    lecture, student = LectureFactory(), UserFactory()
    change = CertificationChange.objects.create(
        lecture=lecture, user=student, action="accepted", new_status="passed", new_source="computed"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        CertificationChange.objects.filter(pk=change.pk).update(new_status="failed")
    change.refresh_from_db()
    assert change.new_status == "passed"
    CertificationChange.objects.filter(pk=change.pk).delete()
    assert not CertificationChange.objects.exists()


def test_rule_history_cannot_be_rewritten():
    rule = Rule.objects.create(
        lecture=LectureFactory(), threshold_kind="points", threshold_value=10
    )
    change = RuleChange.objects.create(rule=rule, version=1, new={"threshold_value": "10"})
    with pytest.raises(DatabaseError), transaction.atomic():
        RuleChange.objects.filter(pk=change.pk).update(note="rewritten")
    change.refresh_from_db()
    assert change.note == ""
