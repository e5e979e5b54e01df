"""Test data for the notification and student-page tests (branch examgate): records, rules and
certifications written directly (the records and certify services live in other branches)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from performance.models import Certification, Record, Rule
from rosters.models import RosterEntry
from tests.factories import UserFactory


def enrol(lecture, *users):
    for user in users:
        RosterEntry.objects.create(registerable=lecture, user=user)
    return users


def students(lecture, count: int, **kwargs):
    made = [UserFactory(**kwargs) for _ in range(count)]
    enrol(lecture, *made)
    return made


def sheet_entry(*, maximum, status="reviewed", points=None, submitted=True) -> dict:
    return {
        "points": None if points is None else str(Decimal(points)),
        "max": str(Decimal(maximum)),
        "status": status,
        "submitted": submitted,
    }


def make_record(lecture, user, *, sheets=None, achievements=None, fingerprint="fp-1") -> Record:
    """``sheets`` maps an assessment (or its id) to ``sheet_entry(...)``."""
    per_assessment = {str(getattr(key, "pk", key)): value for key, value in (sheets or {}).items()}
    points = sum(
        (Decimal(v["points"]) for v in per_assessment.values() if v["status"] == "reviewed"),
        Decimal(0),
    )
    maximum = sum(
        (Decimal(v["max"]) for v in per_assessment.values() if v["status"] != "exempt"), Decimal(0)
    )
    now = timezone.now()
    return Record.objects.create(
        lecture=lecture,
        user=user,
        points=points,
        maximum=maximum,
        percentage=(points * 100 / maximum).quantize(Decimal("0.01")) if maximum else None,
        per_assessment=per_assessment,
        achievements={str(getattr(k, "pk", k)): v for k, v in (achievements or {}).items()},
        fingerprint=fingerprint,
        figures_changed_at=now,
        computed_at=now,
    )


def make_rule(lecture, **fields) -> Rule:
    fields.setdefault("threshold_kind", Rule.Threshold.PERCENTAGE)
    fields.setdefault("threshold_value", Decimal("50"))
    return Rule.objects.create(lecture=lecture, **fields)


def certify(lecture, user, status="passed", *, source="computed", rule=None, fingerprint=None,
            note="", **fields) -> Certification:
    """A certification decided on the record's current fingerprint and the given rule."""
    if fingerprint is None:
        record = Record.objects.filter(lecture=lecture, user=user).first()
        fingerprint = record.fingerprint if record else ""
    if source != "computed" and not note:
        note = "decided by hand"
    return Certification.objects.create(
        lecture=lecture,
        user=user,
        status=status,
        source=source,
        note=note,
        rule=rule,
        rule_version=rule.version if rule else None,
        record_fingerprint=fingerprint,
        certified_at=timezone.now(),
        **fields,
    )


def change_figures(lecture, users, fingerprint="fp-2") -> None:
    """What a recompute that changed these students' figures leaves behind."""
    Record.objects.filter(lecture=lecture, user__in=users).update(
        fingerprint=fingerprint, figures_changed_at=timezone.now()
    )
