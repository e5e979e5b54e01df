"""A sheet import and a tutor's save of the same rows at once lose no update (PostgreSQL only).

The import locks the participations before it reads their stored points and computes the
totals from that read (``assessment.sheets._write``). The race window is widened by a sleep
after that read; the tutor saves a moment later, inside the window. With the row locks the
save waits for the import and every total equals the sum of the stored points; the control
without row locks must see a total that does not (a lost update), which proves the test can
detect one.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from assessment import services, sheets
from assessment.models import Participation, TaskPoint
from tests.concurrency import run_concurrently
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RACE_WINDOW_SECONDS = 0.4
STUDENTS = 3


@pytest.fixture
def wide_import_window(monkeypatch):
    real = sheets._points_of

    def slow_points_of(participation_ids):
        result = real(participation_ids)
        time.sleep(RACE_WINDOW_SECONDS)
        return result

    monkeypatch.setattr(sheets, "_points_of", slow_points_of)


@pytest.fixture
def sheet_world(on_postgres):
    """Every student has 1 point on the second task; the sheet gives 4 on the first and
    keeps the 1 on the second (so the import writes only the first task)."""
    assessment = AssessmentFactory()
    TaskFactory(assessment=assessment, position=1)
    second = TaskFactory(assessment=assessment, position=2)
    tutor = StaffFactory()
    rows = []
    for student in UserFactory.create_batch(STUDENTS):
        row = ParticipationFactory(assessment=assessment, user=student)
        services.enter_points(participation=row, points={second: Decimal("1")}, by=tutor)
        rows.append(row)
    head, _body = sheets.sheet_table(assessment=assessment)
    sheet = [head] + [["", r.user.name, "", "4", "1", str(r.user_id)] for r in rows]
    return assessment, second, rows, sheet


def import_while_a_tutor_saves(assessment, second, rows, sheet) -> list[tuple]:
    teacher, tutor = StaffFactory(), StaffFactory()

    def save_later(row):
        time.sleep(RACE_WINDOW_SECONDS / 4)  # after the import has read the stored points
        fresh = Participation.objects.get(pk=row.pk)
        return services.enter_points(participation=fresh, points={second: Decimal("3")}, by=tutor)

    calls = [lambda: sheets.import_sheet(assessment=assessment, rows=sheet, by=teacher)]
    calls += [lambda r=row: save_later(r) for row in rows]
    return run_concurrently(calls)


def inconsistent_totals(assessment) -> list[int]:
    wrong = []
    for row in Participation.objects.filter(assessment=assessment):
        stored = sum(
            TaskPoint.objects.filter(participation=row).values_list("points", flat=True),
            Decimal("0"),
        )
        if row.points_total != stored:
            wrong.append(row.pk)
    return wrong


def test_import_and_a_tutors_save_lose_no_update(sheet_world, wide_import_window):
    assessment, second, rows, sheet = sheet_world
    outcomes = import_while_a_tutor_saves(assessment, second, rows, sheet)
    assert [kind for kind, _value in outcomes] == ["ok"] * len(outcomes), outcomes
    assert inconsistent_totals(assessment) == []
    # The saves waited for the import: each row has the import's 4 and the tutor's 3.
    totals = set(
        Participation.objects.filter(assessment=assessment).values_list("points_total", flat=True)
    )
    assert totals == {Decimal("7.00")}


def test_control_without_row_locks_loses_an_update(sheet_world, wide_import_window, settings):
    settings.MAMPF_ROW_LOCKS = False
    assessment, second, rows, sheet = sheet_world
    outcomes = import_while_a_tutor_saves(assessment, second, rows, sheet)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert inconsistent_totals(assessment), "the control must see a lost update"
