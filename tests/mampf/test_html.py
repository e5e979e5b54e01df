"""mampf.html: Django's format_html and format_html_join, with the same output."""

import pytest
from django.utils import html as django_html
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from mampf import html


class _HasHtml:
    def __html__(self):
        return "<em>already safe</em>"


ARGUMENTS = [
    "plain", "<b>\"quoted\" & 'single'</b>", "", 0, 17, -3, None, 2.5, True,
    mark_safe("<i>safe</i>"), SafeString("&amp;"), _HasHtml(),
    gettext_lazy("Seats"), gettext_lazy("%(left)s left"), ["<list>"], "\u00a0ä€\U0001f600",
]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("argument", ARGUMENTS, ids=repr)
def test_format_html_writes_what_djangos_writes(argument, language):
    template = '<td data-label="{}">{}</td>{}'
    with translation.override(language):
        expected = django_html.format_html(template, argument, argument, "x")
        written = html.format_html(template, argument, argument, "x")
    assert written == expected
    assert isinstance(written, SafeString)


def test_format_html_join_writes_what_djangos_writes():
    rows = [(argument, index) for index, argument in enumerate(ARGUMENTS)]
    for separator in ("\n", mark_safe("<br>"), "<hr>"):
        expected = django_html.format_html_join(separator, "<li>{} #{}</li>", rows)
        written = html.format_html_join(separator, "<li>{} #{}</li>", iter(rows))
        assert written == expected and isinstance(written, SafeString)
    assert html.format_html_join("", "<p>{}</p>", []) == ""


def test_escaped_is_conditional_escape_as_text():
    for argument in ARGUMENTS:
        assert html.escaped(argument) == str(django_html.conditional_escape(argument))
