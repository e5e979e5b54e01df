"""mampf.form_renderer: the Python widgets write exactly what Django's widget templates write."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe

from mampf.form_renderer import FastWidgetRenderer

CHOICES = [("", "— none —"), (1, "One & <two>"), ("x", mark_safe("<b>safe</b>")),
           ("Group", [(2, "in a group"), (Decimal("2.5"), Decimal("2.5"))])]


class Everything(forms.Form):
    text = forms.CharField(initial='a "quoted" <value> & more', max_length=20,
                           help_text="Some help")
    empty = forms.CharField(required=False)
    email = forms.EmailField(required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    number = forms.DecimalField(initial=Decimal("1.50"), required=False)
    integer = forms.IntegerField(initial=0)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="secret")
    hidden = forms.CharField(widget=forms.HiddenInput, initial="h")
    date = forms.DateField(initial=datetime.date(2026, 12, 2), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))
    check = forms.BooleanField(initial=True, required=False)
    uncheck = forms.BooleanField(
        initial=False, required=False,
        widget=forms.CheckboxInput(attrs={"data-x": True, "data-y": False}),
    )
    choice = forms.ChoiceField(choices=CHOICES, initial="x")
    multiple = forms.MultipleChoiceField(choices=CHOICES, initial=[1, 2], required=False)
    nullbool = forms.NullBooleanField(initial=None)
    text_area = forms.CharField(widget=forms.Textarea, initial="line 1\n<line 2>")
    empty_area = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    radio = forms.ChoiceField(choices=CHOICES[:3], widget=forms.RadioSelect, initial=1)


def render_all(form, renderer) -> dict[str, str]:
    form.renderer = renderer
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("bound", [False, True])
def test_every_widget_renders_as_the_templates_do(language, bound):
    data = {"text": "x<y", "number": "2,5" if language == "de" else "2.5", "integer": "-3",
            "choice": "Group", "multiple": ["1", "x"], "nullbool": "true", "text_area": "",
            "check": "on", "date": "not a date"} if bound else None
    with translation.override(language):
        fast = render_all(Everything(data), FastWidgetRenderer())
        stock = render_all(Everything(data), DjangoTemplates())
    assert fast == stock


def test_the_fast_renderer_is_the_sites_and_pages_use_it(client, django_user_model):
    from django.conf import settings
    from django.forms.renderers import get_default_renderer

    assert settings.FORM_RENDERER == "mampf.form_renderer.FastWidgetRenderer"
    assert isinstance(get_default_renderer(), FastWidgetRenderer)
    user = django_user_model.objects.create_user(email="r@example.org", password="pw-123456789")
    client.force_login(user)
    page = client.get("/profile/").content.decode()
    assert '<input type="text" name="name"' in page and '<select name="language"' in page


def test_only_templates_outside_the_fast_path_reach_the_template_engine(monkeypatch):
    """The comparison above is meaningful only if the fast path is taken: inputs, selects and
    textareas never reach the templates; the radio list does."""
    seen = []
    original = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        seen.append(template_name)
        return original(self, template_name, context, request=request)

    monkeypatch.setattr(DjangoTemplates, "render", spy)
    render_all(Everything(), FastWidgetRenderer())
    assert seen == ["django/forms/widgets/radio.html"]
