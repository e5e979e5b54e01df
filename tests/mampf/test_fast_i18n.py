"""mampf.templatetags.fast_i18n: the same output as Django's {% translate %}, faster."""

import pytest
from django.template import Context, Engine
from django.utils import translation

from mampf.templatetags.fast_i18n import ConstantTranslateNode

SOURCES = [
    '{% translate "Register" %}',
    "{% translate 'My registrations' %}",
    '{% trans "Log out" %}',
    '{% translate "50% of the points" %}',
    '{% translate "Register" as label %}[{{ label }}]',
    '{% translate "Register"|upper %}',
    '{% translate "Register" noop %}',
    '{% translate "May" context "month name" %}',
    '{% translate word %}',
    '{% translate word as label %}<{{ label }}>',
    '{% translate "<b>not escaped: a template literal is trusted</b>" %}',
    '{% blocktranslate %}Showing {{ word }}{% endblocktranslate %}',
    '{% get_current_language as code %}{{ code }}',
]


def engine(*, fast: bool) -> Engine:
    libraries = {"i18n": "mampf.templatetags.fast_i18n" if fast
                 else "django.templatetags.i18n"}
    return Engine(libraries=libraries)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("source", SOURCES)
def test_the_fast_library_renders_what_djangos_renders(source, language):
    context = {"word": "<i>Exam</i> & co"}
    with translation.override(language):
        fast = engine(fast=True).from_string("{% load i18n %}" + source).render(Context(context))
        stock = engine(fast=False).from_string("{% load i18n %}" + source).render(
            Context(context))
    assert fast == stock


def test_the_site_loads_the_fast_library_for_i18n():
    from django.template import engines

    template = engines["django"].from_string('{% load i18n %}{% translate "Register" %}')
    node = next(n for n in template.template.nodelist if isinstance(n, ConstantTranslateNode))
    assert node is not None
    with translation.override("de"):
        assert template.render({}) == "Anmelden"


def test_the_tag_library_check_accepts_the_i18n_replacement_and_still_reports_a_clash():
    from mampf.template_backend import SiteDjangoTemplates

    def warnings_for(libraries):
        backend = SiteDjangoTemplates({"NAME": "t", "DIRS": [], "APP_DIRS": False,
                                       "OPTIONS": {"libraries": libraries}})
        return [w.msg for w in backend._check_for_template_tags_with_the_same_name()]

    assert warnings_for({"i18n": "mampf.templatetags.fast_i18n"}) == []
    clash = warnings_for({"i18n": "mampf.templatetags.fast_i18n",
                          "static": "mampf.templatetags.layout"})
    assert len(clash) == 1 and "'static' is used for multiple" in clash[0]
