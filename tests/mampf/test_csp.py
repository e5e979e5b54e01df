"""The Content-Security-Policy header and the templates that have to live with it."""

import base64
import hashlib
import logging
import re
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
def test_pages_carry_a_strict_policy(client):
    policy = directives(client.get("/login/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "'unsafe-eval'" not in " ".join(sum(policy.values(), []))


def templates():
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" not in path.parts and "var" not in path.parts:
            yield path


def test_no_template_has_inline_script_style_or_event_handlers():
    offences = []
    for path in templates():
        text = path.read_text()
        for pattern in (
            r"<script(?![^>]*\bsrc=)[^>]*>",  # an inline script block
            r"\sstyle=",  # a style attribute
            r"\son[a-z]+=",  # onclick= and friends
            r"\bhx-on",  # htmx inline handlers (evaluated code)
            r"javascript:",
        ):
            offences += [f"{path.relative_to(ROOT)}: {m}" for m in re.findall(pattern, text)]
        if path.name != "500.html" and "<style" in text:
            offences.append(f"{path.relative_to(ROOT)}: <style>")
    assert not offences, "\n".join(offences)


def test_the_500_pages_inline_style_is_allowed_by_its_hash(settings):
    settings.DEBUG = False
    from django.urls import path

    from mampf import urls

    def boom(request):
        raise ZeroDivisionError("boom")

    urls.urlpatterns.append(path("csp-boom/", boom))
    try:
        logging.disable(logging.CRITICAL)
        response = Client(raise_request_exception=False).get("/csp-boom/")
    finally:
        logging.disable(logging.NOTSET)
        urls.urlpatterns.pop()
    assert response.status_code == 500
    blocks = re.findall(r"<style>(.*?)</style>", response.content.decode(), re.S)
    assert blocks
    for block in blocks:
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives(response)["style-src"]


@pytest.mark.django_db
def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client):
    page = client.get("/login/").content.decode()
    config = re.search(r'<meta name="htmx-config" content="([^"]+)">', page).group(1)
    config = config.replace("&quot;", '"')
    assert '"includeIndicatorStyles":false' in config
    assert '"allowEval":false' in config
