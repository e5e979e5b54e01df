"""The site's form renderer: Django's own, with the most common widgets written in Python.

Django renders every widget through its template engine: an ``<input>`` costs three templates
(``text.html`` includes ``input.html``, which includes ``attrs.html``) and a ``<select>`` one
more per option -- about 0.3 ms per field, more than the rest of a small form page (the profile
page spent half its time there). ``FastWidgetRenderer`` produces the same markup as those
templates, character for character, for Django's stock input, select and textarea widgets
(``tests/mampf/test_form_renderer.py`` compares the two over many widgets and values); every
other template (radio lists, file inputs, form and field layouts, the admin's widgets) goes
through the templates as before. A project template overriding one of the stock widget
templates turns its fast path off (``FastWidgetRenderer._stock``), so an override is never ignored.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime

_WIDGETS = "django/forms/widgets/"
# The stock templates that are only ``{% include "django/forms/widgets/input.html" %}``.
_INPUTS = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in ("input", "text", "email", "number", "password", "url", "tel", "search",
                 "hidden", "date", "datetime", "time", "checkbox", "color")
)
_SELECT = f"{_WIDGETS}select.html"
_OPTION = f"{_WIDGETS}select_option.html"
_TEXTAREA = f"{_WIDGETS}textarea.html"


def _shown(value) -> str:
    """``{{ value }}``: localized and escaped as the template engine does."""
    return conditional_escape(localize(template_localtime(value)))


def _attrs(attrs: dict) -> str:
    """``attrs.html``: `` name="value"``, a bare name for True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{conditional_escape(value)}"' if value is not None else ""
    return (f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{shown}'
            f'{_attrs(widget["attrs"])}>')


def _option(option: dict) -> str:
    return (f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
            f'{_shown(option["label"])}</option>')


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION:
                return None  # a custom option template: the templates render the select
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (f'<textarea name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{_shown(value) if value else ""}</textarea>')


class FastWidgetRenderer(DjangoTemplates):
    """``settings.FORM_RENDERER``: see the module's docstring."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and self._stock(template_name):
            if template_name in _INPUTS:
                return _input(widget)
            if template_name == _TEXTAREA:
                return _textarea(widget)
            if template_name == _SELECT:
                rendered = _select(widget)
                if rendered is not None:
                    return rendered
        return super().render(template_name, context, request=request)

    def _stock(self, template_name: str) -> bool:
        """Whether this template and those it includes are Django's own (not replaced by an
        app's template of the same name): decided once per process and template."""
        if template_name not in _INPUTS and template_name not in (_SELECT, _TEXTAREA):
            return False
        key = (id(self), template_name)
        found = _STOCK.get(key)
        if found is None:
            names = (template_name, f"{_WIDGETS}input.html", f"{_WIDGETS}attrs.html", _OPTION)
            found = _STOCK[key] = all(self._from_django(name) for name in names)
        return found

    def _from_django(self, template_name: str) -> bool:
        try:
            origin = self.get_template(template_name).origin.name
        except TemplateDoesNotExist:
            return False
        return "/django/forms/templates/" in str(origin).replace("\\", "/")


_STOCK: dict[tuple[int, str], bool] = {}
