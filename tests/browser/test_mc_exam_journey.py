"""Issue 10 item 6 through the real pages (axe checks every page state): staff give an exam its
multiple-choice part (task, weight, ÄApprO), read the pass mark's derivation with numbers,
are refused a bad custom factor with the message beside the field, mark a repeat attempt, apply
a scheme for the written part and publish; a candidate on a 390 px phone reads why the grade
is 5.0 (MC part below the pass mark), another how the combined grade came about."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment import exams
from assessment import services as assessment_services
from assessment.models import Participation
from grade_schemes.models import McConfig, McOutcome
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import CampaignFactory, ExamFactory, ItemFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (written problem 1, written problem 2, MC of 20) for eight candidates.
POINTS = [
    (30, 28, 18), (26, 25, 16), (22, 20, 14), (20, 18, 12), (18, 15, 11), (15, 14, 10),
    (30, 30, 6), (12, 12, 9),
]


@pytest.fixture
def exam():
    exam = ExamFactory(title="Pharmacology", date=timezone.now() - datetime.timedelta(days=3))
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    students = [
        UserFactory(name=f"Candidate {i}", matriculation_number=f"{5000001 + i}")
        for i in range(1, len(POINTS) + 1)
    ]
    for student in students:
        RosterEntry.objects.create(registerable=exam, user=student)
    teacher = exam.lecture.teacher
    assessment = exams.create_exam_assessment(exam=exam, by=teacher)
    written = [TaskFactory(assessment=assessment, position=i, max_points=Decimal(30),
                           title=f"Problem {i}") for i in (1, 2)]  # fmt: skip
    mc_task = TaskFactory(assessment=assessment, position=3, max_points=Decimal(20),
                          title="Multiple choice")  # fmt: skip
    rows = {row.user.name: row for row in assessment.participations.select_related("user")}
    for index, (p1, p2, mc) in enumerate(POINTS, start=1):
        assessment_services.enter_points(
            participation=rows[f"Candidate {index}"],
            points={written[0]: Decimal(p1), written[1]: Decimal(p2), mc_task: Decimal(mc)},
            by=teacher,
        )
    return {"assessment": assessment, "teacher": teacher, "mc": mc_task, "rows": rows}


def test_mc_exam_journey(new_page, log_in, exam, screenshot):
    assessment = exam["assessment"]
    page = new_page()
    log_in(page, exam["teacher"])
    page.goto(f"/exams/{assessment.pk}/scheme/")
    page.get_by_role("link", name="Multiple choice", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Multiple-choice part: Pharmacology"
    )

    # ÄApprO with weight 0.4 for task 3.
    page.get_by_label("Multiple-choice task").select_option(label="Task 3: Multiple choice")
    page.get_by_label("Weight of the MC part").fill("0.4")
    page.get_by_label("ÄApprO §14", exact=False).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The multiple-choice part was saved")
    # Mean of 8 first attempts: 96 / 8 = 12 of 20; 78 % = 9.36; 60 % = 12; pass mark 10.
    expect(page.locator("#current-pass-mark")).to_contain_text(
        "mean of 8 first-time candidates 12 of 20"
    )
    expect(page.locator("#current-pass-mark")).to_contain_text("pass mark = 10 questions")
    expect(page.locator("#below-now")).to_have_text("2")

    # A bad custom factor: the message stands beside its field, nothing changes.
    page.get_by_label("Custom rule", exact=True).check()
    page.get_by_label("Relative clause").select_option("factor")
    page.get_by_label("Factor of the mean, or points below the mean").fill("7")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#id_relative_value_error")).to_contain_text("at most 1")
    assert McConfig.objects.get().rule == "aeappro"

    # Candidate 6 sat this exam before: a repeat attempt leaves the reference group.
    page.goto(f"/exams/{assessment.pk}/multiple-choice/")
    page.get_by_label("Matriculation number").fill("5000007")
    page.locator("#id_first_attempt").select_option("0")
    page.get_by_role("button", name="Save the attempt").click()
    expect(page.locator("#repeaters")).to_contain_text("Candidate 6")
    expect(page.locator("#current-pass-mark")).to_contain_text("mean of 7 first-time")

    # The written part's scheme, preview, apply.
    page.get_by_role("link", name="Grade scheme", exact=True).click()
    expect(page.get_by_text("maximum of 60.00 points", exact=False)).to_be_visible()
    page.get_by_label("Points for 4.0").fill("24")
    page.get_by_label("Points for 1.0").fill("54")
    page.get_by_role("button", name="Fill in the bands").click()
    page.get_by_role("button", name="Save and preview").click()
    page.get_by_role("button", name="Apply the scheme").click()
    expect(page.get_by_text("MC below the pass mark").first).to_be_visible()
    grades = dict(
        Participation.objects.filter(assessment=assessment).values_list(
            "user__name", "grade_value"
        )
    )
    assert grades["Candidate 7"] == Decimal("5.0")  # full written marks, MC 6 < 10
    assert McOutcome.objects.get(participation__user__name="Candidate 7").reason == (
        "mc_below_pass_mark"
    )
    page.goto(f"/exams/{assessment.pk}/multiple-choice/")
    expect(page.locator("#applied-pass-mark")).to_contain_text("10 of 20 points")
    screenshot(page, "mc-exam-settings")

    assessment_services.publish_results(assessment=assessment, by=exam["teacher"])

    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, exam["rows"]["Candidate 7"].user)
    phone.goto(f"/exams/{assessment.pk}/my-result/")
    expect(phone.locator("#my-grade")).to_have_text("5.0")
    expect(phone.locator("#mc-reason")).to_contain_text("below its pass mark of 10 points")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(phone, "mc-exam-student-failed")
    phone.context.clear_cookies()
    log_in(phone, exam["rows"]["Candidate 1"].user)
    phone.goto(f"/exams/{assessment.pk}/my-result/")
    expect(phone.locator("#mc-outcome")).to_contain_text("rounded to the nearest German grade")
