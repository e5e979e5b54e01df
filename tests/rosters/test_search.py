"""The roster "add student" search shows a teacher only what they need (issue 7, item 8)."""

import logging

import pytest
from django.urls import reverse

from registration.models import UserRegistration
from rosters import selectors
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture():
    return LectureFactory(title="Analysis II")


@pytest.fixture
def tutorial(lecture):
    return TutorialFactory(lecture=lecture, title="Tutorial A")


@pytest.fixture
def teacher_client(client, lecture):
    client.force_login(lecture.teacher)
    return client


def found(client, tutorial, term):
    response = client.get(reverse("rosters:roster_detail", args=[tutorial.pk]), {"find": term})
    assert response.status_code == 200
    return [c.user for c in response.context["candidates"]]


def test_another_lectures_student_is_found_by_exact_number_or_address_not_by_name(
    teacher_client, tutorial
):
    stranger = UserFactory(name="Zelda Stranger", matriculation_number="4711815",
                           email="zelda@example.org")
    RosterEntry.objects.create(registerable=LectureFactory(), user=stranger)

    assert found(teacher_client, tutorial, "Zelda") == []
    assert found(teacher_client, tutorial, "4711") == []  # part of the number
    assert found(teacher_client, tutorial, "zelda@") == []
    assert found(teacher_client, tutorial, "4711815") == [stranger]
    assert found(teacher_client, tutorial, "Zelda@Example.org") == [stranger]


def test_related_students_are_found_by_part_of_their_name(teacher_client, lecture, tutorial):
    on_roster = UserFactory(name="Zoe Roster")
    RosterEntry.objects.create(registerable=lecture, user=on_roster)
    registered = UserFactory(name="Zoe Registered")
    campaign = CampaignFactory(lecture=lecture)
    UserRegistration.objects.create(campaign=campaign, item=ItemFactory(campaign=campaign),
                                    user=registered, status="pending")
    UserFactory(name="Zoe Elsewhere")

    assert found(teacher_client, tutorial, "zoe") == [registered, on_roster]


def test_an_unconfirmed_university_address_is_no_exact_match(teacher_client, tutorial):
    claimed = UserFactory(institutional_email="victim@stud.uni-heidelberg.de",
                          institutional_email_verified_at=None)
    owner = UserFactory(institutional_email="owner@stud.uni-heidelberg.de")

    assert found(teacher_client, tutorial, "victim@stud.uni-heidelberg.de") == []
    assert claimed not in found(teacher_client, tutorial, "victim@stud.uni-heidelberg.de")
    assert found(teacher_client, tutorial, "owner@stud.uni-heidelberg.de") == [owner]


def test_results_are_capped(lecture, tutorial):
    for n in range(selectors.SEARCH_LIMIT + 5):
        RosterEntry.objects.create(registerable=lecture, user=UserFactory(name=f"Many {n:02d}"))

    result = selectors.search_candidates(registerable=tutorial, search="Many")

    assert len(result) == selectors.SEARCH_LIMIT == 20


def test_each_search_is_logged_without_the_term(teacher_client, lecture, tutorial, caplog):
    with caplog.at_level(logging.INFO, logger="rosters.search"):
        found(teacher_client, tutorial, "Secret Name")

    [record] = [r for r in caplog.records if r.name == "rosters.search"]
    text = record.getMessage()
    assert "Secret" not in text
    assert f"user {lecture.teacher.pk}" in text and f"lecture {lecture.pk}" in text
    assert "term of 11 characters" in text
