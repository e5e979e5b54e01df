"""The site's template backend: Django's, with ``i18n`` deliberately replaced.

``TEMPLATES`` registers ``mampf.templatetags.fast_i18n`` under the label ``i18n`` (Django's own
library with a faster constant ``{% translate %}``). Django's check ``templates.W003`` warns
about any label used for two modules, and ``manage.py check --deploy --fail-level WARNING``
fails on it. This backend leaves out exactly that one intended replacement and keeps the check
for every other label, so a real clash is still reported.
"""

from django.template.backends.django import DjangoTemplates

REPLACED = {"i18n": ("django.templatetags.i18n", "mampf.templatetags.fast_i18n")}


class SiteDjangoTemplates(DjangoTemplates):
    def _check_for_template_tags_with_the_same_name(self):
        return [
            warning for warning in super()._check_for_template_tags_with_the_same_name()
            if not any(warning.msg == _message(label, modules)
                       for label, modules in REPLACED.items()
                       if self.engine.libraries.get(label) == modules[1])
        ]


def _message(label: str, modules: tuple[str, str]) -> str:
    items = ", ".join(repr(item) for item in sorted(modules))
    return f"{label!r} is used for multiple template tag modules: {items}"
