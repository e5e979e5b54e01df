"""mampf.exports, the one CSV/XLSX writer: German-Excel CSV, typed XLSX, formula guard, file
names; and the campaign registrations export that uses it (the roster exports are tested in
tests/rosters/test_pages.py)."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from mampf import exports
from registration.models import UserRegistration
from tests.factories import CampaignFactory, ItemFactory, LectureFactory, UserFactory

HEADER = ["Name", "Points", "When", "Day"]
WHEN = timezone.make_aware(datetime.datetime(2026, 12, 2, 14, 5))
ROWS = [
    ["Jörg Müller", Decimal("7.5"), WHEN, datetime.date(2026, 12, 3)],
    ["=HYPERLINK(\"http://evil\")", 3, None, None],
    ["+49 6221", -2, None, None],
    ["-2+3", None, None, None],
    ["@SUM(A1)", None, None, None],
    ["\tx", None, None, None],
    ["\rx", None, None, None],
    ["a=b", None, None, None],
]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response):
    return list(
        csv.reader(io.StringIO(body(response).decode("utf-8-sig"), newline=""), delimiter=";")
    )


def test_csv_is_utf8_with_bom_semicolons_and_crlf():
    with translation.override("en"):
        response = exports.csv_response(filename="Liste", header=HEADER, rows=iter(ROWS))
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = body(response)
    assert raw.startswith("\ufeffName;Points;When;Day\r\n".encode())
    assert "Jörg Müller;7.5;2026-12-02 14:05;2026-12-03\r\n".encode() in raw
    assert raw.count(b"\r\n") == 1 + len(ROWS)
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_csv_guards_formulas_and_leaves_numbers_alone():
    rows = csv_rows(exports.csv_response(filename="x", header=HEADER, rows=ROWS))
    assert [row[0] for row in rows[2:]] == [
        "'=HYPERLINK(\"http://evil\")", "'+49 6221", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "a=b",
    ]
    assert rows[2][1] == "3" and rows[3][1] == "-2"


def test_csv_numbers_and_headers_follow_the_active_language():
    with translation.override("de"):
        response = exports.csv_response(
            filename="x", header=[translation.gettext_lazy("Matriculation number")], rows=[
                [Decimal("7.5")]
            ],
        )
    # Rendered while streaming, after the view's language was left: still German.
    assert csv_rows(response) == [["Matrikelnummer"], ["7,5"]]


def test_file_name_is_an_ascii_slug_plus_rfc5987_name():
    disposition = exports.content_disposition("Übung: Analyse/„Gruppe 1“", "csv")
    assert disposition.startswith('attachment; filename="ubung-analyse-gruppe-1.csv"; ')
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert name == "Übung Analyse „Gruppe 1“.csv"
    assert exports.content_disposition("", "xlsx").startswith('attachment; filename="export.xlsx"')


def test_xlsx_has_typed_cells_bold_frozen_header_and_no_formulas():
    response = exports.xlsx_response(filename="x", header=HEADER, rows=ROWS, sheet_title="Liste")
    assert response["Content-Disposition"].startswith('attachment; filename="x.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Liste"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == HEADER and all(c.font.b for c in sheet[1])
    name, points, when, day = sheet[2]
    assert name.value == "Jörg Müller"
    assert points.data_type == "n" and points.value == 7.5
    assert when.value == datetime.datetime(2026, 12, 2, 14, 5) and when.is_date
    assert day.is_date and day.value.date() == datetime.date(2026, 12, 3)
    evil = sheet["A3"]
    assert evil.data_type == "s" and evil.value == "=HYPERLINK(\"http://evil\")"
    assert sheet["B4"].value == -2


def test_table_response_refuses_unknown_formats():
    from django.http import Http404

    with pytest.raises(Http404):
        exports.table_response("ods", filename="x", header=HEADER, rows=[])


# -- the campaign registrations export --------------------------------------------------------


@pytest.fixture
def campaign():
    lecture = LectureFactory(title="Lineare Algebra")
    campaign = CampaignFactory(lecture=lecture, title="Übungsgruppen")
    item = ItemFactory(campaign=campaign)
    UserRegistration.objects.create(
        campaign=campaign, item=item, user=UserFactory(name="=cmd|' /C calc'!A0"),
        status=UserRegistration.Status.CONFIRMED, exclusive=item.exclusive,
    )
    return campaign


@pytest.mark.django_db
def test_registrations_export_in_german_csv_and_xlsx(client, campaign):
    client.force_login(campaign.lecture.teacher)
    client.cookies.load({"django_language": "de"})
    csv_url = reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk])
    response = client.get(csv_url)
    disposition = response["Content-Disposition"]
    assert 'filename="lineare-algebra-ubungsgruppen-anmeldungen.csv"' in disposition
    rows = csv_rows(response)
    assert rows[0][2] == "Matrikelnummer"
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][3] == "Hat einen Platz"
    page = client.get(reverse("registration:staff_campaign_registrations", args=[campaign.pk]))
    xlsx_url = reverse("registration:staff_campaign_registrations_xlsx", args=[campaign.pk])
    assert xlsx_url in page.content.decode()
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(xlsx_url).content)).active
    assert sheet["C1"].value == "Matrikelnummer" and sheet["C1"].font.b
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=cmd|' /C calc'!A0"
    assert sheet["G1"].value == "Angemeldet am" and sheet["G2"].is_date


@pytest.mark.django_db
def test_registrations_xlsx_is_refused_to_others(client, campaign):
    client.force_login(LectureFactory().teacher)
    url = reverse("registration:staff_campaign_registrations_xlsx", args=[campaign.pk])
    assert client.get(url).status_code == 403
