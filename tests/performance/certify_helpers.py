"""Test data for the certification tests: students on a lecture roster with records built
directly (the records engineer's bulk recompute lives on another branch), and a rule."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from mampf.models import User
from performance.models import Certification, CertificationChange, Record, Rule
from rosters.models import RosterEntry

SHEETS = (1001, 1002, 1003, 1004)  # assessment ids inside the JSON (not real rows)
MAX_PER_SHEET = Decimal("10")


def make_students(count: int, *, prefix: str = "s") -> list[User]:
    password = make_password(None)
    return User.objects.bulk_create(
        User(
            email=f"{prefix}{index}@example.org",
            name=f"{prefix.upper()} Student {index:04d}",
            matriculation_number=f"{prefix}-{index}",
            password=password,
        )
        for index in range(count)
    )


def enrol(lecture, users) -> None:
    RosterEntry.objects.bulk_create(
        RosterEntry(registerable_id=lecture.pk, user=user) for user in users
    )


def figures(points_per_sheet, *, status="reviewed", sheets=SHEETS) -> dict:
    per = {}
    for sheet, points in zip(sheets, points_per_sheet, strict=False):
        reviewed = points is not None and status == "reviewed"
        per[str(sheet)] = {
            "points": f"{Decimal(points):.2f}" if reviewed else None,
            "max": f"{MAX_PER_SHEET:.2f}",
            "status": status if points is not None else "pending",
            "submitted": True,
        }
    return per


def fingerprint_of(per_assessment: dict) -> str:
    return hashlib.sha256(repr(sorted(per_assessment.items())).encode()).hexdigest()


def record_values(lecture, user, points_per_sheet) -> Record:
    per = figures(points_per_sheet)
    total = sum((Decimal(p) for p in points_per_sheet if p is not None), Decimal(0))
    maximum = MAX_PER_SHEET * len(SHEETS)
    pending = MAX_PER_SHEET * sum(1 for p in points_per_sheet if p is None)
    now = timezone.now()
    return Record(
        lecture=lecture,
        user=user,
        points=total,
        maximum=maximum,
        points_pending_marking=pending,
        percentage=(total * 100 / maximum).quantize(Decimal("0.01")),
        per_assessment=per,
        achievements={},
        fingerprint=fingerprint_of(per),
        figures_changed_at=now,
        computed_at=now,
    )


def set_records(lecture, points_by_user: dict) -> None:
    """Create or replace each user's record with these points per sheet (None = pending)."""
    Record.objects.filter(lecture=lecture, user__in=list(points_by_user)).delete()
    Record.objects.bulk_create(
        record_values(lecture, user, points) for user, points in points_by_user.items()
    )


def change_record(lecture, user, points_per_sheet) -> Record:
    """A grade changed: new figures and a new fingerprint, as a recompute would write them."""
    fresh = record_values(lecture, user, points_per_sheet)
    Record.objects.filter(lecture=lecture, user=user).update(
        points=fresh.points,
        percentage=fresh.percentage,
        points_pending_marking=fresh.points_pending_marking,
        per_assessment=fresh.per_assessment,
        fingerprint=fresh.fingerprint,
        figures_changed_at=timezone.now(),
    )
    return Record.objects.get(lecture=lecture, user=user)


def make_rule(lecture, *, percentage: str = "50") -> Rule:
    return Rule.objects.create(
        lecture=lecture, threshold_kind="percentage", threshold_value=Decimal(percentage)
    )


PASSING = (8, 8, 8, 8)
FAILING = (1, 1, 1, 1)
OPEN = (5, 5, None, None)  # 10 of 40 so far, 20 outstanding: inconclusive


def snapshot():
    """Everything a refusal must leave alone."""
    return (
        sorted(
            Certification.objects.values_list(
                "lecture_id", "user_id", "status", "source", "note", "record_fingerprint",
                "rule_version", "origin_id",
            )
        ),
        CertificationChange.objects.count(),
    )
