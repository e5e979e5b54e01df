"""The exam admission rule form in a real (headless) browser: the sentence follows the typed
values (htmx), saving works, and once certifications exist saving first shows who would change;
without JavaScript the sentence shows after "Preview"."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from performance import rules
from performance.models import Record, Rule
from performance.rules import RuleData
from tests.factories import AchievementFactory, AssessmentFactory, LectureFactory, UserFactory
from tests.performance.helpers import certify, record_for, sheet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course():
    lecture = LectureFactory(title="Analysis I")
    sheets = [AssessmentFactory(lecture=lecture, title=f"Sheet {n}") for n in range(1, 4)]
    AchievementFactory(lecture=lecture, title="Presentation")
    return {"lecture": lecture, "sheets": sheets}


def test_the_sentence_follows_the_typing_and_the_rule_is_saved(page, log_in, course):
    lecture = course["lecture"]
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/")
    page.get_by_role("link", name="Exam admission rule").click()
    expect(page.get_by_role("heading", name="Exam admission rule: Analysis I")).to_be_visible()
    sentence = page.locator("#rule-sentence")
    page.get_by_label("Percentage of all points").check()
    page.get_by_label("Threshold value").fill("50")
    expect(sentence).to_contain_text("Admitted are students with at least 50 % of all points.")
    page.get_by_label("Minimum percentage on a sheet").fill("20")
    page.get_by_label("Number of such sheets needed").fill("9")
    page.get_by_label("Sheets planned this term").fill("12")
    page.get_by_label("Presentation").check()
    expect(sentence).to_contain_text(
        "at least 50 % of all points, at least 20 % on 9 of 12 sheets and “Presentation” passed"
    )
    # an impossible value is explained at once
    page.get_by_label("Number of such sheets needed").fill("13")
    expect(sentence).to_contain_text("asks for 13 sheets")
    page.get_by_label("Number of such sheets needed").fill("9")
    expect(sentence).to_contain_text("on 9 of 12 sheets")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_text("The rule was saved (version 1).")).to_be_visible()
    rule = Rule.objects.get(lecture=lecture)
    assert (rule.sheet_min_count, rule.expected_assignments) == (9, 12)
    assert [a.title for a in rule.required_achievements.all()] == ["Presentation"]


def test_once_certified_saving_shows_who_would_change_first(page, log_in, course):
    lecture, sheets = course["lecture"], course["sheets"]
    rule = rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="percentage", threshold_value=Decimal("50")),
        by=lecture.teacher,
    ).rule
    for name in ("Bea Berg", "Carl Cohn"):
        user = UserFactory(name=name)
        Record.objects.bulk_create([record_for(lecture, user, {s.pk: sheet(4) for s in sheets})])
        certify(lecture, user, status="failed", rule=rule)
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/certification/")
    page.get_by_role("link", name="Change the rule").click()
    page.get_by_label("Threshold value").fill("40")
    page.get_by_role("button", name="Save the rule", exact=True).click()
    expect(page.get_by_role("heading", name="Preview: what saving would change")).to_be_visible()
    expect(page.get_by_text("Bea Berg")).to_be_visible()
    expect(page.get_by_text("Saving makes 2 current certifications stale")).to_be_visible()
    assert Rule.objects.get(pk=rule.pk).version == 1
    page.get_by_role("button", name="Save the rule with these changes").click()
    expect(page.get_by_text("The rule was saved (version 2).")).to_be_visible()


def test_without_javascript_the_sentence_shows_after_preview(new_page, log_in, course):
    lecture = course["lecture"]
    page = new_page(javascript=False)
    log_in(page, lecture.teacher)
    page.goto(f"/lectures/{lecture.pk}/certification/rule/")
    page.get_by_label("Absolute points").check()
    page.get_by_label("Threshold value").fill("120")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#rule-sentence")).to_contain_text(
        "Admitted are students with at least 120 points."
    )
    assert not Rule.objects.exists()
