"""First come, first served under a real rush: the capacity lock never lets a group oversell.

These tests run on PostgreSQL only (SQLite serialises every writer and has no row locks, so it
cannot show the race). Each worker thread has its own database connection, closed when the
thread ends; all workers start together behind a ``threading.Barrier``.

To make the race window wide and the control reliable on a small machine, every test here wraps
``registration.services.seat_check`` so it sleeps a few milliseconds after counting. The
real test and the control are the same test except for ``MAMPF_ROW_LOCKS`` (``mampf.db``'s one
switch): the control switches the locks off and must observe an oversell, which proves the test
can see one.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Count

from mampf.models import User
from registration import errors, services
from registration.models import UserRegistration
from tests.concurrency import run_concurrently
from tests.factories import CampaignFactory, ItemFactory, StaffFactory, TutorialFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

SEATS = 25
STUDENTS = 200
WORKERS = 48  # PostgreSQL allows 100 connections and other suites share it
RACE_WINDOW_SECONDS = 0.003

Confirmed = UserRegistration.Status.CONFIRMED


@pytest.fixture
def wide_race_window(monkeypatch):
    """Sleep after counting taken seats (``services.seat_check``, the one read ``register``
    decides on), so unlocked requests reliably interleave."""
    real_seat_check = services.seat_check

    def slow_seat_check(**kwargs):
        check = real_seat_check(**kwargs)
        time.sleep(RACE_WINDOW_SECONDS)
        return check

    monkeypatch.setattr(services, "seat_check", slow_seat_check)


@pytest.fixture
def campaign(on_postgres):
    """A draft FCFS campaign; each test adds its items, then opens it through the service."""
    return CampaignFactory()


def add_item(campaign, *, seats: int = SEATS):
    tutorial = TutorialFactory(lecture=campaign.lecture, capacity=seats)
    return ItemFactory(campaign=campaign, registerable=tutorial)


def open_it(campaign):
    return services.campaign_open(campaign, by=StaffFactory())


def make_students(count: int, *, prefix: str) -> list[User]:
    """Distinct students in one INSERT (one shared unusable password hash)."""
    password = make_password(None)
    return User.objects.bulk_create(
        User(
            email=f"{prefix}{index}@example.org",
            name=f"{prefix.title()} {index}",
            matriculation_number=f"{prefix}-{index}",
            password=password,
        )
        for index in range(count)
    )


def rush(item, students) -> list[tuple]:
    calls = [
        (lambda student=student: services.register(user=student, item=item))
        for student in students
    ]
    return run_concurrently(calls, workers=WORKERS)


def confirmed_in(item) -> int:
    return UserRegistration.objects.filter(item=item, status=Confirmed).count()


def users_holding_two_confirmed_seats(campaign) -> list:
    return list(
        UserRegistration.objects.filter(campaign=campaign, status=Confirmed, exclusive=True)
        .values("user")
        .annotate(seats=Count("id"))
        .filter(seats__gt=1)
    )


def test_the_capacity_lock_seats_exactly_the_capacity(campaign, wide_race_window):
    item = add_item(campaign)
    open_it(campaign)
    students = make_students(STUDENTS, prefix="rush")

    outcomes = rush(item, students)

    unexpected = [value for kind, value in outcomes if kind == "error"
                  and not isinstance(value, errors.ItemFull)]
    assert unexpected == [], f"unexpected exceptions: {unexpected[:5]!r}"
    seated = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind == "error"]
    assert len(seated) == SEATS
    assert all(registration.status == Confirmed for registration in seated)
    assert len(refused) == STUDENTS - SEATS
    assert {exc.code for exc in refused} == {"item_full"}

    assert confirmed_in(item) == SEATS
    assert {r.user_id for r in seated} == set(
        UserRegistration.objects.filter(item=item, status=Confirmed).values_list(
            "user_id", flat=True
        )
    )
    # The refused attempts are recorded (staff see the demand), one row per student.
    rows_per_status = Counter(
        UserRegistration.objects.filter(item=item).values_list("status", "rejection_reason")
    )
    assert rows_per_status == {
        (Confirmed, ""): SEATS,
        (UserRegistration.Status.REJECTED, "item_full"): STUDENTS - SEATS,
    }
    assert users_holding_two_confirmed_seats(campaign) == []


def test_control_without_the_lock_the_same_rush_oversells(
    campaign, wide_race_window, settings
):
    """Proves the test above can see an oversell: only the capacity lock differs."""
    settings.MAMPF_ROW_LOCKS = False
    item = add_item(campaign)
    open_it(campaign)
    students = make_students(STUDENTS, prefix="control")

    outcomes = rush(item, students)

    unexpected = [value for kind, value in outcomes if kind == "error"
                  and not isinstance(value, errors.ItemFull)]
    assert unexpected == []
    seated = confirmed_in(item)
    assert seated > SEATS, f"without the lock the rush should oversell, it seated {seated}"
    # The per-student guard is untouched by the switch.
    assert users_holding_two_confirmed_seats(campaign) == []


def test_the_database_enforces_one_confirmed_exclusive_seat_per_student(on_postgres):
    """The unique index the services rely on as their last guard exists, over the generated
    seat column, and status sits in no index (so finalization's bulk updates stay in place)."""
    table = UserRegistration._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    guard = constraints["registration_one_confirmed_exclusive_per_user"]
    assert guard["unique"] is True
    assert guard["columns"] == ["campaign_id", "user_id", "holds_exclusive_seat"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attgenerated FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attname = 'holds_exclusive_seat'",
            [table],
        )
        assert cursor.fetchone() == ("holds_exclusive_seat", "s")  # stored generated column
    indexed = {column for c in constraints.values() if c["index"] for column in c["columns"]}
    assert "status" not in indexed


def two_tabs(campaign, students):
    """Each student clicks two different groups of the same campaign at the same moment."""
    first, second = add_item(campaign), add_item(campaign)
    open_it(campaign)
    calls, owners = [], []
    for student in students:
        for item in (first, second):
            calls.append(lambda student=student, item=item: services.register(
                user=student, item=item))
            owners.append(student.pk)
    outcomes = run_concurrently(calls, workers=len(calls))
    return owners, outcomes


def assert_one_seat_each(campaign, students, owners, outcomes):
    by_student: dict[int, list[tuple]] = {student.pk: [] for student in students}
    for owner, outcome in zip(owners, outcomes, strict=True):
        by_student[owner].append(outcome)
    for student_outcomes in by_student.values():
        kinds = sorted(kind for kind, _value in student_outcomes)
        assert kinds == ["error", "ok"], student_outcomes
        (refusal,) = [value for kind, value in student_outcomes if kind == "error"]
        assert isinstance(refusal, errors.AlreadyRegistered), refusal
        assert refusal.code == "already_registered"
    confirmed_per_student = Counter(
        UserRegistration.objects.filter(campaign=campaign, status=Confirmed).values_list(
            "user_id", flat=True
        )
    )
    assert confirmed_per_student == {student.pk: 1 for student in students}


def test_two_tabs_of_one_student_get_exactly_one_seat(campaign, wide_race_window):
    students = make_students(12, prefix="tabs")
    owners, outcomes = two_tabs(campaign, students)
    assert_one_seat_each(campaign, students, owners, outcomes)


def test_without_the_student_lock_the_database_still_refuses_the_second_tab(
    campaign, wide_race_window, monkeypatch
):
    """Defence in depth: the unique seat index catches what the row lock would."""
    monkeypatch.setattr(services, "_lock_user", lambda user: None)
    students = make_students(12, prefix="nolock")
    owners, outcomes = two_tabs(campaign, students)
    assert_one_seat_each(campaign, students, owners, outcomes)


def test_a_double_click_stores_exactly_one_registration(campaign, wide_race_window):
    item = add_item(campaign)
    open_it(campaign)
    (student,) = make_students(1, prefix="clicker")
    clicks = 12

    outcomes = run_concurrently(
        [lambda: services.register(user=student, item=item)] * clicks, workers=clicks
    )

    assert [kind for kind, _value in outcomes] == ["ok"] * clicks, outcomes
    assert {value.pk for _kind, value in outcomes} == {
        UserRegistration.objects.get(user=student).pk
    }
    assert UserRegistration.objects.filter(user=student).count() == 1
    assert confirmed_in(item) == 1


def test_a_campaign_being_deleted_or_reverted_waits_for_a_registration_in_flight(
    campaign, monkeypatch
):
    """A registration holds a shared lock on its campaign until it commits, so a delete (or a
    revert to draft) that starts meanwhile waits, then sees the registration and refuses."""
    item = add_item(campaign)
    open_it(campaign)
    student = make_students(1, prefix="inflight")[0]
    inside = threading.Event()
    real_share_lock = services._share_lock_campaign

    def slow_share_lock(campaign_id):
        locked = real_share_lock(campaign_id)
        inside.set()
        time.sleep(0.6)  # the registration is between its lock and its insert
        return locked

    monkeypatch.setattr(services, "_share_lock_campaign", slow_share_lock)
    outcome = {}

    def registering():
        try:
            outcome["registration"] = services.register(user=student, item=item)
        finally:
            connection.close()

    def deleting():
        inside.wait(5)
        try:
            services.campaign_delete(campaign, by=None)
            outcome["delete"] = "deleted"
        except errors.Frozen:
            outcome["delete"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=registering), threading.Thread(target=deleting)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcome == {"registration": outcome["registration"], "delete": "refused"}
    assert UserRegistration.objects.filter(user=student, status="confirmed").exists()
