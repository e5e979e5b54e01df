"""Tutor grading in a real (headless) browser: keyboard entry and per-row htmx save without a
page reload, team rows, the no-JavaScript form, a stale save by a second grader, a 390 px
phone."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import Participation, Submission, SubmissionMember
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sheet():
    assessment = AssessmentFactory(title="Sheet 4")
    tasks = [
        TaskFactory(assessment=assessment, position=i, max_points=Decimal("10")) for i in (1, 2, 3)
    ]
    tutor = UserFactory(name="Tina Tutor")
    tutorial = TutorialFactory(lecture=assessment.lecture, title="Tutorial Mon", tutors=[tutor])
    students = [UserFactory(name=n) for n in ("Alice A", "Bob B", "Carol C")]
    rows = {}
    for student in students:
        RosterEntry.objects.create(registerable=tutorial, user=student)
        rows[student.name] = ParticipationFactory(
            assessment=assessment, user=student, tutorial=tutorial
        )
    team = Submission.objects.create(assessment=assessment, uploaded_at=timezone.now())
    for student in students[:2]:
        SubmissionMember.objects.create(submission=team, assessment=assessment, user=student)
    url = f"/grading/{assessment.pk}/tutorials/{tutorial.pk}/"
    return {
        "assessment": assessment,
        "tasks": tasks,
        "tutor": tutor,
        "rows": rows,
        "team": team,
        "url": url,
        "tutorial": tutorial,
    }


def total(name):
    return Participation.objects.get(user__name=name).points_total


def test_keyboard_entry_saves_one_row_without_a_reload(page, log_in, sheet, screenshot):
    log_in(page, sheet["tutor"])
    page.goto(sheet["url"])
    page.evaluate("window.__stillHere = true")
    carol = sheet["rows"]["Carol C"]
    row = page.locator(f"#row-p{carol.pk}")
    row.get_by_label("Task 1, Carol C").focus()
    page.keyboard.type("4,5")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    expect(row.locator("td.num").nth(3)).to_have_text("16.50")
    assert page.evaluate("window.__stillHere") is True
    assert total("Carol C") == Decimal("16.50")

    team = page.locator(f"#row-s{sheet['team'].pk}")
    team.get_by_label("Task 1, Alice A").fill("1")
    team.get_by_label("Task 2, Alice A").fill("2")
    team.get_by_role("button", name="Save").click()
    expect(team.get_by_role("status")).to_have_text("Saved.")
    assert total("Alice A") == total("Bob B") == Decimal("3")

    team.get_by_label("Task 3, Alice A").fill("-1")
    team.get_by_role("button", name="Save").click()
    expect(team.get_by_role("alert")).to_contain_text("negative")
    assert total("Alice A") == Decimal("3")
    screenshot(page, "grading-table")


def test_without_javascript_the_row_is_a_plain_form(new_page, log_in, sheet):
    page = new_page(javascript=False)
    log_in(page, sheet["tutor"])
    page.goto(sheet["url"])
    carol = sheet["rows"]["Carol C"]
    row = page.locator(f"#row-p{carol.pk}")
    row.get_by_label("Task 1, Carol C").fill("7")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The points were saved.")).to_be_visible()
    assert total("Carol C") == Decimal("7")
    page.locator(f"#row-p{carol.pk}").get_by_role("button", name="Absent").click()
    expect(page.get_by_text("absent on a reviewed", exact=False)).to_have_count(0)
    assert Participation.objects.get(pk=carol.pk).status == "absent"


def test_a_stale_save_shows_the_current_values(new_page, log_in, sheet):
    first, second = new_page(), new_page()
    log_in(first, sheet["tutor"])
    log_in(second, sheet["assessment"].lecture.teacher)
    first.goto(sheet["url"])
    second.goto(sheet["url"])
    carol = sheet["rows"]["Carol C"]
    first.locator(f"#row-p{carol.pk}").get_by_label("Task 1, Carol C").fill("5")
    first.locator(f"#row-p{carol.pk}").get_by_role("button", name="Save").click()
    expect(first.locator(f"#row-p{carol.pk}").get_by_role("status")).to_have_text("Saved.")

    row = second.locator(f"#row-p{carol.pk}")
    row.get_by_label("Task 1, Carol C").fill("9")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("alert")).to_contain_text("changed these points meanwhile")
    expect(row.get_by_label("Task 1, Carol C")).to_have_value("5.00")
    assert total("Carol C") == Decimal("5")
    # The refreshed row carries the new version: saving again now works.
    row.get_by_label("Task 1, Carol C").fill("9")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("status")).to_have_text("Saved.")
    assert total("Carol C") == Decimal("9")


def test_the_table_fits_a_phone(browser, live_server, log_in, sheet, screenshot):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
    )
    try:
        page = context.new_page()
        log_in(page, sheet["tutor"])
        page.goto(sheet["url"])
        screenshot(page, "grading-table-phone")
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > 391)"
            ".map(e => e.tagName + '.' + e.className).slice(0, 15)"
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (width, wide)
    finally:
        context.close()
