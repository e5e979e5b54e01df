"""Staff campaign pages in a real (headless) browser: the creation wizard makes the teacher
choose (issue 7, item 5) and the registrations list works per student (item 13)."""

import re

import pytest
from playwright.sync_api import expect

from registration.models import Campaign, CampaignTransition, UserRegistration
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    TutorialFactory,
    UserFactory,
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


def test_registrations_per_student_with_hand_register_and_cancel(page, log_in, screenshot):
    lecture = LectureFactory(title="Algebra I")
    campaign = CampaignFactory(
        lecture=lecture, title="Tutorials Algebra I", status=Campaign.Status.PROCESSING,
        allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED, max_preferences=2,
    )
    mon = ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=lecture, title="Monday group", capacity=1))
    fri = ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=lecture, title="Friday group", capacity=5))
    ada, alan = UserFactory(name="Ada Lovelace"), UserFactory(name="Alan Turing")
    late = UserFactory(name="Late Student", matriculation_number="7777777")
    for user, item, status, rank in ((ada, mon, "confirmed", 1), (ada, fri, "pending", 2),
                                     (alan, mon, "pending", 1), (alan, fri, "confirmed", 2)):
        UserRegistration.objects.create(campaign=campaign, item=item, user=user, status=status,
                                        preference_rank=rank)

    log_in(page, lecture.teacher)
    page.goto(f"/staff/campaigns/{campaign.pk}/registrations/")
    expect(page.locator("#student-counts")).to_contain_text("2 students ranked")
    expect(page.locator("#student-counts")).to_contain_text("0 without a place")
    rows = page.locator("#student-registrations tbody tr")
    expect(rows).to_have_count(2)
    ada_row = page.locator(f"tr[data-user='{ada.pk}']")
    expect(ada_row).not_to_contain_text("Friday group")
    page.locator("#toggle-unneeded").click()
    expect(page.locator(f"tr[data-user='{ada.pk}']")).to_contain_text(
        "not needed (got a higher choice)")

    register = page.locator("#register-form")
    register.get_by_label(re.compile("Student")).fill("7777777")
    register.get_by_label("Item").select_option(str(mon.pk))
    register.get_by_label("Reason").fill("missed the deadline, ill")
    register.get_by_role("button", name="Register student").click()
    expect(page.locator(".messages")).to_contain_text("is full")
    register = page.locator("#register-form")
    register.get_by_label(re.compile("Student")).fill("7777777")
    register.get_by_label("Item").select_option(str(mon.pk))
    register.get_by_label("Reason").fill("missed the deadline, ill")
    register.get_by_label("Allow overfilling a full group").check()
    register.get_by_role("button", name="Register student").click()
    expect(page.locator(".messages")).to_contain_text("Late Student was registered")
    expect(page.locator("#student-registrations tbody tr")).to_have_count(3)

    alan_row = page.locator(f"tr[data-user='{alan.pk}']")
    alan_row.get_by_text("Cancel registration").first.click()
    alan_row.get_by_label(re.compile("Reason for cancelling")).fill("changed the course")
    alan_row.get_by_role("button", name="Cancel registration").click()
    expect(page.locator(".messages")).to_contain_text("The registration of Alan Turing was")
    expect(page.locator("#student-registrations tbody tr")).to_have_count(2)
    screenshot(page, "staff_registrations_per_student")

    assert not UserRegistration.objects.filter(campaign=campaign, user=alan).exists()
    assert UserRegistration.objects.get(campaign=campaign, user=late).status == "confirmed"
    notes = list(CampaignTransition.objects.filter(campaign=campaign).values_list("note",
                                                                                   flat=True))
    assert any("changed the course" in n for n in notes)
    assert any("missed the deadline, ill" in n for n in notes)
    page.goto(f"/staff/campaigns/{campaign.pk}/")
    expect(page.get_by_text("changed the course")).to_be_visible()
