"""Two teachers saving the rule at once, and an achievement deleted while a rule starts to
require it (PostgreSQL only; SQLite has no row locks).

Each test has a control with the row locks off (``settings.MAMPF_ROW_LOCKS = False``) that must
see the problem, which proves the test can detect it. The race window is widened by a sleep
right after ``save_rule`` took its locks (``performance.rules.lock_rows``).
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from assessment import achievements as achievement_services
from assessment.models import Achievement
from performance import rules
from performance.models import Rule, RuleChange
from performance.rules import RuleData
from tests.concurrency import run_concurrently
from tests.factories import AchievementFactory, LectureFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RACE_WINDOW_SECONDS = 0.3


@pytest.fixture
def wide_race_window(monkeypatch):
    real = rules.lock_rows

    def slow_lock_rows(*args, **kwargs):
        result = real(*args, **kwargs)
        time.sleep(RACE_WINDOW_SECONDS)
        return result

    monkeypatch.setattr(rules, "lock_rows", slow_lock_rows)


@pytest.fixture
def lecture_with_rule(on_postgres):
    lecture = LectureFactory()
    rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="percentage", threshold_value=Decimal("50")),
        by=lecture.teacher,
    )
    return lecture


def two_teachers_save(lecture):
    editor = UserFactory()
    lecture.editors.add(editor)
    return run_concurrently(
        [
            lambda: rules.save_rule(
                lecture=lecture,
                data=RuleData(threshold_kind="percentage", threshold_value=Decimal("40")),
                by=lecture.teacher,
                expected_version=1,
            ),
            lambda: rules.save_rule(
                lecture=lecture,
                data=RuleData(threshold_kind="points", threshold_value=Decimal("60")),
                by=editor,
                expected_version=1,
            ),
        ]
    )


def test_two_saves_of_the_same_version_one_is_refused(lecture_with_rule, wide_race_window):
    outcomes = two_teachers_save(lecture_with_rule)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert error.code == "rule_changed_meanwhile"
    rule = Rule.objects.get(lecture=lecture_with_rule)
    assert rule.version == 2
    assert list(RuleChange.objects.filter(rule=rule).values_list("version", flat=True)) == [2, 1]


def test_control_without_row_locks_both_saves_win(lecture_with_rule, wide_race_window, settings):
    settings.MAMPF_ROW_LOCKS = False
    outcomes = two_teachers_save(lecture_with_rule)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    versions = RuleChange.objects.filter(rule__lecture=lecture_with_rule).values_list(
        "version", flat=True
    )
    assert sorted(versions) == [1, 2, 2], "the control must see a lost update"


def require_while_deleting(lecture):
    achievement = AchievementFactory(lecture=lecture)
    outcomes = run_concurrently(
        [
            lambda: rules.save_rule(
                lecture=lecture,
                data=RuleData(required_achievement_ids=(achievement.pk,)),
                by=lecture.teacher,
            ),
            lambda: (
                time.sleep(RACE_WINDOW_SECONDS * 1.5),  # while the save holds its locks
                achievement_services.delete_achievement(
                    achievement=achievement, by=lecture.teacher
                ),
            ),
        ]
    )
    return achievement, outcomes


def test_an_achievement_is_never_deleted_under_a_rule_that_requires_it(
    lecture_with_rule, wide_race_window
):
    achievement, outcomes = require_while_deleting(lecture_with_rule)
    (save, delete) = outcomes
    # the save holds the achievement's share lock; the deletion waits, then sees the rule
    assert save[0] == "ok", outcomes
    assert delete[0] == "error" and delete[1].code == "achievement_in_use", outcomes
    assert Achievement.objects.filter(pk=achievement.pk).exists()
    rule = Rule.objects.get(lecture=lecture_with_rule)
    assert [a.pk for a in rule.required_achievements.all()] == [achievement.pk]


def test_control_without_row_locks_the_deletion_is_not_refused_cleanly(
    lecture_with_rule, wide_race_window, settings
):
    settings.MAMPF_ROW_LOCKS = False
    achievement, outcomes = require_while_deleting(lecture_with_rule)
    (save, delete) = outcomes
    clean_refusal = delete[0] == "error" and getattr(delete[1], "code", "") == "achievement_in_use"
    assert not clean_refusal, "the control must miss the guard"
    # the deletion went through, and the save could only fail on the foreign key
    assert delete[0] == "ok" and save[0] == "error", outcomes
    assert not Achievement.objects.filter(pk=achievement.pk).exists()
