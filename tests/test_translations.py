"""The German catalogue is complete, compiles cleanly and the committed .mo matches the .po."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "de" / "LC_MESSAGES"
needs_msgfmt = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext missing")


@needs_msgfmt
def test_german_catalogue_has_no_untranslated_or_fuzzy_entries(tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"),
         str(LOCALE / "django.po")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert (tmp_path / "django.mo").read_bytes() == (LOCALE / "django.mo").read_bytes(), (
        "locale/de/LC_MESSAGES/django.mo is stale: run `make messages`"
    )


@pytest.mark.django_db
def test_pages_speak_german_when_asked(client, django_user_model):
    user = django_user_model.objects.create_user(email="de@example.org", password="x", name="D")
    client.force_login(user)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    with translation.override("de"):
        assert translation.gettext("My registrations") != "My registrations"
        assert translation.gettext("My registrations") in body
