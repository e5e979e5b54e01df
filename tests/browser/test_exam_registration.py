"""The staff path to an exam registration in a real (headless) browser (issue 9, item 9):
pattern, exam, prefilled settings, a refused late deadline, the created campaign, and the
exam's phase on the campaign list. axe checks every page state on the way."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registration.models import Campaign, Policy
from tests.factories import ExamFactory, LectureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def local_input(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_teacher_creates_an_exam_registration_for_the_resit(page, log_in):
    lecture = LectureFactory(title="Analysis II")
    soon = (timezone.now() + datetime.timedelta(days=50)).replace(second=0, microsecond=0)
    ExamFactory(lecture=lecture, title="Final exam", date=soon, location="HS 1")
    resit = ExamFactory(lecture=lecture, title="Resit", location="HS 2",
                        date=soon + datetime.timedelta(days=60))

    log_in(page, lecture.teacher)
    page.goto(f"/staff/lectures/{lecture.pk}/campaigns/new/")
    page.get_by_label(re.compile("Exam registration")).check()
    page.get_by_role("button", name="Next").click()

    expect(page.locator("#exam-choices")).to_contain_text("Final exam")
    page.get_by_label("Resit").check()
    page.get_by_role("button", name="Next").click()

    expect(page.locator("#exam-facts")).to_contain_text("HS 2")
    expect(page.get_by_label("Title", exact=False).first).to_have_value("Resit")
    deadline = page.get_by_label("Registration deadline")
    expect(deadline).to_have_value(local_input(resit.date - datetime.timedelta(days=3)))

    # A deadline after the exam is refused with the reason; nothing is created.
    deadline.fill(local_input(resit.date + datetime.timedelta(days=1)))
    page.get_by_role("button", name="Create exam registration").click()
    expect(page.locator(".field-error")).to_contain_text("must be before the exam")
    assert not Campaign.objects.exists()

    page.get_by_label("Title", exact=False).first.fill("Resit registration")
    page.get_by_label("Registration deadline").fill(
        local_input(resit.date - datetime.timedelta(days=3)))
    page.get_by_role("button", name="Create exam registration").click()
    expect(page.locator(".messages")).to_contain_text("The exam registration was created")
    campaign = Campaign.objects.get(lecture=lecture)
    assert campaign.title == "Resit registration" and campaign.is_fcfs
    assert list(campaign.items.values_list("registerable_id", flat=True)) == [resit.pk]
    assert list(campaign.policies.values_list("kind", "phase")) == [
        ("student_performance", Policy.Phase.BOTH)]

    # The campaign list shows each exam's phase and offers a registration only for the other.
    page.goto(f"/staff/lectures/{lecture.pk}/campaigns/")
    resit_row = page.locator(f"tr[data-exam='{resit.pk}']")
    expect(resit_row).to_contain_text("Registration not open yet")
    expect(resit_row).to_contain_text("Resit registration")
    expect(resit_row.get_by_role("link", name=re.compile("New exam registration"))).to_have_count(0)
    final_row = page.locator("#exams tbody tr").first
    final_row.get_by_role("link", name=re.compile("New exam registration")).click()
    expect(page.get_by_label("Title", exact=False).first).to_have_value("Final exam")
