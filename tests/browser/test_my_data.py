"""Issue 12 item 4 in the browser: a student on a phone opens "Everything we store about you"
from the start page, reads the sections (no sideways scrolling of the page itself) and
downloads the JSON file. axe-core checks every page (tests/browser/conftest.py)."""

import json
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment.models import TutorialPublication
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    LectureFactory,
    ParticipationFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_student_reads_and_downloads_their_data_on_a_phone(new_page, log_in, screenshot):
    lecture = LectureFactory(title="Lineare Algebra II")
    group = TutorialFactory(lecture=lecture, title="Gruppe A")
    ada = UserFactory(name="Ada Lovelace", matriculation_number="1234567")
    RosterEntry.objects.create(registerable=group, user=ada)
    sheet = AssessmentFactory(lecture=lecture, title="Übungsblatt 1 (lineare Abbildungen)")
    TutorialPublication.objects.create(assessment=sheet, tutorial=group)
    ParticipationFactory(
        assessment=sheet, user=ada, tutorial=group, status="reviewed", points_total=Decimal("7.5")
    )

    page = new_page(viewport=PHONE)
    log_in(page, ada)
    page.get_by_role("link", name="My data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Everything we store about you")
    expect(page.get_by_role("heading", name="Coursework and exams")).to_be_visible()
    expect(page.get_by_text("Übungsblatt 1 (lineare Abbildungen)").first).to_be_visible()
    # the page itself does not scroll sideways; wide tables scroll in their own region
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="Coursework and exams").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download (JSON)").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["sections"]["profile"]["rows"][0]["matriculation_number"] == "1234567"
    screenshot(page, "my-data-phone")
