"""Exam grading in a real (headless) browser: the teacher creates the grading once the exam's
registration is completed and names a corrector; the corrector enters one problem for all
candidates by keyboard, then a candidate's row in the entry table (htmx, no reload); the
per-problem page also works without JavaScript. axe checks every page state."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment.models import Assessment, ExamCorrector, Participation, TaskPoint
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exam():
    exam = ExamFactory(title="Final exam")
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    students = [UserFactory(name=n) for n in ("Alice A", "Bob B", "Carol C")]
    for student in students:
        RosterEntry.objects.create(registerable=exam, user=student)
    corrector = UserFactory(name="Cora Corrector", email="cora@example.org")
    return {"exam": exam, "students": students, "corrector": corrector}


def test_teacher_creates_the_grading_and_the_corrector_enters_points_per_problem(
    new_page, log_in, exam, screenshot
):
    teacher = exam["exam"].lecture.teacher
    page = new_page()
    log_in(page, teacher)
    page.goto(f"/lectures/{exam['exam'].lecture.pk}/assessments/")
    page.get_by_role("button", name="Create exam grading Final exam").click()
    expect(page.locator("h1")).to_contain_text("Final exam")
    assessment = Assessment.objects.get(kind="exam")
    assert assessment.participations.count() == 3
    page.get_by_label("E-mail address of the corrector").fill("cora@example.org")
    page.get_by_role("button", name="Add the corrector").click()
    expect(page.locator("#correctors")).to_contain_text("Cora Corrector")
    assert ExamCorrector.objects.filter(assessment=assessment, user=exam["corrector"]).exists()
    tasks = [
        TaskFactory(assessment=assessment, position=i, max_points=Decimal("10"))
        for i in (1, 2)
    ]

    page = new_page()
    log_in(page, exam["corrector"])
    page.goto("/grading/mine/")
    page.get_by_role("link", name="Enter points Final exam").click()
    page.get_by_role("link", name="Problem 1").first.click()
    expect(page.locator("h1")).to_contain_text("problem 1")
    page.get_by_label("Alice A").focus()
    page.keyboard.type("7,5")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Points saved for 3 candidates")
    expect(page.get_by_label("Alice A")).to_have_value("7.50")
    assert dict(
        TaskPoint.objects.filter(task=tasks[0]).values_list("participation__user__name", "points")
    ) == {"Alice A": Decimal("7.50"), "Bob B": Decimal("3.00"), "Carol C": Decimal("10.00")}
    assert not TaskPoint.objects.filter(task=tasks[1]).exists()
    screenshot(page, "exam-grading-per-problem")

    # The entry table: all problems of one candidate, saved by htmx without a reload.
    page.get_by_role("link", name="All problems per candidate").click()
    page.evaluate("window.__stillHere = true")
    bob = Participation.objects.get(user__name="Bob B")
    row = page.locator(f"#row-p{bob.pk}")
    row.get_by_label("Problem 2, Bob B").fill("4")
    expect(row.locator("[data-running-total]")).to_have_text("7.00")  # while typing
    row.get_by_label("Problem 2, Bob B").press("Enter")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    expect(row.locator("td.num").nth(2)).to_have_text("7.00")
    assert page.evaluate("window.__stillHere") is True
    bob.refresh_from_db()
    assert bob.status == "reviewed" and bob.points_total == Decimal("7.00")
    carol = Participation.objects.get(user__name="Carol C")
    page.locator(f"#row-p{carol.pk}").get_by_role("button", name="Absent Carol C").click()
    expect(page.locator(f"#row-p{carol.pk}")).to_contain_text("Absent")


def test_per_problem_page_without_javascript(new_page, log_in, exam):
    from assessment import exams

    assessment = exams.create_exam_assessment(exam=exam["exam"], by=None)
    ExamCorrector.objects.create(assessment=assessment, user=exam["corrector"])
    task = TaskFactory(assessment=assessment, position=1, max_points=Decimal("10"))
    page = new_page(javascript=False)
    log_in(page, exam["corrector"])
    page.goto(f"/exams/{assessment.pk}/problems/{task.pk}/")
    page.get_by_label("Bob B").fill("abc")
    page.get_by_label("Carol C").fill("6")
    page.get_by_role("button", name="Save the page").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert not TaskPoint.objects.exists()
    page.get_by_label("Bob B").fill("2")
    page.get_by_role("button", name="Save the page").click()
    expect(page.locator(".messages")).to_contain_text("Points saved for 2 candidates")
    assert TaskPoint.objects.count() == 2
