"""Issue 11 item 1 through the real pages (axe checks every page state): staff create the MC test
of an exam on its MC page (the task of the MC configuration preselected), add three questions
(one by pressing Enter), see a bad key refused beside its field, and enter one answer sheet by
matriculation number; the sheet is scored and the exam's MC task follows."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment.models import TaskPoint
from grade_schemes import mc_config
from remediation.models import AnswerSheet, Evaluation
from tests.factories import AssessmentFactory, ParticipationFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam", title="Pharmacology")
    TaskFactory(assessment=assessment, position=1, max_points=Decimal(10), title="Problem 1")
    mc = TaskFactory(assessment=assessment, position=2, max_points=Decimal(4), title="MC")
    teacher = assessment.lecture.teacher
    mc_config.configure_mc(
        assessment=assessment, task=mc, by=teacher, weight="0.5", rule="custom",
        absolute_percent="60", relative="", step="1", mc_grading="share",
    )  # fmt: skip
    student = UserFactory(name="Candidate One", matriculation_number="4400001")
    ParticipationFactory(assessment=assessment, user=student)
    return {"assessment": assessment, "teacher": teacher, "mc": mc, "student": student}


def test_define_a_test_and_enter_a_sheet(new_page, log_in, exam, screenshot):
    page = new_page()
    log_in(page, exam["teacher"])
    page.goto(f"/exams/{exam['assessment'].pk}/mc/")
    expect(page.get_by_label("Task")).to_have_value(str(exam["mc"].pk))
    page.get_by_label("Title").fill("Pharmacology MC")
    page.get_by_role("button", name="Create the MC test").click()
    expect(page.locator(".messages")).to_contain_text("The multiple-choice test was created")
    evaluation = Evaluation.objects.get()
    assert evaluation.task == exam["mc"]

    # Question 1: key B, 2 points; a key outside the options is refused beside the field.
    page.get_by_label("Key of question 1").fill("F")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator("[id$='-key-error']")).to_contain_text("The key must name options")
    page.get_by_label("Key of question 1").fill("B")
    page.get_by_label("Points of question 1").fill("2")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".messages")).to_contain_text("Question 1 of variant A was saved")
    page.get_by_label("Key of question 2").fill("A C")
    page.get_by_role("button", name="Add the question").click()
    expect(page.locator(".messages")).to_contain_text("Question 2 of variant A was saved")
    # Question 3 from the keyboard: Enter in the key field submits its row.
    page.get_by_label("Key of question 3").fill("D")
    page.get_by_label("Key of question 3").press("Enter")
    expect(page.locator(".messages")).to_contain_text("Question 3 of variant A was saved")
    assert list(evaluation.versions.get().questions.values_list("key", flat=True)) == [
        ["B"], ["A", "C"], ["D"],
    ]  # fmt: skip
    screenshot(page, "remediation-define")

    page.get_by_role("link", name="Enter an answer sheet").click()
    page.get_by_label("Matriculation number").fill("4400001")
    page.get_by_role("group", name="Question 1").get_by_label("B").check()
    page.get_by_role("group", name="Question 2").get_by_label("A").check()
    page.get_by_role("group", name="Question 2").get_by_label("C").check()
    page.get_by_role("group", name="Question 3").get_by_label("E").check()
    page.get_by_role("button", name="Save the answer sheet").click()
    expect(page.locator(".messages")).to_contain_text("Candidate One (attempt 1)")
    sheet = AnswerSheet.objects.get()
    assert (sheet.score, sheet.max_score) == (Decimal(3), Decimal(4))
    assert TaskPoint.objects.get(task=exam["mc"]).points == Decimal(3)

    # Now the questions are fixed: no edit forms on the overview.
    page.get_by_role("link", name="Questions", exact=True).click()
    expect(page.get_by_role("button", name="Add the variant")).to_have_count(0)
