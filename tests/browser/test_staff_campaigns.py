"""Staff campaign pages in a real (headless) browser: the creation wizard makes the teacher
choose (issue 7, item 5) and the registrations list works per student (item 13)."""

import re

import pytest
from playwright.sync_api import expect

from registration.models import Campaign
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    TutorialFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_wizard_makes_the_teacher_choose_and_warns_about_a_running_campaign(page, log_in):
    lecture = LectureFactory(title="Analysis I")
    monday = TutorialFactory(lecture=lecture, title="Monday group")
    friday = TutorialFactory(lecture=lecture, title="Friday group")
    running = CampaignFactory(lecture=lecture, title="Tutorials Analysis I",
                              status=Campaign.Status.OPEN)
    ItemFactory(campaign=running, registerable=monday)

    log_in(page, lecture.teacher)
    page.goto(f"/staff/lectures/{lecture.pk}/campaigns/new/")
    page.get_by_label(re.compile("Group track")).check()
    page.get_by_role("button", name="Next").click()

    expect(page.locator("#already-offered")).to_contain_text("Monday group")
    expect(page.locator("#already-offered")).to_contain_text("Tutorials Analysis I")
    title = page.get_by_label("Title", exact=False).first
    expect(title).to_have_value("")
    expect(title).to_have_attribute("placeholder", "Group registration")
    expect(page.get_by_label("Registration deadline")).to_have_value("")
    boxes = page.locator("input[name='items']")
    expect(boxes).to_have_count(2)
    for index in range(2):
        expect(boxes.nth(index)).not_to_be_checked()

    # One click creates nothing: the title and the deadline are missing.
    page.get_by_role("button", name="Create campaign").click()
    expect(page.locator(".field-error").first).to_be_visible()
    assert Campaign.objects.filter(lecture=lecture).count() == 1

    page.get_by_label("Title", exact=False).first.fill("Friday tutorials")
    page.get_by_label("Registration deadline").fill("2099-03-01T12:00")
    page.get_by_label(re.compile("Friday group")).check()
    page.get_by_role("button", name="Create campaign").click()
    expect(page.locator(".messages")).to_contain_text("The campaign was created as a draft.")
    created = Campaign.objects.get(lecture=lecture, title="Friday tutorials")
    assert list(created.items.values_list("registerable_id", flat=True)) == [friday.pk]
    expect(page.locator("#overlaps")).to_have_count(0)

    # Adding the running campaign's group on the items page makes the overview warn.
    page.goto(f"/staff/campaigns/{created.pk}/items/")
    page.get_by_label("Add an item").select_option(str(monday.pk))
    page.get_by_role("button", name="Add", exact=True).click()
    page.goto(f"/staff/campaigns/{created.pk}/")
    expect(page.locator("#overlaps")).to_contain_text(
        "“Monday group” is also in “Tutorials Analysis I”"
    )
