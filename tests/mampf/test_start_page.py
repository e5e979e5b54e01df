"""The start page shows the student's cards only to people they apply to (issue 7, item 17)."""

import pytest
from django.urls import reverse

from rosters.models import RosterEntry
from tests.factories import StaffFactory, TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db

STUDENT_CARDS = ('id="registrations-heading"', 'id="groups-heading"',
                 "Add your university e-mail address", "not given")


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_tutor_on_no_roster_sees_no_student_cards(client):
    tutor = UserFactory()
    TutorialFactory(title="Tutorial B").tutors.add(tutor)

    body = home(client, tutor)

    assert "Tutorials I teach" in body and "Tutorial B" in body
    for text in STUDENT_CARDS:
        assert text not in body


def test_site_staff_without_lectures_see_no_student_cards(client):
    body = home(client, StaffFactory())

    assert 'id="staff-heading"' in body
    for text in STUDENT_CARDS:
        assert text not in body


def test_a_tutor_who_is_also_on_a_roster_keeps_the_student_cards(client):
    tutor = UserFactory()
    TutorialFactory().tutors.add(tutor)
    RosterEntry.objects.create(registerable=TutorialFactory(title="My own group"), user=tutor)

    body = home(client, tutor)

    assert 'id="registrations-heading"' in body and "My own group" in body


def test_a_student_sees_the_student_cards(client):
    body = home(client, UserFactory())

    for text in STUDENT_CARDS:
        assert text in body
