"""Issue 9's "Done when" in one journey through the real pages: the teacher sets the admission
rule, looks at the records and the dashboard and accepts all proposals; creates the exam
registration in the wizard and opens it; a failed student is refused on a phone with the reason,
a passed one registers; a late grade in the grading table makes a certification stale, the
teacher gets one digest e-mail, sees the banner and the count and re-certifies; closing and
finalizing then put only the eligible registrant on the exam roster. axe checks every page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from assessment import services as grading
from performance.models import Certification, Record
from registration.models import Campaign, UserRegistration
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    ExamFactory,
    LectureFactory,
    ParticipationFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

D = Decimal
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def semester():
    """Analysis I: two reviewed sheets of 10 points (two tasks each), three students on the
    lecture roster and in one tutorial, and the final exam in 50 days. Ada has 16 points, Bob 4
    and Cem 11 (of 20); the records come from the real hooks (Celery is eager in tests)."""
    lecture = LectureFactory(title="Analysis I")
    tutor = UserFactory(name="Tina Tutor")
    tutorial = TutorialFactory(lecture=lecture, title="Group A", tutors=[tutor])
    ada, bob, cem = (UserFactory(name=n) for n in ("Ada Able", "Bob Below", "Cem Close"))
    for student in (ada, bob, cem):
        RosterEntry.objects.create(registerable=lecture, user=student)
        RosterEntry.objects.create(registerable=tutorial, user=student)
    past = timezone.now() - datetime.timedelta(days=7)
    sheets, rows = [], {}
    scores = {ada: ("4", "4", "4", "4"), bob: ("1", "1", "1", "1"), cem: ("3", "3", "3", "2")}
    for n in (1, 2):
        sheet = AssessmentFactory(lecture=lecture, title=f"Sheet {n}", deadline=past)
        tasks = [
            TaskFactory(assessment=sheet, position=p, max_points=D("5")) for p in (1, 2)
        ]
        sheets.append((sheet, tasks))
        for student, points in scores.items():
            row = ParticipationFactory(assessment=sheet, user=student, tutorial=tutorial)
            mine = points[2 * (n - 1): 2 * n]
            grading.enter_points(
                participation=row, points=dict(zip(tasks, map(D, mine), strict=True)),
                by=lecture.teacher,
            )
            rows[(student, n)] = row
    exam = ExamFactory(
        lecture=lecture, title="Final exam", location="HS 1",
        date=(timezone.now() + datetime.timedelta(days=50)).replace(second=0, microsecond=0),
    )
    return {"lecture": lecture, "tutor": tutor, "tutorial": tutorial, "ada": ada, "bob": bob,
            "cem": cem, "sheets": sheets, "rows": rows, "exam": exam}


def test_certify_register_go_stale_recertify_and_finalize(new_page, log_in, screenshot,
                                                          semester):
    lecture, exam = semester["lecture"], semester["exam"]
    ada, bob, cem = semester["ada"], semester["bob"], semester["cem"]
    # The hooks computed the records while the sheets were graded.
    points = dict(Record.objects.filter(lecture=lecture).values_list("user__name", "points"))
    assert points == {"Ada Able": D("16"), "Bob Below": D("4"), "Cem Close": D("11")}
    mail.outbox.clear()

    # -- the teacher sets the rule from the dashboard -----------------------------------------
    teacher = new_page()
    log_in(teacher, lecture.teacher)
    teacher.goto(f"/lectures/{lecture.pk}/")
    teacher.get_by_role("link", name="Exam admission", exact=True).click()
    expect(teacher.locator("h1")).to_have_text("Exam admission: Analysis I")
    teacher.get_by_role("link", name="Set the rule").click()
    teacher.get_by_label("Percentage of all points").check()
    teacher.get_by_label("Threshold value").fill("50")
    teacher.get_by_label("Minimum percentage on a sheet").fill("20")
    teacher.get_by_label("Number of such sheets needed").fill("2")
    expect(teacher.locator("#rule-sentence")).to_contain_text(
        "at least 50 % of all points and at least 20 % on 2 of 2 sheets")
    teacher.get_by_role("button", name="Save the rule").click()
    expect(teacher.get_by_text("The rule was saved (version 1).")).to_be_visible()

    # -- the dashboard: the rule with its sheet count, the records page, the proposals --------
    teacher.goto(f"/lectures/{lecture.pk}/certification/")
    expect(teacher.locator("#rule-heading + p")).to_contain_text("on 2 of 2 sheets")
    expect(teacher.locator("[data-count=missing]")).to_have_text("3")
    teacher.get_by_role("link", name="Performance records").click()
    expect(teacher.locator("main")).to_contain_text("3")
    teacher.get_by_role("button", name="Recompute now").click()
    expect(teacher.locator("main")).to_contain_text("Finished")
    teacher.goto(f"/lectures/{lecture.pk}/certification/")
    teacher.get_by_role("link", name="Accept all proposals").click()
    expect(teacher.locator("#will-write")).to_contain_text("3 certifications will be written")
    teacher.get_by_role("button", name="Accept all proposals").click()
    expect(teacher.locator(".messages")).to_contain_text("3 certifications written")
    expect(teacher.locator("[data-count=passed]")).to_have_text("2")
    expect(teacher.locator("[data-count=failed]")).to_have_text("1")
    expect(teacher.locator(f"tr[data-user='{bob.pk}']")).to_contain_text("Failed")
    screenshot(teacher, "admission_journey_dashboard")
    statuses = dict(Certification.objects.filter(lecture=lecture).values_list("user__name",
                                                                              "status"))
    assert statuses == {"Ada Able": "passed", "Bob Below": "failed", "Cem Close": "passed"}

    # -- the exam registration: wizard, then open ---------------------------------------------
    teacher.goto(f"/staff/lectures/{lecture.pk}/campaigns/new/")
    teacher.get_by_label(re.compile("Exam registration")).check()
    teacher.get_by_role("button", name="Next").click()
    teacher.get_by_label("Final exam").check()
    teacher.get_by_role("button", name="Next").click()
    teacher.get_by_role("button", name="Create exam registration").click()
    expect(teacher.locator(".messages")).to_contain_text("The exam registration was created")
    campaign = Campaign.objects.get(lecture=lecture)
    teacher.get_by_role("link", name="Open registration").click()
    teacher.get_by_role("button", name="Open registration").click()
    expect(teacher.locator(".messages")).to_contain_text("The campaign is open")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN
    teacher.goto(f"/staff/lectures/{lecture.pk}/campaigns/")
    expect(teacher.locator(f"tr[data-exam='{exam.pk}']")).to_contain_text("Registration")

    # -- Bob (failed) is refused with the reason, on his phone --------------------------------
    bob_page = new_page(viewport=PHONE)
    log_in(bob_page, bob)
    bob_page.goto("/registrations/")
    bob_page.get_by_role("link", name=re.compile("^Exams")).click()
    bob_page.get_by_role("link", name=re.compile("^Register")).first.click()
    notice = bob_page.locator("[data-notice=not_admitted]")
    expect(notice).to_contain_text("You are not admitted to the exam.")
    expect(notice).to_contain_text("the admission requirements were not met")
    expect(bob_page.get_by_role("button", name=re.compile("^Register"))).to_have_count(0)
    assert not UserRegistration.objects.filter(campaign=campaign, user=bob).exists()
    assert bob_page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(bob_page, "admission_journey_refused_390px")

    # -- Ada and Cem (passed) register --------------------------------------------------------
    for student in (ada, cem):
        student_page = new_page(viewport=PHONE)
        log_in(student_page, student)
        student_page.goto(f"/registrations/{campaign.pk}/")
        expect(student_page.locator("[data-notice=admitted]")).to_be_visible()
        student_page.get_by_role("button", name=re.compile("^Register")).first.click()
        expect(student_page.locator("main")).to_contain_text("registered")
        student_page.goto(f"/lectures/{lecture.pk}/my-performance/")
        expect(student_page.locator("main")).to_contain_text(
            "You are admitted to the exams of this lecture.")
    registered = set(UserRegistration.objects.filter(campaign=campaign).values_list(
        "user__name", flat=True))
    assert registered == {"Ada Able", "Cem Close"}
    # Bob follows the notice to "My performance": the decision and the criterion he missed.
    bob_page.goto(f"/registrations/{campaign.pk}/")
    bob_page.locator("[data-notice=not_admitted]").get_by_role(
        "link", name="See your points and the admission rule").click()
    expect(bob_page.locator("h1")).to_have_text("My performance: Analysis I")
    expect(bob_page.locator("main")).to_contain_text(
        "You are not admitted to the exams of this lecture.")
    expect(bob_page.locator("main")).to_contain_text("50 %")
    screenshot(bob_page, "admission_journey_my_performance_390px")

    # -- a late grade: the tutor lowers Cem's sheet 2 in the grading table ---------------------
    sheet2, _tasks = semester["sheets"][1]
    tutor = new_page()
    log_in(tutor, semester["tutor"])
    tutor.goto(f"/grading/{sheet2.pk}/tutorials/{semester['tutorial'].pk}/")
    row = tutor.locator(f"#row-p{semester['rows'][(cem, 2)].pk}")
    row.get_by_label("Task 1, Cem Close").fill("0")
    row.get_by_role("button", name="Save").click()
    expect(row.get_by_role("status")).to_have_text("Saved.")
    assert Record.objects.get(lecture=lecture, user=cem).points == D("8")

    # exactly one digest to the teacher, however many grades follow
    tutor.locator(f"#row-p{semester['rows'][(cem, 2)].pk}").get_by_label(
        "Task 2, Cem Close").fill("0")
    tutor.locator(f"#row-p{semester['rows'][(cem, 2)].pk}").get_by_role(
        "button", name="Save").click()
    expect(tutor.locator(f"#row-p{semester['rows'][(cem, 2)].pk}").get_by_role(
        "status")).to_have_text("Saved.")
    digests = [m for m in mail.outbox if lecture.teacher.email in m.to]
    assert len(digests) == 1, [m.subject for m in mail.outbox]
    assert "Analysis I" in digests[0].subject
    assert f"/lectures/{lecture.pk}/certification/" in digests[0].body

    # -- the teacher sees the banner and the count, and re-certifies --------------------------
    teacher.goto(f"/lectures/{lecture.pk}/")
    banner = teacher.get_by_role("complementary", name="Notices for this lecture")
    expect(banner).to_contain_text("1 exam admission decision is out of date")
    banner.get_by_role("link", name="Review the certifications").click()
    expect(teacher.locator("[data-count=stale]")).to_have_text("1")
    teacher.get_by_role("link", name=re.compile("Re-certify 1 stale certification")).click()
    expect(teacher.locator(f"tr[data-user='{cem.pk}']")).to_contain_text("Stale")
    teacher.get_by_role("link", name="Accept all proposals").click()
    teacher.get_by_role("button", name="Accept all proposals").click()
    expect(teacher.locator("[data-count=stale]")).to_have_text("0")
    expect(teacher.locator("[data-count=failed]")).to_have_text("2")
    assert Certification.objects.get(lecture=lecture, user=cem).status == "failed"
    teacher.get_by_role("link", name="Cem Close").click()
    expect(teacher.locator("#history tbody tr")).to_have_count(2)
    teacher.get_by_role("link", name=re.compile("Performance page of Cem Close")).click()
    expect(teacher.locator("main")).to_contain_text("not admitted")

    # -- close and finalize: only Ada is put on the exam roster --------------------------------
    teacher.goto(f"/staff/campaigns/{campaign.pk}/")
    teacher.get_by_role("link", name="Close registration").click()
    teacher.get_by_role("button", name="Close registration").click()
    expect(teacher.locator(".messages")).to_contain_text("The campaign is closed.")
    teacher.get_by_role("link", name="Results and finalization").click()
    teacher.get_by_role("link", name=re.compile("Finalize")).first.click()
    # The confirmation tells the truth: Cem is turned away by the admission policy.
    effects = teacher.locator("#finalize-effects")
    expect(effects).to_contain_text("1 student is put into the rosters.")
    expect(effects).to_contain_text("1 student gets no place")
    expect(teacher.locator("#policy-rejected + ul")).to_contain_text("Cem Close")
    teacher.get_by_role("button", name="Finalize now").click()
    expect(teacher.locator(".messages")).to_contain_text("Finalized: 1 added to rosters")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    roster = set(RosterEntry.objects.filter(registerable_id=exam.pk).values_list(
        "user__name", flat=True))
    assert roster == {"Ada Able"}
    rejected = UserRegistration.objects.get(campaign=campaign, user=cem)
    assert rejected.status == "rejected"
    teacher.goto(f"/staff/lectures/{lecture.pk}/campaigns/")
    expect(teacher.locator(f"tr[data-exam='{exam.pk}']")).to_contain_text(
        "Registration finalized")
    teacher.goto(f"/staff/campaigns/{campaign.pk}/")
    teacher.get_by_role("link", name="Rosters", exact=True).click()
    expect(teacher.locator("main")).to_contain_text("Final exam")
    teacher.goto(f"/staff/rosters/{exam.pk}/")
    expect(teacher.locator("main")).to_contain_text("Ada Able")
    expect(teacher.locator("main")).not_to_contain_text("Cem Close")
    screenshot(teacher, "admission_journey_finalized")

    # Cem reads the decision on "My performance".
    cem_page = new_page(viewport=PHONE)
    log_in(cem_page, cem)
    cem_page.goto(f"/lectures/{lecture.pk}/my-performance/")
    expect(cem_page.locator("main")).to_contain_text(
        "You are not admitted to the exams of this lecture.")
