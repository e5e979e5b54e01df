"""Two staff members creating the same exam's grading at once get one grading (PostgreSQL).

The exam's row lock (``FOR UPDATE``, the lock registration takes when a campaign reopens)
serializes them; the second sees the first's grading and is refused. The control switches
the locks off (``MAMPF_ROW_LOCKS = False``) and must see two gradings, proving the test can
see the race. The window is widened by a sleep in the completion re-check, between "no
grading yet" and the insert.
"""

from __future__ import annotations

import time

import pytest

from assessment import errors, exams
from assessment.models import Assessment, Participation
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.concurrency import run_concurrently
from tests.factories import CampaignFactory, ExamFactory, ItemFactory, StaffFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def exam(on_postgres, monkeypatch):
    exam = ExamFactory()
    ItemFactory(
        campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    for user in UserFactory.create_batch(5):
        RosterEntry.objects.create(registerable=exam, user=user)
    real = exams.require_registration_completed

    def slow(exam):
        real(exam)
        time.sleep(0.3)

    monkeypatch.setattr(exams, "require_registration_completed", slow)
    return exam


def two_creations(exam):
    staff = [StaffFactory(), StaffFactory()]
    return run_concurrently(
        [lambda by=by: exams.create_exam_assessment(exam=exam, by=by) for by in staff]
    )


def test_two_creations_at_once_make_one_grading(exam):
    outcomes = two_creations(exam)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, errors.ExamGradingExists)
    assert Assessment.objects.filter(exam=exam).count() == 1
    assert Participation.objects.count() == 5


def test_control_without_row_locks_makes_two(exam, settings):
    settings.MAMPF_ROW_LOCKS = False
    outcomes = two_creations(exam)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert Assessment.objects.filter(exam=exam).count() == 2, "the control must see the race"
