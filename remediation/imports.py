"""CSV imports of an evaluation: the question list and the scanner's answer sheets.

Files are read like the grading sheets (``assessment.sheets.read_upload``: the German Excel
CSV with ``;``, a plain ``,``-CSV, or XLSX; at most 5 MB). Each import is checked as a whole
first (``check_*`` returns a summary and every problem, by line) and applied as a whole or not
at all (``import_*`` repeats the check under the evaluation's lock and raises ``ImportRejected``
with every problem, nothing written).

- Question list: one row per question, columns ``variant; position; options; key; points``
  (options and key as ``A,B,C,D`` or ``ABCD``; points empty = 1). A variant's positions must
  run 1..n. A variant that already has answer sheets cannot be replaced (corrections go
  through batches).
- Scanner file: one row per sheet, columns ``matriculation; variant; 1; 2; ...`` (one column
  per position; a cell holds the marked options, e.g. ``A``, ``AC`` or ``A,C``, empty when
  nothing is marked). Refused: unknown students (or, for an exam, students without a
  participation), an unknown variant, an answer that is impossible (an option the question
  lacks, a position the variant lacks), a student twice in the file. A student who already has
  a sheet gets the next attempt.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mampf.db import actor_or_none, among, lock_rows, translate_db_errors
from remediation import engine, errors
from remediation.models import (
    AnswerSheet,
    Evaluation,
    EvaluationVersion,
    QuestionVersion,
    ScoreHistory,
)
from remediation.selectors import active_corrections, questions_of

MAX_QUESTIONS = 1000
MAX_OPTIONS = 26
_SPLIT = re.compile(r"[,\s|/+]+")


@dataclass(frozen=True)
class ImportProblem:
    line: int | None  # the file's line (the header is line 1); None for the whole file
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "code": self.code, "message": self.message}


def read_file(*, name: str, data: bytes) -> list[list[str]]:
    """The uploaded file as rows of text cells, or ``ImportRejected``."""
    from assessment.sheets import SheetRejected, read_upload

    try:
        return read_upload(name=name, data=data)
    except SheetRejected as exc:
        raise errors.ImportRejected(
            [ImportProblem(None, "unreadable", str(p.message)) for p in exc.problems]
        ) from None


def _options(text: str, allowed=None) -> list[str]:
    """``A,C`` / ``A C`` / ``AC`` (single-letter options run together) as a list."""
    text = (text or "").strip()
    if not text:
        return []
    parts = [p for p in _SPLIT.split(text) if p]
    if len(parts) == 1 and len(text) > 1 and (allowed is None or text not in allowed):
        if allowed is None or all(ch in allowed for ch in text):
            parts = list(text)
    return parts


def _header_index(header: list[str], names: dict[str, tuple[str, ...]]) -> dict[str, int]:
    lowered = [h.strip().lower() for h in header]
    found = {}
    for key, aliases in names.items():
        for index, title in enumerate(lowered):
            if title in aliases:
                found[key] = index
                break
    return found


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


# -- question list ------------------------------------------------------------------------------

QUESTION_COLUMNS = {
    "variant": ("variant", "variante", "version"),
    "position": ("position", "nr", "no", "question", "frage"),
    "options": ("options", "optionen", "antworten"),
    "key": ("key", "lösung", "loesung", "schlüssel", "schluessel"),
    "points": ("points", "punkte"),
}


@dataclass
class QuestionListCheck:
    problems: list[ImportProblem] = field(default_factory=list)
    # variant label -> [(position, options, key, points)]
    variants: dict[str, list[tuple]] = field(default_factory=dict)
    replaced: list[str] = field(default_factory=list)  # variants whose questions are replaced

    @property
    def questions(self) -> int:
        return sum(len(v) for v in self.variants.values())


def check_question_list(*, evaluation: Evaluation, rows: list[list[str]]) -> QuestionListCheck:
    """Validate a question list as a whole (nothing written)."""
    check = QuestionListCheck()
    problem = check.problems.append
    if not rows:
        problem(ImportProblem(None, "empty", _("The file is empty.")))
        return check
    columns = _header_index(rows[0], QUESTION_COLUMNS)
    missing = [k for k in ("variant", "position", "options", "key") if k not in columns]
    if missing:
        problem(
            ImportProblem(
                1,
                "missing_columns",
                _("The header lacks the columns: %(names)s.") % {"names": ", ".join(missing)},
            )
        )
        return check
    seen: set[tuple[str, int]] = set()
    for line, row in enumerate(rows[1:], start=2):
        if _blank(row):
            continue
        label = _cell(row, columns["variant"])
        position_text = _cell(row, columns["position"])
        options = _options(_cell(row, columns["options"]))
        key = _options(_cell(row, columns["key"]), options)
        points_text = _cell(row, columns.get("points")).replace(",", ".")
        if not label or len(label) > 20:
            problem(ImportProblem(line, "bad_variant", _("Please name the variant (A, B, ...).")))
            continue
        if not position_text.isdigit() or int(position_text) < 1:
            problem(ImportProblem(line, "bad_position", _("The position must be 1, 2, 3, ...")))
            continue
        position = int(position_text)
        if (label, position) in seen:
            problem(
                ImportProblem(
                    line,
                    "duplicate_question",
                    _("Variant %(label)s has question %(position)s twice.")
                    % {"label": label, "position": position},
                )
            )
            continue
        seen.add((label, position))
        if len(options) < 2 or len(set(options)) != len(options) or len(options) > MAX_OPTIONS:
            problem(
                ImportProblem(
                    line, "bad_options", _("A question needs at least two different options.")
                )
            )
            continue
        if not key or not set(key) <= set(options) or len(set(key)) != len(key):
            problem(ImportProblem(line, "bad_key", _("The key must name options of the question.")))
            continue
        try:
            points = Decimal(points_text) if points_text else Decimal(1)
        except InvalidOperation:
            points = Decimal(-1)
        if not points.is_finite() or points < 0 or points > Decimal("99999.99"):
            problem(ImportProblem(line, "bad_points", _("The points must be a number from 0 up.")))
            continue
        ordered_key = [o for o in options if o in key]
        check.variants.setdefault(label, []).append((position, options, ordered_key, points))
    if check.questions > MAX_QUESTIONS:
        problem(ImportProblem(None, "too_many", _("The file has too many questions.")))
    for label, questions in check.variants.items():
        positions = sorted(p for p, *_rest in questions)
        if positions != list(range(1, len(positions) + 1)):
            problem(
                ImportProblem(
                    None,
                    "gaps",
                    _("The questions of variant %(label)s must be numbered 1 to %(count)s.")
                    % {"label": label, "count": len(positions)},
                )
            )
    existing = dict(
        EvaluationVersion.objects.filter(
            evaluation=evaluation, label__in=list(check.variants), revision=1
        ).values_list("label", "pk")
    )
    with_sheets = set(
        AnswerSheet.objects.filter(version_id__in=list(existing.values())).values_list(
            "version__label", flat=True
        )
    )
    for label in sorted(with_sheets):
        problem(
            ImportProblem(
                None,
                errors.HasSheets.code,
                _("Variant %(label)s already has answer sheets; correct it with a batch.")
                % {"label": label},
            )
        )
    check.replaced = sorted(set(existing) - with_sheets)
    return check


@translate_db_errors(error=errors.TryAgain)
def import_question_list(*, evaluation: Evaluation, rows: list[list[str]], by) -> QuestionListCheck:
    """Create (or replace, while they have no sheets) the variants' questions in one go."""
    from remediation.services import _require_manager

    _require_manager(by, evaluation.lecture)
    with transaction.atomic():
        lock_rows(Evaluation, [evaluation.pk])
        check = check_question_list(evaluation=evaluation, rows=rows)
        if check.problems:
            raise errors.ImportRejected(check.problems)
        for label, questions in sorted(check.variants.items()):
            version, _created = EvaluationVersion.objects.get_or_create(
                evaluation=evaluation, label=label, revision=1
            )
            QuestionVersion.objects.filter(version=version).delete()
            QuestionVersion.objects.bulk_create(
                QuestionVersion(
                    version=version, position=position, options=options, key=key, points=points
                )
                for position, options, key, points in sorted(questions)
            )
    return check


# -- scanner file -------------------------------------------------------------------------------

SHEET_COLUMNS = {
    "matriculation": ("matriculation", "matriculation number", "matrikelnummer", "matrikel"),
    "variant": ("variant", "variante", "version"),
}


@dataclass
class SheetImportCheck:
    problems: list[ImportProblem] = field(default_factory=list)
    # (user id, version id, normalized answers)
    sheets: list[tuple[int, int, dict]] = field(default_factory=list)
    by_variant: dict[str, int] = field(default_factory=dict)
    repeat_attempts: int = 0  # students who already have a sheet (a further attempt)

    @property
    def count(self) -> int:
        return len(self.sheets)


def _latest_versions(evaluation: Evaluation) -> dict[str, EvaluationVersion]:
    latest: dict[str, EvaluationVersion] = {}
    for version in EvaluationVersion.objects.filter(evaluation=evaluation).order_by("revision"):
        latest[version.label] = version
    return latest


def check_answer_sheets(*, evaluation: Evaluation, rows: list[list[str]]) -> SheetImportCheck:
    """Validate a scanner file as a whole (nothing written)."""
    check = SheetImportCheck()
    problem = check.problems.append
    if not rows:
        problem(ImportProblem(None, "empty", _("The file is empty.")))
        return check
    header = rows[0]
    columns = _header_index(header, SHEET_COLUMNS)
    if "matriculation" not in columns or "variant" not in columns:
        problem(
            ImportProblem(
                1,
                "missing_columns",
                _("The header needs the columns matriculation and variant."),
            )
        )
        return check
    position_columns = {
        index: int(title.strip())
        for index, title in enumerate(header)
        if title.strip().isdigit() and int(title.strip()) >= 1
    }
    versions = _latest_versions(evaluation)
    questions = questions_of(version_ids=[v.pk for v in versions.values()])
    body = [(line, row) for line, row in enumerate(rows[1:], start=2) if not _blank(row)]
    numbers = [_cell(row, columns["matriculation"]) for _line, row in body]
    users = dict(
        get_user_model()
        .objects.filter(among("matriculation_number", [n for n in numbers if n]))
        .values_list("matriculation_number", "pk")
    )
    allowed_users = None
    if evaluation.task_id is not None:
        from assessment.models import Participation

        allowed_users = (
            set(
                Participation.objects.filter(
                    among("user_id", users.values()), assessment__tasks=evaluation.task_id
                ).values_list("user_id", flat=True)
            )
            if users
            else set()
        )
    counts = Counter(numbers)
    earlier = (
        set(
            AnswerSheet.objects.filter(
                among("user_id", users.values()), evaluation=evaluation
            ).values_list("user_id", flat=True)
        )
        if users
        else set()
    )
    for line, row in body:
        number = _cell(row, columns["matriculation"])
        label = _cell(row, columns["variant"])
        if counts[number] > 1:
            problem(
                ImportProblem(
                    line,
                    "duplicate_sheet",
                    _("Matriculation number %(number)s appears more than once.")
                    % {"number": number[:32]},
                )
            )
            continue
        user_id = users.get(number)
        if user_id is None:
            problem(
                ImportProblem(
                    line,
                    "unknown_student",
                    _("No student has the matriculation number %(number)s.")
                    % {"number": number[:32]},
                )
            )
            continue
        if allowed_users is not None and user_id not in allowed_users:
            problem(
                ImportProblem(
                    line,
                    "not_a_candidate",
                    _("The student %(number)s does not take this exam.") % {"number": number},
                )
            )
            continue
        version = versions.get(label)
        if version is None:
            problem(
                ImportProblem(
                    line,
                    "unknown_variant",
                    _("The evaluation has no variant %(label)s.") % {"label": label[:20]},
                )
            )
            continue
        version_questions = questions[version.pk]
        by_position = {q.position: q for q in version_questions}
        answers, bad = {}, None
        for index, position in position_columns.items():
            text = _cell(row, index)
            question = by_position.get(position)
            if question is None:
                if text:
                    bad = position
                    break
                continue
            chosen = _options(text, question.options)
            if not set(chosen) <= set(question.options):
                bad = position
                break
            answers[position] = chosen
        if bad is not None:
            problem(
                ImportProblem(
                    line,
                    "impossible_answer",
                    _("Question %(position)s of variant %(label)s has no such option.")
                    % {"position": bad, "label": label},
                )
            )
            continue
        normalized = engine.normalize_answers(answers, version_questions)
        check.sheets.append((user_id, version.pk, normalized))
        check.by_variant[label] = check.by_variant.get(label, 0) + 1
        if user_id in earlier:
            check.repeat_attempts += 1
    if not check.sheets and not check.problems:
        problem(ImportProblem(None, "empty", _("The file has no answer sheets.")))
    return check


@translate_db_errors(error=errors.TryAgain)
def import_answer_sheets(*, evaluation: Evaluation, rows: list[list[str]], by) -> SheetImportCheck:
    """Store and score every sheet of the file in one transaction (bulk): each student's next
    attempt, scored under the applied corrections, a first history row each; the exam's MC
    task follows."""
    from remediation.services import _flow_to_exam, _require_manager

    _require_manager(by, evaluation.lecture)
    with transaction.atomic():
        locked = lock_rows(Evaluation, [evaluation.pk])[0]
        check = check_answer_sheets(evaluation=locked, rows=rows)
        if check.problems:
            raise errors.ImportRejected(check.problems)
        last = dict(
            AnswerSheet.objects.filter(evaluation=locked)
            .values("user_id")
            .annotate(last=Max("attempt"))
            .values_list("user_id", "last")
        )
        corrections = active_corrections(evaluation_id=locked.pk)
        version_ids = {vid for _u, vid, _a in check.sheets}
        questions = questions_of(version_ids=version_ids)
        rules = {
            vid: engine.fold({q.id: q for q in qs}, corrections) for vid, qs in questions.items()
        }
        sheets = []
        for user_id, version_id, answers in check.sheets:
            score, maximum = engine.score(answers, questions[version_id], rules[version_id])
            sheets.append(
                AnswerSheet(
                    evaluation=locked,
                    version_id=version_id,
                    user_id=user_id,
                    attempt=last.get(user_id, 0) + 1,
                    answers=answers,
                    score=score,
                    max_score=maximum,
                )
            )
        sheets = AnswerSheet.objects.bulk_create(sheets, batch_size=2000)
        now, actor = timezone.now(), actor_or_none(by)
        ScoreHistory.objects.bulk_create(
            (
                ScoreHistory(sheet=s, score=s.score, max_score=s.max_score, at=now, by=actor)
                for s in sheets
            ),
            batch_size=5000,
        )
        _flow_to_exam(
            locked,
            user_ids=[s.user_id for s in sheets],
            by=by,
            reason=_("answer sheets imported"),
        )
    return check


def summary_counts(check: SheetImportCheck) -> dict:
    """The figures a page shows before "Apply"."""
    per_variant = defaultdict(int, check.by_variant)
    return {
        "sheets": check.count,
        "by_variant": dict(sorted(per_variant.items())),
        "repeat_attempts": check.repeat_attempts,
        "problems": [p.as_dict() for p in check.problems],
    }
