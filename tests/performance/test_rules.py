"""The rule services: validation refusals by code (nothing changed), the audit row, the version
bump only on a real change, the change preview (grouping, names, manual disagreements, bounded
queries over 300 students) and the achievement deletion guard."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment import achievements as achievement_services
from assessment.models import Achievement
from performance import errors, rules
from performance.models import Record, Rule, RuleChange
from performance.rules import RuleData
from performance.selectors import certification_states
from rosters.models import RosterEntry
from tests.factories import (
    AchievementFactory,
    AssessmentFactory,
    LectureFactory,
    UserFactory,
)
from tests.performance.helpers import certify, record_for, sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    lecture = LectureFactory()
    sheets = [AssessmentFactory(lecture=lecture, title=f"Sheet {n}") for n in range(1, 5)]
    talk = AssessmentFactory(lecture=lecture, kind="talk")
    achievement = AchievementFactory(lecture=lecture, title="Presentation")
    return {"lecture": lecture, "sheets": sheets, "talk": talk, "achievement": achievement}


def snapshot(lecture):
    return (
        list(Rule.objects.filter(lecture=lecture).values()),
        list(RuleChange.objects.values()),
        list(Rule.required_achievements.through.objects.values()),
        list(Rule.sheets.through.objects.values()),
        list(Rule.bonus_sheets.through.objects.values()),
    )


def fifty_percent(**changes):
    return RuleData(**{"threshold_kind": "percentage", "threshold_value": Decimal("50"), **changes})


# -- saving ------------------------------------------------------------------------------------


def test_a_first_rule_is_version_1_with_its_audit_row(course):
    lecture, sheets = course["lecture"], course["sheets"]
    teacher = lecture.teacher
    data = fifty_percent(
        required_achievement_ids=(course["achievement"].pk,),
        sheet_min_percentage=Decimal("20"),
        sheet_min_count=2,
        sheet_ids=(sheets[0].pk, sheets[1].pk, sheets[2].pk),
        bonus_sheet_ids=(sheets[3].pk,),
        expected_assignments=12,
    )
    saved = rules.save_rule(lecture=lecture, data=data, by=teacher, note="first rule")
    assert saved.changed
    rule = saved.rule
    assert rule.version == 1 and rule.is_active and rule.updated_by == teacher
    assert rule.threshold_kind == "percentage" and rule.threshold_value == Decimal("50")
    assert {a.pk for a in rule.sheets.all()} == {s.pk for s in sheets[:3]}
    assert [a.pk for a in rule.bonus_sheets.all()] == [sheets[3].pk]
    assert [a.pk for a in rule.required_achievements.all()] == [course["achievement"].pk]
    assert rule.expected_assignments == 12
    change = RuleChange.objects.get()
    assert (change.rule_id, change.version, change.by, change.note) == (
        rule.pk,
        1,
        teacher,
        "first rule",
    )
    assert change.old == {}
    assert change.new["threshold_value"] == "50.00"
    assert change.new["sheets"] == sorted(s.pk for s in sheets[:3])


def test_a_change_bumps_the_version_and_records_old_and_new(course):
    lecture = course["lecture"]
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)
    saved = rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="points", threshold_value=Decimal("30")),
        by=lecture.teacher,
        note="points instead",
    )
    assert saved.changed and saved.rule.version == 2
    assert Rule.objects.filter(lecture=lecture).count() == 1
    change = RuleChange.objects.order_by("-id").first()
    assert change.version == 2
    assert change.old["threshold_kind"] == "percentage"
    assert change.new["threshold_kind"] == "points"
    assert change.new["threshold_value"] == "30.00"


def test_saving_the_same_settings_again_changes_nothing(course):
    lecture = course["lecture"]
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)
    before = snapshot(lecture)
    saved = rules.save_rule(
        lecture=lecture,
        data=RuleData(threshold_kind="percentage", threshold_value="50.00"),
        by=lecture.teacher,
        note="just a note",
    )
    assert not saved.changed and saved.rule.version == 1
    assert snapshot(lecture) == before


def test_a_version_bump_makes_certifications_stale(course):
    lecture = course["lecture"]
    student = UserFactory()
    RosterEntry.objects.create(registerable=lecture, user=student)
    record_for(lecture, student, {course["sheets"][0].pk: sheet(8)}).save()
    rule = rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher).rule
    certify(lecture, student, status="passed", rule=rule)
    assert certification_states(lecture=lecture, user_ids=[student.pk]) == {student.pk: "passed"}
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)  # no change
    assert certification_states(lecture=lecture, user_ids=[student.pk]) == {student.pk: "passed"}
    rules.save_rule(
        lecture=lecture,
        data=fifty_percent(sheet_min_percentage=Decimal("0"), sheet_min_count=1),
        by=lecture.teacher,
    )
    assert certification_states(lecture=lecture, user_ids=[student.pk]) == {student.pk: "stale"}


def test_an_outdated_expected_version_is_refused(course):
    lecture = course["lecture"]
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)
    before = snapshot(lecture)
    with pytest.raises(errors.RuleChangedMeanwhile) as caught:
        rules.save_rule(
            lecture=lecture,
            data=RuleData(threshold_kind="points", threshold_value=Decimal("10")),
            by=lecture.teacher,
            expected_version=0,
        )
    assert caught.value.code == "rule_changed_meanwhile"
    assert snapshot(lecture) == before


def refusals(course):
    sheets, talk, achievement = course["sheets"], course["talk"], course["achievement"]
    other = AssessmentFactory()
    foreign_achievement = AchievementFactory()
    return [
        (RuleData(), "no_criterion"),
        (RuleData(threshold_kind="percentage"), "threshold_value_missing"),
        (RuleData(threshold_kind="fraction", threshold_value=Decimal(1)), "threshold_kind_invalid"),
        (fifty_percent(threshold_value=Decimal("-1")), "percentage_out_of_range"),
        (fifty_percent(threshold_value=Decimal("0")), "percentage_out_of_range"),
        (fifty_percent(threshold_value=Decimal("100.01")), "percentage_out_of_range"),
        (fifty_percent(threshold_value=Decimal("50.005")), "invalid_number"),
        (fifty_percent(threshold_value="NaN"), "invalid_number"),
        (fifty_percent(threshold_value="fifty"), "invalid_number"),
        (
            RuleData(threshold_kind="points", threshold_value=Decimal("0")),
            "points_threshold_invalid",
        ),
        (
            RuleData(threshold_kind="points", threshold_value=Decimal("-3")),
            "points_threshold_invalid",
        ),
        (RuleData(sheet_min_percentage=Decimal("20")), "sheet_criterion_incomplete"),
        (RuleData(sheet_min_count=3), "sheet_criterion_incomplete"),
        (
            RuleData(sheet_min_percentage=Decimal("-1"), sheet_min_count=1),
            "percentage_out_of_range",
        ),
        (
            RuleData(sheet_min_percentage=Decimal("101"), sheet_min_count=1),
            "percentage_out_of_range",
        ),
        (RuleData(sheet_min_percentage=Decimal("20"), sheet_min_count=0), "sheet_count_too_small"),
        (RuleData(sheet_min_percentage=Decimal("20"), sheet_min_count=-2), "sheet_count_too_small"),
        # four sheets exist, none planned
        (RuleData(sheet_min_percentage=Decimal("20"), sheet_min_count=5), "sheet_count_too_large"),
        (
            RuleData(
                sheet_min_percentage=Decimal("20"),
                sheet_min_count=3,
                sheet_ids=(sheets[0].pk, sheets[1].pk),
            ),
            "sheet_count_too_large",
        ),
        (
            RuleData(
                sheet_min_percentage=Decimal("20"),
                sheet_min_count=4,
                bonus_sheet_ids=(sheets[3].pk,),
            ),
            "sheet_count_too_large",
        ),
        (
            RuleData(
                sheet_min_percentage=Decimal("20"),
                sheet_min_count=1,
                sheet_ids=(sheets[0].pk,),
                bonus_sheet_ids=(sheets[0].pk,),
            ),
            "bonus_in_sheet_set",
        ),
        (
            RuleData(sheet_min_percentage=Decimal("20"), sheet_min_count=1, sheet_ids=(other.pk,)),
            "not_of_lecture",
        ),
        (fifty_percent(bonus_sheet_ids=(other.pk,)), "not_of_lecture"),
        (fifty_percent(bonus_sheet_ids=(999999,)), "not_of_lecture"),
        (fifty_percent(bonus_sheet_ids=(talk.pk,)), "not_an_assignment"),
        (
            RuleData(sheet_min_percentage=Decimal("20"), sheet_min_count=1, sheet_ids=(talk.pk,)),
            "not_an_assignment",
        ),
        (RuleData(required_achievement_ids=(foreign_achievement.pk,)), "not_of_lecture"),
        (
            RuleData(required_achievement_ids=(achievement.pk, foreign_achievement.pk)),
            "not_of_lecture",
        ),
        (fifty_percent(expected_assignments=0), "expected_assignments_invalid"),
        (fifty_percent(expected_assignments=1001), "expected_assignments_invalid"),
    ]


def test_every_refusal_has_its_code_and_changes_nothing(course):
    lecture = course["lecture"]
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)
    cases = refusals(course)
    before = snapshot(lecture)
    for data, code in cases:
        with pytest.raises(errors.RuleError) as caught:
            rules.save_rule(lecture=lecture, data=data, by=lecture.teacher)
        assert caught.value.code == code, data
        assert str(caught.value)  # a message a teacher can read
        with pytest.raises(errors.RuleError):
            rules.preview_rule_change(lecture=lecture, data=data)
    assert snapshot(lecture) == before


def test_planned_sheets_allow_a_larger_sheet_count(course):
    lecture = course["lecture"]
    data = RuleData(sheet_min_percentage=Decimal("20"), sheet_min_count=9, expected_assignments=12)
    clean = rules.clean_rule(lecture=lecture, data=data)
    assert clean.sheet_count == 12
    assert clean.sentence == "at least 20 % on 9 of 12 sheets"


def test_a_threshold_value_without_a_threshold_is_dropped(course):
    lecture = course["lecture"]
    data = RuleData(
        threshold_kind="none",
        threshold_value=Decimal("40"),
        required_achievement_ids=(course["achievement"].pk,),
    )
    rule = rules.save_rule(lecture=lecture, data=data, by=lecture.teacher).rule
    assert rule.threshold_value is None


# -- the change preview ----------------------------------------------------------------------


def test_the_preview_groups_students_by_transition_with_names(course):
    lecture, sheets = course["lecture"], course["sheets"]
    rule = rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher).rule
    # 4 sheets of 10 points each, all reviewed
    people = {
        "Ada": [10, 10, 10, 10],  # 100 %: passed under both
        "Ben": [5, 5, 5, 4],  # 47.5 %: failed -> passed at 40 %
        "Cleo": [4, 4, 4, 4],  # 40 %: failed -> passed exactly at the boundary
        "Dan": [1, 1, 1, 1],  # 10 %: failed under both
    }
    users = {}
    for name, figures in people.items():
        user = UserFactory(name=name)
        users[name] = user
        record_for(
            lecture, user, {s.pk: sheet(p) for s, p in zip(sheets, figures, strict=True)}
        ).save()
    certify(lecture, users["Ada"], status="passed", rule=rule)
    certify(lecture, users["Dan"], status="passed", rule=rule, source="manual", note="ill")
    certify(lecture, users["Ben"], status="failed", rule=rule, source="manual", note="late")
    before = snapshot(lecture)
    preview = rules.preview_rule_change(
        lecture=lecture,
        data=RuleData(threshold_kind="percentage", threshold_value=Decimal("40")),
    )
    assert snapshot(lecture) == before  # nothing saved
    assert preview.changes_rule
    assert preview.records == 4 and preview.unchanged == 2
    assert [(t.old, t.new, [s.name for s in t.students]) for t in preview.transitions] == [
        ("failed", "passed", ["Ben", "Cleo"])
    ]
    assert preview.counts == {"passed": 3, "failed": 1}
    # Dan: manual passed, the proposal says failed; Ben: manual failed, proposal passed
    assert [(d.student.name, d.status, d.proposal) for d in preview.manual_disagreements] == [
        ("Ben", "failed", "passed"),
        ("Dan", "passed", "failed"),
    ]
    assert preview.certifications == 3  # all decided under version 1 would become stale
    assert preview.current_sentence == "at least 50 % of all points"
    assert preview.clean.sentence == "at least 40 % of all points"
    assert preview.digest == rules.preview_digest(data=preview.clean.data, version=rule.version)


def test_the_preview_without_a_rule_yet(course):
    lecture, sheets = course["lecture"], course["sheets"]
    user = UserFactory(name="Eve")
    record_for(lecture, user, {sheets[0].pk: sheet(9)}).save()
    preview = rules.preview_rule_change(lecture=lecture, data=fifty_percent())
    assert preview.current_version == 0 and preview.current_sentence == ""
    assert [(t.old, t.new) for t in preview.transitions] == [("none", "passed")]


def test_the_preview_of_the_current_settings_changes_nothing(course):
    lecture = course["lecture"]
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)
    preview = rules.preview_rule_change(lecture=lecture, data=fifty_percent())
    assert not preview.changes_rule and preview.transitions == ()


def test_the_preview_over_300_students_takes_a_fixed_number_of_queries(course):
    lecture, sheets = course["lecture"], course["sheets"]
    rule = rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher).rule
    users = UserFactory.create_batch(300)
    Record.objects.bulk_create(
        record_for(lecture, user, {s.pk: sheet(n % 11) for s in sheets})
        for n, user in enumerate(users)
    )
    for user in users[:150]:
        certify(lecture, user, status="passed", rule=rule)
    data = RuleData(threshold_kind="percentage", threshold_value=Decimal("30"))
    with CaptureQueriesContext(connection) as queries:
        preview = rules.preview_rule_change(lecture=lecture, data=data)
    assert len(queries) <= 10, [q["sql"] for q in queries]
    assert preview.records == 300
    assert preview.changing == sum(t.count for t in preview.transitions) > 0
    # failed -> passed: 3 or 4 points of 10 on every sheet
    (group,) = preview.transitions
    assert (group.old, group.new) == ("failed", "passed")
    assert {s.user_id for s in group.students} == {
        u.pk for n, u in enumerate(users) if n % 11 in (3, 4)
    }


# -- the achievement deletion guard -----------------------------------------------------------


def test_an_achievement_a_rule_requires_cannot_be_deleted(course):
    lecture, achievement = course["lecture"], course["achievement"]
    rules.save_rule(
        lecture=lecture,
        data=RuleData(required_achievement_ids=(achievement.pk,)),
        by=lecture.teacher,
    )
    with pytest.raises(achievement_services.AchievementInUse) as caught:
        achievement_services.delete_achievement(achievement=achievement, by=lecture.teacher)
    assert caught.value.code == "achievement_in_use"
    assert "Presentation" in str(caught.value)
    assert Achievement.objects.filter(pk=achievement.pk).exists()
    # once the rule no longer requires it, it can go
    rules.save_rule(lecture=lecture, data=fifty_percent(), by=lecture.teacher)
    achievement_services.delete_achievement(achievement=achievement, by=lecture.teacher)
    assert not Achievement.objects.filter(pk=achievement.pk).exists()


def test_an_unused_achievement_is_deleted(course):
    other = AchievementFactory(lecture=course["lecture"], title="Quiz")
    achievement_services.delete_achievement(achievement=other, by=course["lecture"].teacher)
    assert not Achievement.objects.filter(pk=other.pk).exists()


def test_the_saved_rule_in_words_counts_the_sheet_set(course):
    lecture, sheets = course["lecture"], course["sheets"]
    assert rules.rule_sentence(lecture=lecture, rule=None) == ""
    rule = rules.save_rule(
        lecture=lecture,
        data=RuleData(
            sheet_min_percentage=Decimal("20"),
            sheet_min_count=9,
            bonus_sheet_ids=(sheets[3].pk,),
            expected_assignments=13,
        ),
        by=lecture.teacher,
    ).rule
    # 4 assignments exist (one a bonus sheet), 9 more are planned: 3 + 9 = 12 count
    assert rules.rule_sentence(lecture=lecture, rule=rule) == "at least 20 % on 9 of 12 sheets"
