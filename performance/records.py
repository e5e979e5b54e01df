"""Performance records: every lecture roster member's figures, computed in bulk and upserted.

Rules (DOMAIN-NOTES "Performance records and rules"; the field meanings are in
``performance.models.Record``):
- a record for **every** member of the lecture's own roster (``rosters.selectors.
  roster_user_ids(lecture)``); records of students no longer on it are deleted;
- only assignments count: exams, talks and achievements never give points;
- ``points``: the ``points_total`` of reviewed assignment rows (kept equal to the sum of the task
  points by ``assessment.services``); ``maximum``: the summed task maxima of every assignment
  except those the student is exempt from; ``points_pending_marking``: the maxima of assignments
  handed in but not reviewed (status pending, or no row yet); ``percentage``: points / maximum,
  rounded down to two places (so it never shows a pass that is not one), nil when the maximum is
  0, capped at 9999.99;
- handed in = the student is a member of a submission with an uploaded file, or the row's
  ``submitted_at`` is set (an empty team submission created by an invitation is not handed in);
- ``per_assessment`` covers every assignment of the lecture, ``achievements`` every achievement:
  ``met`` (boolean: passed; otherwise value >= threshold), ``not_met``, ``ungraded`` (no value);
- ``fingerprint`` is an MD5 digest of every figure in a canonical text form, so it is identical
  when nothing changed; ``figures_changed_at`` moves only when the fingerprint does;
  ``computed_at`` moves on every recompute;
- after the commit ``performance.signals.records_changed`` is sent with the users whose
  fingerprint changed (new records included).

On PostgreSQL the whole recompute is ONE statement (a delete of the records of students who left,
then an ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` computing every figure with ``GROUP BY``
and ``jsonb_object_agg``); other databases (SQLite) take a portable path with a fixed number of
ORM queries and the figures built in Python. Both give the same figures; the query count never
grows with the number of students.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessment.models import (
    Achievement,
    AchievementValue,
    Assessment,
    Participation,
    Submission,
    SubmissionMember,
    Task,
)
from mampf.models import Lecture
from performance.models import Record
from performance.signals import records_changed
from rosters.models import RosterEntry
from rosters.selectors import roster_user_ids

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
PERCENT_CAP = Decimal("9999.99")

MET, NOT_MET, UNGRADED = "met", "not_met", "ungraded"
NONE = "none"
REVIEWED = Participation.Status.REVIEWED
EXEMPT = Participation.Status.EXEMPT
OUTSTANDING = (Participation.Status.PENDING, NONE)


@dataclass(frozen=True)
class Outcome:
    """What one recompute did: records written, and the users whose figures changed."""

    computed: int
    changed_user_ids: tuple[int, ...]


def recompute(*, lecture: Lecture, user_ids: list[int] | None = None) -> Outcome:
    """Compute and upsert the records of the lecture's roster (or of these users only), delete
    the records of students who left it, and send ``records_changed`` after the commit."""
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            outcome = _recompute_postgresql(lecture.pk, user_ids=user_ids, now=now)
        else:
            outcome = _recompute_portable(lecture, user_ids=user_ids, now=now)
        if outcome.changed_user_ids:
            changed = list(outcome.changed_user_ids)
            lecture_id = lecture.pk
            transaction.on_commit(
                lambda: records_changed.send(sender=Record, lecture_id=lecture_id, user_ids=changed)
            )
    return outcome


# -- PostgreSQL: one statement ------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _postgresql_sql(*, only_users: bool) -> str:
    roster_filter = "AND e.user_id = ANY(%(users)s)" if only_users else ""
    gone_filter = "AND rec.user_id = ANY(%(users)s)" if only_users else ""
    return f"""
    WITH gone AS (
        DELETE FROM {_table(Record)} AS rec
        WHERE rec.lecture_id = %(lecture)s {gone_filter}
          AND NOT EXISTS (
              SELECT 1 FROM {_table(RosterEntry)} AS e
              WHERE e.registerable_id = %(lecture)s AND e.user_id = rec.user_id
          )
    ),
    roster AS (
        SELECT e.user_id FROM {_table(RosterEntry)} AS e
        WHERE e.registerable_id = %(lecture)s {roster_filter}
    ),
    sheets AS (
        SELECT a.id, COALESCE(SUM(t.max_points), 0)::numeric(9, 2) AS max
        FROM {_table(Assessment)} AS a
        LEFT JOIN {_table(Task)} AS t ON t.assessment_id = a.id
        WHERE a.lecture_id = %(lecture)s AND a.kind = 'assignment'
        GROUP BY a.id
    ),
    handed AS (
        SELECT m.user_id, m.assessment_id
        FROM {_table(SubmissionMember)} AS m
        JOIN {_table(Submission)} AS s ON s.id = m.submission_id
        WHERE m.assessment_id IN (SELECT id FROM sheets) AND s.uploaded_at IS NOT NULL
    ),
    cells AS (
        SELECT r.user_id, s.id AS assessment_id, s.max,
               COALESCE(p.status, 'none') AS status,
               CASE WHEN p.status = 'reviewed' THEN p.points_total END AS points,
               (p.submitted_at IS NOT NULL OR h.user_id IS NOT NULL) AS submitted
        FROM roster AS r
        CROSS JOIN sheets AS s
        LEFT JOIN {_table(Participation)} AS p
               ON p.assessment_id = s.id AND p.user_id = r.user_id
        LEFT JOIN handed AS h ON h.assessment_id = s.id AND h.user_id = r.user_id
    ),
    sheet_figures AS (
        SELECT user_id,
               SUM(points) AS points,
               SUM(max) FILTER (WHERE status <> 'exempt') AS maximum,
               SUM(max) FILTER (WHERE submitted AND status IN ('pending', 'none')) AS pending,
               string_agg(
                   format(
                       '"%%s":{{"max":"%%s","points":%%s,"status":"%%s","submitted":%%s}}',
                       assessment_id, max, COALESCE('"' || points::text || '"', 'null'),
                       status, CASE WHEN submitted THEN 'true' ELSE 'false' END
                   ),
                   ',' ORDER BY assessment_id
               ) AS per_assessment
        FROM cells
        GROUP BY user_id
    ),
    achievement_figures AS (
        SELECT r.user_id,
               string_agg(
                   format(
                       '"%%s":"%%s"',
                       a.id,
                       CASE WHEN v.id IS NULL THEN 'ungraded'
                            WHEN COALESCE(v.passed, v.value >= a.threshold, FALSE) THEN 'met'
                            ELSE 'not_met' END
                   ),
                   ',' ORDER BY a.id
               ) AS achievements
        FROM roster AS r
        CROSS JOIN {_table(Achievement)} AS a
        LEFT JOIN {_table(AchievementValue)} AS v
               ON v.achievement_id = a.id AND v.user_id = r.user_id
        WHERE a.lecture_id = %(lecture)s
        GROUP BY r.user_id
    ),
    figures AS (
        SELECT r.user_id,
               COALESCE(f.points, 0)::numeric(9, 2) AS points,
               COALESCE(f.maximum, 0)::numeric(9, 2) AS maximum,
               COALESCE(f.pending, 0)::numeric(9, 2) AS pending,
               '{{' || COALESCE(f.per_assessment, '') || '}}' AS per_assessment,
               '{{' || COALESCE(g.achievements, '') || '}}' AS achievements
        FROM roster AS r
        LEFT JOIN sheet_figures AS f ON f.user_id = r.user_id
        LEFT JOIN achievement_figures AS g ON g.user_id = r.user_id
    ),
    final AS (
        SELECT *,
               CASE WHEN maximum > 0
                    THEN LEAST(TRUNC(points * 100 / maximum, 2), {PERCENT_CAP})::numeric(6, 2)
               END AS percentage
        FROM figures
    )
    INSERT INTO {_table(Record)} AS rec
        (lecture_id, user_id, points, maximum, points_pending_marking, percentage,
         per_assessment, achievements, fingerprint, figures_changed_at, computed_at)
    SELECT %(lecture)s, user_id, points, maximum, pending, percentage,
           per_assessment::jsonb, achievements::jsonb,
           md5(concat_ws('|', points::text, maximum::text, pending::text,
                         COALESCE(percentage::text, '-'), per_assessment, achievements)),
           %(now)s, %(now)s
    FROM final
    ON CONFLICT (lecture_id, user_id) DO UPDATE SET
        points = EXCLUDED.points,
        maximum = EXCLUDED.maximum,
        points_pending_marking = EXCLUDED.points_pending_marking,
        percentage = EXCLUDED.percentage,
        per_assessment = EXCLUDED.per_assessment,
        achievements = EXCLUDED.achievements,
        figures_changed_at = CASE WHEN rec.fingerprint = EXCLUDED.fingerprint
                                  THEN rec.figures_changed_at
                                  ELSE EXCLUDED.figures_changed_at END,
        fingerprint = EXCLUDED.fingerprint,
        computed_at = EXCLUDED.computed_at
    RETURNING user_id, figures_changed_at = computed_at
    """  # noqa: S608 - table names come from model metadata, values are parameters


def _recompute_postgresql(lecture_id: int, *, user_ids, now) -> Outcome:
    params = {"lecture": lecture_id, "now": now}
    if user_ids is not None:
        params["users"] = sorted({int(pk) for pk in user_ids})
    with connection.cursor() as cursor:
        cursor.execute(_postgresql_sql(only_users=user_ids is not None), params)
        rows = cursor.fetchall()
    return Outcome(
        computed=len(rows), changed_user_ids=tuple(sorted(uid for uid, moved in rows if moved))
    )


# -- the portable path (SQLite) -------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT))


def fingerprint(
    *, points, maximum, pending, percentage, per_assessment: dict, achievements: dict
) -> str:
    """The digest of every figure (the portable path's form; stable for equal figures)."""
    canonical = "|".join(
        [
            str(points),
            str(maximum),
            str(pending),
            "-" if percentage is None else str(percentage),
            json.dumps(per_assessment, sort_keys=True, separators=(",", ":")),
            json.dumps(achievements, sort_keys=True, separators=(",", ":")),
        ]
    )
    return hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest()


def percentage_of(points: Decimal, maximum: Decimal) -> Decimal | None:
    """Points as a percentage of the maximum, rounded down to 0.01; None when the maximum is 0."""
    if maximum <= 0:
        return None
    return min((points * HUNDRED / maximum).quantize(CENT, rounding=ROUND_DOWN), PERCENT_CAP)


def _achievement_state(achievement: Achievement, value: AchievementValue | None) -> str:
    if value is None:
        return UNGRADED
    if value.passed is not None:
        return MET if value.passed else NOT_MET
    if value.value is not None and achievement.threshold is not None:
        return MET if value.value >= achievement.threshold else NOT_MET
    return NOT_MET


def _recompute_portable(lecture: Lecture, *, user_ids, now) -> Outcome:
    """Nine queries at any size: roster, delete, sheets, rows, hand-ins, achievements, values,
    existing records, one upsert (lists of ids travel as subqueries, never as parameters)."""
    roster = roster_user_ids(lecture)
    members = RosterEntry.objects.filter(registerable_id=lecture.pk).values("user_id")
    stale = Record.objects.filter(lecture=lecture).exclude(user_id__in=members)
    if user_ids is not None:
        wanted = {int(pk) for pk in user_ids}
        roster = [pk for pk in roster if pk in wanted]
        members = members.filter(user_id__in=wanted)
        stale = stale.filter(user_id__in=wanted)
    stale.delete()
    if not roster:
        return Outcome(computed=0, changed_user_ids=())
    sheets = dict(
        Assessment.objects.filter(lecture=lecture, kind=Assessment.Kind.ASSIGNMENT)
        .annotate(total=Coalesce(Sum("tasks__max_points"), ZERO))
        .values_list("pk", "total")
        .order_by()
    )
    rows: dict[tuple[int, int], tuple] = {}
    for user_id, assessment_id, status, total, submitted_at in Participation.objects.filter(
        assessment_id__in=list(sheets), user_id__in=members
    ).values_list("user_id", "assessment_id", "status", "points_total", "submitted_at"):
        rows[(user_id, assessment_id)] = (status, total, submitted_at is not None)
    handed = set(
        SubmissionMember.objects.filter(
            assessment_id__in=list(sheets),
            user_id__in=members,
            submission__uploaded_at__isnull=False,
        ).values_list("user_id", "assessment_id")
    )
    achievements = list(Achievement.objects.filter(lecture=lecture).order_by("pk"))
    values = {
        (v.achievement_id, v.user_id): v
        for v in AchievementValue.objects.filter(
            achievement__lecture=lecture, user_id__in=members
        ).only("achievement_id", "user_id", "passed", "value")
    }
    existing = {
        user_id: (fp, changed_at)
        for user_id, fp, changed_at in Record.objects.filter(
            lecture=lecture, user_id__in=members
        ).values_list("user_id", "fingerprint", "figures_changed_at")
    }
    records, changed = [], []
    for user_id in roster:
        points = maximum = pending = ZERO
        per_assessment = {}
        for assessment_id, sheet_max in sheets.items():
            status, total, submitted = rows.get((user_id, assessment_id), (NONE, None, False))
            submitted = submitted or (user_id, assessment_id) in handed
            got = total if status == REVIEWED else None
            if got is not None:
                points += got
            if status != EXEMPT:
                maximum += sheet_max
            if submitted and status in OUTSTANDING:
                pending += sheet_max
            per_assessment[str(assessment_id)] = {
                "points": _text(got),
                "max": _text(sheet_max),
                "status": status,
                "submitted": submitted,
            }
        states = {
            str(a.pk): _achievement_state(a, values.get((a.pk, user_id))) for a in achievements
        }
        points, maximum, pending = (x.quantize(CENT) for x in (points, maximum, pending))
        percentage = percentage_of(points, maximum)
        digest = fingerprint(
            points=points,
            maximum=maximum,
            pending=pending,
            percentage=percentage,
            per_assessment=per_assessment,
            achievements=states,
        )
        old = existing.get(user_id)
        moved = old is None or old[0] != digest
        if moved:
            changed.append(user_id)
        records.append(
            Record(
                lecture=lecture,
                user_id=user_id,
                points=points,
                maximum=maximum,
                points_pending_marking=pending,
                percentage=percentage,
                per_assessment=per_assessment,
                achievements=states,
                fingerprint=digest,
                figures_changed_at=now if moved else old[1],
                computed_at=now,
            )
        )
    _upsert(records)
    return Outcome(computed=len(records), changed_user_ids=tuple(sorted(changed)))


RECORD_FIGURES = (
    "points",
    "maximum",
    "points_pending_marking",
    "percentage",
    "per_assessment",
    "achievements",
    "fingerprint",
    "figures_changed_at",
    "computed_at",
)


def _upsert(records: list[Record]) -> None:
    """SQLite: one ``INSERT ... SELECT FROM json_each(?) ON CONFLICT DO UPDATE`` whatever the
    number of records (``bulk_create`` would split into batches of 999 parameters)."""
    if connection.vendor != "sqlite":
        Record.objects.bulk_create(
            records,
            update_conflicts=True,
            unique_fields=["lecture", "user"],
            update_fields=list(RECORD_FIGURES),
        )
        return
    ops = connection.ops
    payload = json.dumps(
        [
            {
                "lecture_id": r.lecture_id,
                "user_id": r.user_id,
                "points": str(r.points),
                "maximum": str(r.maximum),
                "points_pending_marking": str(r.points_pending_marking),
                "percentage": None if r.percentage is None else str(r.percentage),
                "per_assessment": json.dumps(r.per_assessment),
                "achievements": json.dumps(r.achievements),
                "fingerprint": r.fingerprint,
                "figures_changed_at": ops.adapt_datetimefield_value(r.figures_changed_at),
                "computed_at": ops.adapt_datetimefield_value(r.computed_at),
            }
            for r in records
        ]
    )
    columns = ["lecture_id", "user_id", *RECORD_FIGURES]
    select = ", ".join(f"json_extract(value, '$.{name}')" for name in columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in RECORD_FIGURES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(Record)} ({', '.join(columns)}) "  # noqa: S608 - model metadata
            f"SELECT {select} FROM json_each(%s) WHERE 1 "
            f"ON CONFLICT (lecture_id, user_id) DO UPDATE SET {updates}",
            [payload],
        )


def open_grading_lectures():
    """Lectures with "open grading": an assignment whose results are not published as a whole
    yet (per-tutorial publications do not close it: another tutorial may still be grading)."""
    return Lecture.objects.filter(
        Q(assessments__kind=Assessment.Kind.ASSIGNMENT)
        & Q(assessments__results_published_at__isnull=True)
    ).distinct()
