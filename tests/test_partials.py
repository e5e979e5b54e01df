"""Shared partials and the base layout: accessible markup (issue 7, item 23)."""

import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def described_by(body: str, field_id: str) -> list[str]:
    tag = re.search(rf'<input[^>]*\bid="{field_id}"[^>]*>', body).group(0)
    return re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()


def test_a_field_error_is_the_description_its_input_names(client):
    client.force_login(UserFactory())

    data = {"name": "A", "institutional_email": "not-an-address"}
    response = client.post(reverse("profile"), data)

    body = response.content.decode()
    ids = described_by(body, "id_institutional_email")
    assert "id_institutional_email_error" in ids
    for element_id in ids:  # every id the input names exists on the page
        assert f'id="{element_id}"' in body, element_id
    error = re.search(
        r'<div class="error" id="id_institutional_email_error">(.*?)</div>', body, re.S
    )
    assert "valid" in error.group(1)


def test_flash_messages_keep_their_list_semantics(client):
    client.force_login(UserFactory())

    data = {"name": "A", "institutional_email": "x"}
    response = client.post(reverse("profile"), data, follow=True)

    body = response.content.decode()
    assert '<ul class="messages"' in body
    assert not re.search(r'<ul[^>]*role="status"', body)
    assert re.search(r'<div role="status">\s*<ul class="messages">', body)


def test_the_language_select_does_not_submit_on_change(client):
    body = client.get(reverse("login")).content.decode()

    select = re.search(r'<select id="language-select"[^>]*>', body).group(0)
    assert "onchange" not in select
    assert re.search(r'<button type="submit"[^>]*>Switch language</button>', body)


def test_the_favicon_is_linked_and_served(client):
    body = client.get(reverse("login")).content.decode()

    hrefs = re.findall(r'<link rel="icon" href="([^"]+)"', body)
    assert hrefs
    for href in hrefs:
        assert client.get(href).status_code == 200, href
