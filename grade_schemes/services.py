"""Writes of grade schemes and exam grades. Keyword-only; one short transaction each; audited.

Rules (DOMAIN-NOTES "Grade schemes"):
- schemes belong to exam assessments only; bands are validated per band (``bands.validate``)
  and refused as a whole with one message per band (``InvalidScheme``); percentage bands need a
  maximum (the sum of the tasks' maximum points) above 0;
- one active scheme per assessment: ``create_scheme`` retires the active one (kept as history);
  ``update_scheme`` replaces the active scheme's bands. Both leave the scheme *not applied*
  (``applied_at`` None): grades change only through ``apply_scheme`` after a preview;
- applying: reviewed rows get the band grade of ``points_total``, absent rows 5.0, pending rows
  no grade (a computed grade left from earlier points is cleared), exempt rows nothing; every
  written grade is ``computed``; rows whose grade is ``manual`` are never touched. Rows whose
  grade already equals the target are left alone, so applying twice equals applying once and
  writes no audit rows the second time;
- in bulk, a fixed number of statements at any size: one plain read of the rows (under the
  exclusive assessment lock), one ``FOR UPDATE`` of the rows that change (ascending pk), one
  ``UPDATE ... FROM unnest(ids, grades)`` (PostgreSQL; SQLite: one per distinct grade, <= 12)
  and one insert of ``assessment.GradeChange`` rows (field ``grade``, old -> new, the reason
  ``scheme``) from arrays;
- lock order as in ``assessment.services``: the assessment row (``FOR UPDATE`` when a scheme
  changes or is applied; ``FOR SHARE`` for an override or a regrade of given rows, which lock
  those rows before reading them), then the scheme, then
  the participations in ascending primary key (``mampf.db.lock_rows``); every grading service
  share-locks the assessment first, so under its exclusive lock the rows cannot change between
  the plain read and the write;
- ``override_grade`` needs a note and a German grade and makes the grade ``manual`` (audited
  with the note as reason); ``clear_override`` hands the row back to the scheme;
- ``regrade_participations`` recomputes the computed grades of the given rows under the active,
  applied scheme (for the hook that runs when points change after grades exist).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Assessment, GradeChange, Participation, Task
from grade_schemes import bands as band_rules
from grade_schemes import errors, mc_grading
from grade_schemes.generator import two_point_bands
from grade_schemes.models import GradeBand, GradeScheme, GradeSchemeChange, McConfig, McOutcome
from grade_schemes.problems import Problem
from grade_schemes.statistics import mean as exact_mean
from mampf.db import actor_or_none, lock_rows, translate_db_errors

Status = Participation.Status
Source = Participation.GradeSource
FAIL = Decimal("5.0")
MAX_NOTE = 300


# -- helpers ----------------------------------------------------------------------------------


def maximum_points(assessment_id: int) -> Decimal:
    """The assessment's maximum: the sum of its tasks' maximum points (one query)."""
    total = Task.objects.filter(assessment_id=assessment_id).aggregate(total=Sum("max_points"))
    return total["total"] or Decimal(0)


def scheme_maximum(assessment_id: int) -> Decimal:
    """The maximum the grade scheme grades: every task's, except an MC part's (the scheme grades
    the written part of an MC exam; ``mc_grading`` grades the MC part). One query."""
    total = (
        Task.objects.filter(assessment_id=assessment_id)
        .exclude(mc_config__isnull=False)
        .aggregate(total=Sum("max_points"))
    )
    return total["total"] or Decimal(0)


def written_point_bands(assessment_id: int) -> list | None:
    """The active scheme's bands in points over the written part; None without a scheme."""
    scheme = active_scheme(assessment_id)
    if scheme is None:
        return None
    return _point_bands(
        scheme_bands(scheme), kind=scheme.kind, maximum=scheme_maximum(assessment_id)
    )


def _require_exam(assessment: Assessment) -> None:
    if assessment.kind != Assessment.Kind.EXAM:
        raise errors.WrongKind()


def _invalid(problem: Problem, error=errors.InvalidScheme) -> errors.GradeSchemeError:
    rows = [
        {"index": p.index, "code": p.code, "message": errors.message_for(p.code, p.params)}
        for p in problem.problems
    ]
    message = rows[0]["message"] if error is errors.GeneratorRefused else None
    return error(message, details={"problems": rows})


def clean_scheme_bands(bands: Sequence, *, kind: str, maximum: Decimal) -> list:
    """Valid ``(threshold, grade)`` pairs, best first; or ``InvalidScheme`` with per-band rows."""
    if kind not in GradeScheme.Kind.values:
        raise errors.InvalidScheme(_("Unknown kind of scheme."), code="invalid_kind")
    if kind == GradeScheme.Kind.PERCENTAGE and maximum <= 0:
        raise errors.NoMaximum()
    try:
        return band_rules.clean_bands(
            list(bands),
            kind=kind,
            maximum=maximum if kind == GradeScheme.Kind.POINTS else None,
        )
    except Problem as problem:
        raise _invalid(problem) from None


def generate_bands(*, passing_points, excellence_points, step=1, max_points=None) -> list:
    """``two_point_bands`` with its refusals as ``GeneratorRefused`` (a translated message)."""
    values = [band_rules.to_decimal(v) for v in (passing_points, excellence_points, step)]
    if any(v is None for v in values):
        raise errors.GeneratorRefused(_("Please enter numbers for both anchors and the step."))
    try:
        return two_point_bands(
            passing_points=values[0],
            excellence_points=values[1],
            step=values[2],
            max_points=max_points,
        )
    except Problem as problem:
        raise _invalid(problem, errors.GeneratorRefused) from None


def scheme_bands(scheme: GradeScheme) -> list[tuple[Decimal, Decimal]]:
    """The scheme's bands as ``(threshold, grade)``, best grade first (one query)."""
    return list(scheme.bands.order_by("grade").values_list("min_value", "grade"))


def _serial(bands) -> list[list[str]]:
    return [[str(t), str(g)] for t, g in bands]


def _point_bands(bands, *, kind: str, maximum: Decimal) -> list[tuple[Decimal, Decimal]]:
    return band_rules.absolute_bands(bands, kind=kind, maximum=maximum)


@dataclass
class _Grading:
    """How one exam's rows are graded now: the scheme's point bands (over the written part),
    and for an MC exam the two-stage ``mc_grading.Grader``."""

    point_bands: list | None
    grader: mc_grading.Grader | None = None

    def target(self, row) -> tuple[Decimal | None, mc_grading.Outcome | None]:
        """The computed grade this row should carry (None: no grade) and its MC outcome."""
        if row.status == Status.REVIEWED:
            if self.grader is not None:
                outcome = self.grader.outcome(row)
                return outcome.grade, outcome
            return band_rules.grade_for(row.points_total, self.point_bands), None
        if row.status == Status.ABSENT:
            return FAIL, None
        return None, None


_UNREAD = object()


def _grading(
    assessment_id: int, *, point_bands, rows=None, stored: bool, fallback=None, config=_UNREAD
):
    """The grading of this exam: plain bands, or with its MC part (the pass mark stored at
    the last application when ``stored``, else computed over every row, read here if
    ``rows`` is not every row). Refuses ``McRefused`` when the MC maximum is 0."""
    if config is _UNREAD:
        config = mc_grading.config_for(assessment_id)
    if config is None:
        return _Grading(point_bands), config
    if rows is None:
        rows = mc_grading.read_rows(assessment_id, task_id=config.task_id)
    try:
        grader = mc_grading.make_grader(
            config,
            rows,
            written_bands=point_bands,
            mc_max=config.task.max_points,
            stored=stored,
            fallback=fallback,
        )
    except Problem as problem:
        raise errors.McRefused(errors.message_for(problem.code, problem.params)) from None
    return _Grading(point_bands, grader), config


def _plan(rows: Iterable, grading: _Grading, outcomes: dict | None = None) -> list:
    """The rows whose computed grade changes, as ``(row, new grade)``; ``outcomes`` collects
    the MC outcome of every row graded by the scheme (manual rows are never touched)."""
    changes = []
    for row in rows:
        if row.grade_source == Source.MANUAL:
            continue
        new, outcome = grading.target(row)
        if outcomes is not None:
            outcomes[row.pk] = outcome
        new_source = Source.COMPUTED if new is not None else ""
        if row.grade_value == new and row.grade_source == new_source:
            continue
        changes.append((row, new))
    return changes


_OUTCOME_FIELDS = (
    "mc_points", "mc_max", "pass_mark", "mc_grade", "written_points", "written_grade", "grade",
    "reason", "used_fallback",
)  # fmt: skip


def _sync_outcomes(outcomes: dict, *, at) -> None:
    """Store each row's MC outcome beside its grade (two statements at most): insert or update
    the ones that differ from what is stored, delete those of rows that have none now."""
    if not outcomes:
        return
    stored = {
        values[0]: values[1:]
        for values in McOutcome.objects.filter(participation_id__in=list(outcomes)).values_list(
            "participation_id", *_OUTCOME_FIELDS
        )
    }
    upsert, gone = [], []
    for pk, outcome in outcomes.items():
        if outcome is None:
            if pk in stored:
                gone.append(pk)
            continue
        values = tuple(getattr(outcome, name) for name in _OUTCOME_FIELDS)
        if stored.get(pk) != values:
            fields = dict(zip(_OUTCOME_FIELDS, values, strict=True))
            upsert.append(McOutcome(participation_id=pk, at=at, **fields))
    if gone:
        McOutcome.objects.filter(participation_id__in=gone).delete()
    if upsert:
        McOutcome.objects.bulk_create(
            upsert,
            update_conflicts=True,
            unique_fields=["participation"],
            update_fields=[*_OUTCOME_FIELDS, "at"],
        )


def _store_pass_mark(config: McConfig | None, grading: _Grading) -> None:
    if config is None or grading.grader is None:
        return
    mark = grading.grader.pass_mark
    derivation = mc_grading.derivation_dict(mark)
    if config.applied_pass_mark == mark.pass_mark and config.applied_derivation == derivation:
        return
    McConfig.objects.filter(pk=config.pk).update(
        applied_pass_mark=mark.pass_mark, applied_derivation=derivation
    )


def _write(changes, *, assessment_id: int, by, reason: str, published: bool = False) -> int:
    """Lock the changing rows (ascending pk), one UPDATE per distinct target grade, and one
    insert of the audit rows (on PostgreSQL ``INSERT ... SELECT FROM unnest(...)``: three
    array parameters instead of 2,000 x 10 placeholders)."""
    if not changes:
        return 0
    now = timezone.now()
    lock_rows(Participation.objects.values_list("pk", flat=True), [row.pk for row, _new in changes])
    _update_grades(changes, at=now)
    audits = [
        (row.pk, "" if row.grade_value is None else str(row.grade_value), _text(new))
        for row, new in changes
    ]
    _insert_grade_changes(
        audits,
        assessment_id=assessment_id,
        by_id=getattr(actor_or_none(by), "pk", None),
        reason=reason[:300],
        at=now,
    )
    if published:
        notify_published_grade_changes(
            assessment_id=assessment_id, participation_ids=[row.pk for row, _new in changes]
        )
    return len(changes)


def notify_published_grade_changes(*, assessment_id: int, participation_ids) -> None:
    """Grades of a published exam were just written: after the commit, mail the candidates whose
    grade now differs from the one they were told (``tasks.send_grade_change_notices``)."""
    from grade_schemes import tasks

    ids = sorted({int(pk) for pk in participation_ids})
    if ids:
        tasks.send_grade_change_notices.delay_on_commit(assessment_id, ids)


def _update_grades(changes, *, at) -> None:
    """One ``UPDATE ... FROM unnest(ids, grades)`` on PostgreSQL; elsewhere one ``UPDATE`` per
    distinct grade (at most 12). Either way the count does not grow with the rows."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Participation._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS p SET grade_value = v.grade, "  # noqa: S608 - the table name
                "grade_source = CASE WHEN v.grade IS NULL THEN '' ELSE %s END, "
                "version = p.version + 1, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, grade) WHERE p.id = v.id",
                [
                    Source.COMPUTED.value,
                    at,
                    [row.pk for row, _new in changes],
                    [new for _row, new in changes],
                ],
            )
        return
    groups: dict[Decimal | None, list[int]] = defaultdict(list)
    for row, new in changes:
        groups[new].append(row.pk)
    for new, ids in groups.items():
        Participation.objects.filter(pk__in=ids).update(
            grade_value=new,
            grade_source=Source.COMPUTED if new is not None else "",
            version=F("version") + 1,
            updated_at=at,
        )


def _text(grade: Decimal | None) -> str:
    return "" if grade is None else str(grade)


def _insert_grade_changes(audits, *, assessment_id: int, by_id, reason: str, at) -> None:
    """``assessment.GradeChange`` rows (field ``grade``) for ``(participation_id, old, new)``."""
    if connection.vendor != "postgresql":
        GradeChange.objects.bulk_create(
            GradeChange(
                assessment_id=assessment_id,
                participation_id=pk,
                field=GradeChange.Field.GRADE,
                old=old,
                new=new,
                reason=reason,
                by_id=by_id,
            )
            for pk, old, new in audits
        )
        return
    table = connection.ops.quote_name(GradeChange._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (assessment_id, participation_id, field, old, new, reason, "  # noqa: S608 - the table name
            "by_id, at) SELECT %s, v.pid, %s, v.old, v.new, %s, %s, %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(pid, old, new)",
            [
                assessment_id,
                GradeChange.Field.GRADE.value,
                reason,
                by_id,
                at,
                [a[0] for a in audits],
                [a[1] for a in audits],
                [a[2] for a in audits],
            ],
        )


def _lock_assessment(assessment_id: int, *, shared: bool) -> Assessment:
    rows = lock_rows(Assessment, [assessment_id], shared=shared)
    if not rows:
        raise errors.GradeSchemeError(_("This assessment no longer exists."), code="gone")
    return rows[0]


def _read_participations(assessment_id: int, ids: Iterable[int] | None = None, *, task_id=None):
    """The rows' grading state (with the MC task's points when ``task_id``), read plainly:
    the caller holds the assessment lock that every grading service takes first (``FOR
    UPDATE`` against their ``FOR SHARE``) or has locked these rows; ``_write`` locks the rows
    that change, ascending, before updating them. One query."""
    if task_id is not None:
        return mc_grading.read_rows(assessment_id, task_id=task_id, ids=ids)
    queryset = Participation.objects.filter(assessment_id=assessment_id)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return [
        mc_grading.McRow(*values, None)
        for values in queryset.order_by("pk").values_list(
            "pk", "status", "points_total", "grade_value", "grade_source", "first_attempt"
        )
    ]


# -- schemes ----------------------------------------------------------------------------------


@translate_db_errors(error=errors.Busy)
def create_scheme(*, assessment: Assessment, bands: Sequence, by, kind: str = "points"):
    """A new active scheme for this exam assessment (the active one retires); not applied yet.

    Refuses ``WrongKind`` (not an exam), ``InvalidScheme`` (per band), ``NoMaximum``.
    """
    _require_exam(assessment)
    cleaned = clean_scheme_bands(bands, kind=kind, maximum=scheme_maximum(assessment.pk))
    with transaction.atomic():
        _lock_assessment(assessment.pk, shared=False)
        GradeScheme.objects.filter(assessment=assessment, is_active=True).update(is_active=False)
        scheme = GradeScheme.objects.create(
            assessment=assessment, kind=kind, created_by=actor_or_none(by)
        )
        GradeBand.objects.bulk_create(
            GradeBand(scheme=scheme, min_value=t, grade=g) for t, g in cleaned
        )
        GradeSchemeChange.objects.create(
            scheme=scheme,
            action=GradeSchemeChange.Action.CREATED,
            new={"kind": kind, "bands": _serial(cleaned)},
            by=actor_or_none(by),
        )
    return scheme


@translate_db_errors(error=errors.Busy)
def update_scheme(*, scheme: GradeScheme, bands: Sequence, by, kind: str | None = None):
    """Replace the active scheme's bands (and kind); it must be applied again afterwards.

    Refuses ``SchemeNotActive``, ``InvalidScheme``, ``NoMaximum``. No change, no audit row.
    """
    kind = kind or scheme.kind
    cleaned = clean_scheme_bands(bands, kind=kind, maximum=scheme_maximum(scheme.assessment_id))
    with transaction.atomic():
        _lock_assessment(scheme.assessment_id, shared=False)
        rows = lock_rows(GradeScheme, [scheme.pk])
        if not rows or not rows[0].is_active:
            raise errors.SchemeNotActive()
        fresh = rows[0]
        old = scheme_bands(fresh)
        if old == cleaned and fresh.kind == kind:
            return fresh
        fresh.bands.all().delete()
        GradeBand.objects.bulk_create(
            GradeBand(scheme=fresh, min_value=t, grade=g) for t, g in cleaned
        )
        GradeSchemeChange.objects.create(
            scheme=fresh,
            action=GradeSchemeChange.Action.UPDATED,
            old={"kind": fresh.kind, "bands": _serial(old)},
            new={"kind": kind, "bands": _serial(cleaned)},
            by=actor_or_none(by),
        )
        fresh.kind = kind
        fresh.applied_at = None
        fresh.save(update_fields=["kind", "applied_at", "updated_at"])
    return fresh


def active_scheme(assessment_id: int) -> GradeScheme | None:
    return GradeScheme.objects.filter(assessment_id=assessment_id, is_active=True).first()


@translate_db_errors(error=errors.Busy)
def apply_scheme(*, scheme: GradeScheme, by) -> int:
    """Write the scheme's grades to every participation (see the rules); rows changed.

    Refuses ``SchemeNotActive``. A handful of statements at any number of candidates.
    """
    with transaction.atomic():
        assessment = _lock_assessment(scheme.assessment_id, shared=False)
        rows = lock_rows(GradeScheme, [scheme.pk])
        if not rows or not rows[0].is_active:
            raise errors.SchemeNotActive()
        fresh = rows[0]
        maximum = scheme_maximum(fresh.assessment_id)
        if fresh.kind == GradeScheme.Kind.PERCENTAGE and maximum <= 0:
            raise errors.NoMaximum()
        point_bands = _point_bands(scheme_bands(fresh), kind=fresh.kind, maximum=maximum)
        changed = _regrade_all(
            assessment, point_bands=point_bands, by=by, reason="scheme", stored=False
        )
        if changed or fresh.applied_at is None:
            fresh.applied_at, fresh.applied_by = timezone.now(), actor_or_none(by)
            fresh.save(update_fields=["applied_at", "applied_by", "updated_at"])
            GradeSchemeChange.objects.create(
                scheme=fresh,
                action=GradeSchemeChange.Action.APPLIED,
                detail=_("%(count)d grades changed") % {"count": changed},
                by=actor_or_none(by),
            )
    scheme.applied_at = fresh.applied_at
    return changed


def _regrade_all(assessment, *, point_bands, by, reason: str, stored: bool, fallback=None):
    """Every row's computed grade (and MC outcome) under these bands; the caller holds the
    assessment's exclusive lock. The MC pass mark is computed afresh unless ``stored``."""
    config = mc_grading.config_for(assessment.pk)
    rows = _read_participations(assessment.pk, task_id=config.task_id if config else None)
    grading, config = _grading(
        assessment.pk,
        point_bands=point_bands,
        rows=rows,
        stored=stored,
        fallback=fallback,
        config=config,
    )
    outcomes = {} if config is not None else None
    changed = _write(
        _plan(rows, grading, outcomes),
        assessment_id=assessment.pk,
        by=by,
        reason=reason,
        published=assessment.results_published_at is not None,
    )
    if config is not None:
        _sync_outcomes(outcomes, at=timezone.now())
        _store_pass_mark(config, grading)
    return changed


def grades_applied(assessment_id: int) -> tuple[GradeScheme | None, bool]:
    """The active scheme and whether the exam's grades stand applied: an applied scheme, or,
    for an exam graded by its MC part alone (weight 1), an applied MC pass mark."""
    scheme = active_scheme(assessment_id)
    if scheme is not None:
        return scheme, scheme.applied_at is not None
    config = McConfig.objects.filter(assessment_id=assessment_id).first()
    applied = config is not None and config.weight == 1 and config.applied_pass_mark is not None
    return None, applied


def _bands_of(scheme: GradeScheme | None, assessment_id: int):
    if scheme is None:
        return None
    return _point_bands(
        scheme_bands(scheme), kind=scheme.kind, maximum=scheme_maximum(assessment_id)
    )


@translate_db_errors(error=errors.Busy)
def regrade_assessment(*, assessment_id: int, by, reason: str = "regrade", fallback=None) -> int:
    """Recompute every computed grade of the exam with a fresh MC pass mark, once its grades
    stand applied (else nothing: 0). For changes that move everyone's MC points at once (a
    correction batch); runs inside the caller's transaction, taking the assessment's exclusive
    lock (take it first in the caller too). Manual grades stay. Returns the grades changed."""
    with transaction.atomic():
        assessment = _lock_assessment(assessment_id, shared=False)
        scheme, applied = grades_applied(assessment_id)
        if not applied:
            return 0
        return _regrade_all(
            assessment,
            point_bands=_bands_of(scheme, assessment_id),
            by=by,
            reason=reason[:300],
            stored=False,
            fallback=fallback,
        )


@translate_db_errors(error=errors.Busy)
def apply_mc_grades(*, assessment: Assessment, by) -> int:
    """Grade an exam whose MC part is all of the grade (weight 1) without a scheme: the pass
    mark and the MC grade decide. With a scheme, ``apply_scheme`` is the way (it grades the MC
    part too). Refuses ``McRefused`` when there is no MC part or its weight is below 1."""
    _require_exam(assessment)
    with transaction.atomic():
        locked = _lock_assessment(assessment.pk, shared=False)
        scheme = active_scheme(assessment.pk)
        if scheme is not None:
            return apply_scheme(scheme=scheme, by=by)
        config = McConfig.objects.filter(assessment_id=assessment.pk).first()
        if config is None or config.weight != 1:
            raise errors.McRefused(
                _("Without a grade scheme only an exam graded by its MC part alone can be graded.")
            )
        return _regrade_all(locked, point_bands=None, by=by, reason="mc pass mark", stored=False)


@translate_db_errors(error=errors.Busy)
def regrade_participations(*, assessment_id: int, participation_ids: Iterable[int], by=None):
    """Recompute the computed grades of these rows under the active, applied scheme.

    Returns the number of grades changed; 0 when the assessment has no applied scheme. Manual
    grades stay. Safe inside the caller's transaction (it locks what it reads, in order).
    """
    ids = sorted({int(pk) for pk in participation_ids})
    if not ids:
        return 0
    with transaction.atomic():
        # FOR SHARE, as the point-entry services that call this inside their transaction hold
        # (upgrading to FOR UPDATE there could deadlock two of them); the few rows are locked
        # before they are read instead.
        assessment = _lock_assessment(assessment_id, shared=True)
        lock_rows(Participation.objects.values_list("pk", flat=True), ids)
        scheme, applied = grades_applied(assessment_id)
        if not applied:
            return 0
        point_bands = _bands_of(scheme, assessment_id)
        # An MC exam keeps the pass mark the others were graded with (read with every row
        # only when it must be computed again, e.g. after the MC maximum moved).
        grading, config = _grading(assessment_id, point_bands=point_bands, stored=True)
        rows = _read_participations(assessment_id, ids, task_id=config.task_id if config else None)
        outcomes = {} if config is not None else None
        changed = _write(
            _plan(rows, grading, outcomes),
            assessment_id=assessment_id,
            by=by,
            reason="points changed",
            published=assessment.results_published_at is not None,
        )
        if config is not None:
            _sync_outcomes(outcomes, at=timezone.now())
        return changed


# -- preview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mover:
    participation_id: int
    name: str
    matriculation_number: str
    old: Decimal | None
    new: Decimal | None


@dataclass(frozen=True)
class Preview:
    counts: list  # [(grade, count)], 1.0 ... 5.0, every German grade
    graded: int
    ungraded: int
    manual: int
    absent: int
    pass_rate: Decimal | None  # percent of the graded rows that are not absent
    mean_grade: Decimal | None  # over the graded rows that are not absent
    movers: list  # [Mover], by name
    bands: list  # point bands used


def preview_scheme(*, scheme_or_bands, assessment: Assessment, kind: str = "points") -> Preview:
    """What applying would do: grades per German grade, pass rate, mean grade and who moves.

    ``scheme_or_bands`` is a ``GradeScheme`` or a list of bands (validated like a new scheme;
    ``kind`` tells how to read them). Manual grades stay as they are. Three queries at any size.
    """
    _require_exam(assessment)
    maximum = scheme_maximum(assessment.pk)
    if isinstance(scheme_or_bands, GradeScheme):
        kind, bands = scheme_or_bands.kind, scheme_bands(scheme_or_bands)
    else:
        bands = clean_scheme_bands(scheme_or_bands, kind=kind, maximum=maximum)
    point_bands = _point_bands(bands, kind=kind, maximum=maximum)
    config = mc_grading.config_for(assessment.pk)
    queryset = Participation.objects.filter(assessment=assessment)
    if config is not None:
        queryset = queryset.annotate(mc=mc_grading.mc_points_subquery(config.task_id))
    rows = list(
        queryset.order_by("pk").values_list(
            "pk",
            "status",
            "points_total",
            "grade_value",
            "grade_source",
            "first_attempt",
            "mc" if config is not None else "first_attempt",
            "user__name",
            "user__matriculation_number",
        )
    )
    graded_rows = [
        mc_grading.McRow(*values[:6], values[6] if config is not None else None) for values in rows
    ]
    grading, _config = _grading(
        assessment.pk, point_bands=point_bands, rows=graded_rows, stored=False, config=config
    )
    counts = {g: 0 for g in band_rules.GERMAN_GRADES}
    movers, present_grades = [], []
    graded = ungraded = manual = absent = 0
    for row, values in zip(graded_rows, rows, strict=True):
        pk, status, grade, source = row.pk, row.status, row.grade_value, row.grade_source
        name, matriculation = values[7], values[8]
        if source == Source.MANUAL:
            new = grade
            manual += 1
        else:
            new, _outcome = grading.target(row)
            if new != grade:
                movers.append(Mover(pk, name or "", matriculation or "", grade, new))
        if new is None:
            ungraded += 1
            continue
        graded += 1
        counts[new] += 1
        if status == Status.ABSENT:
            absent += 1
        else:
            present_grades.append(new)
    passed = sum(1 for g in present_grades if g <= Decimal("4.0"))
    pass_rate = Decimal(passed * 100) / len(present_grades) if present_grades else None
    mean_grade = exact_mean(present_grades)
    movers.sort(key=lambda m: (m.name.casefold(), m.participation_id))
    return Preview(
        counts=list(counts.items()),
        graded=graded,
        ungraded=ungraded,
        manual=manual,
        absent=absent,
        pass_rate=pass_rate,
        mean_grade=mean_grade,
        movers=movers,
        bands=point_bands,
    )


# -- overrides --------------------------------------------------------------------------------


def clean_grade(value) -> Decimal:
    grade = band_rules.to_decimal(value)
    if grade is None or grade not in band_rules.GERMAN_GRADES:
        raise errors.InvalidGrade()
    return grade.quantize(Decimal("0.1"))


def _lock_one(participation: Participation):
    """The assessment (``FOR SHARE``) and the participation, locked; ``(row, assessment)``."""
    assessment = _lock_assessment(participation.assessment_id, shared=True)
    rows = lock_rows(Participation, [participation.pk])
    if not rows:
        raise errors.GradeSchemeError(_("This participation no longer exists."), code="gone")
    return rows[0], assessment


@translate_db_errors(error=errors.Busy)
def override_grade(*, participation: Participation, grade, note: str, by) -> Participation:
    """A grade entered by hand (``manual``): schemes never touch it again until cleared.

    Refuses ``NoteRequired``, ``InvalidGrade``, ``WrongKind`` (not an exam) and
    ``StatusForbids`` (exempt rows carry no grade). Audited with the note as the reason.
    """
    note = (note or "").strip()
    if not note:
        raise errors.NoteRequired()
    value = clean_grade(grade)
    with transaction.atomic():
        row, assessment = _lock_one(participation)
        _require_exam(assessment)
        if row.status == Status.EXEMPT:
            raise errors.StatusForbids()
        if row.grade_value == value and row.grade_source == Source.MANUAL:
            return row
        GradeChange.objects.create(
            assessment_id=row.assessment_id,
            participation=row,
            field=GradeChange.Field.GRADE,
            old="" if row.grade_value is None else str(row.grade_value),
            new=str(value),
            reason=note[:MAX_NOTE],
            by=actor_or_none(by),
        )
        changed = row.grade_value != value
        row.grade_value, row.grade_source = value, Source.MANUAL
        row.version += 1
        row.save(update_fields=["grade_value", "grade_source", "version", "updated_at"])
        if changed and assessment.results_published_at is not None:
            notify_published_grade_changes(
                assessment_id=row.assessment_id, participation_ids=[row.pk]
            )
    return row


@translate_db_errors(error=errors.Busy)
def clear_override(*, participation: Participation, by, note: str = "") -> Participation:
    """Hand a manual grade back to the scheme: recomputed under the applied scheme, or none.

    Refuses ``NoOverride`` when the grade was not entered by hand.
    """
    with transaction.atomic():
        row, assessment = _lock_one(participation)
        if row.grade_source != Source.MANUAL:
            raise errors.NoOverride()
        scheme, applied = grades_applied(row.assessment_id)
        new = outcome = None
        if applied:
            grading, config = _grading(
                row.assessment_id, point_bands=_bands_of(scheme, row.assessment_id), stored=True
            )
            fresh = _read_participations(
                row.assessment_id, [row.pk], task_id=config.task_id if config else None
            )[0]
            new, outcome = grading.target(fresh)
            if config is not None:
                _sync_outcomes({row.pk: outcome}, at=timezone.now())
        GradeChange.objects.create(
            assessment_id=row.assessment_id,
            participation=row,
            field=GradeChange.Field.GRADE,
            old=str(row.grade_value) if row.grade_value is not None else "",
            new="" if new is None else str(new),
            reason=(note.strip() or "override cleared")[:MAX_NOTE],
            by=actor_or_none(by),
        )
        changed = row.grade_value != new
        row.grade_value = new
        row.grade_source = Source.COMPUTED if new is not None else ""
        row.version += 1
        row.save(update_fields=["grade_value", "grade_source", "version", "updated_at"])
        if changed and assessment.results_published_at is not None:
            notify_published_grade_changes(
                assessment_id=row.assessment_id, participation_ids=[row.pk]
            )
    return row


def regrade_after_results_changed(*, assessment_id: int, participation_ids, by=None) -> int:
    """``assessment.hooks`` listener: recompute the computed grades of the rows whose points or
    status just changed (``None``: every row, after a task change moved the maximum), inside the
    caller's transaction. A no-op while no scheme has been applied."""
    if participation_ids is None:
        participation_ids = Participation.objects.filter(assessment_id=assessment_id).values_list(
            "pk", flat=True
        )
    return regrade_participations(
        assessment_id=assessment_id, participation_ids=participation_ids, by=by
    )
