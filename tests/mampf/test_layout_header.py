"""The layout's header is rendered once per process and language ({% site_header %}): every
request still gets its own CSRF token, path and (escaped) name, and the navigation entries of
the user as they are now."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db


def header(response) -> str:
    page = response.content.decode()
    return page[page.index('<a class="skip-link"'):page.index("</header>")]


def test_the_kept_header_follows_the_user_their_groups_the_path_and_the_language():
    my_groups = reverse("rosters:my_groups")
    ada, bob = UserFactory(name="<b>Ada</b>"), UserFactory(name="Bob Builder")
    client = Client()
    client.force_login(ada)
    first = header(client.get(reverse("profile")))
    assert "&lt;b&gt;Ada&lt;/b&gt;" in first and "<b>Ada</b>" not in first
    assert f'href="{my_groups}"' not in first
    assert f'name="next" type="hidden" value="{reverse("profile")}"' in first

    TutorialFactory().tutors.add(ada)  # a new tutor sees "My groups" on the next page
    second = header(client.get(reverse("registration:student_index") + "?tab=exams&x=<y>"))
    assert f'href="{my_groups}"' in second
    assert 'value="/registrations/?tab=exams&amp;x=%3Cy%3E"' in second

    other = Client()
    other.force_login(bob)
    theirs = header(other.get(reverse("profile")))
    assert "Bob Builder" in theirs and "Ada" not in theirs
    tokens = [re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', h)
              for h in (first, theirs)]
    assert all(len(found) == 2 for found in tokens) and tokens[0][0] != tokens[1][0]

    german = Client(HTTP_ACCEPT_LANGUAGE="de")
    german.force_login(bob)
    deutsch = header(german.get(reverse("profile")))
    assert "Skip to content" in theirs and "Skip to content" not in deutsch
    assert '<option value="de" selected>' in deutsch


def test_an_anonymous_page_has_no_navigation_nor_name():
    page = header(Client().get(reverse("login")))
    assert 'class="nav-links"' not in page and 'class="who"' not in page
    assert 'id="language-select"' in page
