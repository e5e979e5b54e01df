"""Staff finalize an FCFS campaign in which one student already sits in another tutorial: the
confirmation page lists them, staff choose "skip", and everyone else is finalized (issue 7,
item 1)."""

import pytest
from playwright.sync_api import expect

from registration import services
from registration.models import Campaign, UserRegistration
from rosters.models import RosterEntry
from rosters.services import add_user
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_conflicting_student_and_finalize_with_skip(page, log_in, screenshot):
    lecture = LectureFactory(title="Analysis I")
    campaign = CampaignFactory(lecture=lecture, title="Tutorials Analysis I",
                               status=Campaign.Status.OPEN)
    current = TutorialFactory(lecture=lecture, title="Tutorial Monday", capacity=5)
    new = TutorialFactory(lecture=lecture, title="Tutorial Friday", capacity=5)
    item = ItemFactory(campaign=campaign, registerable=new)
    sam, pia = UserFactory(name="Sam Conflict"), UserFactory(name="Pia Plain")
    services.register(user=sam, item=item)
    services.register(user=pia, item=item)
    add_user(registerable=current, user=sam, by=None, notify=False)
    services.campaign_close(campaign, by=None)

    log_in(page, lecture.teacher)
    page.goto(f"/staff/campaigns/{campaign.pk}/finalize/")
    conflicts = page.locator("#tutorial-conflicts")
    expect(conflicts).to_contain_text("1 student already sits in another tutorial")
    row = conflicts.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Sam Conflict")
    expect(row).to_contain_text("Tutorial Monday")
    expect(row).to_contain_text("Tutorial Friday")
    page.get_by_label("Skip them", exact=False).check()
    screenshot(page, "finalize_conflicts")
    page.get_by_role("button", name="Finalize now").click()

    expect(page.locator(".messages")).to_contain_text("1 student stays in their tutorial.")
    assert RosterEntry.objects.filter(registerable_id=current.pk, user=sam).exists()
    assert not RosterEntry.objects.filter(registerable_id=new.pk, user=sam).exists()
    assert RosterEntry.objects.filter(registerable_id=new.pk, user=pia).exists()
    assert UserRegistration.objects.get(user=sam).rejection_reason == "already_in_tutorial"
