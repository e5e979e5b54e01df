"""Issue 11 "Done when", through the real pages (axe checks every page state): after an MC exam
with answer sheets, an ÄApprO multiple-choice rule and an applied grade scheme, staff open the MC
corrections from the exam's grade pages, find the flawed question in the item analysis, create a
batch that drops it with the form, preview it (who moves from fail to pass, by name), apply it
through the confirm step, see the changed sheets, revert it with a reason, and read every step
in one sheet's score history.

Question 7's key "A" is wrong ("B" is right; the better candidates chose it). Dropping it takes
a point from the two weakest candidates, who chose the key: the first attempts' mean falls, and
with it the ÄApprO pass mark (78 % of the mean, in whole points) from 10 to 9 of now 19, so
Candidate 3 (9 points, chose "B") passes because of the drop; no disadvantage keeps everyone
else's outcome."""

import datetime
from decimal import Decimal

import pytest
from django.urls import get_resolver
from django.utils import timezone
from playwright.sync_api import expect

from assessment import exams
from assessment import services as assessment_services
from assessment.models import Participation
from grade_schemes import mc_config
from grade_schemes import services as scheme_services
from grade_schemes.models import McConfig
from registration.models import Campaign
from remediation.models import AnswerSheet, CorrectionBatch, ScoreHistory
from remediation.selectors import item_analysis
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
D = Decimal

# Points per candidate (of 20, under the key) before the correction; candidates 1 and 2 chose
# the key "A" on question 7, the others the right "B".
SCORES = [6, 8, 9, 10, 12, 14, 16, 18]
CHOSE_KEY = {0, 1}
FLAWED = 7
OTHERS = [q for q in range(1, 21) if q != FLAWED]


def mc_answers(index: int, score: int) -> dict[int, str]:
    """Right (key "A") on ``score`` questions: each candidate's wrong answers lie elsewhere
    (a rotation) with an own distractor, so that only question 7 looks flawed to the analysis."""
    chose_key = index in CHOSE_KEY
    right = score - 1 if chose_key else score
    rotated = OTHERS[3 * index :] + OTHERS[: 3 * index]
    answers = {q: "A" for q in rotated[:right]}
    answers.update({q: "CD"[index % 2] for q in rotated[right:]})
    answers[FLAWED] = "A" if chose_key else "B"
    return answers


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
        for i in range(1, len(SCORES) + 1)
    ]
    for student in students:
        RosterEntry.objects.create(registerable=exam, user=student)
    teacher = exam.lecture.teacher
    assessment = exams.create_exam_assessment(exam=exam, by=teacher)
    written = TaskFactory(assessment=assessment, position=1, title="Problems", max_points=D(10))
    task = TaskFactory(assessment=assessment, position=2, title="Multiple choice", max_points=D(20))
    mc_config.configure_mc(
        assessment=assessment,
        task=task,
        by=teacher,
        weight="0.3",
        rule="aeappro",
        step="1",
        mc_grading="share",
        no_disadvantage=True,
    )
    evaluation = EvaluationFactory(lecture=exam.lecture, task=task, title="MC part", questions=20)
    version = evaluation.versions.get()
    for index, (student, score) in enumerate(zip(students, SCORES, strict=True)):
        row = Participation.objects.get(assessment=assessment, user=student)
        assessment_services.enter_points(participation=row, points={written: D(8)}, by=teacher)
        AnswerSheetFactory(version=version, user=student, answers=mc_answers(index, score))
    scheme = scheme_services.create_scheme(
        assessment=assessment,
        bands=scheme_services.generate_bands(passing_points=4, excellence_points=9, step=D("0.5")),
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
    assert [scores[f"Candidate {i}"] for i in range(1, 9)] == SCORES
    # The MC task's points are the sheets' scores; the pass mark is 10 (78 % of 11.625, up).
    assert McConfig.objects.get(assessment=assessment).applied_pass_mark == D(10)
    grade = Participation.objects.get(assessment=assessment, user__name="Candidate 3")
    assert grade.grade_value == D("5.0")  # 9 points: below the MC pass mark
    flagged = [
        item.position
        for items in item_analysis(evaluation=mc_exam["evaluation"]).values()
        for item in items
        if item.flagged
    ]
    assert flagged == [FLAWED]

    page = new_page()
    log_in(page, mc_exam["teacher"])
    page.goto(f"/exams/{assessment.pk}/distribution/")
    page.get_by_role("link", name="Multiple-choice corrections").click()
    expect(page.get_by_role("heading", name="Multiple-choice part: MC part")).to_be_visible()
    expect(page.locator("#sheet-total")).to_have_text("8")
    # The item analysis flags question 7: the best candidates chose the distractor "B".
    questions = page.locator(f"#questions-{mc_exam['version'].pk} tbody tr")
    expect(questions.nth(FLAWED - 1)).to_contain_text("Check the key")
    expect(questions.nth(FLAWED - 2)).not_to_contain_text("Check the key")
    screenshot(page, "remediation-evaluation")

    # A batch through the form: drop question 7.
    page.get_by_role("link", name="New correction batch").click()
    page.get_by_role("combobox", name="Question").select_option(label="A, question 7 (key A)")
    page.get_by_label("Drop the question (out of score and maximum)").check()
    page.get_by_label("Reason").fill("Question 7: the key is wrong, B is right.")
    page.get_by_role("button", name="Save the draft and preview").click()

    # The preview: nothing written yet; who passes because of it, by name.
    expect(page.get_by_role("heading", name="Preview of correction batch")).to_be_visible()
    expect(page.locator("#score-changes-count")).to_have_text("8")  # every maximum: 20 -> 19
    expect(page.locator("#fail-to-pass-count")).to_have_text("1")
    expect(page.locator("#fail-to-pass")).to_contain_text("Candidate 3")
    expect(page.locator("#pass-to-fail-none")).to_be_visible()
    screenshot(page, "remediation-preview")
    batch = CorrectionBatch.objects.get()
    assert batch.status == "draft"
    assert AnswerSheet.objects.get(user__name="Candidate 1").score == D(6)
    grade.refresh_from_db()
    assert grade.grade_value == D("5.0")

    # Apply, through the confirm step.
    page.get_by_role("link", name="Apply…").first.click()
    expect(page.get_by_role("heading", name=f"Apply correction batch {batch.pk}?")).to_be_visible()
    page.get_by_role("button", name="Apply now").click()
    expect(page.locator(".messages")).to_contain_text("The batch was applied")
    expect(page.locator("#batch-status")).to_contain_text("Applied")
    expect(page.locator("#changes")).to_contain_text("Candidate 3")
    sheet = AnswerSheet.objects.get(user__name="Candidate 3")
    assert (sheet.score, sheet.max_score) == (D(9), D(19))
    assert AnswerSheet.objects.get(user__name="Candidate 1").score == D(5)
    grade.refresh_from_db()
    assert grade.grade_value is not None and grade.grade_value <= D("4.0")
    assert McConfig.objects.get(assessment=assessment).applied_pass_mark == D(9)

    # Revert with a reason.
    page.get_by_role("link", name="Revert…").click()
    page.get_by_role("button", name="Revert the batch").click()
    expect(page.locator("#id_reason_error")).to_be_visible()
    page.get_by_label("Reason").fill("The committee decided the key was right after all.")
    page.get_by_role("button", name="Revert the batch").click()
    expect(page.locator(".messages")).to_contain_text("The batch was reverted")
    expect(page.locator("#batch-facts")).to_contain_text(f"Batch {batch.pk}")
    sheet.refresh_from_db()
    assert (sheet.score, sheet.max_score) == (D(9), D(20))
    grade.refresh_from_db()
    assert grade.grade_value == D("5.0")

    # Every step in the score history of Candidate 3's sheet.
    page.get_by_role("link", name="Answer sheets", exact=True).click()
    page.get_by_label("Name or matriculation number").fill("Candidate 3")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Score history of Candidate 3, attempt 1").click()
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Initial scoring")
    expect(rows.nth(1)).to_contain_text("the key is wrong")
    expect(rows.nth(1)).to_contain_text("9.00 / 19.00")
    expect(rows.nth(2)).to_contain_text(f"reverts batch {batch.pk}")
    expect(page.locator("#score-now")).to_contain_text("9.00 / 20.00")
    screenshot(page, "remediation-history")
    assert ScoreHistory.objects.filter(sheet__user__name="Candidate 3").count() == 3
