"""A teacher certifies a lecture in the browser: the dashboard's counts, "Accept all proposals"
with its confirmation, a decision by hand with a note on a student's page, and its history
(issue 9, item 5). axe checks every page on the way."""

import pytest
from playwright.sync_api import expect

from performance.models import Certification
from tests.factories import LectureFactory, UserFactory
from tests.performance.certify_helpers import FAILING, OPEN, PASSING, enrol, make_rule, set_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_teacher_accepts_all_proposals_and_decides_one_by_hand(page, log_in, screenshot):
    lecture = LectureFactory(title="Analysis I")
    ada, bob, cem = (UserFactory(name=name) for name in ("Ada Pass", "Bob Fail", "Cem Open"))
    enrol(lecture, [ada, bob, cem])
    make_rule(lecture)
    set_records(lecture, {ada: PASSING, bob: FAILING, cem: OPEN})

    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/")
    page.get_by_role("link", name="Exam admission", exact=True).click()
    expect(page.locator("[data-count=missing]")).to_have_text("3")
    page.get_by_role("link", name="Accept all proposals").click()
    expect(page.locator("#will-write")).to_contain_text("3 certifications will be written")
    page.get_by_role("button", name="Accept all proposals").click()
    expect(page.locator(".messages")).to_contain_text("3 certifications written")
    expect(page.locator("[data-count=passed]")).to_have_text("1")
    expect(page.locator("[data-count=pending]")).to_have_text("1")
    screenshot(page, "certification_dashboard")

    page.get_by_role("link", name="Bob Fail").click()
    page.get_by_label("Passed: admitted to the exam").check()
    page.get_by_label("Note (required)").fill("Medical certificate for sheets 2 to 4")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".messages")).to_contain_text("The decision for Bob Fail was saved.")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("Medical certificate for sheets 2 to 4")
    cert = Certification.objects.get(lecture=lecture, user=bob)
    assert (cert.status, cert.source) == ("passed", "manual")

    page.goto(f"/lectures/{lecture.pk}/certification/?state=differs")
    expect(page.locator("#certifications tbody tr")).to_have_count(1)
    expect(page.locator("#certifications")).to_contain_text("Decided by hand")
    page.goto(f"/lectures/{lecture.pk}/certification/carry-over/")
    expect(page.get_by_label("Earlier lecture")).to_be_visible()
