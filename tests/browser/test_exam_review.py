"""Exam review in a real browser: a candidate asks for a re-check on a phone, the corrector of
that problem answers in their queue, and the candidate reads the answer. axe checks each page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment import exam_review, exams
from assessment.models import ExamCorrector, Participation, ReviewRequest, TaskPoint
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import CampaignFactory, ExamFactory, ItemFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_student_asks_on_a_phone_and_the_corrector_answers(new_page, log_in, screenshot):
    exam = ExamFactory(title="Final exam")
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    student = UserFactory(name="Alice A")
    RosterEntry.objects.create(registerable=exam, user=student)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    t1, t2 = (TaskFactory(assessment=assessment, position=i, title="") for i in (1, 2))
    anna, ben = UserFactory(name="Anna Corrector"), UserFactory(name="Ben Corrector")
    for c in (anna, ben):
        ExamCorrector.objects.create(assessment=assessment, user=c)
    row = Participation.objects.get(assessment=assessment, user=student)
    exams.enter_exam_points(participation=row, points={t1: Decimal("6")}, by=anna)
    exams.enter_exam_points(participation=row, points={t2: Decimal("3")}, by=ben)
    assessment.results_published_at = timezone.now()
    assessment.save(update_fields=["results_published_at"])
    now = timezone.now()
    exam_review.set_window(
        assessment=assessment, opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=1), by=None,
    )

    page = new_page(viewport=PHONE)
    log_in(page, student)
    page.goto(f"/results/{exam.lecture.pk}/")
    page.get_by_role("link", name="Exam review: ask for a re-check").click()
    expect(page.locator("h1")).to_contain_text("Exam review")
    page.get_by_label("Problem 2").check()
    page.get_by_label("What should be re-checked, and why?").fill("Part (b) is correct.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".review-request")).to_contain_text("not answered yet")
    screenshot(page, "exam-review-student-phone")
    request = ReviewRequest.objects.get(participation=row)
    assert [i.corrector_id for i in request.items.all()] == [ben.pk]

    corrector = new_page()
    log_in(corrector, ben)
    corrector.goto(f"/exams/{assessment.pk}/review/queue/")
    corrector.get_by_label("New points (empty: unchanged)").fill("5")
    corrector.get_by_label("Answer").fill("Yes, part (b) earns 2 more points.")
    corrector.get_by_role("button", name="Answer Alice A").click()
    expect(corrector.locator("body")).to_contain_text("No open requests.")
    assert TaskPoint.objects.get(participation=row, task=t2).points == 5

    page.reload()
    expect(page.locator(".review-request")).to_contain_text("earns 2 more points")
    expect(page.locator(".review-request")).to_contain_text("Answered")
