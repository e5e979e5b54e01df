"""Test data for the performance tests: records written directly (the records branch's bulk
recompute replaces this once merged), rules through the service."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from performance.models import Certification, Record


def sheet(points=None, maximum="10", status=None, submitted=False) -> dict:
    """One ``per_assessment`` entry; ``status`` defaults to reviewed when points are given."""
    if status is None:
        status = "reviewed" if points is not None else "none"
    return {
        "points": None if points is None else str(Decimal(str(points)).quantize(Decimal("0.01"))),
        "max": str(Decimal(str(maximum)).quantize(Decimal("0.01"))),
        "status": status,
        "submitted": submitted,
    }


def record_for(lecture, user, sheets: dict, achievements: dict | None = None) -> Record:
    """A record whose figures are ``sheets`` ({assessment id: sheet(...)})."""
    now = timezone.now()
    per = {str(k): v for k, v in sheets.items()}
    points = sum(
        (Decimal(v["points"]) for v in per.values() if v["status"] == "reviewed"), Decimal(0)
    )
    maximum = sum((Decimal(v["max"]) for v in per.values() if v["status"] != "exempt"), Decimal(0))
    return Record(
        lecture=lecture,
        user=user,
        points=points,
        maximum=maximum,
        percentage=(points * 100 / maximum).quantize(Decimal("0.01")) if maximum else None,
        per_assessment=per,
        achievements={str(k): v for k, v in (achievements or {}).items()},
        fingerprint=f"fp-{user.pk}-{len(per)}",
        figures_changed_at=now,
        computed_at=now,
    )


def certify(lecture, user, *, status, rule, source="computed", note="", fingerprint=None):
    record = Record.objects.filter(lecture=lecture, user=user).first()
    return Certification.objects.create(
        lecture=lecture,
        user=user,
        status=status,
        source=source,
        note=note,
        rule=rule,
        rule_version=rule.version if rule else None,
        record_fingerprint=fingerprint
        if fingerprint is not None
        else (record.fingerprint if record else ""),
        certified_at=timezone.now(),
    )
