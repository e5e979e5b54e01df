"""Students' journeys through the registration pages in a real (headless) browser."""

import re

import pytest
from playwright.sync_api import expect

from registration.models import Campaign, UserRegistration
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    PolicyFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_tutorials(campaign, titles):
    return [
        ItemFactory(
            campaign=campaign,
            registerable=TutorialFactory(lecture=campaign.lecture, title=title, capacity=25),
        )
        for title in titles
    ]


def item_row(page, item):
    return page.locator(f"tr[data-item='{item.pk}']")


def test_student_registers_for_a_tutorial_and_withdraws(page, log_in, screenshot):
    student = UserFactory(name="Ada Lovelace")
    campaign = CampaignFactory(status="open", title="Tutorials Linear Algebra I")
    tutorial_a, tutorial_b = make_tutorials(campaign, ["Tutorial A", "Tutorial B"])

    log_in(page, student)
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="My registrations"
    ).click()
    expect(page.get_by_role("heading", name="My registrations", level=1)).to_be_visible()
    page.get_by_role("link", name="Tutorials Linear Algebra I", exact=True).click()
    expect(page.get_by_role("heading", name="Tutorials Linear Algebra I")).to_be_visible()
    expect(item_row(page, tutorial_a)).to_contain_text("0 of 25 taken")

    page.get_by_role("button", name="Register for Tutorial A").click()
    expect(page.locator(".messages")).to_contain_text("You are registered for “Tutorial A”.")
    expect(item_row(page, tutorial_a)).to_contain_text("1 of 25 taken")
    expect(item_row(page, tutorial_a)).to_contain_text("Your place")
    expect(page.get_by_role("button", name="Register for Tutorial B")).to_have_count(0)

    # The live seat count: another student takes a seat, the polled partial shows it.
    UserRegistration.objects.create(
        campaign=campaign, item=tutorial_b, user=UserFactory(), status="confirmed"
    )
    page.evaluate(
        "url => htmx.ajax('GET', url, {target: '#seat-table', swap: 'outerHTML'})",
        f"/registrations/{campaign.pk}/seats/",
    )
    expect(item_row(page, tutorial_b)).to_contain_text("1 of 25 taken")
    screenshot(page, "student_journey_1_fcfs_registered")

    page.get_by_role("button", name="Withdraw from Tutorial A").click()
    expect(page.locator(".messages")).to_contain_text("You withdrew from “Tutorial A”.")
    expect(item_row(page, tutorial_a)).to_contain_text("0 of 25 taken")
    assert not UserRegistration.objects.filter(user=student).exists()


def ranking_in_db(student):
    return list(
        UserRegistration.objects.filter(user=student)
        .order_by("preference_rank")
        .values_list("item__registerable__title", flat=True)
    )


def test_student_ranks_tutorials_with_and_without_javascript(new_page, log_in, screenshot):
    student = UserFactory(name="Emmy Noether")
    campaign = CampaignFactory(
        status="open", title="Tutorials Algebra", max_preferences=3,
        allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
    )
    groups = make_tutorials(campaign, ["Group 1", "Group 2", "Group 3", "Group 4"])
    campaign_url = f"/registrations/{campaign.pk}/"

    # Without JavaScript: the plain selects are the whole form.
    plain = new_page(javascript=False)
    log_in(plain, student)
    plain.goto(campaign_url)
    expect(plain.get_by_role("button", name=re.compile("Move up"))).to_have_count(0)
    plain.get_by_label("1st choice", exact=True).select_option(str(groups[2].pk))
    plain.get_by_label("2nd choice", exact=True).select_option(str(groups[0].pk))
    plain.get_by_label("3rd choice", exact=True).select_option(str(groups[3].pk))
    plain.get_by_role("button", name="Save my ranking").click()
    expect(plain.locator(".messages")).to_contain_text("Your ranking was saved.")
    ranking = plain.locator("ol.ranking li")
    expect(ranking).to_have_count(3)
    expect(ranking.nth(0)).to_contain_text("Group 3")
    expect(ranking.nth(1)).to_contain_text("Group 1")
    expect(ranking.nth(2)).to_contain_text("Group 4")
    assert ranking_in_db(student) == ["Group 3", "Group 1", "Group 4"]

    # With JavaScript: the form is prefilled, chosen groups are hidden elsewhere, and the
    # move buttons reorder the choices.
    page = new_page()
    log_in(page, student)
    page.goto(campaign_url)
    first = page.get_by_label("1st choice", exact=True)
    expect(first).to_have_value(str(groups[2].pk))
    hidden_in_first = first.locator(f"option[value='{groups[0].pk}']")
    expect(hidden_in_first).to_have_js_property("hidden", True)
    expect(first.locator(f"option[value='{groups[1].pk}']")).to_have_js_property("hidden", False)

    page.get_by_role("button", name="Move up: 3rd choice").click()
    expect(page.get_by_label("2nd choice", exact=True)).to_have_value(str(groups[3].pk))
    expect(page.get_by_label("3rd choice", exact=True)).to_have_value(str(groups[0].pk))
    page.get_by_label("3rd choice", exact=True).select_option(str(groups[1].pk))
    page.get_by_role("button", name="Move up: 2nd choice").click()
    expect(first).to_have_value(str(groups[3].pk))
    page.get_by_role("button", name="Save my new ranking").click()

    expect(page).to_have_url(re.compile(rf"/registrations/{campaign.pk}/result/$"))
    expect(page.locator(".messages")).to_contain_text("Your ranking was saved.")
    expect(page.locator("#result")).to_contain_text("The allocation runs after the deadline")
    ranking = page.locator("ol.ranking li")
    expect(ranking.nth(0)).to_contain_text("Group 4")
    expect(ranking.nth(1)).to_contain_text("Group 3")
    expect(ranking.nth(2)).to_contain_text("Group 2")
    screenshot(page, "student_journey_2_ranking_saved")
    assert ranking_in_db(student) == ["Group 4", "Group 3", "Group 2"]


def test_ineligible_student_sees_the_reason_and_no_register_button(page, log_in, screenshot):
    student = UserFactory(name="Outside Student", email="visitor@example.org")
    campaign = CampaignFactory(status="open", title="Seminar enrollment Analysis I")
    make_tutorials(campaign, ["Tutorial A", "Tutorial B"])
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})

    log_in(page, student)
    page.goto("/registrations/")
    page.get_by_role("link", name="Seminar enrollment Analysis I", exact=True).click()
    alert = page.locator("#eligibility")
    expect(alert).to_contain_text("You cannot register")
    expect(alert).to_contain_text("university e-mail address (uni-heidelberg.de)")
    expect(alert).to_contain_text("Add your university e-mail address to your profile")
    expect(alert.get_by_role("link", name="Go to my profile")).to_have_attribute(
        "href", "/profile/"
    )
    expect(page.get_by_role("button", name=re.compile("^Register"))).to_have_count(0)
    screenshot(page, "student_journey_3_not_eligible")
    assert not UserRegistration.objects.filter(user=student).exists()
