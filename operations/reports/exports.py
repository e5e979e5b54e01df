"""Downloads of a person's data: CSV (one long table: section, row, field, value), XLSX (one
sheet per section) and JSON (sections by stable key), all through ``mampf.exports``' rules."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mampf.exports import content_disposition, csv_response, xlsx_workbook_response

from .personal import Section

PERSONAL_FORMATS = ("csv", "xlsx", "json")
LONG_HEADER = [
    gettext_lazy("Section"),
    gettext_lazy("Row"),
    gettext_lazy("Field"),
    gettext_lazy("Value"),
]


def _long_rows(sections: list[Section]):
    for section in sections:
        for number, row in enumerate(section.rows, start=1):
            for (_key, label), value in zip(section.columns, row, strict=True):
                yield [section.title, number, label, value]


def json_text(*, user, sections: list[Section]) -> str:
    payload = {
        "generated_at": timezone.now(),
        "account_id": user.pk,
        "sections": {
            section.key: {"title": str(section.title), "rows": section.as_dicts()}
            for section in sections
        },
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def personal_response(fmt: str, *, user, sections: list[Section], filename: str):
    """The person's data as a download in ``fmt``; 404 for another format."""
    if fmt == "csv":
        return csv_response(filename=filename, header=LONG_HEADER, rows=_long_rows(sections))
    if fmt == "xlsx":
        return xlsx_workbook_response(
            filename=filename,
            sheets=[(section.title, section.header, section.rows) for section in sections],
        )
    if fmt == "json":
        response = HttpResponse(
            json_text(user=user, sections=sections), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition(filename, "json")
        return response
    raise Http404


def personal_filename(user, *, own: bool) -> str:
    what = _("My data") if own else _("Personal data")
    return f"{what} - {user.name or user.email}"
