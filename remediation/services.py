"""Writes of result remediation: scoring sheets, correction batches, apply, revert, preview.

Rules (DOMAIN-NOTES "Result remediation", issue 11):
- keyword-only, one transaction each; every refusal a ``RemediationError`` with a stable code;
- lock order: the evaluation row ``FOR UPDATE`` (every write that scores its sheets takes it,
  so a rescoring reads scores nobody else is changing), then the batch row; both through
  ``mampf.db.lock_rows`` (``settings.MAMPF_ROW_LOCKS = False`` turns them off for the
  concurrency controls);
- a sheet's score always equals its full scoring under the applied corrections; so applying or
  reverting a batch only adds, per sheet, the change of the targeted questions' contribution
  (``engine.delta``), computed once per distinct answer and written in ONE statement on
  PostgreSQL (sheet scores and history rows together), whatever the number of sheets;
- only sheets of a version holding a targeted question are rescored, every attempt; each gets
  a history row naming the batch, also when its score stays the same;
- when the evaluation belongs to an exam's MC task, the task points of every affected
  participation follow the latest attempt's score (``assessment.services.set_task_points_bulk``)
  and the exam's computed grades are recomputed in the same transaction (``grading``).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mampf.db import actor_or_none, among, array_literal, lock_rows, translate_db_errors
from mampf.permissions import can_manage_lecture
from remediation import engine, errors, grading
from remediation.models import (
    AnswerSheet,
    CorrectionBatch,
    Evaluation,
    EvaluationVersion,
    QuestionVersion,
    ScoreHistory,
)
from remediation.selectors import active_corrections, as_question, questions_of

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_CORRECTIONS = 500
MAX_REASON = 2000
ENUMERATE_OPTIONS = 8
ZERO = Decimal("0")


# -- helpers ------------------------------------------------------------------------------------


def _require_manager(by, lecture) -> None:
    """``by=None`` is the system (a script, a job); a person must manage the lecture."""
    if by is not None and not can_manage_lecture(by, lecture):
        raise errors.NotAllowed()


def _lock_evaluation(evaluation_id: int) -> Evaluation:
    rows = lock_rows(Evaluation, [evaluation_id])
    if not rows:
        raise errors.RemediationError(_("This evaluation no longer exists."))
    return rows[0]


def _clean_reason(reason) -> str:
    text = (reason or "").strip() if isinstance(reason, str | type(None)) else ""
    if not text:
        raise errors.ReasonRequired()
    if len(text) > MAX_REASON:
        raise errors.ReasonRequired(
            _("The reason is too long (at most %(count)s characters).") % {"count": MAX_REASON}
        )
    return text


# -- sheets -------------------------------------------------------------------------------------


@translate_db_errors(error=errors.TryAgain)
def score_sheet(*, sheet: AnswerSheet, by=None) -> AnswerSheet:
    """Initial scoring of a stored sheet under the key and the applied corrections: sets its
    score and maximum and writes its first history row (no batch). A sheet is scored once;
    later changes come from batches. The exam's MC task follows when the sheet counts."""
    with transaction.atomic():
        evaluation = _lock_evaluation(sheet.evaluation_id)
        if ScoreHistory.objects.filter(sheet_id=sheet.pk).exists():
            raise errors.InvalidSheet(_("This answer sheet has already been scored."))
        questions = questions_of(version_ids=[sheet.version_id])[sheet.version_id]
        rules = engine.fold(
            {q.id: q for q in questions}, active_corrections(evaluation_id=evaluation.pk)
        )
        sheet.score, sheet.max_score = engine.score(sheet.answers, questions, rules)
        AnswerSheet.objects.filter(pk=sheet.pk).update(score=sheet.score, max_score=sheet.max_score)
        ScoreHistory.objects.create(
            sheet=sheet,
            batch=None,
            score=sheet.score,
            max_score=sheet.max_score,
            at=timezone.now(),
            by=actor_or_none(by),
        )
        _flow_to_exam(evaluation, user_ids=[sheet.user_id], by=by, reason=_("answer sheet"))
    return sheet


def create_sheet(*, version: EvaluationVersion, user, answers: Mapping, by=None) -> AnswerSheet:
    """Store one answer sheet as the user's next attempt and score it.

    ``answers`` maps a position to an option, a list of options, or nothing; unknown positions
    or options are refused (``InvalidSheet``). Stored with every position of the version."""
    questions = questions_of(version_ids=[version.pk])[version.pk]
    try:
        normalized = engine.normalize_answers(answers, questions)
    except ValueError as exc:
        raise errors.InvalidSheet(
            _("Question %(position)s has no such option, or the version has no such question.")
            % {"position": exc.args[0] if exc.args else "?"}
        ) from None
    with transaction.atomic():
        _lock_evaluation(version.evaluation_id)
        last = AnswerSheet.objects.filter(evaluation_id=version.evaluation_id, user=user).aggregate(
            last=Max("attempt")
        )["last"]
        sheet = AnswerSheet.objects.create(
            evaluation_id=version.evaluation_id,
            version=version,
            user=user,
            attempt=(last or 0) + 1,
            answers=normalized,
        )
        return score_sheet(sheet=sheet, by=by)


# -- batches ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectionProblem:
    index: int | None  # the correction's index in the payload, None for the whole payload
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"index": self.index, "code": self.code, "message": self.message}


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def clean_corrections(*, evaluation: Evaluation, corrections) -> list[dict]:
    """The payload checked and normalized (options in the question's order), or
    ``InvalidCorrections`` listing every problem; ``PayloadTooLarge`` above the cap."""
    try:
        size = len(json.dumps(corrections, default=str))
    except (TypeError, ValueError):
        size = MAX_PAYLOAD_BYTES + 1
    if size > MAX_PAYLOAD_BYTES or (
        isinstance(corrections, list) and len(corrections) > MAX_CORRECTIONS
    ):
        raise errors.PayloadTooLarge()
    if not isinstance(corrections, list) or not corrections:
        raise errors.InvalidCorrections(
            _("Please give at least one correction."),
            details={"problems": [CorrectionProblem(None, "empty", "").as_dict()]},
        )
    problems: list[CorrectionProblem] = []
    wanted = {
        pk
        for item in corrections
        if isinstance(item, dict)
        for pk in [_as_id(item.get("question_version"))]
        if pk
    }
    known = {
        row.pk: row
        for row in QuestionVersion.objects.filter(
            pk__in=wanted, version__evaluation_id=evaluation.pk
        ).select_related("version")
    }
    seen: dict[int, int] = {}
    cleaned: list[dict] = []
    for index, item in enumerate(corrections):
        if not isinstance(item, dict) or set(item) - {"kind", "question_version", "options"}:
            problems.append(
                CorrectionProblem(
                    index,
                    "malformed",
                    _("A correction has a kind, a question version and options, nothing else."),
                )
            )
            continue
        kind = item.get("kind")
        if kind not in engine.KINDS:
            problems.append(
                CorrectionProblem(
                    index,
                    "unknown_kind",
                    _("Unknown kind of correction: %(kind)s.") % {"kind": str(kind)[:40]},
                )
            )
            continue
        pk = _as_id(item.get("question_version"))
        question = known.get(pk) if pk else None
        if question is None:
            problems.append(
                CorrectionProblem(
                    index,
                    "unknown_question_version",
                    _("This question does not belong to this evaluation."),
                )
            )
            continue
        where = _("question %(position)s of variant %(label)s") % {
            "position": question.position,
            "label": question.version,
        }
        if pk in seen:
            problems.append(
                CorrectionProblem(
                    index,
                    "contradiction",
                    _("The batch corrects %(where)s twice; give one correction per question.")
                    % {"where": where},
                )
            )
            continue
        seen[pk] = index
        options = item.get("options", [])
        if options is None:
            options = []
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            problems.append(
                CorrectionProblem(index, "malformed", _("The options must be a list of texts."))
            )
            continue
        unknown = [o for o in options if o not in question.options]
        if unknown:
            problems.append(
                CorrectionProblem(
                    index,
                    "unknown_option",
                    _("%(where)s has no option %(option)s.")
                    % {"where": where, "option": unknown[0][:20]},
                )
            )
            continue
        if len(set(options)) != len(options):
            problems.append(
                CorrectionProblem(
                    index,
                    "duplicate_option",
                    _("An option is named twice for %(where)s.") % {"where": where},
                )
            )
            continue
        if kind == engine.DROP_ITEM and options:
            problems.append(
                CorrectionProblem(
                    index,
                    "options_not_allowed",
                    _("Dropping %(where)s takes no options.") % {"where": where},
                )
            )
            continue
        if kind != engine.DROP_ITEM and not options:
            problems.append(
                CorrectionProblem(
                    index,
                    "options_required",
                    _("Please choose the options for %(where)s.") % {"where": where},
                )
            )
            continue
        ordered = [o for o in question.options if o in options]
        cleaned.append({"kind": kind, "question_version": pk, "options": ordered})
    if problems:
        raise errors.InvalidCorrections(
            problems[0].message if len(problems) == 1 else None,
            details={"problems": [p.as_dict() for p in problems]},
        )
    return cleaned


@translate_db_errors(error=errors.TryAgain)
def create_batch(*, evaluation: Evaluation, reason: str, corrections, by) -> CorrectionBatch:
    """A draft batch with a required reason and a validated payload (nothing is rescored)."""
    _require_manager(by, evaluation.lecture)
    text = _clean_reason(reason)
    payload = clean_corrections(evaluation=evaluation, corrections=corrections)
    with transaction.atomic():
        return CorrectionBatch.objects.create(
            evaluation=evaluation,
            reason=text,
            payload=payload,
            created_by=actor_or_none(by),
        )


def _targets(payload: Iterable[Mapping]) -> list[int]:
    return sorted({int(c["question_version"]) for c in payload})


@translate_db_errors(error=errors.TryAgain)
def apply_batch(*, batch: CorrectionBatch, by) -> CorrectionBatch:
    """Apply a draft batch: rescore the sheets holding its questions, write their history,
    move the exam's MC task points and grades; all in one transaction. A batch applies once:
    a second call (in a row, or racing on another connection) is refused (``batch_not_draft``).
    """
    _require_manager(by, batch.evaluation.lecture)
    with transaction.atomic():
        evaluation = _lock_evaluation(batch.evaluation_id)
        locked = lock_rows(CorrectionBatch, [batch.pk])
        if not locked or locked[0].status != CorrectionBatch.Status.DRAFT:
            raise errors.NotDraft()
        given, batch = batch, locked[0]
        before = active_corrections(evaluation_id=evaluation.pk)
        now = timezone.now()
        batch.mark_applied()
        batch.applied_by = actor_or_none(by)
        batch.applied_at = now
        batch.save(update_fields=["status", "applied_by", "applied_at"])
        users = _rescore(
            question_ids=_targets(batch.payload),
            before=before,
            after=[*before, *batch.payload],
            batch=batch,
            by=by,
            now=now,
            want_users=evaluation.task_id is not None,
        )
        _flow_to_exam(
            evaluation,
            user_ids=users,
            by=by,
            reason=_("correction batch %(id)s: %(reason)s")
            % {"id": batch.pk, "reason": batch.reason},
        )
    given.status, given.applied_by, given.applied_at = batch.status, batch.applied_by, now
    return batch


@translate_db_errors(error=errors.TryAgain)
def revert_batch(*, batch: CorrectionBatch, by, reason: str) -> CorrectionBatch:
    """Revert an applied batch with a new compensating batch, applied at once: the sheets the
    batch targeted are rescored under every applied correction except its own (so later
    batches keep their effect); nothing is deleted. Returns the compensating batch."""
    _require_manager(by, batch.evaluation.lecture)
    text = _clean_reason(reason)
    with transaction.atomic():
        evaluation = _lock_evaluation(batch.evaluation_id)
        locked = lock_rows(CorrectionBatch, [batch.pk])
        if not locked:
            raise errors.NotApplied()
        original = locked[0]
        if original.is_compensation:
            raise errors.CompensationNotRevertible()
        if original.status == CorrectionBatch.Status.REVERTED:
            raise errors.AlreadyReverted()
        if original.status != CorrectionBatch.Status.APPLIED:
            raise errors.NotApplied()
        before = active_corrections(evaluation_id=evaluation.pk)
        after = active_corrections(evaluation_id=evaluation.pk, without_batch_id=original.pk)
        now = timezone.now()
        actor = actor_or_none(by)
        compensation = CorrectionBatch.objects.create(
            evaluation=evaluation,
            status=CorrectionBatch.Status.APPLIED,
            reason=text,
            payload=[],
            created_by=actor,
            applied_by=actor,
            applied_at=now,
            reverts=original,
        )
        original.mark_reverted()
        original.save(update_fields=["status"])
        batch.status = original.status
        users = _rescore(
            question_ids=_targets(original.payload),
            before=before,
            after=after,
            batch=compensation,
            by=by,
            now=now,
            want_users=evaluation.task_id is not None,
        )
        _flow_to_exam(
            evaluation,
            user_ids=users,
            by=by,
            reason=_("revert of correction batch %(id)s: %(reason)s")
            % {"id": original.pk, "reason": text},
        )
    return compensation


# -- rescoring ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The change of (score, maximum) per (question, distinct answer), and where to apply it."""

    questions: dict[int, engine.Question]
    version_of: dict[int, int]  # question id -> version id
    # (question id, answer as stored JSON text) -> (score change, maximum change)
    deltas: dict[tuple[int, str], tuple[Decimal, Decimal]] = field(default_factory=dict)


def _plan(question_ids: Sequence[int], before, after) -> _Plan:
    rows = list(QuestionVersion.objects.filter(pk__in=list(question_ids)))
    questions = {row.pk: as_question(row) for row in rows}
    plan = _Plan(questions=questions, version_of={row.pk: row.version_id for row in rows})
    if not questions:
        return plan
    old_rules = engine.fold(questions, before)
    new_rules = engine.fold(questions, after)
    for qid, answer_text in _possible_answers(plan):
        answer = json.loads(answer_text)
        plan.deltas[(qid, answer_text)] = engine.delta(
            answer, questions[qid], old_rules[qid], new_rules[qid]
        )
    return plan


def _answer_text(answer) -> str:
    """A stored answer as PostgreSQL prints ``jsonb``: ``["A", "C"]``."""
    return json.dumps(list(answer or []))


def _possible_answers(plan: _Plan) -> list[tuple[int, str]]:
    """Every (question, answer) a sheet can hold. Stored answers list their options in the
    question's order, so a question with few options has few possible answers (4 options: 16)
    and they are enumerated without reading a sheet; beyond ``ENUMERATE_OPTIONS`` options the
    answers the sheets actually hold are read (one grouped scan)."""
    enumerable = {qid for qid, q in plan.questions.items() if len(q.options) <= ENUMERATE_OPTIONS}
    found = [
        (qid, _answer_text(combo))
        for qid in sorted(enumerable)
        for size in range(len(plan.questions[qid].options) + 1)
        for combo in itertools.combinations(plan.questions[qid].options, size)
    ]
    rest = [qid for qid in plan.questions if qid not in enumerable]
    return found + (_distinct_answers(plan, rest) if rest else [])


def _distinct_answers(plan: _Plan, qids: list[int]) -> list[tuple[int, str]]:
    """The (question, answer) pairs the sheets hold for these questions."""
    if connection.vendor != "postgresql":
        found = set()
        by_version = defaultdict(list)
        for qid in qids:
            by_version[plan.version_of[qid]].append(qid)
        rows = AnswerSheet.objects.filter(version_id__in=list(by_version)).values_list(
            "version_id", "answers"
        )
        for vid, answers in rows:
            for qid in by_version[vid]:
                position = str(plan.questions[qid].position)
                found.add((qid, _answer_text(answers.get(position))))
        return sorted(found)
    table = connection.ops.quote_name(AnswerSheet._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.qid, COALESCE(s.answers -> t.pos, '[]'::jsonb)::text "  # noqa: S608
            f"FROM {table} s JOIN unnest(%s::bigint[], %s::bigint[], %s::text[]) "
            "AS t(qid, vid, pos) ON s.version_id = t.vid GROUP BY 1, 2",
            [
                array_literal(qids),
                array_literal([plan.version_of[q] for q in qids]),
                array_literal([str(plan.questions[q].position) for q in qids]),
            ],
        )
        return cursor.fetchall()


def _delta_source(plan: _Plan) -> tuple[str, list]:
    """``SELECT`` of (sheet, user, attempt, score, maximum, score change, maximum change) for
    every sheet holding a targeted question, and its parameters (PostgreSQL).

    Each sheet's answer to each targeted question is extracted once (``x``) and then found
    among the planned changes by a hash join; the sum over questions is needed only when a
    version has several targeted questions."""
    table = connection.ops.quote_name(AnswerSheet._meta.db_table)
    qids = list(plan.questions)
    keys = list(plan.deltas)
    per_version = defaultdict(int)
    for qid in qids:
        per_version[plan.version_of[qid]] += 1
    several = max(per_version.values()) > 1
    columns = "x.id, x.user_id, x.attempt, x.score, x.max_score"
    sql = (
        "WITH x AS MATERIALIZED (SELECT s.id, s.user_id, s.attempt, s.score, "  # noqa: S608
        "s.max_score, q.qid, COALESCE(s.answers -> q.pos, '[]'::jsonb)::text AS ans "
        f"FROM {table} s JOIN unnest(%s::bigint[], %s::bigint[], %s::text[]) AS q(qid, vid, pos) "
        "ON s.version_id = q.vid) "
        f"SELECT {columns}, "
        + ("sum(t.ds) AS ds, sum(t.dm) AS dm " if several else "t.ds, t.dm ")
        + "FROM x JOIN unnest(%s::bigint[], %s::text[], %s::numeric[], %s::numeric[]) "
        "AS t(qid, ans, ds, dm) ON t.qid = x.qid AND t.ans = x.ans"
        + (f" GROUP BY {columns}" if several else "")
    )
    params = [
        array_literal(qids),
        array_literal([plan.version_of[q] for q in qids]),
        array_literal([str(plan.questions[q].position) for q in qids]),
        array_literal([q for q, _a in keys]),
        array_literal([a for _q, a in keys]),
        array_literal([plan.deltas[k][0] for k in keys]),
        array_literal([plan.deltas[k][1] for k in keys]),
    ]
    return sql, params


def _without_nested_loops(cursor, sql: str, params: list) -> list[tuple]:
    """Run one statement with hash joins and return its rows: the planner guesses a handful
    of rows for ``unnest`` and would otherwise probe the sheets' index once per sheet."""
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    cursor.execute("SET LOCAL enable_nestloop = on")
    return rows


def _rescore(*, question_ids, before, after, batch, by, now, want_users: bool) -> list[int]:
    """Move the sheets holding these questions from the ``before`` to the ``after``
    corrections; one history row per sheet; return the users whose sheets were rescored
    (only ``want_users``: the exam's task points follow them)."""
    plan = _plan(question_ids, before, after)
    if not plan.deltas:
        return []
    actor = actor_or_none(by)
    if connection.vendor != "postgresql":
        return _rescore_portable(plan, batch=batch, by=actor, now=now)
    sheets = connection.ops.quote_name(AnswerSheet._meta.db_table)
    history = connection.ops.quote_name(ScoreHistory._meta.db_table)
    source, params = _delta_source(plan)
    with connection.cursor() as cursor:
        # One statement: the changed sheets' scores and every rescored sheet's history row.
        rows = _without_nested_loops(
            cursor,
            f"WITH d AS MATERIALIZED ({source}), "  # noqa: S608 - table names
            f"u AS (UPDATE {sheets} s SET score = d.score + d.ds, max_score = d.max_score + d.dm "
            "FROM d WHERE s.id = d.id AND (d.ds <> 0 OR d.dm <> 0)), "
            f"h AS (INSERT INTO {history} (sheet_id, batch_id, score, max_score, at, by_id) "
            "SELECT d.id, %s, d.score + d.ds, d.max_score + d.dm, %s, %s FROM d) "
            + ("SELECT DISTINCT d.user_id FROM d" if want_users else "SELECT 1"),
            [*params, batch.pk, now, actor.pk if actor else None],
        )
    return [row[0] for row in rows] if want_users else []


def _rescore_portable(plan: _Plan, *, batch, by, now) -> list[int]:
    """The same with the ORM (SQLite): read the sheets, add the changes, write in bulk."""
    by_version = defaultdict(list)
    for qid, vid in plan.version_of.items():
        by_version[vid].append(qid)
    changed, rows, users = [], [], set()
    for sheet in AnswerSheet.objects.filter(version_id__in=list(by_version)).order_by("pk"):
        ds = dm = ZERO
        for qid in by_version[sheet.version_id]:
            position = str(plan.questions[qid].position)
            step = plan.deltas[(qid, _answer_text(sheet.answers.get(position)))]
            ds += step[0]
            dm += step[1]
        if ds or dm:
            sheet.score += ds
            sheet.max_score += dm
            changed.append(sheet)
        users.add(sheet.user_id)
        rows.append(
            ScoreHistory(
                sheet=sheet,
                batch=batch,
                score=sheet.score,
                max_score=sheet.max_score,
                at=now,
                by=by,
            )
        )
    AnswerSheet.objects.bulk_update(changed, ["score", "max_score"], batch_size=500)
    ScoreHistory.objects.bulk_create(rows, batch_size=500)
    return sorted(users)


# -- the exam -----------------------------------------------------------------------------------


def counting_scores(*, evaluation_id: int, user_ids: Iterable[int] | None = None) -> dict:
    """Each user's counting attempt (the latest) as ``{user_id: (sheet_id, score, max)}``."""
    rows = AnswerSheet.objects.filter(evaluation_id=evaluation_id)
    if user_ids is not None:
        rows = rows.filter(among("user_id", user_ids))
    result: dict[int, tuple] = {}
    for user_id, sheet_id, score, maximum in rows.order_by("user_id", "attempt").values_list(
        "user_id", "pk", "score", "max_score"
    ):
        result[user_id] = (sheet_id, score, maximum)  # the last one (latest attempt) stays
    return result


def evaluation_max(*, evaluation_id: int, corrections) -> Decimal:
    """The evaluation's maximum under these corrections (the largest of its versions')."""
    versions = EvaluationVersion.objects.filter(evaluation_id=evaluation_id).values_list(
        "pk", flat=True
    )
    best = ZERO
    for questions in questions_of(version_ids=list(versions)).values():
        rules = engine.fold({q.id: q for q in questions}, corrections)
        best = max(best, sum((q.points for q in questions if not rules[q.id].dropped), ZERO))
    return best


def counting_scores_under(*, evaluation_id: int, corrections) -> dict[int, tuple]:
    """Each user's counting attempt scored under these corrections instead of the applied
    ones, as ``{user_id: (score, max)}``: the stored score plus the change of every question
    either set corrects (one query for the sheets' changes; nothing written)."""
    counting = counting_scores(evaluation_id=evaluation_id)
    active = active_corrections(evaluation_id=evaluation_id)
    qids = sorted(set(_targets(active)) | set(_targets(corrections)))
    changes = {}
    if qids:
        plan = _plan(qids, active, list(corrections))
        changes = {row[0]: (row[5], row[6]) for row in _sheet_deltas(plan)}
    result = {}
    for user_id, (sheet_id, score, maximum) in counting.items():
        ds, dm = changes.get(sheet_id, (ZERO, ZERO))
        result[user_id] = (score + ds, maximum + dm)
    return result


def mc_points_under(*, evaluation: Evaluation, corrections) -> tuple[dict[int, Decimal], Decimal]:
    """The exam's MC points per participation and the MC maximum under these corrections."""
    from assessment.models import Participation

    scores = counting_scores_under(evaluation_id=evaluation.pk, corrections=corrections)
    task = evaluation.task
    participations = Participation.objects.filter(
        among("user_id", scores), assessment_id=task.assessment_id
    ).values_list("pk", "user_id")
    points = {pk: scores[user_id][0] for pk, user_id in participations} if scores else {}
    return points, evaluation_max(evaluation_id=evaluation.pk, corrections=corrections)


def _flow_to_exam(evaluation: Evaluation, *, user_ids, by, reason: str) -> None:
    """The MC task points follow the latest attempt's score and the task's maximum the
    evaluation's; the exam's grades follow (the assessment is locked first, as the regrade
    wants it)."""
    if evaluation.task_id is None or not user_ids:
        return
    from assessment.models import Assessment, Task
    from assessment.services import set_task_points_bulk

    task = Task.objects.get(pk=evaluation.task_id)
    lock_rows(Assessment, [task.assessment_id])
    latest = counting_scores(evaluation_id=evaluation.pk, user_ids=user_ids)
    set_task_points_bulk(
        task=task,
        points_by_user={uid: score for uid, (_sheet, score, _max) in latest.items()},
        by=by,
        reason=reason,
        notify=not grading.regrades_whole_exam(),
        max_points=evaluation_max(
            evaluation_id=evaluation.pk,
            corrections=active_corrections(evaluation_id=evaluation.pk),
        ),
    )
    grading.regrade(assessment_id=task.assessment_id, by=by, reason=reason)


# -- preview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreChange:
    sheet_id: int
    user_id: int
    name: str
    attempt: int
    old_score: Decimal
    old_max: Decimal
    new_score: Decimal
    new_max: Decimal


@dataclass(frozen=True)
class Mover:
    participation_id: int
    user_id: int
    name: str
    matriculation_number: str
    old_points: Decimal | None
    new_points: Decimal | None
    old_grade: Decimal | None
    new_grade: Decimal | None
    no_disadvantage: bool = False  # the outcome without the dropped questions counted


@dataclass
class Preview:
    """A dry run of a draft batch: nothing is written."""

    batch_id: int
    submissions_affected: int = 0
    score_changes: list[ScoreChange] = field(default_factory=list)
    pass_to_fail: list[Mover] = field(default_factory=list)
    fail_to_pass: list[Mover] = field(default_factory=list)
    unchanged: list[Mover] = field(default_factory=list)
    no_disadvantage: list[Mover] = field(default_factory=list)
    has_exam: bool = False
    pass_mark: Decimal | None = None


def _sheet_deltas(plan: _Plan) -> list[tuple]:
    """(sheet, user, attempt, score, maximum, score change, maximum change) of every sheet
    holding a targeted question: one query on PostgreSQL."""
    if not plan.deltas:
        return []
    if connection.vendor == "postgresql":
        source, params = _delta_source(plan)
        with connection.cursor() as cursor:
            return _without_nested_loops(cursor, source, params)
    by_version = defaultdict(list)
    for qid, vid in plan.version_of.items():
        by_version[vid].append(qid)
    result = []
    rows = AnswerSheet.objects.filter(version_id__in=list(by_version)).values_list(
        "pk", "user_id", "attempt", "score", "max_score", "version_id", "answers"
    )
    for pk, user_id, attempt, score, maximum, vid, answers in rows:
        ds = dm = ZERO
        for qid in by_version[vid]:
            step = plan.deltas[(qid, _answer_text(answers.get(str(plan.questions[qid].position))))]
            ds, dm = ds + step[0], dm + step[1]
        result.append((pk, user_id, attempt, score, maximum, ds, dm))
    return result


def preview_batch(*, batch: CorrectionBatch) -> Preview:
    """What applying this draft batch would do: the sheets rescored, the scores that change,
    and for the exam (its pass mark and scheme) who moves pass -> fail, fail -> pass, or stays.
    Nothing is written; the names come sorted."""
    from django.contrib.auth import get_user_model

    batch = CorrectionBatch.objects.select_related("evaluation").get(pk=batch.pk)
    if batch.status != CorrectionBatch.Status.DRAFT:
        raise errors.NotDraft(_("Only a draft batch can be previewed."))
    before = active_corrections(evaluation_id=batch.evaluation_id)
    plan = _plan(_targets(batch.payload), before, [*before, *batch.payload])
    rows = _sheet_deltas(plan)
    preview = Preview(batch_id=batch.pk, submissions_affected=len(rows))
    moved = {r[0]: r for r in rows if r[5] or r[6]}
    names = dict(
        get_user_model()
        .objects.filter(among("pk", {r[1] for r in moved.values()}))
        .values_list("pk", "name")
    )
    preview.score_changes = sorted(
        (
            ScoreChange(pk, uid, names.get(uid, ""), attempt, s, m, s + ds, m + dm)
            for pk, uid, attempt, s, m, ds, dm in moved.values()
        ),
        key=lambda c: (c.name, c.attempt, c.sheet_id),
    )
    evaluation = batch.evaluation
    if evaluation.task_id is None:
        return preview
    preview.has_exam = True
    _preview_outcomes(preview, evaluation, batch.payload)
    return preview


def _preview_outcomes(preview: Preview, evaluation: Evaluation, draft: list) -> None:
    """Pass/fail now and after the draft, under the exam's MC rule and scheme; with no
    disadvantage, the outcome without the dropped questions counts where it is better."""
    from assessment.models import Participation

    assessment_id = evaluation.task.assessment_id
    target = [*active_corrections(evaluation_id=evaluation.pk), *draft]
    new_points, new_max = mc_points_under(evaluation=evaluation, corrections=target)
    fallback = None
    if any(c["kind"] == engine.DROP_ITEM for c in target):
        fallback = mc_points_under(
            evaluation=evaluation,
            corrections=[c for c in target if c["kind"] != engine.DROP_ITEM],
        )
    old = grading.outcomes(assessment_id=assessment_id)
    new = grading.outcomes(
        assessment_id=assessment_id, mc_points=new_points, mc_max=new_max, fallback=fallback
    )
    preview.pass_mark = grading.pass_mark_of(new)
    old_points = dict(_stored_task_points(task_id=evaluation.task_id))
    participations = (
        Participation.objects.filter(assessment_id=assessment_id)
        .values_list("pk", "user_id", "user__name", "user__matriculation_number")
        .order_by("user__name", "pk")
    )
    for pk, uid, name, matriculation in participations:
        before, after = old.by_participation.get(pk), new.by_participation.get(pk)
        if before is None or after is None or before.passed is None or after.passed is None:
            continue
        mover = Mover(
            pk,
            uid,
            name,
            matriculation or "",
            old_points.get(pk),
            new_points.get(pk),
            before.grade,
            after.grade,
            bool(getattr(after, "used_fallback", False)),
        )
        if mover.no_disadvantage:
            preview.no_disadvantage.append(mover)
        if before.passed and not after.passed:
            preview.pass_to_fail.append(mover)
        elif after.passed and not before.passed:
            preview.fail_to_pass.append(mover)
        else:
            preview.unchanged.append(mover)


def _stored_task_points(*, task_id: int):
    from assessment.models import TaskPoint

    return TaskPoint.objects.filter(task_id=task_id).values_list("participation_id", "points")


# -- defining an evaluation (pages; the question-list CSV is ``imports``) -------------------------

MAX_TITLE = 200
MAX_LABEL = 20
MAX_OPTION_LENGTH = 10
MAX_OPTIONS = 26
MAX_POSITION = 1000
MAX_POINTS = Decimal("99999.99")
_SEPARATORS = set(",;|/+") | {" ", "\t", "\n"}


def _audit(*, by, evaluation: Evaluation, flag: int, message: list[dict]) -> None:
    """A ``django.contrib.admin`` ``LogEntry`` naming the evaluation (as the catalogue does);
    the system (``by=None``) leaves none."""
    actor = actor_or_none(by)
    if actor is None:
        return
    LogEntry.objects.create(
        user_id=actor.pk,
        content_type=ContentType.objects.get_for_model(Evaluation),
        object_id=str(evaluation.pk),
        object_repr=str(evaluation)[:200],
        action_flag=flag,
        change_message=json.dumps(message, default=str),
    )


def _refuse_if_sheets(evaluation_id: int) -> None:
    if AnswerSheet.objects.filter(evaluation_id=evaluation_id).exists():
        raise errors.HasSheets(
            _(
                "This test already has answer sheets; its questions can only change through "
                "correction batches."
            )
        )


def _clean_text(value, *, field_name: str, limit: int, problems: dict) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        problems[field_name] = [_("This field is required.")]
    elif len(text) > limit:
        problems[field_name] = [
            _("At most %(count)s characters, please.") % {"count": limit},
        ]
    return text


@translate_db_errors(error=errors.TryAgain)
def create_evaluation(*, task, title: str, by) -> Evaluation:
    """The MC test of an exam's task (one per task) with an empty variant "A"."""
    assessment = task.assessment
    _require_manager(by, assessment.lecture)
    if assessment.kind != "exam":
        raise errors.TaskNotExam()
    problems: dict = {}
    text = _clean_text(title, field_name="title", limit=MAX_TITLE, problems=problems)
    if problems:
        raise errors.InvalidDefinition(problems)
    from assessment.models import Task

    with transaction.atomic():
        if not lock_rows(Task, [task.pk]):
            raise errors.RemediationError(_("This task no longer exists."))
        if Evaluation.objects.filter(task_id=task.pk).exists():
            raise errors.EvaluationExists()
        evaluation = Evaluation.objects.create(lecture=assessment.lecture, task=task, title=text)
        EvaluationVersion.objects.create(evaluation=evaluation, label="A")
        _audit(by=by, evaluation=evaluation, flag=ADDITION, message=[{"added": {}}])
    return evaluation


@translate_db_errors(error=errors.TryAgain)
def add_version(*, evaluation: Evaluation, label: str, by) -> EvaluationVersion:
    """Another variant (no questions yet), while the test has no answer sheets."""
    _require_manager(by, evaluation.lecture)
    problems: dict = {}
    text = _clean_text(label, field_name="label", limit=MAX_LABEL, problems=problems)
    if problems:
        raise errors.InvalidDefinition(problems)
    with transaction.atomic():
        _lock_evaluation(evaluation.pk)
        _refuse_if_sheets(evaluation.pk)
        if EvaluationVersion.objects.filter(evaluation=evaluation, label=text).exists():
            raise errors.VersionExists()
        version = EvaluationVersion.objects.create(evaluation=evaluation, label=text)
        _audit(
            by=by,
            evaluation=evaluation,
            flag=CHANGE,
            message=[{"added": {"name": "evaluation version", "object": text}}],
        )
    return version


def clean_question(*, position, options, key, points) -> tuple[int, list, list, Decimal]:
    """The question's fields checked (``InvalidDefinition`` with every field's problems):
    position 1, 2, ...; 2-26 distinct option labels; the key a non-empty subset of the options
    (returned in the options' order); points a positive number with at most two decimals."""
    problems: dict[str, list] = {}
    number = _as_id(position)
    if number is None or number > MAX_POSITION:
        problems["position"] = [_("The position must be 1, 2, 3, ...")]
    labels = (
        [o.strip() if isinstance(o, str) else None for o in options]
        if isinstance(options, list | tuple)
        else None
    )
    if labels is None or any(not o for o in labels):
        problems["options"] = [_("Every option needs a label (A, B, C, ...).")]
    elif any(len(o) > MAX_OPTION_LENGTH or set(o) & _SEPARATORS for o in labels):
        problems["options"] = [
            _(
                "An option label is short (at most %(count)s characters) and has no spaces or "
                "commas."
            )
            % {"count": MAX_OPTION_LENGTH}
        ]
    elif len(set(labels)) != len(labels):
        problems["options"] = [_("Each option label may appear only once.")]
    elif not 2 <= len(labels) <= MAX_OPTIONS:
        problems["options"] = [
            _("A question has from 2 to %(count)s options.") % {"count": MAX_OPTIONS}
        ]
    chosen = (
        [k.strip() if isinstance(k, str) else None for k in key]
        if isinstance(key, list | tuple)
        else None
    )
    if not chosen:
        problems["key"] = [_("Please mark at least one option as correct.")]
    elif len(set(chosen)) != len(chosen):
        problems["key"] = [_("The key names an option twice.")]
    elif "options" not in problems and not set(chosen) <= set(labels):
        problems["key"] = [_("The key must name options of the question.")]
    try:
        amount = points if isinstance(points, Decimal) else Decimal(str(points).strip())
    except (InvalidOperation, ValueError, TypeError):
        amount = None
    if (
        amount is None
        or isinstance(points, bool)
        or not amount.is_finite()
        or amount <= 0
        or amount > MAX_POINTS
        or amount != amount.quantize(Decimal("0.01"))
    ):
        problems["points"] = [_("The points must be a number above 0 with at most two decimals.")]
    if problems:
        raise errors.InvalidDefinition(problems)
    return number, labels, [o for o in labels if o in chosen], amount.quantize(Decimal("0.01"))


@translate_db_errors(error=errors.TryAgain)
def save_question(*, version: EvaluationVersion, position, options, key, points, by):
    """Create the question at ``position`` (the next free one at most: 1..n without gaps) or
    update it, while the test has no answer sheets."""
    evaluation = version.evaluation
    _require_manager(by, evaluation.lecture)
    number, labels, ordered_key, amount = clean_question(
        position=position, options=options, key=key, points=points
    )
    with transaction.atomic():
        _lock_evaluation(evaluation.pk)
        _refuse_if_sheets(evaluation.pk)
        count = QuestionVersion.objects.filter(version=version).count()
        if number > count + 1:
            raise errors.InvalidDefinition(
                {
                    "position": [
                        _("The next question is number %(next)s.") % {"next": count + 1},
                    ]
                }
            )
        question, created = QuestionVersion.objects.update_or_create(
            version=version,
            position=number,
            defaults={"options": labels, "key": ordered_key, "points": amount},
        )
        _audit(
            by=by,
            evaluation=evaluation,
            flag=CHANGE,
            message=[
                {
                    "added" if created else "changed": {
                        "name": "question version",
                        "object": f"{version.label} {number}",
                        "options": labels,
                        "key": ordered_key,
                        "points": str(amount),
                    }
                }
            ],
        )
    return question


@translate_db_errors(error=errors.TryAgain)
def delete_question(*, question: QuestionVersion, by) -> None:
    """Remove a question while the test has no answer sheets; the later ones move up one
    position, so a variant stays numbered 1..n."""
    version = question.version
    evaluation = version.evaluation
    _require_manager(by, evaluation.lecture)
    with transaction.atomic():
        _lock_evaluation(evaluation.pk)
        _refuse_if_sheets(evaluation.pk)
        deleted, _rows = QuestionVersion.objects.filter(pk=question.pk).delete()
        if not deleted:
            raise errors.RemediationError(_("This question no longer exists."))
        later = QuestionVersion.objects.filter(version=version, position__gt=question.position)
        for pk, position in later.order_by("position").values_list("pk", "position"):
            QuestionVersion.objects.filter(pk=pk).update(position=position - 1)
        _audit(
            by=by,
            evaluation=evaluation,
            flag=CHANGE,
            message=[
                {
                    "deleted": {
                        "name": "question version",
                        "object": f"{version.label} {question.position}",
                    }
                }
            ],
        )


def enter_sheet(
    *, evaluation: Evaluation, matriculation_number: str, version: EvaluationVersion, answers, by
) -> AnswerSheet:
    """One answer sheet entered by hand: the candidate found by matriculation number (for an
    exam's task, only someone with a participation in the exam), then ``create_sheet``."""
    from django.contrib.auth import get_user_model

    _require_manager(by, evaluation.lecture)
    if version.evaluation_id != evaluation.pk:
        raise errors.InvalidSheet(_("This variant belongs to another test."))
    number = (matriculation_number or "").strip() if isinstance(matriculation_number, str) else ""
    users = get_user_model().objects.filter(matriculation_number=number) if number else None
    if users is not None and evaluation.task_id is not None:
        users = users.filter(participations__assessment__tasks=evaluation.task_id)
    user = users.first() if users is not None else None
    if user is None:
        raise errors.UnknownStudent()
    if not QuestionVersion.objects.filter(version=version).exists():
        raise errors.InvalidSheet(_("This variant has no questions yet."))
    return create_sheet(version=version, user=user, answers=answers, by=by)
