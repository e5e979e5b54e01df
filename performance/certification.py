"""Certification services: accept the proposals, decide by hand, re-certify, carry over.

Rules and invariants (DOMAIN-NOTES "Certification", issue 9 items 5 and 10):
- a proposal is the evaluator's verdict on the student's record under the lecture's active rule;
  an inconclusive proposal is stored as ``pending``;
- "Accept all proposals" writes *computed* certifications only: new ones, and computed ones that
  are stale or whose status differs from the proposal. Manual and carried-over certifications
  are never touched by it (the upsert's ``WHERE source = 'computed'`` holds that in the database
  as well);
- a certification stores the rule, its version, the record's fingerprint and a snapshot of the
  figures it was decided on. Accept-all copies fingerprint and snapshot from the record row in
  the same statement that writes the certification, after reading the records ``FOR SHARE``: a
  grade that lands while accept-all runs waits for it and then leaves that student stale; it can
  never be certified on old figures with the new fingerprint;
- a manual decision needs a note, and the student must be on the lecture's roster;
- every change writes a ``CertificationChange`` row in the same transaction (in bulk for
  accept-all and carry-over); ``performance.signals.certifications_changed`` goes out on commit
  with the students whose status changed or was decided for the first time;
- lock order (every writer of a lecture's certifications): the lecture's ``LectureState`` row
  ``FOR UPDATE`` (serializes them, so accept-all twice at once certifies each student once),
  then the active rule ``FOR SHARE``, then the records ``FOR SHARE``, each through
  ``mampf.db.lock_rows`` (the ``MAMPF_ROW_LOCKS`` switch turns them off for the controls).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mampf.db import actor_or_none, lock_rows, translate_db_errors
from mampf.errors import DomainError
from mampf.models import Lecture
from performance import selectors, signals
from performance.evaluator import FAILED, INCONCLUSIVE, PASSED, RuleSpec, evaluate
from performance.models import (
    Certification,
    CertificationChange,
    LectureState,
    Record,
    Rule,
)
from rosters.selectors import roster_user_ids

Status = Certification.Status
Source = Certification.Source
Action = CertificationChange.Action

CHUNK = 5000
PROPOSAL_TO_STATUS = {PASSED: Status.PASSED, FAILED: Status.FAILED, INCONCLUSIVE: Status.PENDING}
MANUAL_STATUSES = (Status.PASSED, Status.FAILED)
NOTE_MAX = 2000


# -- refusals ----------------------------------------------------------------------------------


class CertificationError(DomainError):
    code = "certification_error"
    default_message = gettext_lazy("The certification could not be changed.")


class NoteRequired(CertificationError):
    code = "note_required"
    default_message = gettext_lazy(
        "Write a note that explains the decision: it is shown in the student's history."
    )


class InvalidStatus(CertificationError):
    code = "invalid_status"
    default_message = gettext_lazy("Choose “passed” or “failed”.")


class NotInLecture(CertificationError):
    code = "not_in_lecture"
    default_message = gettext_lazy(
        "This student is not in the lecture's list of participants, so they cannot be certified "
        "here."
    )


class NoRule(CertificationError):
    code = "no_rule"
    default_message = gettext_lazy(
        "The lecture has no admission rule yet, so there are no proposals to accept."
    )


class NoRecord(CertificationError):
    code = "no_record"
    default_message = gettext_lazy(
        "This student has no performance record yet. Recompute the records first."
    )


class NotStale(CertificationError):
    code = "not_stale"
    default_message = gettext_lazy(
        "This certification is current: nothing changed since it was decided."
    )


class CarryOverRefused(CertificationError):
    code = "carry_over_refused"
    default_message = gettext_lazy("Nothing was carried over.")


# -- helpers -----------------------------------------------------------------------------------


def _lock_lecture(lecture: Lecture) -> None:
    """The lecture's certification lock: its ``LectureState`` row ``FOR UPDATE``."""
    LectureState.objects.get_or_create(lecture_id=lecture.pk)
    lock_rows(LectureState, [lecture.pk])


def _lock_rule(lecture: Lecture) -> Rule | None:
    """The active rule, share-locked (no rule edit while we decide), with its criteria."""
    rule_id = (
        Rule.objects.filter(lecture=lecture, is_active=True)
        .order_by()
        .values_list("pk", flat=True)
        .first()
    )
    if rule_id is None:
        return None
    lock_rows(Rule, [rule_id], shared=True)
    return selectors.active_rule(lecture=lecture)


RECORD_FIELDS = (
    "id",
    "user_id",
    "lecture_id",
    "points",
    "maximum",
    "points_pending_marking",
    "percentage",
    "per_assessment",
    "achievements",
    "fingerprint",
)


def _share_locked_records(lecture: Lecture, user_ids: Iterable[int] | None = None) -> list:
    """The records (of these students), read ``FOR SHARE`` in ascending pk order."""
    queryset = Record.objects.filter(lecture=lecture)
    if user_ids is not None:
        queryset = queryset.filter(user_id__in=list(user_ids))
    pks = list(queryset.order_by().values_list("pk", flat=True))
    return lock_rows(Record.objects.only(*RECORD_FIELDS), pks, shared=True)


def _text(value) -> str | None:
    return None if value is None else format(value, "f")


def figures_snapshot(record) -> dict:
    """The record's figures as JSON (decimals as strings), the same shape the SQL builds."""
    if record is None:
        return {}
    return {
        "points": _text(record.points),
        "maximum": _text(record.maximum),
        "points_pending_marking": _text(record.points_pending_marking),
        "percentage": _text(record.percentage),
        "per_assessment": record.per_assessment or {},
        "achievements": record.achievements or {},
    }


def _snapshot_sql(alias: str) -> str:
    """The SQL expression building ``figures_snapshot`` from a record row."""
    if connection.vendor == "postgresql":
        return (
            f"jsonb_build_object('points', {alias}.points::text, 'maximum', {alias}.maximum::text,"
            f" 'points_pending_marking', {alias}.points_pending_marking::text,"
            f" 'percentage', {alias}.percentage::text,"
            f" 'per_assessment', {alias}.per_assessment, 'achievements', {alias}.achievements)"
        )
    # SQLite keeps decimals as text already formatted by Django's adapter.
    return (
        f"json_object('points', CAST({alias}.points AS TEXT), 'maximum', "
        f"CAST({alias}.maximum AS TEXT), 'points_pending_marking', "
        f"CAST({alias}.points_pending_marking AS TEXT), 'percentage', "
        f"CAST({alias}.percentage AS TEXT), 'per_assessment', json({alias}.per_assessment), "
        f"'achievements', json({alias}.achievements))"
    )


def _values_join(columns: list[list], types: tuple[str, ...]) -> tuple[str, list]:
    """A derived table ``v(column1, column2, ...)`` of these columns and its parameters: one
    array parameter per column on PostgreSQL (``unnest``; thousands of placeholders cost
    psycopg a quarter of a second to parse), a ``VALUES`` list elsewhere."""
    names = ", ".join(f"column{i + 1}" for i in range(len(columns)))
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        return f"unnest({arrays}) AS v({names})", [list(column) for column in columns]
    rows = list(zip(*columns, strict=True))
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = [value for row in rows for value in row]
    return f"(VALUES {', '.join([placeholders] * len(rows))}) v", params


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _send_changed(lecture_id: int, user_ids: Iterable[int]) -> None:
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return
    transaction.on_commit(
        lambda: signals.certifications_changed.send(
            sender=Certification, lecture_id=lecture_id, user_ids=user_ids
        )
    )


def _clean_note(note) -> str:
    note = (note or "").strip()
    if not note:
        raise NoteRequired()
    if len(note) > NOTE_MAX:
        raise CertificationError(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX},
            code="note_too_long",
        )
    return note


def _require_member(lecture: Lecture, user) -> None:
    from rosters.models import RosterEntry

    if not RosterEntry.objects.filter(registerable_id=lecture.pk, user_id=user.pk).exists():
        raise NotInLecture(
            _("%(name)s is not in the list of participants of “%(lecture)s”, so they cannot be "
              "certified here.") % {"name": user, "lecture": lecture.title}
        )


# -- proposals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    user_id: int
    status: str  # passed, failed, inconclusive
    verdict: object

    @property
    def certification_status(self) -> str:
        return PROPOSAL_TO_STATUS[self.status]


def proposals(*, records: Iterable, rule) -> dict[int, Proposal]:
    """The evaluator's verdict per record (no database access when ``rule`` is a ``RuleSpec``)."""
    spec = RuleSpec.from_rule(rule)
    result = {}
    for record in records:
        verdict = evaluate(record=record, rule=spec)
        result[record.user_id] = Proposal(record.user_id, verdict.status, verdict)
    return result


# -- accept all --------------------------------------------------------------------------------


@translate_db_errors
def accept_all_proposals(*, lecture: Lecture, by) -> int:
    """Write the proposals as computed certifications for every student of the lecture roster
    with a record: new ones, and computed ones that are stale or differ. Manual and carried-over
    certifications stay. Returns the number of certifications written. Refuses ``NoRule``."""
    actor = actor_or_none(by)
    with transaction.atomic():
        _lock_lecture(lecture)
        rule = _lock_rule(lecture)
        if rule is None:
            raise NoRule()
        spec = RuleSpec.from_rule(rule)
        members = set(roster_user_ids(lecture))
        records = [r for r in _share_locked_records(lecture) if r.user_id in members]
        existing = selectors.certification_rows(lecture=lecture, user_ids=None)
        write: list[tuple[int, str]] = []
        history: dict[int, tuple[str, str, str]] = {}  # user -> (action, old status, old source)
        for user_id, proposal in proposals(records=records, rule=spec).items():
            status = proposal.certification_status
            row = existing.get(user_id)
            if row is None:
                write.append((user_id, status))
                history[user_id] = (Action.ACCEPTED, "", "")
                continue
            if row["source"] != Source.COMPUTED:
                continue
            stale = selectors.is_stale(certification_row=row, rule=rule)
            if not stale and row["status"] == status:
                continue
            write.append((user_id, status))
            history[user_id] = (Action.RECERTIFIED, row["status"], row["source"])
        if not write:
            return 0
        now = timezone.now()
        written = _upsert_computed(lecture=lecture, rule=rule, rows=write, by=actor, at=now)
        _write_history_bulk(
            lecture=lecture,
            certification_ids=written,
            history=history,
            rule_version=rule.version,
            by=actor,
            at=now,
        )
        new_status = dict(write)
        changed = [
            user_id
            for user_id in written
            if history[user_id][1] != new_status[user_id]  # first decided or status moved
        ]
        _send_changed(lecture.pk, changed)
        return len(written)


def _upsert_computed(*, lecture, rule, rows, by, at) -> dict[int, int]:
    """One ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` per chunk: the status from the
    proposal, fingerprint and figures from the (share-locked) record row. Returns
    {user_id: certification id} of the rows written."""
    table = Certification._meta.db_table
    record_table = Record._meta.db_table
    written: dict[int, int] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            derived, params = _values_join(
                [[user_id for user_id, _s in chunk], [status for _u, status in chunk]],
                ("bigint", "text"),
            )
            sql = f"""
                INSERT INTO {table} (lecture_id, user_id, status, source, note, rule_id,
                    rule_version, record_fingerprint, figures, certified_by_id, certified_at,
                    student_notified_status)
                SELECT r.lecture_id, r.user_id, v.column2, %s, '', %s, %s, r.fingerprint,
                    {_snapshot_sql("r")}, %s, %s, ''
                FROM {record_table} r JOIN {derived} ON r.user_id = v.column1
                WHERE r.lecture_id = %s
                ON CONFLICT (lecture_id, user_id) DO UPDATE SET
                    status = excluded.status, rule_id = excluded.rule_id,
                    rule_version = excluded.rule_version,
                    record_fingerprint = excluded.record_fingerprint, figures = excluded.figures,
                    certified_by_id = excluded.certified_by_id,
                    certified_at = excluded.certified_at
                WHERE {table}.{quote("source")} = %s
                RETURNING id, user_id
            """  # noqa: S608 - table names and placeholders only
            cursor.execute(
                sql,
                [
                    Source.COMPUTED,
                    rule.pk,
                    rule.version,
                    getattr(by, "pk", None),
                    at,
                    *params,
                    lecture.pk,
                    Source.COMPUTED,
                ],
            )
            written.update({user_id: pk for pk, user_id in cursor.fetchall()})
    return written


def _write_history_bulk(*, lecture, certification_ids, history, rule_version, by, at) -> None:
    """History rows for the certifications just written; the figures are copied from them in
    SQL (one statement per chunk)."""
    if not certification_ids:
        return
    table = CertificationChange._meta.db_table
    cert_table = Certification._meta.db_table
    rows = [
        (pk, *history[user_id]) for user_id, pk in sorted(certification_ids.items())
    ]
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            derived, params = _values_join(
                [list(column) for column in zip(*chunk, strict=True)],
                ("bigint", "text", "text", "text"),
            )
            cursor.execute(
                f"""
                INSERT INTO {table} (lecture_id, user_id, certification_id, action, old_status,
                    new_status, old_source, new_source, note, rule_version, figures, by_id, at)
                SELECT c.lecture_id, c.user_id, c.id, v.column2, v.column3, c.status, v.column4,
                    c.source, '', %s, c.figures, %s, %s
                FROM {cert_table} c JOIN {derived} ON c.id = v.column1
                """,  # noqa: S608 - table names and placeholders only
                [rule_version, getattr(by, "pk", None), at, *params],
            )


# -- one student -------------------------------------------------------------------------------


def _current(lecture: Lecture, user) -> Certification | None:
    return Certification.objects.filter(lecture=lecture, user_id=user.pk).first()


def _history_row(certification, *, action, old_status, old_source, note, by, at):
    return CertificationChange(
        lecture_id=certification.lecture_id,
        user_id=certification.user_id,
        certification=certification,
        action=action,
        old_status=old_status,
        new_status=certification.status,
        old_source=old_source,
        new_source=certification.source,
        note=note,
        rule_version=certification.rule_version,
        figures=certification.figures,
        by=by,
        at=at,
    )


def _decide(
    *, lecture, user, status, source, note, action, rule, record, by, origin=None
) -> Certification:
    """Create or update one certification and write its history row (caller holds the lock)."""
    now = timezone.now()
    certification = _current(lecture, user)
    old_status = certification.status if certification else ""
    old_source = certification.source if certification else ""
    if certification is None:
        certification = Certification(lecture=lecture, user_id=user.pk)
    certification.status = status
    certification.source = source
    certification.note = note
    certification.rule = rule
    certification.rule_version = rule.version if rule else None
    certification.record_fingerprint = record.fingerprint if record else ""
    certification.figures = figures_snapshot(record)
    certification.origin = origin
    certification.certified_by = by
    certification.certified_at = now
    certification.save()
    _history_row(
        certification,
        action=action,
        old_status=old_status,
        old_source=old_source,
        note=note,
        by=by,
        at=now,
    ).save()
    if old_status != status:
        _send_changed(lecture.pk, [user.pk])
    return certification


def _locked_record(lecture, user):
    records = _share_locked_records(lecture, [user.pk])
    return records[0] if records else None


@translate_db_errors
def override_certification(*, lecture: Lecture, user, status: str, note: str, by) -> Certification:
    """Decide by hand: ``passed`` or ``failed`` with a note, for a member of the lecture roster.
    The decision remembers the current rule and figures (it turns stale when they change).
    Refuses ``NoteRequired``, ``InvalidStatus``, ``NotInLecture``."""
    note = _clean_note(note)
    if status not in MANUAL_STATUSES:
        raise InvalidStatus()
    _require_member(lecture, user)
    actor = actor_or_none(by)
    with transaction.atomic():
        _lock_lecture(lecture)
        rule = _lock_rule(lecture)
        record = _locked_record(lecture, user)
        return _decide(
            lecture=lecture,
            user=user,
            status=status,
            source=Source.MANUAL,
            note=note,
            action=Action.OVERRIDDEN,
            rule=rule,
            record=record,
            by=actor,
        )


@translate_db_errors
def recertify(
    *, lecture: Lecture, user, by, status: str | None = None, note: str = ""
) -> Certification:
    """Decide a stale certification again. A computed one takes the new proposal; a manual one
    is confirmed or changed by the teacher with a note (``status`` and ``note`` required).
    Refuses ``NotStale`` (also for carried-over ones, which never go stale), ``NoteRequired``,
    ``InvalidStatus``, ``NoRecord``, ``NoRule``, ``NotInLecture``."""
    _require_member(lecture, user)
    actor = actor_or_none(by)
    with transaction.atomic():
        _lock_lecture(lecture)
        rule = _lock_rule(lecture)
        record = _locked_record(lecture, user)
        row = selectors.certification_rows(lecture=lecture, user_ids=[user.pk]).get(user.pk)
        if row is None or not selectors.is_stale(certification_row=row, rule=rule):
            raise NotStale()
        if row["source"] == Source.COMPUTED:
            if rule is None:
                raise NoRule()
            if record is None:
                raise NoRecord()
            verdict = evaluate(record=record, rule=rule)
            return _decide(
                lecture=lecture,
                user=user,
                status=PROPOSAL_TO_STATUS[verdict.status],
                source=Source.COMPUTED,
                note="",
                action=Action.RECERTIFIED,
                rule=rule,
                record=record,
                by=actor,
            )
        note = _clean_note(note)
        if status not in MANUAL_STATUSES:
            raise InvalidStatus()
        return _decide(
            lecture=lecture,
            user=user,
            status=status,
            source=Source.MANUAL,
            note=note,
            action=Action.RECERTIFIED,
            rule=rule,
            record=record,
            by=actor,
        )


# -- carried over ------------------------------------------------------------------------------

NUMBER_SPLIT = re.compile(r"[\s,;]+")


def parse_numbers(text: str) -> list[str]:
    """Matriculation numbers pasted one per line or separated by commas, semicolons, spaces;
    duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for part in NUMBER_SPLIT.split(text or ""):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


@dataclass(frozen=True)
class CarryOverOutcome:
    carried_over: int
    already_passed: int
    kept_manual: int

    @property
    def message(self) -> str:
        text = _("%(count)d passed certifications carried over.") % {"count": self.carried_over}
        if self.already_passed:
            text += " " + _("%(count)d students had passed here already.") % {
                "count": self.already_passed
            }
        if self.kept_manual:
            text += " " + _(
                "%(count)d students keep the decision you made by hand here."
            ) % {"count": self.kept_manual}
        return text


def _listing(values: list[str], limit: int = 20) -> str:
    shown = ", ".join(values[:limit])
    if len(values) > limit:
        shown += " " + _("and %(count)d more") % {"count": len(values) - limit}
    return shown


@translate_db_errors
def carry_over(
    *, lecture: Lecture, source_lecture: Lecture, by, numbers: list[str] | None = None
) -> CarryOverOutcome:
    """Import the passed certifications of ``source_lecture`` (all of them, or those of the
    students with these matriculation numbers) as carried over: status passed, source
    carried_over, origin set, a note naming the origin, audited. The list is checked as a whole:
    unknown numbers and students without a passed certification there refuse everything
    (``CarryOverRefused`` naming them). A student who already passed here is left alone, and a
    decision made by hand here is kept. The caller checks that ``by`` manages both lectures."""
    if source_lecture.pk == lecture.pk:
        raise CarryOverRefused(
            _("Choose an earlier lecture: a lecture cannot carry over its own certifications."),
            code="same_lecture",
        )
    passed = Certification.objects.filter(lecture=source_lecture, status=Status.PASSED)
    if numbers is not None:
        if not numbers:
            raise CarryOverRefused(
                _("Paste at least one matriculation number."), code="no_numbers"
            )
        users = dict(
            get_user_model()
            .objects.filter(matriculation_number__in=numbers)
            .values_list("matriculation_number", "pk")
        )
        unknown = [n for n in numbers if n not in users]
        with_pass = set(
            passed.filter(user_id__in=users.values()).values_list("user_id", flat=True)
        )
        without = [n for n in numbers if n in users and users[n] not in with_pass]
        if unknown or without:
            problems = []
            if unknown:
                problems.append(
                    _("Unknown matriculation numbers: %(numbers)s.")
                    % {"numbers": _listing(unknown)}
                )
            if without:
                problems.append(
                    _("No passed certification in “%(lecture)s”: %(numbers)s.")
                    % {"lecture": source_lecture.title, "numbers": _listing(without)}
                )
            raise CarryOverRefused(
                _("Nothing was carried over. %(problems)s") % {"problems": " ".join(problems)},
                details={"unknown": unknown, "without_pass": without},
            )
        passed = passed.filter(user_id__in=users.values())
    origins = {c.user_id: c for c in passed.only("pk", "user_id", "lecture_id")}
    if not origins:
        raise CarryOverRefused(
            _("“%(lecture)s” has no passed certifications to carry over.")
            % {"lecture": source_lecture.title},
            code="nothing_to_carry_over",
        )
    actor = actor_or_none(by)
    note = _("Carried over from “%(lecture)s” (%(term)s).") % {
        "lecture": source_lecture.title,
        "term": source_lecture.term,
    }
    with transaction.atomic():
        _lock_lecture(lecture)
        existing = {
            c.user_id: c
            for c in lock_rows(
                Certification,
                Certification.objects.filter(
                    lecture=lecture, user_id__in=list(origins)
                ).values_list("pk", flat=True),
            )
        }
        now = timezone.now()
        create, update, history = [], [], []
        already_passed = kept_manual = 0
        olds = {}
        for user_id, origin in sorted(origins.items()):
            current = existing.get(user_id)
            if current is not None and current.status == Status.PASSED:
                already_passed += 1
                continue
            if current is not None and current.source == Source.MANUAL:
                kept_manual += 1
                continue
            olds[user_id] = (current.status, current.source) if current else ("", "")
            certification = current or Certification(lecture=lecture, user_id=user_id)
            certification.status = Status.PASSED
            certification.source = Source.CARRIED_OVER
            certification.note = note
            certification.rule = None
            certification.rule_version = None
            certification.record_fingerprint = ""
            certification.figures = {}
            certification.origin_id = origin.pk
            certification.certified_by = actor
            certification.certified_at = now
            (update if current else create).append(certification)
        Certification.objects.bulk_create(create)
        if update:
            Certification.objects.bulk_update(
                update,
                [
                    "status",
                    "source",
                    "note",
                    "rule",
                    "rule_version",
                    "record_fingerprint",
                    "figures",
                    "origin",
                    "certified_by",
                    "certified_at",
                ],
            )
        if connection.vendor != "postgresql" and create:
            # SQLite's bulk_create may not return ids: read them back.
            ids = dict(
                Certification.objects.filter(
                    lecture=lecture, user_id__in=[c.user_id for c in create]
                ).values_list("user_id", "pk")
            )
            for certification in create:
                certification.pk = ids[certification.user_id]
        for certification in create + update:
            old_status, old_source = olds[certification.user_id]
            history.append(
                _history_row(
                    certification,
                    action=Action.CARRIED_OVER,
                    old_status=old_status,
                    old_source=old_source,
                    note=note,
                    by=actor,
                    at=now,
                )
            )
        CertificationChange.objects.bulk_create(history)
        _send_changed(lecture.pk, [c.user_id for c in create + update])
    return CarryOverOutcome(
        carried_over=len(create) + len(update),
        already_passed=already_passed,
        kept_manual=kept_manual,
    )

