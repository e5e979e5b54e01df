"""Issue 11 "Done when", through the real pages (axe checks every page state): after an MC exam
with answer sheets and an applied grade scheme, staff open the MC corrections from the exam's
grade pages, find the flawed question in the item analysis, create a correction batch for it
with the form, preview it
(who moves from fail to pass), apply it through the confirm step, see the changed sheets,
revert it with a reason, and read every step in one sheet's score history.

The batch accepts a second option for the flawed question: under the plain points scheme a drop
only lowers scores, so only an acceptance can move someone from fail to pass here."""

import datetime
from decimal import Decimal

import pytest
from django.urls import get_resolver
from django.utils import timezone
from playwright.sync_api import expect

from assessment import exams
from assessment.models import Participation
from grade_schemes import generator
from grade_schemes import services as scheme_services
from registration.models import Campaign
from remediation.models import AnswerSheet, CorrectionBatch, ScoreHistory
from rosters.models import RosterEntry
from tests.factories import (
    AnswerSheetFactory,
    CampaignFactory,
    EvaluationFactory,
    ExamFactory,
    ItemFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Points per candidate (of 20) before the correction; candidates 3, 4, 6, 7 and 8 (mostly the
# better ones) chose "B" on question 3, whose key "A" turns out to be one of two right answers.
CORRECT = [6, 8, 8, 8, 11, 13, 15, 17]
CHOSE_B = {2, 3, 5, 6, 7}


@pytest.fixture
def mc_exam():
    # The URL configuration is imported before the browser's first request: imported cold on a
    # loaded machine it can take longer than the 5 s a page may take.
    get_resolver().url_patterns  # noqa: B018
    exam = ExamFactory(title="Final exam", date=timezone.now() - datetime.timedelta(days=3))
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    students = [
        UserFactory(name=f"Candidate {i}", matriculation_number=f"{5100001 + i}")
        for i in range(1, len(CORRECT) + 1)
    ]
    for student in students:
        RosterEntry.objects.create(registerable=exam, user=student)
    teacher = exam.lecture.teacher
    assessment = exams.create_exam_assessment(exam=exam, by=teacher)
    task = TaskFactory(
        assessment=assessment, position=1, title="Multiple choice", max_points=Decimal(20)
    )
    evaluation = EvaluationFactory(lecture=exam.lecture, task=task, title="MC part", questions=20)
    version = evaluation.versions.get()
    for index, (student, correct) in enumerate(zip(students, CORRECT, strict=True)):
        if index in CHOSE_B:  # right on questions 1, 2, 4 .. correct + 1; "B" on question 3
            answers = {p: "A" if p <= correct + 1 else "C" for p in range(1, 21)}
            answers[3] = "B"
        else:  # right on questions 1 .. correct
            answers = {p: "A" if p <= correct else "C" for p in range(1, 21)}
        AnswerSheetFactory(version=version, user=student, answers=answers)
    scheme = scheme_services.create_scheme(
        assessment=assessment,
        bands=generator.two_point_bands(passing_points=Decimal(9), excellence_points=Decimal(18)),
        by=teacher,
    )
    scheme_services.apply_scheme(scheme=scheme, by=teacher)
    return {
        "assessment": assessment,
        "evaluation": evaluation,
        "teacher": teacher,
        "version": version,
    }


def test_remediation_journey_from_the_flawed_question_to_the_score_history(
    new_page, log_in, mc_exam, screenshot
):
    assessment = mc_exam["assessment"]
    scores = dict(AnswerSheet.objects.values_list("user__name", "score"))
    assert scores["Candidate 3"] == Decimal(8)  # fails by one point; chose "B" on question 3
    grade = Participation.objects.get(assessment=assessment, user__name="Candidate 3")
    assert grade.grade_value == Decimal("5.0")

    page = new_page()
    log_in(page, mc_exam["teacher"])
    page.goto(f"/exams/{assessment.pk}/distribution/")
    page.get_by_role("link", name="Multiple-choice corrections").click()
    expect(page.get_by_role("heading", name="Multiple-choice part: MC part")).to_be_visible()
    expect(page.locator("#sheet-total")).to_have_text("8")
    # The item analysis flags question 3: the best candidates chose the distractor "B".
    questions = page.locator(f"#questions-{mc_exam['version'].pk} tbody tr")
    expect(questions.nth(2)).to_contain_text("Check the key")
    expect(questions.nth(1)).not_to_contain_text("Check the key")
    screenshot(page, "remediation-evaluation")

    # A batch through the form: accept "B" on question 3 as well.
    page.get_by_role("link", name="New correction batch").click()
    page.get_by_role("combobox", name="Question").select_option(label="A, question 3 (key A)")
    page.get_by_label("Accept further options as correct").check()
    page.get_by_label("B", exact=True).check()
    page.get_by_label("Reason").fill("Option B is also right: the statement holds for n = 0.")
    page.get_by_role("button", name="Save the draft and preview").click()

    # The preview: nothing written yet; who passes because of it.
    expect(page.get_by_role("heading", name="Preview of correction batch")).to_be_visible()
    expect(page.locator("#score-changes-count")).to_have_text("5")
    expect(page.locator("#fail-to-pass")).to_contain_text("Candidate 3")
    expect(page.locator("#fail-to-pass")).to_contain_text("Candidate 4")
    screenshot(page, "remediation-preview")
    batch = CorrectionBatch.objects.get()
    assert batch.status == "draft"
    assert AnswerSheet.objects.get(user__name="Candidate 3").score == Decimal(8)

    # Apply, through the confirm step.
    page.get_by_role("link", name="Apply…").first.click()
    expect(page.get_by_role("heading", name=f"Apply correction batch {batch.pk}?")).to_be_visible()
    page.get_by_role("button", name="Apply now").click()
    expect(page.locator(".messages")).to_contain_text("The batch was applied")
    expect(page.locator("#batch-status")).to_contain_text("Applied")
    expect(page.locator("#changes")).to_contain_text("Candidate 3")
    assert AnswerSheet.objects.get(user__name="Candidate 3").score == Decimal(9)
    grade.refresh_from_db()
    assert grade.grade_value is not None and grade.grade_value <= Decimal("4.0")

    # Revert with a reason.
    page.get_by_role("link", name="Revert…").click()
    page.get_by_role("button", name="Revert the batch").click()
    expect(page.locator("#id_reason_error")).to_be_visible()
    page.get_by_label("Reason").fill("The committee decided the key was right after all.")
    page.get_by_role("button", name="Revert the batch").click()
    expect(page.locator(".messages")).to_contain_text("The batch was reverted")
    expect(page.locator("#batch-facts")).to_contain_text(f"Batch {batch.pk}")
    assert AnswerSheet.objects.get(user__name="Candidate 3").score == Decimal(8)
    grade.refresh_from_db()
    assert grade.grade_value == Decimal("5.0")

    # Every step in the score history of Candidate 3's sheet.
    page.get_by_role("link", name="Answer sheets", exact=True).click()
    page.get_by_label("Name or matriculation number").fill("Candidate 3")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Score history of Candidate 3, attempt 1").click()
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Initial scoring")
    expect(rows.nth(1)).to_contain_text("Option B is also right")
    expect(rows.nth(2)).to_contain_text(f"reverts batch {batch.pk}")
    expect(page.locator("#score-now")).to_contain_text("8.00 / 20.00")
    screenshot(page, "remediation-history")
    assert ScoreHistory.objects.filter(sheet__user__name="Candidate 3").count() == 3
