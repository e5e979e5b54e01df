"""No input produces a 500 through a control character (item 6), and personal responses are
never stored by a cache (item 11)."""

import pytest
from django.test import Client
from django.urls import reverse

from mampf.guards import strip_control_characters
from registration.models import UserRegistration
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NUL_AND_FRIENDS = "Ada%00%01%1b%7f"


@pytest.fixture
def lecture():
    return LectureFactory(title="Analysis II")


@pytest.fixture
def campaign(lecture):
    return CampaignFactory(lecture=lecture, status="open")


def search_urls(lecture, campaign):
    tutorial = TutorialFactory(lecture=lecture)
    return [
        "/admin/autocomplete/?app_label=mampf&model_name=lecture&field_name=teacher&term="
        + NUL_AND_FRIENDS,
        "/admin/mampf/user/?q=" + NUL_AND_FRIENDS,
        "/admin/mampf/lecture/?q=" + NUL_AND_FRIENDS,
        "/admin/registration/campaign/?q=" + NUL_AND_FRIENDS,
        "/admin/mampf/user/?%00=1&o=%00",
        reverse("rosters:roster_detail", args=[tutorial.pk])
        + f"?find={NUL_AND_FRIENDS}&q={NUL_AND_FRIENDS}",
        reverse("registration:staff_campaign_registrations", args=[campaign.pk])
        + f"?q={NUL_AND_FRIENDS}&status=%00&item=%00&sort=%00",
        reverse("registration:student_index") + "?tab=%00",
    ]


def test_strip_control_characters_keeps_text_tabs_and_line_breaks():
    assert strip_control_characters("A\x00d\x1ba\x7f\t\n\r") == "Ada\t\n\r"


def test_no_search_box_answers_a_nul_byte_with_a_500(client, lecture, campaign):
    """Runs on SQLite and on PostgreSQL (which refuses NUL in a string literal)."""
    admin = StaffFactory(is_superuser=True)
    RosterEntry.objects.create(registerable=lecture, user=UserFactory(name="Ada Lovelace"))
    client.force_login(admin)
    client.raise_request_exception = False

    for url in search_urls(lecture, campaign):
        response = client.get(url)
        assert response.status_code in (200, 302), url


def test_a_nul_byte_in_a_login_or_reset_form_is_refused_not_a_500(client):
    client = Client(raise_request_exception=False)
    user = UserFactory(email="ada@example.org")
    for url, data in [
        (reverse("login"), {"username": "ada@example.org\x00", "password": "x\x00"}),
        ("/admin/login/", {"username": "ada@example.org\x00", "password": "x\x00"}),
        (reverse("password_reset"), {"email": "ada@example.org\x00"}),
    ]:
        assert client.post(url, data).status_code == 200, url
    client.force_login(user)
    response = client.post(reverse("profile"),
                           {"name": "A\x00", "institutional_email": "a\x00@b.de"})
    assert response.status_code == 200


def test_a_nul_byte_is_removed_not_kept(client, lecture, campaign):
    ada = UserFactory(name="Ada Lovelace")
    RosterEntry.objects.create(registerable=lecture, user=ada)
    client.force_login(lecture.teacher)

    response = client.get(reverse("rosters:roster_detail", args=[lecture.pk]),
                          {"find": "Ad\x00a"})

    assert [c.user for c in response.context["candidates"]] == [ada]


@pytest.mark.postgres
def test_on_postgresql_too(client, lecture, campaign, on_postgres):
    test_no_search_box_answers_a_nul_byte_with_a_500(client, lecture, campaign)
    test_a_nul_byte_in_a_login_or_reset_form_is_refused_not_a_500(client)


# -- item 11: Cache-Control --------------------------------------------------------------------


def personal_pages(lecture, campaign, student):
    tutorial = TutorialFactory(lecture=lecture)
    UserRegistration.objects.create(campaign=campaign, item=ItemFactory(campaign=campaign),
                                    user=student, status="pending")
    return {
        student: [
            reverse("profile"),
            reverse("home"),
            reverse("registration:student_index"),
            reverse("registration:student_campaign", args=[campaign.pk]),
            reverse("rosters:my_groups"),
        ],
        lecture.teacher: [
            reverse("rosters:roster_detail", args=[tutorial.pk]),
            reverse("rosters:lecture_rosters", args=[lecture.pk]),
            reverse("rosters:roster_csv", args=[tutorial.pk]),
            reverse("rosters:lecture_rosters_csv", args=[lecture.pk]),
            reverse("registration:staff_campaign_registrations", args=[campaign.pk]),
            reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk]),
        ],
    }


def test_personal_pages_and_exports_are_private_and_not_stored(client, lecture, campaign):
    student = UserFactory()
    for user, urls in personal_pages(lecture, campaign, student).items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            cache_control = response.get("Cache-Control", "")
            assert "private" in cache_control and "no-store" in cache_control, url


def test_refusals_are_not_stored_either(client, lecture):
    client.force_login(UserFactory())
    response = client.get(reverse("rosters:lecture_rosters", args=[lecture.pk]))
    assert response.status_code == 403
    assert "no-store" in response["Cache-Control"]


def test_a_view_may_opt_out(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from mampf.guards import PrivateNoStoreMiddleware, shared_cache_allowed

    request = rf.get("/")
    request.user = UserFactory()
    public = PrivateNoStoreMiddleware(shared_cache_allowed(lambda r: HttpResponse("hi")))
    assert not public(request).has_header("Cache-Control")
    personal = PrivateNoStoreMiddleware(lambda r: HttpResponse("hi"))
    assert personal(request)["Cache-Control"] == "private, no-store"
    request.user = AnonymousUser()
    assert not personal(request).has_header("Cache-Control")
