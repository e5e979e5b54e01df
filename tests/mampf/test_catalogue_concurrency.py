"""A capacity change and a new roster seat at the same moment never leave a group overfilled.

PostgreSQL only (SQLite serialises writers and has no row locks). ``update_group`` locks the
group's row before it counts the places taken; a roster addition locks the same row before it
reads the capacity. The race is made deterministic: the capacity change signals after counting
and then waits, while the other thread adds a student. The control switches the row locks off
(``MAMPF_ROW_LOCKS = False``) and must see the overfill, which proves the test can see one.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from mampf import catalogue_services
from mampf.models import Exam
from rosters import services as roster_services
from rosters.errors import GroupFull
from rosters.models import RosterEntry
from tests.factories import ExamFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

WAIT_SECONDS = 0.5


@pytest.fixture
def exam(on_postgres):
    exam = ExamFactory(capacity=10)
    roster_services.add_user(registerable=exam, user=UserFactory(), by=None, notify=False)
    return exam


def race_capacity_change_against_an_addition(exam, monkeypatch) -> dict:
    counted = threading.Event()
    real_seats_taken = catalogue_services.seats_taken

    def seats_taken_then_wait(group):
        taken = real_seats_taken(group)
        counted.set()
        threading.Event().wait(WAIT_SECONDS)  # the other thread acts now
        return taken

    monkeypatch.setattr(catalogue_services, "seats_taken", seats_taken_then_wait)
    outcome: dict = {}
    newcomer = UserFactory()

    def lower_capacity():
        try:
            catalogue_services.update_group(
                group=exam, changes={"capacity": 1}, by=exam.lecture.teacher
            )
            outcome["change"] = "ok"
        except Exception as exc:  # judged below
            outcome["change"] = exc
        finally:
            connection.close()

    def add_student():
        try:
            counted.wait(timeout=10)
            roster_services.add_user(registerable=exam, user=newcomer, by=None, notify=False)
            outcome["add"] = "ok"
        except Exception as exc:  # judged below
            outcome["add"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=lower_capacity), threading.Thread(target=add_student)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "deadlock or hang"
    outcome["capacity"] = Exam.objects.get(pk=exam.pk).capacity
    outcome["roster"] = RosterEntry.objects.filter(registerable_id=exam.pk).count()
    return outcome


def test_the_row_lock_keeps_the_capacity(exam, monkeypatch):
    outcome = race_capacity_change_against_an_addition(exam, monkeypatch)

    assert outcome["change"] == "ok"
    assert isinstance(outcome["add"], GroupFull)
    assert (outcome["capacity"], outcome["roster"]) == (1, 1)


def test_control_without_the_lock_the_group_is_overfilled(exam, monkeypatch, settings):
    settings.MAMPF_ROW_LOCKS = False

    outcome = race_capacity_change_against_an_addition(exam, monkeypatch)

    assert outcome["roster"] > outcome["capacity"], outcome
