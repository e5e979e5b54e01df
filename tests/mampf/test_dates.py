"""mampf.dates.date_text: what the template's date filter shows, kept per language."""

import datetime
import zoneinfo

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import formats, timezone, translation

from mampf.dates import _formatted, date_text

VALUES = [
    datetime.date(2026, 12, 2), datetime.date(2027, 3, 1), datetime.date(2027, 5, 31),
    datetime.datetime(2027, 1, 8, 13, 0, tzinfo=datetime.UTC),  # 14:00 in Berlin
    datetime.datetime(2027, 7, 1, 22, 30, tzinfo=datetime.UTC),  # the next day in Berlin
]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("format_name", ["DATE_FORMAT", "DATETIME_FORMAT",
                                         "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT"])
def test_date_text_is_what_the_date_filter_shows(language, format_name):
    template = Template("{{ value|date:format_name }}")
    with translation.override(language):
        for value in VALUES:
            if "DATETIME" in format_name and not isinstance(value, datetime.datetime):
                continue  # the filter refuses a time format for a date, as date_text does
            expected = template.render(Context({"value": value, "format_name": format_name}))
            assert date_text(value, format_name) == expected
            assert date_text(value, format_name) == expected  # the kept text, too
    assert date_text(None, format_name) == ""


def test_the_current_time_zone_and_language_are_part_of_the_text():
    value = VALUES[4]
    with translation.override("de"):
        berlin = date_text(value, "DATETIME_FORMAT")
        with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
            new_york = date_text(value, "DATETIME_FORMAT")
    assert berlin == "2. Juli 2027, 00:30" and new_york == "1. Juli 2027, 18:30"
    with translation.override("en"):
        assert date_text(value, "DATETIME_FORMAT") == "2 Jul 2027, 00:30"


def test_a_changed_format_setting_forgets_the_kept_texts():
    value = VALUES[0]
    with translation.override("en"):
        assert date_text(value) == "2 Dec 2026"
        assert _formatted.cache_info().currsize > 0
        with override_settings(FORMAT_MODULE_PATH=None):
            assert _formatted.cache_info().currsize == 0
            assert date_text(value) == formats.date_format(value)
        assert date_text(value) == "2 Dec 2026"
