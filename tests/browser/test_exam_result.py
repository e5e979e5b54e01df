"""The candidate's exam result page on a 390 px phone, axe-checked: reached from "My results",
points per problem, the grade, the scheme's bands and the distribution with its table; no
sideways scrolling; after a withdrawal it says "not published"."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assessment import services as assessment_services
from grade_schemes import services
from tests.factories import AssessmentFactory, ParticipationFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published_exam():
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    tasks = [
        TaskFactory(assessment=assessment, position=i, max_points=Decimal(20)) for i in (1, 2, 3)
    ]
    teacher = assessment.lecture.teacher
    rows = []
    for name, (a, b, c) in (
        ("Ada Lovelace", (20, 20, 14)),
        ("Ben Bauer", (10, 10, 10)),
        ("Cem Celik", (5, 3, 2)),
    ):
        row = ParticipationFactory(assessment=assessment, user=UserFactory(name=name))
        rows.append(
            assessment_services.enter_points(
                participation=row,
                points={tasks[0]: Decimal(a), tasks[1]: Decimal(b), tasks[2]: Decimal(c)},
                by=teacher,
            )
        )
    scheme = services.create_scheme(
        assessment=assessment,
        bands=services.generate_bands(passing_points=24, excellence_points=54),
        by=teacher,
    )
    services.apply_scheme(scheme=scheme, by=teacher)
    assessment_services.publish_results(assessment=assessment, by=teacher)
    return {"assessment": assessment, "teacher": teacher, "rows": rows}


def test_the_candidate_reads_their_exam_result_on_a_phone(new_page, log_in, published_exam):
    w = published_exam
    ben = w["rows"][1]
    page = new_page(viewport={"width": 390, "height": 844})
    log_in(page, ben.user)
    page.goto(f"/results/{w['assessment'].lecture_id}/")
    page.get_by_role("link", name="Grade scheme and distribution of Final exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My result: Final exam")
    expect(page.locator("#my-total")).to_have_text("30.00 of 60.00 points")
    ben.refresh_from_db()
    expect(page.locator("#my-grade")).to_have_text(str(ben.grade_value))
    expect(page.locator("#my-problems tbody tr")).to_have_count(3)
    expect(page.locator("#scheme-bands tbody tr")).to_have_count(11)
    expect(page.get_by_role("img", name="Points histogram", exact=False)).to_be_visible()
    expect(page.locator("#bins")).to_be_attached()
    assert "Ada" not in page.content() and "Cem" not in page.content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width

    assessment_services.withdraw_results(assessment=w["assessment"], by=w["teacher"])
    page.reload()
    expect(page.locator("#not-published")).to_be_visible()
    expect(page.locator("#my-grade")).to_have_count(0)
