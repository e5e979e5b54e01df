"""Dates as the pages show them, each formatted once per process and language.

Django's ``date_format`` looks the format up and runs its formatter character by character,
translating month names on the way: 10 to 20 µs a date. The student pages show the same few
dates to every student (deadlines, talk and exam dates), a seminar page a dozen of them. What
comes out is a function of the language, the format's name and the value alone (the format
modules, ``mampf.formats``, are code), so it is kept in a bounded cache: nothing read from the
database is kept, only text computed from the value the caller passes in. Settings that change
formats or translations (as tests do) empty the cache, as Django empties its own format cache.
"""

from __future__ import annotations

import datetime
import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import formats, timezone
from django.utils.translation import get_language

# What the text depends on besides the value: formats (Django's own format settings too), the
# translations of month and day names, and the time zone.
_SETTINGS = {"FORMAT_MODULE_PATH", "LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS",
             "USE_TZ", "TIME_ZONE", *formats.FORMAT_SETTINGS}


@functools.lru_cache(maxsize=4096)
def _formatted(language: str | None, format_name: str, value, zone: tuple) -> str:
    """``zone``: the local datetime's offset and zone name (aware datetimes of one instant are
    equal in every time zone, their text is not)."""
    return formats.date_format(value, format_name)


def date_text(value: datetime.date | datetime.datetime | None, format_name: str = "DATE_FORMAT"
              ) -> str:
    """``value`` as ``{{ value|date:format_name }}`` shows it ("" for ``None``): an aware
    datetime in the current time zone, as the template filter does (a time format for a date
    raises ``TypeError``, as there)."""
    if value is None:
        return ""
    zone = ()
    if isinstance(value, datetime.datetime) and settings.USE_TZ and timezone.is_aware(value):
        value = timezone.localtime(value)
        zone = (value.utcoffset(), value.tzname())
    return _formatted(get_language(), format_name, value, zone)


def _forget(*, setting, **kwargs) -> None:
    """Forget every kept text when a setting it depends on changes (tests override them)."""
    if setting in _SETTINGS:
        _formatted.cache_clear()


setting_changed.connect(_forget, dispatch_uid="mampf.dates")
