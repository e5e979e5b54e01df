"""One 24-hour date style in English and German (mampf/formats/, FORMAT_MODULE_PATH)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

WHEN = datetime.datetime(2026, 12, 2, 14, 5, tzinfo=ZoneInfo("Europe/Berlin"))
MARCH = datetime.datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def render(value, fmt: str) -> str:
    return Template("{{ value|date:fmt }}").render(Context({"value": value, "fmt": fmt}))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "2 Dec 2026, 14:05"), ("de", "2. Dez. 2026, 14:05")],
)
@pytest.mark.parametrize("fmt", ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"])
def test_date_times_read_the_same_everywhere(language, expected, fmt):
    with translation.override(language):
        assert render(WHEN, fmt) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "9 Mar 2026"), ("de", "9. März 2026")],
)
@pytest.mark.parametrize("fmt", ["DATE_FORMAT", "SHORT_DATE_FORMAT"])
def test_dates_read_the_same_everywhere(language, expected, fmt):
    with translation.override(language):
        assert render(MARCH, fmt) == expected


@pytest.mark.parametrize("language", ["en", "de"])
def test_times_use_the_24_hour_clock(language):
    with translation.override(language):
        assert render(WHEN, "TIME_FORMAT") == "14:05"
        assert render(MARCH, "TIME_FORMAT") == "09:00"
