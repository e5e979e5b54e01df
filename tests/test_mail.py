"""mampf.mail: notices in the recipient's language with an absolute link back to the page, for
roster changes (mampf.tasks.notify_users) and the allocation result mail."""

import pytest
from django.urls import reverse
from django.utils import translation

from mampf.mail import describe_place, languages_of, render_notice, site_url
from mampf.tasks import notify_users
from registration.models import Campaign, UserRegistration
from registration.selectors.notifications import allocation_result_messages
from tests.factories import CampaignFactory, ItemFactory, TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_site_url_comes_from_the_setting(settings):
    settings.SITE_URL = "https://mampf.example.org"
    assert site_url("/registrations/") == "https://mampf.example.org/registrations/"
    assert site_url() == "https://mampf.example.org/"


def test_site_url_default_is_the_development_server():
    from mampf import settings as project_settings

    assert project_settings.SITE_URL == "http://127.0.0.1:8000"


def test_languages_fall_back_to_the_site_language(settings):
    settings.LANGUAGE_CODE = "de"
    user = UserFactory()
    assert languages_of([user.pk]) == {user.pk: "de"}


def test_notice_is_rendered_in_the_recipients_language(settings):
    settings.LANGUAGE_CODE = "de"
    settings.SITE_URL = "https://mampf.example.org"
    tutorial = TutorialFactory(title="Gruppe 1", room="SR 3")
    with translation.override("en"):  # whoever queued it works in English
        message = render_notice(
            UserFactory(name="Jörg"),
            subject="You were added to %(title)s",
            body="you are now on the list of %(group)s (%(lecture)s).",
            path="/",
            params={"title": tutorial.title, "lecture": "Analysis"},
            places={"group": tutorial},
        )
        assert translation.get_language() == "en"
    assert message.body.startswith("Hallo Jörg,")
    assert "Montag" in message.body and "SR 3" in message.body
    assert message.body.rstrip().endswith("https://mampf.example.org/")
    with translation.override("en"):
        assert describe_place(tutorial) == "Gruppe 1 (Monday 10:00–12:00, SR 3)"


def test_notices_are_queued_after_commit_once_per_recipient(
    mailoutbox, django_capture_on_commit_callbacks
):
    ada, bob = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = notify_users(users=[ada, bob, ada], subject="Hi %(name)s", body="x", path="/")
    assert queued == 2 and mailoutbox == []
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([ada.email, bob.email])


def test_allocation_result_mail_speaks_the_students_language_and_links_to_the_result(settings):
    settings.LANGUAGE_CODE = "de"
    settings.SITE_URL = "https://mampf.example.org"
    campaign = CampaignFactory(title="Tutorien", status=Campaign.Status.COMPLETED)
    item = ItemFactory(campaign=campaign)
    student = UserFactory()
    UserRegistration.objects.create(campaign=campaign, item=item, user=student,
                                    status="confirmed", exclusive=item.exclusive)
    with translation.override("en"):
        [message] = allocation_result_messages(campaign_id=campaign.pk)
    assert message.subject == "Tutorien: Ihr Platz"
    link = "https://mampf.example.org" + reverse("registration:student_result",
                                                 args=[campaign.pk])
    assert link in message.body
