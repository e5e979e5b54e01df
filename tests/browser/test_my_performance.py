"""Issue 9 items 7 and 11 in the browser: a student reads "My performance" on a phone (reached
from My results) and their admission on the exam registration page; the teacher sees the
"out of date" banner on the lecture's pages and follows it to the certification dashboard.
axe-core checks every page (tests/browser/conftest.py)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import TutorialPublication
from tests.factories import (
    AssessmentFactory,
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    ParticipationFactory,
    PolicyFactory,
    TutorialFactory,
    UserFactory,
)
from tests.performance.examgate_data import (
    certify,
    change_figures,
    enrol,
    make_record,
    make_rule,
    sheet_entry,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}


@pytest.fixture
def semester():
    lecture = LectureFactory(title="Lineare Algebra II")
    tutorial = TutorialFactory(lecture=lecture, title="Gruppe A")
    ada, bob = UserFactory(name="Ada Lovelace"), UserFactory(name="Bob Bauer")
    enrol(lecture, ada, bob)
    sheets = []
    for n in range(1, 7):
        sheet = AssessmentFactory(
            lecture=lecture,
            title=f"Übungsblatt {n} (lineare Abbildungen und Eigenwerte)",
            deadline=timezone.now() - datetime.timedelta(days=30 - n),
        )
        sheets.append(sheet)
        for student in (ada, bob):
            ParticipationFactory(assessment=sheet, user=student, tutorial=tutorial)
        if n <= 4:
            TutorialPublication.objects.create(assessment=sheet, tutorial=tutorial)
    entries = {
        sheet: sheet_entry(maximum=20, points=str(10 + n)) for n, sheet in enumerate(sheets[:5])
    }
    entries[sheets[5]] = sheet_entry(maximum=20, status="pending", submitted=False)
    rule = make_rule(lecture, threshold_kind="percentage", threshold_value=Decimal("50"),
                     sheet_min_percentage=Decimal("40"), sheet_min_count=4)
    for student in (ada, bob):
        make_record(lecture, student, sheets=entries)
    certify(lecture, ada, "passed", rule=rule)
    certify(lecture, bob, "failed", source="manual", rule=rule, note="internal: plagiarism")
    campaign = CampaignFactory(lecture=lecture, title="Hauptklausur", status="open")
    ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture, title="Klausur"))
    PolicyFactory(campaign=campaign, kind="student_performance", config={})
    return {"lecture": lecture, "ada": ada, "bob": bob, "campaign": campaign, "sheets": sheets}


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE], ids=["390px", "320px"])
def test_student_reads_my_performance_on_a_phone(new_page, log_in, screenshot, semester,
                                                 viewport):
    lecture = semester["lecture"]
    page = new_page(viewport=viewport)
    log_in(page, semester["ada"])
    page.goto(f"/results/{lecture.pk}/")
    page.get_by_role("link", name="My performance and exam admission").click()
    expect(page.locator("h1")).to_have_text("My performance: Lineare Algebra II")
    expect(page.locator("#admission-heading + p")).to_contain_text(
        "You are admitted to the exams of this lecture."
    )
    expect(page.get_by_text("To be admitted to the exams you need")).to_be_visible()
    rows = page.locator("table.sheets tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(4)).to_contain_text("not yet published")
    expect(rows.nth(4)).not_to_contain_text("14")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"my_performance_{viewport['width']}px")


def test_failed_student_reads_the_reason_on_the_exam_page(new_page, log_in, screenshot, semester):
    page = new_page(viewport=PHONE)
    log_in(page, semester["bob"])
    page.goto(f"/registrations/{semester['campaign'].pk}/")
    notice = page.locator("[data-notice=not_admitted]")
    expect(notice).to_contain_text("You are not admitted to the exam.")
    expect(notice).to_contain_text("decided by the teacher")
    expect(notice).not_to_contain_text("plagiarism")
    notice.get_by_role("link", name="See your points and the admission rule").click()
    expect(page.locator("h1")).to_have_text("My performance: Lineare Algebra II")
    expect(page.get_by_text("You are not admitted to the exams of this lecture.")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("plagiarism")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "my_performance_not_admitted_390px")


def test_teacher_follows_the_stale_banner_to_the_dashboard(new_page, log_in, semester):
    lecture = semester["lecture"]
    change_figures(lecture, [semester["ada"]])
    page = new_page()
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/")
    banner = page.get_by_role("complementary", name="Notices for this lecture")
    expect(banner).to_contain_text("1 exam admission decision is out of date")
    banner.get_by_role("link", name="Review the certifications").click()
    expect(page.locator("h1")).to_contain_text("Exam admission")


def test_german_page_fits_a_small_phone(new_page, log_in, screenshot, semester):
    page = new_page(viewport=SMALL_PHONE, locale="de-DE")
    log_in(page, semester["bob"])
    page.goto(f"/lectures/{semester['lecture'].pk}/my-performance/")
    expect(page.locator("h1")).to_have_text("Mein Leistungsstand: Lineare Algebra II")
    expect(page.locator("main")).to_contain_text("nicht zugelassen")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    screenshot(page, "my_performance_320px_de")
    page.goto(f"/registrations/{semester['campaign'].pk}/")
    expect(page.locator("[data-notice=not_admitted]")).to_contain_text(
        "Sie sind zur Klausur nicht zugelassen."
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
