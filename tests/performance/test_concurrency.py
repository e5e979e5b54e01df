"""Two workers recomputing one lecture at once do no harm (PostgreSQL only).

The recompute runs under a per-lecture advisory lock (``performance.recompute.lecture_lock``).
Workers start staggered while grading goes on: each one first records a change (a request, as
the hooks do), then runs the task body. With the lock, the recomputes of one lecture never
overlap, every request is served and the records end up with the last figures. The control
switches the locks off (``settings.MAMPF_ROW_LOCKS = False``) and must see two recomputes at
once, which proves the test can detect an overlap. The race window is widened by a sleep inside
the recompute (``performance.records.recompute``).
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from assessment.models import Participation
from performance import recompute, records
from performance.models import LectureState, Record
from rosters.models import RosterEntry
from tests.concurrency import run_concurrently
from tests.factories import AssessmentFactory, LectureFactory, TaskFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RACE_WINDOW_SECONDS = 0.3
WORKERS = 4


@pytest.fixture
def lecture(on_postgres):
    lecture = LectureFactory()
    sheet = AssessmentFactory(lecture=lecture)
    TaskFactory(assessment=sheet, position=1, max_points=Decimal("10"))
    for student in UserFactory.create_batch(5):
        RosterEntry.objects.create(registerable=lecture, user=student)
        Participation.objects.create(assessment=sheet, user=student)
    lecture.sheet = sheet
    return lecture


@pytest.fixture
def overlap(monkeypatch):
    """Counts recomputes running at the same moment (and widens the race window)."""
    guard = threading.Lock()
    seen = {"running": 0, "most": 0, "runs": 0}
    real = records.recompute

    def counted(**kwargs):
        with guard:
            seen["running"] += 1
            seen["runs"] += 1
            seen["most"] = max(seen["most"], seen["running"])
        try:
            time.sleep(RACE_WINDOW_SECONDS)
            return real(**kwargs)
        finally:
            with guard:
                seen["running"] -= 1

    monkeypatch.setattr(records, "recompute", counted)
    return seen


def _worker(lecture, index: int):
    def work():
        time.sleep(index * 0.1)  # grading goes on while the first recompute runs
        Participation.objects.filter(assessment=lecture.sheet).update(
            points_total=Decimal(index), status="reviewed"
        )
        LectureState.objects.update_or_create(
            lecture_id=lecture.pk, defaults={"recompute_requested_at": timezone.now()}
        )
        return recompute.run_recompute(lecture_id=lecture.pk).rounds

    return work


def _rush(lecture):
    return run_concurrently([_worker(lecture, i) for i in range(WORKERS)])


def test_recomputes_of_one_lecture_never_overlap(lecture, overlap):
    outcomes = _rush(lecture)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert overlap["most"] == 1
    assert 1 <= overlap["runs"] <= WORKERS
    state = LectureState.objects.get(lecture=lecture)
    assert state.recompute_requested_at is None  # every request served
    last = Decimal(WORKERS - 1)
    assert set(Record.objects.filter(lecture=lecture).values_list("points", flat=True)) == {last}


def test_control_without_the_lock_recomputes_overlap(lecture, overlap, settings):
    settings.MAMPF_ROW_LOCKS = False
    outcomes = _rush(lecture)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert overlap["most"] >= 2


def test_a_worker_waiting_for_the_lock_finds_the_request_served(lecture, overlap):
    """Two deliveries of the same task at once: one recomputes, the other does nothing."""
    LectureState.objects.create(lecture=lecture, recompute_requested_at=timezone.now())
    outcomes = run_concurrently(
        [lambda: recompute.run_recompute(lecture_id=lecture.pk).rounds for _ in range(2)]
    )
    assert sorted(value for _kind, value in outcomes) == [0, 1]
    assert overlap["runs"] == 1
