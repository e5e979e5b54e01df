"""Exam grading pages in a real (headless) browser, axe-checked: the teacher studies the
distribution, fills the bands with the two-point generator, sees a per-band error, saves,
previews, applies and enters one grade by hand with a note; the pages fit a 390 px phone."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment import services as assessment_services
from assessment.models import GradeChange, Participation
from tests.factories import AssessmentFactory, ParticipationFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    tasks = [
        TaskFactory(assessment=assessment, position=i, max_points=Decimal(20)) for i in (1, 2, 3)
    ]
    teacher = assessment.lecture.teacher
    for name, (a, b, c) in (
        ("Ada Lovelace", (20, 20, 14)),
        ("Ben Bauer", (10, 10, 10)),
        ("Cem Celik", (5, 3, 2)),
    ):
        row = ParticipationFactory(assessment=assessment, user=UserFactory(name=name))
        assessment_services.enter_points(
            participation=row,
            points={tasks[0]: Decimal(a), tasks[1]: Decimal(b), tasks[2]: Decimal(c)},
            by=teacher,
        )
    return {"assessment": assessment, "teacher": teacher}


def test_teacher_generates_previews_applies_and_overrides(page, log_in, exam):
    assessment = exam["assessment"]
    log_in(page, exam["teacher"])
    page.goto(f"/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Distribution").click()
    expect(page.get_by_role("heading", name="Distribution: Final exam")).to_be_visible()
    expect(page.locator("#histogram")).to_be_visible()
    page.get_by_label("Bin width (points)").fill("10")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#bins tbody tr")).to_have_count(7)
    page.get_by_role("link", name="Grade scheme", exact=True).click()
    page.get_by_label("Points for 4.0").fill("24")
    page.get_by_label("Points for 1.0").fill("54")
    page.get_by_role("button", name="Fill in the bands").click()
    expect(page.get_by_label("Lower bound of band 2")).to_have_value("51")
    page.get_by_label("Grade of band 2").fill("4,3")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.locator("#band-error-1")).to_contain_text("4.3 is not a German grade")
    page.get_by_label("Grade of band 2").fill("1.3")
    page.get_by_role("button", name="Save and preview").click()
    expect(page.locator("#movers")).to_contain_text("Ada Lovelace")
    page.get_by_role("button", name="Apply the scheme").click()
    expect(page.get_by_text("3 grades changed")).to_be_visible()
    page.get_by_role("link", name="Enter by hand Cem Celik").click()
    page.get_by_label("Grade").select_option("4.0")
    page.get_by_role("button", name="Save the grade").click()
    expect(page.locator("#id_note_error")).to_be_visible()
    page.get_by_label("Note").fill("Oral supplementary exam passed")
    page.get_by_role("button", name="Save the grade").click()
    expect(page.get_by_text("by hand", exact=True)).to_be_visible()
    grades = dict(Participation.objects.values_list("user__name", "grade_value"))
    assert grades == {
        "Ada Lovelace": Decimal("1.0"),
        "Ben Bauer": Decimal("3.7"),
        "Cem Celik": Decimal("4.0"),
    }
    assert GradeChange.objects.filter(reason="Oral supplementary exam passed").count() == 1


def test_exam_grading_pages_fit_a_phone(new_page, log_in, exam):
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, exam["teacher"])
    pk = exam["assessment"].pk
    for path in ("distribution", "scheme", "grades"):
        page.goto(f"/exams/{pk}/{path}/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)


def test_enter_in_a_band_field_saves_and_never_removes_a_band(page, log_in, exam):
    log_in(page, exam["teacher"])
    page.goto(f"/exams/{exam['assessment'].pk}/scheme/")
    page.get_by_label("Grade of band 1").fill("4.0")
    page.get_by_label("Lower bound of band 1").fill("30")
    page.get_by_label("Lower bound of band 1").press("Enter")
    expect(
        page.get_by_role("heading", name="Preview of the grade scheme: Final exam")
    ).to_be_visible()
