"""The one writer of spreadsheet downloads: CSV for a German Excel, and XLSX through openpyxl.

Every export builds a header (translated column titles) and an iterable of rows of plain Python
values, and hands them to ``csv_response`` or ``xlsx_response`` (or ``table_response`` with the
format from the URL). Rules, so every download behaves the same:

- CSV is UTF-8 with a byte-order mark, ``;`` between cells and CRLF line ends, which a German
  Excel opens with umlauts and columns intact. Numbers use the language's decimal separator,
  dates and times are written as ``YYYY-MM-DD HH:MM`` in the local time zone.
- Text that starts with ``= + - @``, a tab or a carriage return gets a leading apostrophe in CSV
  (a spreadsheet would otherwise run it as a formula); in XLSX such text is stored as a string
  cell, never as a formula. Numbers, dates and times are written by us and are left alone.
- XLSX cells are typed: numbers as numbers, dates as dates, times as date-times; the header row
  is bold and frozen.
- Headers and translated values are rendered in the language active when the view runs (the
  requesting user's), also while a streamed CSV is still being sent.
- The file name names what is exported (lecture, group): an ASCII slug for old clients plus the
  full name as RFC 5987 ``filename*``.
- CSV streams row by row (pass an iterator for large exports); XLSX is built in openpyxl's
  write-only mode, which keeps memory flat, and sent when complete.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from urllib.parse import quote

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
DATETIME_TEXT = "%Y-%m-%d %H:%M"
DATE_TEXT = "%Y-%m-%d"
XLSX_DATETIME = "yyyy-mm-dd hh:mm"
XLSX_DATE = "yyyy-mm-dd"
# Characters no file system or browser accepts in a file name.
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


# -- cells --------------------------------------------------------------------------------------


def guard_formula(text: str) -> str:
    """Text for a CSV cell; a leading formula character is neutralized with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _plain(value):
    """Lazy translations become text; aware date-times become local, naive ones (as shown)."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def csv_text(value) -> str:
    """One value as CSV text (see the module rules)."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return formats.number_format(value, use_l10n=True)
    if isinstance(value, datetime.datetime):
        return value.strftime(DATETIME_TEXT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_TEXT)
    return guard_formula(str(value))


# -- file names ---------------------------------------------------------------------------------


def content_disposition(name: str, extension: str) -> str:
    """``attachment`` with an ASCII slug and the full name (RFC 5987) for one download."""
    full = _UNSAFE_IN_NAME.sub(" ", name).strip() or "export"
    full = re.sub(r"\s+", " ", full)[:150]
    ascii_name = slugify(full)[:100] or "export"
    return (
        f'attachment; filename="{ascii_name}.{extension}"; '
        f"filename*=UTF-8''{quote(f'{full}.{extension}', safe='')}"
    )


def export_name(*parts) -> str:
    """A file name from its parts (lecture, group, what), skipping empty ones."""
    return " - ".join(str(part).strip() for part in parts if part and str(part).strip())


# -- responses ----------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: Sequence, rows: Iterable[Sequence], language: str) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    with translation.override(language):
        yield "\ufeff" + writer.writerow([csv_text(title) for title in header])
        for row in rows:
            yield writer.writerow([csv_text(value) for value in row])


def csv_response(*, filename: str, header: Sequence, rows: Iterable[Sequence]):
    """A streamed CSV download (``filename`` without extension; see the module rules)."""
    response = StreamingHttpResponse(
        _csv_lines(header, rows, translation.get_language() or "en"),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = content_disposition(filename, "csv")
    return response


def _xlsx_cell(sheet, value, *, bold: bool = False):
    value = _plain(value)
    if isinstance(value, bool):
        value = _("yes") if value else _("no")
    elif isinstance(value, str):
        # No formulas from data: keep the control characters openpyxl refuses out, and store
        # text as text (openpyxl would turn "=..." into a formula).
        value = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    elif value is not None and not isinstance(
        value, int | float | Decimal | datetime.date | datetime.time
    ):
        value = str(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, datetime.datetime):
        cell.number_format = XLSX_DATETIME
    elif isinstance(value, datetime.date):
        cell.number_format = XLSX_DATE
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_bytes(*, header: Sequence, rows: Iterable[Sequence], sheet_title: str = "") -> bytes:
    """The workbook as bytes: one sheet, bold frozen header, typed cells."""
    workbook = Workbook(write_only=True)
    title = _UNSAFE_IN_NAME.sub(" ", re.sub(r"[\[\]]", " ", sheet_title)).strip()[:31]
    sheet = workbook.create_sheet(title=title or "Sheet1")
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, str(title), bold=True) for title in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_workbook_response(
    *, filename: str, sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]]
) -> HttpResponse:
    """An XLSX download with several sheets, each ``(title, header, rows)`` and written like
    ``xlsx_bytes`` writes its one sheet (titles are cut to Excel's 31 characters and made
    unique)."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for index, (sheet_title, header, rows) in enumerate(sheets, start=1):
        title = _UNSAFE_IN_NAME.sub(" ", re.sub(r"[\[\]]", " ", str(sheet_title))).strip()[:31]
        title = title or f"Sheet{index}"
        if title.lower() in used:
            title = f"{title[:27]} {index}"
        used.add(title.lower())
        sheet = workbook.create_sheet(title=title)
        sheet.freeze_panes = "A2"
        sheet.append([_xlsx_cell(sheet, str(column), bold=True) for column in header])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, "xlsx")
    return response


def xlsx_response(
    *, filename: str, header: Sequence, rows: Iterable[Sequence], sheet_title: str = ""
) -> HttpResponse:
    """An XLSX download (``filename`` without extension; see the module rules)."""
    response = HttpResponse(
        xlsx_bytes(header=header, rows=rows, sheet_title=sheet_title),
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Content-Disposition"] = content_disposition(filename, "xlsx")
    return response


def table_response(
    fmt: str, *, filename: str, header: Sequence, rows: Iterable[Sequence], sheet_title: str = ""
):
    """``csv_response`` or ``xlsx_response`` by the format a URL names; 404 for others."""
    if fmt == "csv":
        return csv_response(filename=filename, header=header, rows=rows)
    if fmt == "xlsx":
        return xlsx_response(
            filename=filename, header=header, rows=rows, sheet_title=sheet_title
        )
    raise Http404
