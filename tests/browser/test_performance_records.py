"""The teacher's "recompute now" page in a real (headless) browser: the button recomputes every
record (eager tasks, no broker), the status card shows the result; a 390 px phone in German.
axe checks every page state (tests/browser/conftest.py)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from performance.models import Record
from rosters.models import RosterEntry
from tests.factories import AssessmentFactory, LectureFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lecture():
    lecture = LectureFactory(title="Analysis I")
    sheet = AssessmentFactory(lecture=lecture, title="Sheet 1")
    TaskFactory(assessment=sheet, position=1, max_points=Decimal("10"))
    for student in UserFactory.create_batch(4):
        RosterEntry.objects.create(registerable=lecture, user=student)
    return lecture


def test_the_teacher_recomputes_the_records(page, log_in, lecture):
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/certification/records/")
    expect(page.locator("#records-progress")).to_contain_text("Not run yet")
    page.get_by_role("button", name="Recompute now").click()
    expect(page.locator("#records-progress")).to_contain_text("Finished")
    expect(page.locator("#records-progress")).to_contain_text("4")
    assert Record.objects.filter(lecture=lecture).count() == 4


def test_the_page_on_a_phone_in_german(new_page, log_in, lecture):
    page = new_page(viewport={"width": 390, "height": 844}, locale="de-DE")
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/certification/records/")
    page.locator("form[action$='/recompute/'] button[type=submit]").click()
    expect(page.locator("#records-progress .badge")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
