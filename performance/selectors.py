"""Reads of records, rules and certifications.

Staleness is derived here, never stored (DOMAIN-NOTES "Certification"): a certification is stale
when the record's fingerprint moved since it was decided, or the lecture's active rule is another
rule or another version than the one it was decided under. Carried-over certifications come from
an earlier term and are never stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from mampf.models import Lecture
from performance.models import Certification, Record, Rule
from rosters.selectors import roster_user_ids

PASSED = Certification.Status.PASSED
FAILED = Certification.Status.FAILED
PENDING = Certification.Status.PENDING
STALE = "stale"
MISSING = "missing"


def active_rule(*, lecture: Lecture) -> Rule | None:
    """The lecture's active rule with its many-to-many fields prefetched (2-4 queries)."""
    return (
        Rule.objects.filter(lecture=lecture, is_active=True)
        .prefetch_related("required_achievements", "sheets", "bonus_sheets")
        .first()
    )


def is_stale(*, certification_row: dict, rule: Rule | None) -> bool:
    """``certification_row`` holds ``source``, ``record_fingerprint``, ``current_fingerprint``,
    ``rule_id`` and ``rule_version`` (as ``certification_rows`` returns them)."""
    if certification_row["source"] == Certification.Source.CARRIED_OVER:
        return False
    if certification_row["record_fingerprint"] != (certification_row["current_fingerprint"] or ""):
        return True
    if rule is None:
        return certification_row["rule_id"] is not None
    return (
        certification_row["rule_id"] != rule.pk or certification_row["rule_version"] != rule.version
    )


def certification_rows(*, lecture: Lecture, user_ids=None) -> dict[int, dict]:
    """Each certification of the lecture as a dict with the record's current fingerprint
    (one query), keyed by user id."""
    current = Record.objects.filter(lecture_id=OuterRef("lecture_id"), user_id=OuterRef("user_id"))
    queryset = Certification.objects.filter(lecture=lecture).annotate(
        current_fingerprint=Subquery(current.values("fingerprint")[:1])
    )
    if user_ids is not None:
        queryset = queryset.filter(user_id__in=list(user_ids))
    rows = queryset.values(
        "id",
        "user_id",
        "status",
        "source",
        "record_fingerprint",
        "current_fingerprint",
        "rule_id",
        "rule_version",
        "certified_at",
        "note",
    )
    return {row["user_id"]: row for row in rows}


def certification_states(*, lecture: Lecture, user_ids, rule: Rule | None = None) -> dict[int, str]:
    """``passed``, ``failed``, ``pending``, ``stale`` or ``missing`` for each given user
    (two queries, or one when ``rule`` is passed in)."""
    if rule is None:
        rule = Rule.objects.filter(lecture=lecture, is_active=True).first()
    rows = certification_rows(lecture=lecture, user_ids=user_ids)
    states = {}
    for user_id in user_ids:
        row = rows.get(user_id)
        if row is None:
            states[user_id] = MISSING
        elif is_stale(certification_row=row, rule=rule):
            states[user_id] = STALE
        else:
            states[user_id] = row["status"]
    return states


@dataclass(frozen=True)
class Completeness:
    """Whether every lecture roster member has a current, decided certification."""

    complete: bool
    missing: tuple[int, ...]
    pending: tuple[int, ...]
    stale: tuple[int, ...]
    passed: tuple[int, ...]
    failed: tuple[int, ...]

    @property
    def students(self) -> int:
        return sum(len(group) for group in self.groups.values())

    @property
    def groups(self) -> dict[str, tuple[int, ...]]:
        return {
            PASSED: self.passed,
            FAILED: self.failed,
            PENDING: self.pending,
            STALE: self.stale,
            MISSING: self.missing,
        }


def lecture_completeness(*, lecture: Lecture) -> Completeness:
    """Complete = every member of the lecture roster has a certification, none pending, none
    stale (three queries)."""
    user_ids = roster_user_ids(lecture)
    states = certification_states(lecture=lecture, user_ids=user_ids)
    grouped: dict[str, list[int]] = {PASSED: [], FAILED: [], PENDING: [], STALE: [], MISSING: []}
    for user_id in user_ids:
        grouped[states[user_id]].append(user_id)
    return Completeness(
        complete=not (grouped[MISSING] or grouped[PENDING] or grouped[STALE]),
        missing=tuple(grouped[MISSING]),
        pending=tuple(grouped[PENDING]),
        stale=tuple(grouped[STALE]),
        passed=tuple(grouped[PASSED]),
        failed=tuple(grouped[FAILED]),
    )
