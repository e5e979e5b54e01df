"""The health page in a real (headless) browser: site staff see it green, a broken invariant
turns it red with the objects named, "Run every check now" repairs the points total and the
page is green again. axe checks every page state (tests/browser/conftest.py)."""

from decimal import Decimal

import pytest
from django.db import connection
from playwright.sync_api import expect

from assessment.models import Participation, TaskPoint
from tests.factories import ParticipationFactory, StaffFactory, TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_site_staff_see_red_then_green_after_the_repair(page, log_in):
    task = TaskFactory(max_points=Decimal("10"))
    participation = ParticipationFactory(assessment=task.assessment)
    TaskPoint.objects.create(participation=participation, task=task, points=Decimal("4"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Participation._meta.db_table} SET points_total = 9 WHERE id = %s",
            [participation.pk],
        )
    log_in(page, StaffFactory())
    page.goto("/operations/health/")
    expect(page.locator("#metric-points_total_mismatch")).to_contain_text("not measured yet")
    page.get_by_role("button", name="Run every check now").click()
    row = page.locator("#metric-points_total_mismatch")
    expect(row).to_contain_text("Over threshold")
    expect(row.get_by_role("link", name=str(participation.pk))).to_be_visible()
    expect(row).to_contain_text("1 repaired")
    page.get_by_role("button", name="Run every check now").click()
    expect(page.locator("#metric-points_total_mismatch")).to_contain_text("OK")
    expect(page.get_by_text("All green")).to_be_visible()
    participation.refresh_from_db()
    assert participation.points_total == Decimal("4")
