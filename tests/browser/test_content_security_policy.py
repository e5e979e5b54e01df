"""The main student and staff pages run under the Content-Security-Policy without a violation.

Every browser test fails on a violation (tests/browser/conftest.py); this one walks the main
pages on purpose and first proves that a violation would be seen.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.test_exam_result import published_exam  # noqa: F401 (fixture)
from tests.browser.test_phone_and_accessibility import student_pages, student_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, urls, csp_violations):
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        assert csp_violations(page) == [], url


def test_a_violation_would_be_seen(page, csp_violations):
    page.goto("/login/")
    page.evaluate(
        "() => document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
    )
    expect(page.locator("p", has_text="x")).to_have_count(1)
    page.wait_for_timeout(200)
    assert any("style-src" in text for text in csp_violations(page))
    csp_violations(page).clear()


def test_student_pages_pass_the_policy(page, log_in, csp_violations, published_exam):  # noqa: F811
    student, fcfs, _items, preference, finished = student_world()
    log_in(page, student)
    visit(page, [*student_pages(fcfs, preference, finished), "/results/"], csp_violations)
    # A registration through htmx (the swap and its indicator) under the policy.
    page.goto(f"/registrations/{fcfs.pk}/")
    page.locator("#seat-action-" + str(_items[0].pk)).click()
    page.wait_for_load_state("networkidle")
    assert csp_violations(page) == []

    candidate = published_exam["rows"][1].user
    page.context.clear_cookies()
    log_in(page, candidate)
    exam = published_exam["assessment"]
    visit(page, [f"/results/{exam.lecture_id}/", f"/exams/{exam.pk}/my-result/"], csp_violations)


def test_staff_pages_pass_the_policy(page, log_in, csp_violations, published_exam):  # noqa: F811
    student, fcfs, _items, preference, finished = student_world()
    teacher = fcfs.lecture.teacher
    log_in(page, teacher)
    lecture = fcfs.lecture
    visit(
        page,
        [
            "/",
            f"/lectures/{lecture.pk}/",
            f"/staff/campaigns/{fcfs.pk}/",
            f"/staff/campaigns/{preference.pk}/",
            f"/staff/lectures/{lecture.pk}/rosters/",
        ],
        csp_violations,
    )
    exam = published_exam["assessment"]
    page.context.clear_cookies()
    log_in(page, published_exam["teacher"])
    visit(
        page,
        [
            f"/lectures/{exam.lecture_id}/",
            f"/exams/{exam.pk}/scheme/",
            f"/exams/{exam.pk}/grades/",
            f"/exams/{exam.pk}/distribution/",
        ],
        csp_violations,
    )
