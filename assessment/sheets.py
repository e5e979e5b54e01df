"""Offline grading: a grading sheet (XLSX or CSV) goes out, comes back filled in, and is applied
as a whole or refused as a whole (issue 8 item 5).

The sheet (``sheet_table``): one row per student (matriculation number, name, team, one column
per task headed ``"<position>. <title> (max <points>)"``), and a last column headed
``MaMpf #<assessment id>`` that holds each row's user id. The marker recognizes another
assessment's sheet; the user id finds the student even without a matriculation number.

Reading (``read_upload``) accepts XLSX, the German Excel CSV (``;`` and decimal commas) and a
plain ``,``-CSV with decimal points. ``check_sheet`` validates every cell and every row against
the database and returns the problems (row, column, message) and the changes (who, task, old,
new); ``import_sheet`` repeats the check under locks and writes everything in one transaction
with bulk statements: one delete, one insert of task points, one update of the participations
(total, status, version), one insert of audit rows, whatever the number of students. Empty cells
clear points (the sheet went out with the current values; the preview shows each clearing);
students missing from the sheet are left alone. A team row's points go to every member of the
submission; members' rows in one sheet must agree.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment import errors
from assessment.hooks import assignment_changed, results_changed
from assessment.models import (
    Assessment,
    GradeChange,
    Participation,
    SubmissionMember,
    Task,
    TaskPoint,
)
from assessment.selectors_exams import off_roster_user_ids
from assessment.services import (
    _lock_assessment,
    _require_grading_open,
    _seed,
    clean_points,
)
from mampf.db import actor_or_none, among, array_literal, lock_rows, translate_db_errors

Status = Participation.Status
MARKER = "MaMpf #"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
_TASK_HEADER = re.compile(r"^\s*(\d{1,4})\s*[.:]")
_MARKER = re.compile(r"^\s*MaMpf\s*#\s*(\d{1,19})\s*$", re.IGNORECASE)


class SheetRejected(errors.AssessmentError):
    """The upload is refused as a whole; ``problems`` lists every problem."""

    code = "sheet_rejected"
    default_message = gettext_lazy("The sheet was not applied: please correct these problems.")

    def __init__(self, problems: list[Problem], message=None):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    row: int | None  # spreadsheet row number (the header is row 1), None for the whole sheet
    column: str  # column title, "" for the whole row
    message: str


class _Row(NamedTuple):
    """A participation as the sheet code reads it: plain values, no model instance (speed)."""

    pk: int
    user_id: int
    tutorial_id: int | None
    status: str
    version: int
    name: str
    matriculation_number: str | None

    def status_display(self) -> str:
        return str(Status(self.status).label)


_ROW_FIELDS = (
    "pk",
    "user_id",
    "tutorial_id",
    "status",
    "version",
    "user__name",
    "user__matriculation_number",
)


def _rows(queryset) -> list[_Row]:
    return [_Row(*values) for values in queryset.order_by().values_list(*_ROW_FIELDS)]


class _PointsCache(dict):
    """``clean_points`` once per distinct cell text (a sheet repeats few values); a bad text
    maps to its ``InvalidPoints``, and ``bad`` says whether there was one."""

    bad = False

    def __missing__(self, text):
        try:
            value = clean_points(text)
        except errors.InvalidPoints as exc:
            value = exc
            self.bad = True
        self[text] = value
        return value


@dataclass(frozen=True)
class Change:
    participation_id: int
    user_name: str
    task: Task
    old: Decimal | None
    new: Decimal | None


@dataclass
class Plan:
    """What an upload would do: problems (then nothing happens) or changes."""

    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # user id -> {task id: points or None}: the cleaned sheet, for ``import_sheet``
    points: dict[int, dict[int, Decimal | None]] = field(default_factory=dict)
    versions: dict[int, int] = field(default_factory=dict)
    applied: tuple[int, int] | None = None  # (cells, students) written by ``import_sheet``
    # What the check read, for ``import_sheet`` (not re-read there): the assessment's tasks,
    # the sheet's participations by user id, the memberships (user id, submission id) of
    # every submission a student of the sheet belongs to.
    tasks: list[Task] = field(default_factory=list, repr=False)
    rows: dict[int, _Row] = field(default_factory=dict, repr=False)
    memberships: list[tuple[int, int]] = field(default_factory=list, repr=False)

    @property
    def cells_changed(self) -> int:
        return self.applied[0] if self.applied else len(self.changes)

    @property
    def students_changed(self) -> int:
        if self.applied:
            return self.applied[1]
        return len({c.participation_id for c in self.changes})


# -- the download ---------------------------------------------------------------------------------


def task_header(task: Task) -> str:
    title = f" {task.title}" if task.title else ""
    return _("%(position)s.%(title)s (max %(max)s)") % {
        "position": task.position,
        "title": title,
        "max": task.max_points,
    }


def sheet_table(*, assessment: Assessment, tutorial=None) -> tuple[list, list[list]]:
    """Header and rows of the grading sheet of one tutorial, or of all (``tutorial=None``).

    Four queries at any size: tasks, participations with users, memberships, task points.
    """
    tasks = list(assessment.tasks.order_by("position"))
    rows = Participation.objects.filter(assessment=assessment).select_related("user")
    if tutorial is not None:
        rows = rows.filter(tutorial=tutorial)
    rows = list(rows.order_by("user__name", "user__pk"))
    teams = dict(
        SubmissionMember.objects.filter(
            assessment=assessment, user_id__in=[p.user_id for p in rows]
        ).values_list("user_id", "submission_id")
    )
    points: dict[int, dict[int, Decimal]] = {}
    for pid, tid, value in TaskPoint.objects.filter(
        participation__in=[p.pk for p in rows]
    ).values_list("participation_id", "task_id", "points"):
        points.setdefault(pid, {})[tid] = value
    header = [_("Matriculation number"), _("Name"), _("Team")]
    header += [task_header(t) for t in tasks]
    header.append(f"{MARKER}{assessment.pk}")
    body = []
    for p in rows:
        team = teams.get(p.user_id)
        body.append(
            [p.user.matriculation_number or "", p.user.name, f"T{team}" if team else ""]
            + [points.get(p.pk, {}).get(t.pk) for t in tasks]
            + [p.user_id]
        )
    return header, body


# -- reading an upload ---------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


def read_upload(*, name: str, data: bytes) -> list[list[str]]:
    """The uploaded file as rows of text cells; ``SheetRejected`` if it cannot be read."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise SheetRejected([Problem(None, "", _("The file is larger than 5 MB."))])
    if data[:2] == b"PK" or name.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise SheetRejected(
                [Problem(None, "", _("The file is neither an XLSX file nor a CSV text."))]
            ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    if "\t" in first and delimiter not in first:
        delimiter = "\t"
    try:
        rows = [
            [cell.strip() for cell in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error:
        raise SheetRejected([Problem(None, "", _("The CSV file cannot be read."))]) from None
    return rows[: MAX_ROWS + 2]


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        workbook.close()
    except Exception:  # noqa: BLE001 - any broken file is the user's input, never a 500
        raise SheetRejected([Problem(None, "", _("The XLSX file cannot be read."))]) from None
    return rows


# -- checking -----------------------------------------------------------------------------------


def check_sheet(
    *, assessment: Assessment, tutorial=None, rows: list[list[str]], preview: bool = True
) -> Plan:
    """Validate the whole sheet and work out its changes; reads only (seven queries at any
    size). ``preview=False`` (``import_sheet``) stops after the checks of the sheet itself."""
    tasks = list(assessment.tasks.order_by("position"))
    plan = Plan(tasks=tasks)
    problems = plan.problems
    try:
        _require_grading_open(assessment)
    except errors.AssessmentError as exc:
        problems.append(Problem(None, "", str(exc)))
        return plan
    if not rows or not any(cell for cell in rows[0]):
        problems.append(Problem(None, "", _("The sheet is empty.")))
        return plan
    header = rows[0]
    marker_col = None
    for index, title in enumerate(header):
        match = _MARKER.match(title or "")
        if match:
            marker_col = index
            if int(match.group(1)) != assessment.pk:
                other = Assessment.objects.filter(pk=int(match.group(1))).first()
                problems.append(
                    Problem(
                        None,
                        title,
                        _(
                            "This is the sheet of another assessment (“%(other)s”), "
                            "not of “%(this)s”."
                        )
                        % {
                            "other": other.title if other else match.group(1),
                            "this": assessment.title,
                        },
                    )
                )
                return plan
    if marker_col is None:
        problems.append(
            Problem(
                None,
                "",
                _(
                    "The identification column “%(marker)s” is missing; "
                    "please use a sheet downloaded here."
                )
                % {"marker": f"{MARKER}{assessment.pk}"},
            )
        )
    task_cols: dict[int, int] = {}
    by_position = {t.position: t for t in tasks}
    for index, title in enumerate(header):
        match = _TASK_HEADER.match(title or "")
        if not match:
            continue
        position = int(match.group(1))
        if position not in by_position:
            problems.append(
                Problem(
                    None,
                    title,
                    _("This assessment has no task %(position)s.") % {"position": position},
                )
            )
        elif position in task_cols:
            problems.append(Problem(None, title, _("This task's column appears twice.")))
        else:
            task_cols[position] = index
    for task in tasks:
        if task.position not in task_cols:
            problems.append(
                Problem(None, task_header(task), _("The column of this task is missing."))
            )
    if problems:
        return plan

    # Rows: skip blank lines; identify by user id (marker column), else matriculation number.
    entries = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell for cell in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        entries.append((number, cells))
    user_ids, matriculations = set(), set()
    for _number, cells in entries:
        raw = cells[marker_col]
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            user_ids.add(int(raw))
        elif cells[0]:
            matriculations.add(cells[0][:32])
    participations = {
        p.user_id: p
        for p in _rows(
            Participation.objects.filter(assessment=assessment).filter(
                among("user_id", user_ids) | among("user__matriculation_number", matriculations)
            )
        )
    }
    plan.rows = participations
    by_matriculation = {
        p.matriculation_number: p for p in participations.values() if p.matriculation_number
    }
    off_roster = off_roster_user_ids(assessment=assessment, user_ids=participations)
    cleaned = _PointsCache()
    columns = [(by_position[position].pk, index) for position, index in task_cols.items()]
    seen: dict[int, int] = {}
    for number, cells in entries:
        raw = cells[marker_col]
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            participation = participations.get(int(raw))
        else:
            participation = by_matriculation.get(cells[0][:32]) if cells[0] else None
        label = cells[1] or cells[0] or raw
        if participation is None:
            problems.append(
                Problem(
                    number,
                    "",
                    _("Unknown student “%(who)s”: not in this assessment.") % {"who": label[:80]},
                )
            )
            continue
        if participation.user_id in off_roster:
            message = errors.NotOnExamRoster.default_message
            problems.append(Problem(number, "", f"{participation.name}: {message}"))
            continue
        if tutorial is not None and participation.tutorial_id != tutorial.pk:
            problems.append(
                Problem(
                    number,
                    "",
                    _("%(who)s belongs to another tutorial, not to “%(tutorial)s”.")
                    % {"who": participation.name, "tutorial": tutorial.title},
                )
            )
            continue
        if participation.user_id in seen:
            problems.append(
                Problem(
                    number,
                    "",
                    _("%(who)s appears twice (also in row %(row)s).")
                    % {"who": participation.name, "row": seen[participation.user_id]},
                )
            )
            continue
        seen[participation.user_id] = number
        values: dict[int, Decimal | None] = {
            task_id: cleaned[cells[index]] for task_id, index in columns
        }
        if cleaned.bad:  # some text of the sheet is no valid points: is one in this row?
            for task_id, index in columns:
                value = values[task_id]
                if isinstance(value, errors.InvalidPoints):
                    problems.append(
                        Problem(number, header[index], f"“{cells[index][:40]}”: {value}")
                    )
                    del values[task_id]
        if participation.status in (Status.ABSENT, Status.EXEMPT) and any(
            v is not None for v in values.values()
        ):
            problems.append(
                Problem(
                    number,
                    "",
                    _("%(who)s is marked “%(status)s”; clear the mark before entering points.")
                    % {
                        "who": participation.name,
                        "status": participation.status_display(),
                    },
                )
            )
        plan.points[participation.user_id] = values
    if not seen and not problems:
        problems.append(Problem(None, "", _("The sheet has no student rows.")))
    if problems:
        plan.points = {}
        return plan
    plan.memberships = _memberships(assessment, plan.points)
    _team_problems(plan, seen)
    if problems:
        plan.points = {}
        return plan
    if not preview:
        return plan
    targets, _members = _expand_teams(plan.points, plan.memberships)
    rows_by_user = {u: participations[u] for u in targets if u in participations}
    outside = [u for u in targets if u not in participations]
    if outside:
        rows_by_user.update(
            (p.user_id, p)
            for p in _rows(
                Participation.objects.filter(assessment=assessment).filter(
                    among("user_id", outside)
                )
            )
        )
    for user_id in targets:
        if user_id in rows_by_user and rows_by_user[user_id].status in (
            Status.ABSENT,
            Status.EXEMPT,
        ):
            if any(v is not None for v in targets[user_id].values()):
                p = rows_by_user[user_id]
                problems.append(
                    Problem(
                        None,
                        "",
                        _(
                            "%(who)s (in a team of this sheet) is marked “%(status)s”; "
                            "clear the mark before entering points."
                        )
                        % {"who": p.name, "status": p.status_display()},
                    )
                )
    if problems:
        plan.points = {}
        return plan
    plan.changes = _diff(tasks, targets, rows_by_user)
    plan.versions = {p.pk: p.version for p in rows_by_user.values()}
    return plan


def _memberships(assessment, points: dict[int, dict]) -> list[tuple[int, int]]:
    """(user id, submission id) of every member of the submissions of the sheet's students
    (one query)."""
    return list(
        SubmissionMember.objects.filter(
            submission__in=SubmissionMember.objects.filter(assessment=assessment)
            .filter(among("user_id", points))
            .values("submission_id")
        ).values_list("user_id", "submission_id")
    )


def _team_problems(plan: Plan, seen: dict[int, int]) -> None:
    """Members of one submission listed in the sheet must have the same points."""
    teams: dict[int, list[int]] = {}
    for user_id, submission_id in plan.memberships:
        if user_id in plan.points:
            teams.setdefault(submission_id, []).append(user_id)
    for members in teams.values():
        first = plan.points[members[0]]
        for other in members[1:]:
            if plan.points[other] != first:
                plan.problems.append(
                    Problem(
                        seen[other],
                        "",
                        _("Team members must get the same points; row %(row)s differs.")
                        % {"row": seen[members[0]]},
                    )
                )


def _expand_teams(
    points: dict[int, dict], memberships: list[tuple[int, int]]
) -> tuple[dict[int, dict], dict[int, int]]:
    """Every member of a listed student's submission gets that student's points."""
    team_points: dict[int, dict] = {}
    for user_id, submission_id in memberships:
        if user_id in points:
            team_points.setdefault(submission_id, points[user_id])
    targets = dict(points)
    submission_of: dict[int, int] = {}
    for user_id, submission_id in memberships:
        submission_of[user_id] = submission_id
        targets.setdefault(user_id, team_points[submission_id])
    return targets, submission_of


def _points_of(participation_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """participation id -> {task id: points} of the stored task points (one query)."""
    existing: dict[int, dict[int, Decimal]] = {}
    for pid, tid, value in TaskPoint.objects.filter(
        among("participation_id", participation_ids)
    ).values_list("participation_id", "task_id", "points"):
        existing.setdefault(pid, {})[tid] = value
    return existing


def _diff(tasks, targets, rows_by_user) -> list[Change]:
    existing = _points_of([p.pk for p in rows_by_user.values()])
    changes = []
    for user_id, values in targets.items():
        p = rows_by_user.get(user_id)
        old = existing.get(p.pk, {}) if p else {}
        for task in tasks:
            new = values.get(task.pk)
            if old.get(task.pk) != new:
                changes.append(
                    Change(
                        p.pk if p else 0,
                        p.name if p else str(user_id),
                        task,
                        old.get(task.pk),
                        new,
                    )
                )
    changes.sort(key=lambda c: (c.user_name, c.task.position))
    return changes


# -- applying -----------------------------------------------------------------------------------


@translate_db_errors(error=errors.Busy)
def import_sheet(
    *,
    assessment: Assessment,
    rows: list[list[str]],
    by,
    tutorial=None,
    expected_versions: dict[int, int] | None = None,
) -> Plan:
    """Apply a filled-in grading sheet as a whole, or refuse it as a whole.

    Refuses ``SheetRejected`` (with every problem), ``GradingNotOpen``, ``WrongKind`` (talks)
    and ``ChangedMeanwhile`` (a row's version moved since the preview in ``expected_versions``,
    or a row vanished since the check). Writes like ``enter_points`` (points, total,
    reviewed/pending, version, audit rows), in a fixed number of statements. Returns the
    applied plan.
    """
    with transaction.atomic():
        # FOR SHARE on the assessment: its tasks cannot change (task changes lock it FOR
        # UPDATE), so the tasks the check read are the ones written below.
        locked = _lock_assessment(assessment.pk, shared=True)
        _require_grading_open(locked)
        plan = check_sheet(assessment=locked, tutorial=tutorial, rows=rows, preview=False)
        if plan.problems:
            raise SheetRejected(plan.problems)
        targets, submission_of = _expand_teams(plan.points, plan.memberships)
        ids = {user_id: plan.rows[user_id].pk for user_id in targets if user_id in plan.rows}
        outside = [user_id for user_id in targets if user_id not in plan.rows]
        if outside:  # team members who are not in the sheet: seed their rows if missing
            _seed(locked, outside)
            ids.update(
                Participation.objects.filter(assessment=locked)
                .filter(among("user_id", outside))
                .values_list("user_id", "pk")
            )
        # Plain values, no model instances; no join, so only the participations are locked.
        rows_locked = lock_rows(
            Participation.objects.values_list("pk", "user_id", "status", "version", named=True),
            ids.values(),
        )
        if len(rows_locked) != len(ids):  # a row was deleted since the check read it
            raise errors.ChangedMeanwhile()
        by_user = {p.user_id: p for p in rows_locked}
        if expected_versions:
            for p in rows_locked:
                if p.pk in expected_versions and expected_versions[p.pk] != p.version:
                    raise errors.ChangedMeanwhile()
        plan.applied = _write(locked, plan.tasks, targets, by_user, submission_of, by=by)
        if plan.applied[0]:
            assignment_changed(locked)
            results_changed(
                assessment=locked, participation_ids=[p.pk for p in rows_locked], by=by
            )
    return plan


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _copy_value(value) -> str:
    """One value in ``COPY``'s text format: ``\\N`` for NULL, backslash, tab, newline and
    carriage return escaped in texts; numbers and timestamps as ``str()`` writes them
    (PostgreSQL reads both)."""
    if value is None:
        return _NULL
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def _copy_column(values: tuple) -> Sequence[str]:
    """A column's values in ``COPY``'s text format, as ``_copy_value`` but column-wise: a
    column of one kind (numbers, or texts without a character to escape) costs one
    C-level pass instead of a Python call per value."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        text = "".join(values)
        if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
            return [v.translate(_COPY_ESCAPES) for v in values]
        return values
    if kinds <= {int, Decimal}:
        return list(map(str, values))
    if kinds <= {int, Decimal, type(None)}:
        return [_NULL if v is None else str(v) for v in values]
    return list(map(_copy_value, values))


def _insert_rows(model, names: list[str], rows: list[tuple], constants: dict) -> None:
    """Insert ``rows`` (values of the fields ``names``, plus the same ``constants`` for
    every row) in ONE statement at any size.

    PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3 ``cursor.copy()``) with the whole payload
    built as text column by column and written at once (no per-row ``write_row``, no model
    instances, no parameter limit). Other databases: ``bulk_create``.
    """
    if not rows:
        return
    meta = model._meta
    if connection.vendor != "postgresql":
        attnames = [meta.get_field(n).attname for n in names]
        fixed = {meta.get_field(n).attname: v for n, v in constants.items()}
        model.objects.bulk_create(
            [model(**dict(zip(attnames, row, strict=True)), **fixed) for row in rows]
        )
        return
    quote = connection.ops.quote_name
    columns = [meta.get_field(n).column for n in [*names, *constants]]
    sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    line_end = "".join("\t" + _copy_value(v) for v in constants.values()) + "\n"
    texts = [_copy_column(column) for column in zip(*rows, strict=True)]
    payload = line_end.join(map("\t".join, zip(*texts, strict=True))) + line_end
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(payload)


def _write(assessment, tasks, targets, by_user, submission_of, *, by) -> tuple[int, int]:
    """Write the cells that differ; return (cells changed, students changed).

    The participations in ``by_user`` are locked; their points are read only now."""
    existing = _points_of([p.pk for p in by_user.values()])
    actor = actor_or_none(by)
    actor_id = actor.pk if actor else None
    now = timezone.now()
    task_ids = [t.pk for t in tasks]
    points_field = GradeChange.Field.POINTS.value
    cleared: dict[int, list[int]] = {tid: [] for tid in task_ids}  # task -> participations
    inserted: list[tuple] = []  # (participation, task, points, submission)
    audit: list[tuple] = []  # (participation, task, field, old, new)
    touched: dict[int, tuple] = {}
    nothing: dict[int, Decimal] = {}
    for user_id, values in targets.items():
        row = by_user.get(user_id)
        if row is None:
            continue
        if row.status in (Status.ABSENT, Status.EXEMPT) and any(
            v is not None for v in values.values()
        ):
            raise errors.StatusForbids()
        old_points = existing.get(row.pk, nothing)
        scored = len(old_points)
        final_total = sum(old_points.values(), Decimal("0"))
        submission = submission_of.get(user_id)
        changed = False
        for tid in task_ids:
            new = values.get(tid)
            old = old_points.get(tid)
            if old == new:
                continue
            changed = True
            if old is not None:
                cleared[tid].append(row.pk)
                scored -= 1
                final_total -= old
            if new is not None:
                scored += 1
                final_total += new
                inserted.append((row.pk, tid, new, submission))
            audit.append(
                (
                    row.pk,
                    tid,
                    points_field,
                    "" if old is None else str(old),
                    "" if new is None else str(new),
                )
            )
        if changed:
            touched[row.pk] = (row, scored, final_total)
    if not touched:
        return 0, 0
    cells = len(audit)
    if any(cleared.values()):
        # One statement: the changed cells' old rows (participation, task) go.
        condition = Q()
        for tid, pids in cleared.items():
            if pids:
                condition |= Q(among("participation_id", pids), task_id=tid)
        TaskPoint.objects.filter(condition).delete()
    _insert_rows(
        TaskPoint,
        ["participation", "task", "points", "submission"],
        inserted,
        {"grader": actor_id, "graded_at": now},
    )
    task_count = len(tasks)
    moves: dict[str, list[int]] = {Status.REVIEWED: [], Status.PENDING: []}
    new_status: dict[int, str] = {}
    status_field = GradeChange.Field.STATUS.value
    for row, scored, _total in touched.values():
        old = row.status
        if old == Status.PENDING and task_count and scored >= task_count:
            new = Status.REVIEWED.value
        elif old == Status.REVIEWED and scored < task_count:
            new = Status.PENDING.value
        else:
            continue
        moves[new].append(row.pk)
        new_status[row.pk] = new
        audit.append((row.pk, None, status_field, old, new))
    if connection.vendor == "postgresql":
        _update_rows_in_one_statement(touched, new_status, now=now)
    else:
        _update_rows(touched, moves, now=now)
    _insert_rows(
        GradeChange,
        ["participation", "task", "field", "old", "new"],
        audit,
        {
            "assessment": assessment.pk,
            "tutorial": None,
            "reason": "sheet upload",
            "by": actor_id,
            "at": now,
        },
    )
    return cells, len(touched)


def _update_rows_in_one_statement(touched: dict, new_status: dict[int, str], *, now) -> None:
    """Totals, versions and statuses of every touched row in one ``UPDATE ... FROM unnest``.

    The totals are summed here from the points this transaction just wrote and the ones it
    kept: the rows are locked (``FOR UPDATE``) since before their points were read, and every
    writer of task points locks the participation first, so nobody else can change them."""
    ids = list(touched)
    totals = [touched[pk][2] for pk in ids]
    statuses = [new_status.get(pk) for pk in ids]
    table = connection.ops.quote_name(Participation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS p SET points_total = v.total, version = p.version + 1, "  # noqa: S608
            "updated_at = %s, status = COALESCE(v.status, p.status) "
            "FROM unnest(%s::bigint[], %s::numeric[], %s::text[]) AS v(id, total, status) "
            "WHERE p.id = v.id",
            [now, array_literal(ids), array_literal(totals), array_literal(statuses)],
        )


def _update_rows(touched: dict, moves: dict[str, list[int]], *, now) -> None:
    """The portable path (SQLite): totals summed by the database, then the status moves."""
    total = Subquery(
        TaskPoint.objects.filter(participation=OuterRef("pk"))
        .order_by()
        .values("participation")
        .annotate(s=Sum("points"))
        .values("s"),
        output_field=DecimalField(),
    )
    Participation.objects.filter(pk__in=list(touched)).update(
        points_total=Coalesce(total, Value(Decimal("0")), output_field=DecimalField()),
        version=F("version") + 1,
        updated_at=now,
    )
    for status, pks in moves.items():
        if pks:
            Participation.objects.filter(pk__in=pks).update(status=status)
