"""Reads for the staff reports: participation per assessment and per tutorial, eligibility.

Each report is a ``Table`` (translated header, rows of plain values) that ``mampf.exports``
writes as CSV or XLSX. Every function runs a fixed number of queries whatever the lecture's
size: rows are read with ``values_list`` (no model objects) and joined in Python by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from assessment.models import Assessment, Participation, SubmissionMember, Task, TaskPoint
from performance.models import Certification, Record
from performance.notifications import stale_certifications
from rosters.models import RosterEntry

STATUS_LABELS = dict(Participation.Status.choices)
EXEMPT_LABELS = dict(Participation.ExemptReason.choices)


@dataclass
class Table:
    """What an export writes: a header of translated titles and rows of plain values."""

    header: list
    rows: Iterable
    notes: dict = field(default_factory=dict)


STUDENT_COLUMNS = [_("Name"), _("Matriculation number"), _("E-mail address")]


def _handed_in(assessment_id_ref):
    """Whether the row's student is in a submission with an uploaded file."""
    return SubmissionMember.objects.filter(
        assessment_id=assessment_id_ref,
        user_id=OuterRef("user_id"),
        submission__uploaded_at__isnull=False,
    )


def assessment_report(*, assessment: Assessment, tutorial_ids: list[int] | None = None) -> Table:
    """One row per participation of the assessment (of ``tutorial_ids`` only, if given): who
    handed in and when, status (absent, exempt and why), points per task, total, grade.
    Three queries: tasks, rows with hand-in facts, task points."""
    tasks = list(
        Task.objects.filter(assessment=assessment)
        .order_by("position", "pk")
        .values_list("pk", "position", "title")
    )
    parts = Participation.objects.filter(assessment=assessment)
    if tutorial_ids is not None:
        parts = parts.filter(tutorial_id__in=tutorial_ids)
    handed = _handed_in(assessment.pk).order_by("-submission__uploaded_at")
    rows = list(
        parts.annotate(
            handed_at=Subquery(handed.values("submission__uploaded_at")[:1]),
            handed_late=Subquery(handed.values("submission__late")[:1]),
        )
        .order_by("user__name", "user__email", "pk")
        .values_list(
            "pk",
            "user__name",
            "user__matriculation_number",
            "user__email",
            "tutorial__title",
            "status",
            "exempt_reason",
            "submitted_at",
            "handed_at",
            "handed_late",
            "points_total",
            "grade_value",
        )
    )
    points: dict[tuple[int, int], Decimal] = {
        (pid, tid): value
        for pid, tid, value in TaskPoint.objects.filter(participation__in=parts)
        .order_by()
        .values_list("participation_id", "task_id", "points")
    }
    header = [
        *STUDENT_COLUMNS,
        _("Tutorial"),
        _("Status"),
        _("Reason for the exemption"),
        _("Handed in"),
        _("Handed in at"),
        _("Late"),
        *[
            (_("Task %(position)s") % {"position": pos}) + (f": {title}" if title else "")
            for _pk, pos, title in tasks
        ],
        _("Total points"),
        _("Grade"),
    ]

    def table_rows():
        for (
            pid,
            name,
            number,
            email,
            tutorial,
            status,
            reason,
            submitted_at,
            handed_at,
            late,
            total,
            grade,
        ) in rows:
            handed_in_at = handed_at or submitted_at
            yield [
                name,
                number,
                email,
                tutorial or "",
                STATUS_LABELS.get(status, status),
                EXEMPT_LABELS.get(reason, "") if status == "exempt" else "",
                handed_in_at is not None,
                handed_in_at,
                bool(late),
                *[points.get((pid, task_pk)) for task_pk, _pos, _title in tasks],
                total,
                grade,
            ]

    return Table(header=header, rows=table_rows(), notes={"count": len(rows)})


def tutorial_report(*, tutorial) -> Table:
    """One row per student of the tutorial (on its roster, or with a row of one of the
    lecture's sheets filed under it): each sheet's points when reviewed, else its status, and
    the sums. Three queries: sheets, roster, rows."""
    sheets = list(
        Assessment.objects.filter(lecture_id=tutorial.lecture_id, kind="assignment")
        .order_by("deadline", "pk")
        .values_list("pk", "title")
    )
    students: dict[int, list] = {}
    for user_id, name, number, email in (
        RosterEntry.objects.filter(registerable_id=tutorial.pk)
        .order_by()
        .values_list("user_id", "user__name", "user__matriculation_number", "user__email")
    ):
        students[user_id] = [name, number, email, True]
    cells: dict[tuple[int, int], tuple] = {}
    for user_id, name, number, email, sheet_id, status, total, submitted_at, handed in (
        Participation.objects.filter(
            tutorial_id=tutorial.pk,
            assessment__kind="assignment",
            assessment__lecture_id=tutorial.lecture_id,
        )
        .annotate(handed=Exists(_handed_in(OuterRef("assessment_id"))))
        .order_by()
        .values_list(
            "user_id",
            "user__name",
            "user__matriculation_number",
            "user__email",
            "assessment_id",
            "status",
            "points_total",
            "submitted_at",
            "handed",
        )
    ):
        students.setdefault(user_id, [name, number, email, False])
        cells[(user_id, sheet_id)] = (status, total, handed or submitted_at is not None)
    header = [
        *STUDENT_COLUMNS,
        _("On the tutorial's roster"),
        *[title for _pk, title in sheets],
        _("Reviewed points"),
        _("Sheets handed in"),
        _("Absent"),
        _("Exempt"),
    ]
    ordered = sorted(students.items(), key=lambda item: (item[1][0].lower(), item[1][2]))

    def table_rows():
        for user_id, (name, number, email, on_roster) in ordered:
            values, reviewed, handed_count, absent, exempt = [], Decimal("0"), 0, 0, 0
            for sheet_id, _title in sheets:
                cell = cells.get((user_id, sheet_id))
                if cell is None:
                    values.append("")
                    continue
                status, total, handed = cell
                handed_count += handed
                absent += status == "absent"
                exempt += status == "exempt"
                if status == "reviewed":
                    reviewed += total
                    values.append(total)
                else:
                    values.append(STATUS_LABELS.get(status, status))
            yield [name, number, email, on_roster, *values, reviewed, handed_count, absent, exempt]

    return Table(header=header, rows=table_rows(), notes={"count": len(ordered)})


CERT_STATUS = dict(Certification.Status.choices)
CERT_SOURCE = dict(Certification.Source.choices)


def eligibility_report(*, lecture) -> Table:
    """Every student with a record or a certification of the lecture: the decision (status,
    source, when, by whom, rule version, note), whether it is out of date (the definition of
    ``performance.notifications.stale_certifications``) and the record's figures now. Three
    queries."""
    people: dict[int, list] = {}
    record_of: dict[int, tuple] = {}
    for user_id, name, number, email, *figures in (
        Record.objects.filter(lecture=lecture)
        .order_by()
        .values_list(
            "user_id",
            "user__name",
            "user__matriculation_number",
            "user__email",
            "points",
            "maximum",
            "points_pending_marking",
            "percentage",
            "computed_at",
        )
    ):
        people[user_id] = [name, number, email]
        record_of[user_id] = tuple(figures)
    cert_of: dict[int, tuple] = {}
    for user_id, name, number, email, *decision in (
        Certification.objects.filter(lecture=lecture)
        .order_by()
        .values_list(
            "user_id",
            "user__name",
            "user__matriculation_number",
            "user__email",
            "status",
            "source",
            "certified_at",
            "certified_by__name",
            "rule_version",
            "note",
        )
    ):
        people.setdefault(user_id, [name, number, email])
        cert_of[user_id] = tuple(decision)
    stale = set(stale_certifications(lecture_id=lecture.pk).values_list("user_id", flat=True))
    header = [
        *STUDENT_COLUMNS,
        _("Admission"),
        _("Decided as"),
        _("Decided at"),
        _("Decided by"),
        _("Rule version"),
        _("Out of date"),
        _("Points"),
        _("Maximum"),
        _("Points pending marking"),
        _("Percentage"),
        _("Figures computed at"),
        _("Note"),
    ]
    ordered = sorted(people.items(), key=lambda item: (item[1][0].lower(), item[1][2]))

    def table_rows():
        for user_id, student in ordered:
            cert = cert_of.get(user_id)
            record = record_of.get(user_id, (None,) * 5)
            if cert is None:
                decision = [_("not decided"), "", None, "", None, False]
                note = ""
            else:
                status, source, at, by, version, note = cert
                decision = [
                    CERT_STATUS.get(status, status),
                    CERT_SOURCE.get(source, source),
                    at,
                    by or "",
                    version,
                    user_id in stale,
                ]
            yield [*student, *decision, *record, note]

    return Table(header=header, rows=table_rows(), notes={"count": len(ordered)})
