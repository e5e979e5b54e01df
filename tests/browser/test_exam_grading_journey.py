"""Issue 10 "Done when", through the real pages (axe checks every page state): after an exam
with 20 candidates and a completed registration, staff enter points (one problem for all
candidates, then a candidate's row in the entry table), study the histogram, fill the bands
with the two-point generator, preview, apply, set one grade by hand with a note, publish and
download the grade list for the examinations office; a candidate on a 390 px phone then reads
points per problem, the grade, the bands and the distribution."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment import exams
from assessment import services as assessment_services
from assessment.models import GradeChange, Participation, TaskPoint
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import CampaignFactory, ExamFactory, ItemFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Points of problems 1-3 (20 each) for 18 candidates entered before the journey starts.
ENTERED = [
    (20, 19, 18), (18, 17, 16), (17, 15, 14), (16, 14, 13), (15, 14, 12), (15, 12, 11),
    (14, 12, 10), (13, 11, 10), (12, 11, 9), (12, 10, 8), (11, 9, 8), (10, 9, 7),
    (10, 8, 6), (9, 8, 6), (8, 7, 5), (7, 6, 5), (8, 6, 6), (5, 4, 3),
]


@pytest.fixture
def exam():
    exam = ExamFactory(
        title="Final exam", date=timezone.now() - datetime.timedelta(days=3)
    )
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    names = [f"Candidate {i:02d}" for i in range(1, 19)] + ["Yara Young", "Zeno Zimmer"]
    students = [
        UserFactory(name=name, matriculation_number=f"{4000001 + i}")
        for i, name in enumerate(names)
    ]
    for student in students:
        RosterEntry.objects.create(registerable=exam, user=student)
    teacher = exam.lecture.teacher
    assessment = exams.create_exam_assessment(exam=exam, by=teacher)
    tasks = [
        TaskFactory(assessment=assessment, position=i, max_points=Decimal(20)) for i in (1, 2, 3)
    ]
    rows = {row.user.name: row for row in assessment.participations.select_related("user")}
    for index, points in enumerate(ENTERED, start=1):
        assessment_services.enter_points(
            participation=rows[f"Candidate {index:02d}"],
            points={task: Decimal(p) for task, p in zip(tasks, points, strict=True)},
            by=teacher,
        )
    return {"exam": exam, "assessment": assessment, "teacher": teacher, "tasks": tasks,
            "rows": rows}


def test_exam_grading_journey_from_points_to_the_students_result(
    new_page, log_in, exam, screenshot
):
    assessment, tasks = exam["assessment"], exam["tasks"]
    page = new_page()
    log_in(page, exam["teacher"])

    # Points: problem 1 for every candidate (how exams are corrected), Yara's 13 points.
    page.goto(f"/exams/{assessment.pk}/")
    page.get_by_role("link", name="Problem 1").first.click()
    expect(page.locator("h1")).to_contain_text("problem 1")
    page.get_by_label("Yara Young").fill("13")
    page.get_by_role("button", name="Save the page").click()
    expect(page.locator(".messages")).to_contain_text("Points saved")
    assert TaskPoint.objects.get(
        task=tasks[0], participation__user__name="Yara Young"
    ).points == Decimal("13.00")

    # The entry table: Yara's other problems by htmx; Zeno did not come.
    page.get_by_role("link", name="All problems per candidate").click()
    yara = exam["rows"]["Yara Young"]
    row = page.locator(f"#row-p{yara.pk}")
    row.get_by_label("Problem 2, Yara Young").fill("12")
    row.get_by_label("Problem 3, Yara Young").fill("11")
    row.get_by_label("Problem 3, Yara Young").press("Enter")
    expect(row.get_by_role("status")).to_have_text("Saved.")
    zeno = exam["rows"]["Zeno Zimmer"]
    page.locator(f"#row-p{zeno.pk}").get_by_role("button", name="Absent Zeno Zimmer").click()
    expect(page.locator(f"#row-p{zeno.pk}")).to_contain_text("Absent")
    yara.refresh_from_db()
    assert (yara.status, yara.points_total) == ("reviewed", Decimal("36.00"))

    # The distribution with its histogram and table.
    page.goto(f"/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Distribution").click()
    expect(page.get_by_role("heading", name="Distribution: Final exam")).to_be_visible()
    expect(page.locator("#histogram")).to_be_visible()
    page.get_by_label("Bin width (points)").fill("10")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#bins tbody tr")).to_have_count(7)
    screenshot(page, "exam-journey-distribution")

    # The two-point generator, the preview, apply.
    page.get_by_role("link", name="Grade scheme", exact=True).click()
    page.get_by_label("Points for 4.0").fill("24")
    page.get_by_label("Points for 1.0").fill("54")
    page.get_by_role("button", name="Fill in the bands").click()
    expect(page.get_by_label("Lower bound of band 2")).to_have_value("51")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.locator("#movers")).to_contain_text("Yara Young")
    page.get_by_role("button", name="Apply the scheme").click()
    expect(page.get_by_text("20 grades changed")).to_be_visible()
    grades = dict(
        Participation.objects.filter(assessment=assessment).values_list(
            "user__name", "grade_value"
        )
    )
    assert grades["Candidate 01"] == Decimal("1.0")  # 57 points
    assert grades["Yara Young"] == Decimal("3.0")  # 36 points
    assert grades["Zeno Zimmer"] == Decimal("5.0")  # absent
    assert grades["Candidate 18"] == Decimal("5.0")  # 12 points

    # One grade by hand, with a note.
    page.get_by_role("link", name="Enter by hand Candidate 18").click()
    page.get_by_label("Grade").select_option("4.0")
    page.get_by_role("button", name="Save the grade").click()
    expect(page.locator("#id_note_error")).to_be_visible()
    page.get_by_label("Note").fill("Oral supplementary exam passed")
    page.get_by_role("button", name="Save the grade").click()
    expect(page.get_by_text("by hand", exact=True)).to_be_visible()
    manual = Participation.objects.get(assessment=assessment, user__name="Candidate 18")
    assert (manual.grade_value, manual.grade_source) == (Decimal("4.0"), "manual")
    assert GradeChange.objects.filter(reason="Oral supplementary exam passed").count() == 1

    # Publish as a whole.
    page.goto(f"/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Publish the results").click()
    page.get_by_label("Yes, I am sure.").check()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("link", name="Withdraw the results")).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.results_published_at is not None

    # The grade list for the examinations office, downloaded through the page's link.
    page.goto(f"/exams/{assessment.pk}/")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert len(lines) == 1 + 20
    rows = {line.split(";")[1]: line.split(";") for line in lines[1:]}
    candidate_18 = exam["rows"]["Candidate 18"].user
    assert rows["Candidate 18"][:4] == [candidate_18.matriculation_number, "Candidate 18",
                                        "4.0", "400"]
    assert rows["Zeno Zimmer"][4] != ""  # a no-show carries its status code, never a blank

    # A candidate reads their result on a phone.
    phone = new_page(viewport={"width": 390, "height": 844})
    log_in(phone, yara.user)
    phone.goto(f"/results/{assessment.lecture_id}/")
    phone.get_by_role("link", name="Grade scheme and distribution of Final exam").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My result: Final exam")
    expect(phone.locator("#my-total")).to_have_text("36.00 of 60.00 points")
    expect(phone.locator("#my-grade")).to_have_text("3.0")
    expect(phone.locator("#my-problems tbody tr")).to_have_count(3)
    expect(phone.locator("#scheme-bands tbody tr")).to_have_count(11)
    expect(phone.get_by_role("img", name="Points histogram", exact=False)).to_be_visible()
    expect(phone.locator("#bins")).to_be_attached()
    assert "Candidate 01" not in phone.content()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(phone, "exam-journey-student-result")
