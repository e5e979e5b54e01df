"""Coursework pages in a real (headless) browser: a teacher creates a sheet and its tasks, a
tutor finds it among their sheets, grades and publishes it after confirming, the student reads
the result; every page fits a 390 px phone."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment import services
from assessment.models import Assessment, Participation, TutorialPublication
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
def course():
    sheet = AssessmentFactory(title="Sheet 9")
    lecture = sheet.lecture
    task = TaskFactory(assessment=sheet, position=1, max_points=Decimal("10"))
    tutor = UserFactory(name="Tina Tutor")
    tutorial = TutorialFactory(lecture=lecture, title="Tutorial Wed", tutors=[tutor])
    student = UserFactory(name="Alice A")
    RosterEntry.objects.create(registerable=tutorial, user=student)
    row = ParticipationFactory(assessment=sheet, user=student, tutorial=tutorial)
    return {
        "sheet": sheet,
        "lecture": lecture,
        "task": task,
        "tutor": tutor,
        "tutorial": tutorial,
        "student": student,
        "row": row,
    }


def test_a_teacher_creates_a_sheet_with_tasks(page, log_in, course):
    lecture = course["lecture"]
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/")
    page.get_by_role("link", name="Coursework").click()
    page.get_by_role("link", name="New assignment").click()
    page.get_by_label("Title").fill("Sheet 10")
    page.get_by_label("Deadline").fill("2030-04-01T12:00")
    page.get_by_label("Grace period (minutes)").fill("15")
    page.get_by_label("Maximum team size").fill("3")
    page.get_by_role("button", name="Create the assignment").click()
    expect(page.get_by_role("heading", name="Sheet 10: settings and tasks")).to_be_visible()
    page.get_by_label("Maximum points").fill("8,5")
    page.get_by_role("button", name="Add the task").click()
    expect(page.get_by_text("The task was added.")).to_be_visible()
    created = Assessment.objects.get(title="Sheet 10")
    assert created.max_team_size == 3
    assert [t.max_points for t in created.tasks.all()] == [Decimal("8.5")]
    # a refusal is shown, nothing changes
    page.locator("#id_max_points").fill("-2")
    page.get_by_role("button", name="Add the task").click()
    expect(page.get_by_text("Points cannot be negative.")).to_be_visible()
    assert created.tasks.count() == 1


def test_tutor_publishes_and_the_student_reads_the_result(new_page, log_in, course):
    services.enter_points(
        participation=course["row"], points={course["task"]: Decimal("7")}, by=course["tutor"]
    )
    tutor_page = new_page()
    log_in(tutor_page, course["tutor"])
    tutor_page.get_by_role("link", name="My tutorials' sheets").click()
    expect(tutor_page.get_by_text("1 of 1 graded")).to_be_visible()
    tutor_page.get_by_role("link", name="Sheet 9").click()
    tutor_page.get_by_role("link", name="Publish the results").click()
    tutor_page.get_by_role("button", name="Publish").click()
    expect(tutor_page.get_by_text("Please confirm.")).to_be_visible()
    assert not TutorialPublication.objects.exists()
    tutor_page.get_by_label("Yes, I am sure.").check()
    tutor_page.get_by_role("button", name="Publish").click()
    expect(tutor_page.get_by_text("The results were published")).to_be_visible()
    assert TutorialPublication.objects.filter(tutorial=course["tutorial"]).exists()

    student_page = new_page()
    log_in(student_page, course["student"])
    student_page.get_by_role("main").get_by_role("link", name="My results").click()
    student_page.get_by_role("link", name=course["lecture"].title).click()
    expect(student_page.get_by_role("heading", name="Sheet 9")).to_be_visible()
    expect(student_page.locator(".total")).to_have_text("7.00 of 10.00 points")


def test_the_pages_fit_a_phone(browser, live_server, log_in, course, screenshot):
    sheet, lecture, row = course["sheet"], course["lecture"], course["row"]
    services.enter_points(
        participation=row, points={course["task"]: Decimal("7")}, by=course["tutor"]
    )
    services.publish_results(assessment=sheet, tutorial=course["tutorial"], by=course["tutor"])
    pages = {
        lecture.teacher: [
            ("coursework", f"/lectures/{lecture.pk}/assessments/"),
            ("overview", f"/assessments/{sheet.pk}/"),
            ("settings", f"/assessments/{sheet.pk}/edit/"),
            ("publish", f"/assessments/{sheet.pk}/publish/"),
            ("history", f"/participations/{row.pk}/history/"),
        ],
        course["tutor"]: [("sheets", "/grading/mine/")],
        course["student"]: [("results", f"/results/{lecture.pk}/")],
    }
    for user, urls in pages.items():
        context = browser.new_context(
            base_url=live_server.url, locale="en-US", viewport={"width": 390, "height": 844}
        )
        try:
            page = context.new_page()
            log_in(page, user)
            for name, url in urls:
                page.goto(url)
                screenshot(page, f"coursework-{name}-phone")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, (name, width)
        finally:
            context.close()
    assert Participation.objects.count() == 1
