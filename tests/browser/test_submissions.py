"""The student's hand-in page on a 390 px phone: invite a teammate, who accepts and uploads;
the page shows the team and the file to both, and fits the screen."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import Submission
from rosters.models import RosterEntry
from tests.factories import AssessmentFactory, TutorialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"startxref\n0\n%%EOF\n"
)


@pytest.fixture
def sheet(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(
        title="Sheet 4", deadline=timezone.now() + datetime.timedelta(days=1), max_team_size=2
    )
    tutorial = TutorialFactory(lecture=assessment.lecture, title="Group A")
    alice, bob = UserFactory(name="Alice A"), UserFactory(name="Bob B")
    for student in (alice, bob):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    pdf = tmp_path / "solution.pdf"
    pdf.write_bytes(PDF)
    return {
        "assessment": assessment,
        "alice": alice,
        "bob": bob,
        "pdf": pdf,
        "url": f"/assignments/{assessment.pk}/submission/",
    }


def phone(browser, live_server):
    return browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
    )


def fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_team_upload_on_a_phone(browser, live_server, log_in, sheet, screenshot):
    first, second = phone(browser, live_server), phone(browser, live_server)
    try:
        alice = first.new_page()
        log_in(alice, sheet["alice"])
        alice.goto(sheet["url"])
        fits(alice)
        alice.get_by_label("Matriculation number or e-mail of a member of your tutorial").fill(
            sheet["bob"].matriculation_number
        )
        alice.get_by_role("button", name="Invite").click()
        expect(alice.locator("#team-invitations")).to_contain_text("Bob B")

        bob = second.new_page()
        log_in(bob, sheet["bob"])
        bob.goto(sheet["url"])
        expect(bob.locator("#my-invitations")).to_contain_text("Alice A")
        bob.get_by_role("button", name="Accept").click()
        expect(bob.locator("#team-members")).to_contain_text("Alice A")
        bob.get_by_label("Your solution (PDF)").set_input_files(str(sheet["pdf"]))
        bob.get_by_role("button", name="Upload").click()
        expect(bob.locator("#current-file")).to_contain_text("Download the uploaded PDF")
        fits(bob)
        screenshot(bob, "submission-phone")

        alice.goto(sheet["url"])
        expect(alice.locator("#team-members")).to_contain_text("Bob B")
        expect(alice.locator("#current-file")).to_contain_text("Download the uploaded PDF")
        fits(alice)
        assert Submission.objects.count() == 1
        with alice.expect_download() as info:
            alice.get_by_role("link", name="Download the uploaded PDF").click()
        assert info.value.suggested_filename.endswith(".pdf")
    finally:
        first.close()
        second.close()
