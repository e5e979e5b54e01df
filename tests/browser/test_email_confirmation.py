"""A student proves they own their university address, in a real (headless) browser."""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.factories import CampaignFactory, ItemFactory, PolicyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/profile/confirm/[^/\s]+/)")


def test_student_confirms_the_university_address_and_becomes_eligible(
    page, log_in, screenshot, mailoutbox
):
    cache.clear()  # the resend limit lives in the cache, which outlives other tests' data
    student = UserFactory(name="Sofia Kowalevski", email="sofia@example.org")
    campaign = CampaignFactory(status="open", title="Exam Analysis I")
    ItemFactory(campaign=campaign)
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})

    log_in(page, student)
    page.goto("/profile/")
    page.get_by_label("Institutional e-mail address").fill("sk1@stud.uni-heidelberg.de")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text(
        "We sent a confirmation link to sk1@stud.uni-heidelberg.de")
    expect(page.locator("#institutional-email-state")).to_contain_text(
        "not confirmed yet — check your inbox")
    screenshot(page, "email_confirmation_1_unconfirmed")

    page.goto(f"/registrations/{campaign.pk}/")
    expect(page.locator("#eligibility")).to_contain_text(
        "Confirm your university address: we sent a link to sk1@stud.uni-heidelberg.de")

    assert [mail.to for mail in mailoutbox] == [["sk1@stud.uni-heidelberg.de"]]
    page.goto(LINK.search(mailoutbox[0].body).group(1))
    heading = page.get_by_role("heading", name="Confirm your university e-mail address")
    expect(heading).to_be_visible()
    screenshot(page, "email_confirmation_2_confirm_page")
    page.get_by_role("button", name="Confirm this address").click()
    expect(page.locator(".messages")).to_contain_text(
        "your university e-mail address is confirmed")
    expect(page.locator("#institutional-email-state")).to_contain_text("confirmed on")
    expect(page.get_by_role("button", name="Send the link again")).to_have_count(0)

    page.goto(f"/registrations/{campaign.pk}/")
    expect(page.locator("#eligibility")).to_contain_text(
        "You meet the requirements of this registration.")
    student.refresh_from_db()
    assert student.verified_institutional_email == "sk1@stud.uni-heidelberg.de"


def test_a_broken_link_shows_a_clear_page_and_offers_a_new_one(page, log_in):
    student = UserFactory(institutional_email="x1@stud.uni-heidelberg.de",
                          institutional_email_verified_at=None)

    log_in(page, student)
    page.goto("/profile/confirm/not-a-real-token/")

    expect(page.get_by_role("alert")).to_contain_text("This confirmation link is not valid")
    expect(page.get_by_role("button", name="Send me a new link")).to_be_visible()
    student.refresh_from_db()
    assert student.institutional_email_verified_at is None
