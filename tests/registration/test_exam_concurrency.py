"""Two exam registrations created for one exam at the same moment: one wins, the other is
refused (``exam_already_offered``). PostgreSQL only.

``exam_campaign_create`` locks the exam's row before it looks for running campaigns; the race
window is widened by waiting after that look. The control turns the row locks off
(``MAMPF_ROW_LOCKS = False``) and must end with two campaigns for the exam, which proves the
test can see the double offer.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.utils import timezone

from registration import errors, exam_rules, services
from registration.models import Item
from tests.concurrency import run_concurrently
from tests.factories import ExamFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WAIT_SECONDS = 0.5


@pytest.fixture
def exam(on_postgres):
    return ExamFactory(date=timezone.now() + datetime.timedelta(days=40))


def race(exam, monkeypatch) -> list:
    real = exam_rules.running_exam_campaigns

    def look_then_wait(*args, **kwargs):
        found = real(*args, **kwargs)
        threading.Event().wait(WAIT_SECONDS)
        return found

    monkeypatch.setattr(exam_rules, "running_exam_campaigns", look_then_wait)

    def create(title):
        return lambda: services.exam_campaign_create(
            exam=exam,
            by=exam.lecture.teacher,
            title=title,
            registration_deadline=exam.date - datetime.timedelta(days=3),
        )

    return run_concurrently([create("A"), create("B")])


def test_the_exam_lock_lets_one_campaign_through(exam, monkeypatch):
    outcomes = race(exam, monkeypatch)

    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [refusal] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(refusal, errors.ExamAlreadyOffered)
    assert Item.objects.filter(registerable_id=exam.pk).count() == 1


def test_control_without_the_lock_the_exam_is_offered_twice(exam, monkeypatch, settings):
    settings.MAMPF_ROW_LOCKS = False

    race(exam, monkeypatch)

    assert Item.objects.filter(registerable_id=exam.pk).count() == 2
