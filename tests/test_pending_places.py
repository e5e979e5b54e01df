"""mampf.pending: confirmed places not on a roster yet, offered to the lower apps by a registry
that registration fills at ready(); the student's start page shows them."""

import pytest
from django.urls import reverse

from mampf import pending
from mampf.pending import PendingPlace, PendingSource
from registration.models import Campaign, UserRegistration
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FCFS = Campaign.AllocationMode.FIRST_COME_FIRST_SERVED


def confirm(campaign, registerable, user):
    item = ItemFactory(campaign=campaign, registerable=registerable)
    return UserRegistration.objects.create(campaign=campaign, item=item, user=user,
                                           status="confirmed", exclusive=item.exclusive)


def test_registration_plugs_its_source_in():
    assert "registration.fcfs_confirmed" in pending._SOURCES


def test_a_second_source_under_the_same_name_is_refused():
    source = PendingSource(name="test.dummy", user_ids=lambda ids: {}, places_of=lambda u: [])
    pending.register_pending_source(source)
    try:
        pending.register_pending_source(source)  # the same one again is fine
        with pytest.raises(ValueError):
            pending.register_pending_source(
                PendingSource(name="test.dummy", user_ids=dict, places_of=list))
    finally:
        pending.unregister_pending_source("test.dummy")


def test_sources_are_merged(django_assert_max_num_queries):
    place = PendingPlace(registerable_id=10**9, title="Dummy", lecture_title="L",
                         campaign_title="C")
    pending.register_pending_source(PendingSource(
        name="test.dummy", user_ids=lambda ids: {ids[0]: {1, 2}}, places_of=lambda u: [place]))
    try:
        with django_assert_max_num_queries(1):
            assert pending.pending_user_ids([10**9])[10**9] == {1, 2}
        assert place in pending.pending_places_of(UserFactory())
    finally:
        pending.unregister_pending_source("test.dummy")


def test_start_page_shows_confirmed_places_not_yet_in_the_list(client):
    lecture = LectureFactory(title="Analysis I")
    monday = TutorialFactory(lecture=lecture, title="Monday group")
    listed = TutorialFactory(lecture=lecture, title="Listed group")
    student = UserFactory()
    campaign = CampaignFactory(lecture=lecture, title="Tutorials", status=Campaign.Status.OPEN,
                               allocation_mode=FCFS)
    confirm(campaign, monday, student)
    other = CampaignFactory(lecture=lecture, status=Campaign.Status.CLOSED, allocation_mode=FCFS)
    confirm(other, listed, student)
    RosterEntry.objects.create(registerable=listed, user=student)  # already on the list
    client.force_login(student)
    page = client.get(reverse("home"))
    html = page.content.decode()
    assert [p.title for p in page.context["memberships"]["pending"]] == ["Monday group"]
    assert "Monday group" in html and "confirmed, not yet in the list" in html
    assert "Your place from “Tutorials” is confirmed" in html
    assert "You are not on any list yet" not in html
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    assert "not yet in the list" not in client.get(reverse("home")).content.decode()
