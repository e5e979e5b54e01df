"""Students reach their coursework from every page: the navigation links to My results."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_navigation_links_to_my_results(client):
    client.force_login(UserFactory())
    html = client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("assessment:pages_results_index")}"' in html
