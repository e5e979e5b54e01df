"""The grade list of an exam for the examinations office (issue 10 item 8).

Rules:
- one row per participation of the exam assessment (every candidate who got a row), sorted by
  name: matriculation number, name, grade, grade x 100 (what HIS/LSF-style campus systems import:
  1.3 -> 130, 5.0 -> 500), a status code and the status in words;
- the status code comes from ``settings.EXAM_OFFICE_STATUS_CODES`` (HIS "Vermerke" by default):
  ``absent`` (a no-show: never a blank), ``medical_certificate`` and ``withdrawn`` (an exempt
  row's ``exempt_reason``), ``exempt`` (exempt for another reason) and ``pending`` (no grade
  yet: pending, or reviewed before a scheme gave a grade). A row with a grade and no such case
  has no code; every row without a grade has one;
- an absent row keeps the grade it was given (5.0 after a scheme is applied) and its code;
- before the results are published the list is a draft: the file name says so and the first
  line reads "DRAFT"; the views export it only when staff ask for the draft explicitly;
- two queries whatever the number of candidates (the assessment, then the rows with users).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import Assessment, Participation

Status = Participation.Status
DEFAULT_STATUS_CODES = {
    "absent": "NE",
    "medical_certificate": "RT",
    "withdrawn": "AB",
    "exempt": "RT",
    "pending": "AN",
}
CASE_LABELS = {
    "absent": gettext_lazy("absent (no-show)"),
    "medical_certificate": gettext_lazy("withdrawn with a medical certificate"),
    "withdrawn": gettext_lazy("withdrawn"),
    "exempt": gettext_lazy("exempt"),
    "pending": gettext_lazy("no grade yet"),
    "graded": gettext_lazy("graded"),
}


def status_codes() -> dict[str, str]:
    """The configured codes over the defaults (a key left out keeps its default)."""
    codes = dict(DEFAULT_STATUS_CODES)
    codes.update(
        {k: str(v) for k, v in getattr(settings, "EXAM_OFFICE_STATUS_CODES", {}).items() if v}
    )
    return codes


def case_of(participation: Participation) -> str:
    """``graded``, ``absent``, ``medical_certificate``, ``withdrawn``, ``exempt`` or
    ``pending`` for one row."""
    if participation.status == Status.ABSENT:
        return "absent"
    if participation.status == Status.EXEMPT:
        return participation.exempt_reason or "exempt"
    if participation.grade_value is None:
        return "pending"
    return "graded"


def grade_x100(grade: Decimal | None) -> int | None:
    """1.3 -> 130; ``None`` stays ``None``."""
    return None if grade is None else int((grade * 100).to_integral_value())


@dataclass(frozen=True)
class OfficeRow:
    matriculation_number: str
    name: str
    grade: Decimal | None
    grade_x100: int | None
    code: str
    case: str

    @property
    def case_label(self) -> str:
        return str(CASE_LABELS[self.case])


@dataclass(frozen=True)
class GradeList:
    assessment: Assessment
    draft: bool
    rows: list[OfficeRow]

    def header(self) -> list[str]:
        return [
            _("Matriculation number"),
            _("Name"),
            _("Grade"),
            _("Grade x 100"),
            _("Status code"),
            _("Status"),
        ]

    def draft_line(self) -> str:
        return _("DRAFT – results not published yet, not for the examinations office")

    def table(self) -> tuple[list[str], Iterator[list]]:
        """(header, rows) for ``mampf.exports``: a draft's first line is the DRAFT mark and
        the column titles follow as the first row."""
        titles = self.header()
        body = (
            [r.matriculation_number, r.name, r.grade, r.grade_x100, r.code, r.case_label]
            for r in self.rows
        )
        if not self.draft:
            return titles, body

        def with_titles():
            yield titles
            yield from body

        return [self.draft_line()] + [""] * (len(titles) - 1), with_titles()


def grade_list(*, assessment: Assessment) -> GradeList:
    """The office's grade list of an exam assessment; one query for the rows."""
    codes = status_codes()
    rows = []
    participations = (
        Participation.objects.filter(assessment_id=assessment.pk)
        .select_related("user")
        .only(
            "status",
            "grade_value",
            "exempt_reason",
            "user__name",
            "user__matriculation_number",
        )
        .order_by("user__name", "user_id")
    )
    for p in participations:
        case = case_of(p)
        grade = p.grade_value if p.status != Status.EXEMPT else None
        rows.append(
            OfficeRow(
                matriculation_number=p.user.matriculation_number or "",
                name=p.user.name,
                grade=grade,
                grade_x100=grade_x100(grade),
                code="" if case == "graded" else codes[case],
                case=case,
            )
        )
    return GradeList(
        assessment=assessment, draft=assessment.results_published_at is None, rows=rows
    )
