"""The evaluator on its own (no database): every criterion passed / failed / inconclusive, bonus,
exempt, absent, outstanding and planned sheets, a zero maximum, achievements, exact decimal
boundaries, shown figures that never disagree with the decision, and the wording in English and
German."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from performance.evaluator import (
    FAILED,
    INCONCLUSIVE,
    PASSED,
    RecordFigures,
    RuleSpec,
    evaluate,
    percent_floor,
)
from performance.wording import describe_rule, percent, points

D = Decimal


def sheet(points=None, maximum="10", status=None):
    if status is None:
        status = "reviewed" if points is not None else "none"
    return {
        "points": None if points is None else str(points),
        "max": str(maximum),
        "status": status,
        "submitted": status != "none",
    }


def record(*sheets, achievements=None):
    """Sheets get ids 1, 2, 3, ... in order."""
    return SimpleNamespace(
        per_assessment={str(n): s for n, s in enumerate(sheets, start=1)},
        achievements={str(k): v for k, v in (achievements or {}).items()},
    )


def percentage(value, **more):
    return RuleSpec(threshold_kind="percentage", threshold_value=D(str(value)), **more)


def absolute(value, **more):
    return RuleSpec(threshold_kind="points", threshold_value=D(str(value)), **more)


def per_sheet(p, k, **more):
    return RuleSpec(sheet_min_percentage=D(str(p)), sheet_min_count=k, **more)


def only(verdict):
    (criterion,) = verdict.criteria
    return criterion


# -- the percentage threshold -----------------------------------------------------------------


def test_percentage_passed_failed_inconclusive():
    rule = percentage(50)
    passed = evaluate(record=record(sheet(6), sheet(5)), rule=rule)
    assert passed.status == PASSED and only(passed).code == "threshold_met"
    failed = evaluate(record=record(sheet(2), sheet(3)), rule=rule)
    assert failed.status == FAILED and only(failed).code == "threshold_unreachable"
    # 4 of 20 so far, one sheet still to be marked: 14 would reach 10 (50 %) of 20
    open_ = evaluate(record=record(sheet(4), sheet(status="pending")), rule=rule)
    assert open_.status == INCONCLUSIVE and only(open_).code == "threshold_open"
    assert only(open_).params["missing"] == D(6)
    # 0 so far and one sheet outstanding of 10: at most 10 of 20 = 50 %: still possible
    edge = evaluate(record=record(sheet(0), sheet(status="none")), rule=rule)
    assert edge.status == INCONCLUSIVE
    # 0 so far, outstanding 10 of 30 in all: at most 33 %: failed now
    gone = evaluate(record=record(sheet(0), sheet(0), sheet(status="pending")), rule=rule)
    assert gone.status == FAILED


def test_exactly_the_threshold_passes_and_a_hair_below_fails():
    rule = percentage(50)
    assert evaluate(record=record(sheet("5.00")), rule=rule).status == PASSED
    assert evaluate(record=record(sheet("4.99")), rule=rule).status == FAILED
    # 49.99 % on a 10000-point scale is still below 50 %
    assert evaluate(record=record(sheet("4999", maximum="10000")), rule=rule).status == FAILED
    assert evaluate(record=record(sheet("5000", maximum="10000")), rule=rule).status == PASSED
    # a threshold with two places, reached by a third that never ends
    third = percentage("33.33")
    verdict = evaluate(record=record(sheet(1, maximum=3)), rule=third)
    assert verdict.status == PASSED
    assert "(33.33 %)" in verdict.reasons[0]
    assert evaluate(record=record(sheet("0.99", maximum=3)), rule=third).status == FAILED


def test_shown_percentages_never_disagree_with_the_decision():
    rule = percentage(50)
    for scored in ("4.999", "4.9999", "4.995", "4.99"):
        verdict = evaluate(record=record(sheet(scored), sheet(status="pending")), rule=rule)
        shown = only(verdict).params["percentage"]
        assert verdict.status == INCONCLUSIVE and shown < D(25)
        verdict = evaluate(record=record(sheet(scored)), rule=rule)
        assert verdict.status == FAILED and only(verdict).params["percentage"] < D(50)
        assert "at most 4.99 points" in verdict.reasons[0]  # never "5 points"
    for scored in ("5", "5.001", "9.999"):
        verdict = evaluate(record=record(sheet(scored)), rule=rule)
        assert verdict.status == PASSED and only(verdict).params["percentage"] >= D(50)
    assert percent_floor(D("4.999"), D(10)) == D("49.99")
    assert percent_floor(D(1), D(3)) == D("33.33")
    assert percent_floor(D(2), D(3)) == D("66.66")  # down, not 66.67
    assert percent_floor(D(1), D(0)) is None
    assert points(D("4.999")) == "4.99"
    assert percent(D("50.00")) == "50 %"


def test_points_still_needed_are_rounded_up():
    # 50 % of 33.33 is 16.665: 16.67 are needed, never "16.66"
    rule = percentage(50)
    verdict = evaluate(
        record=record(sheet("10", maximum="33.33"), sheet(status="pending", maximum="0")),
        rule=rule,
    )
    assert verdict.status == FAILED
    assert "16.67 points" in verdict.reasons[0]


def test_bonus_sheets_count_their_points_but_not_their_maximum():
    rule = percentage(50, bonus_sheet_ids=(2,))
    # 3 of 10 on sheet 1 plus 4 on the bonus sheet: 7 of 10 = 70 %
    verdict = evaluate(record=record(sheet(3), sheet(4)), rule=rule)
    assert verdict.status == PASSED
    params = only(verdict).params
    assert (params["points"], params["maximum"]) == (D(7), D(10))
    # an outstanding bonus sheet can still bring points
    waiting = evaluate(record=record(sheet(1), sheet(status="pending")), rule=rule)
    assert waiting.status == INCONCLUSIVE


def test_exempt_sheets_leave_the_maximum():
    rule = percentage(50)
    verdict = evaluate(record=record(sheet(5), sheet(status="exempt")), rule=rule)
    assert verdict.status == PASSED
    assert only(verdict).params["maximum"] == D(10)


def test_absent_sheets_are_final_with_no_points():
    rule = percentage(50)
    verdict = evaluate(record=record(sheet(4), sheet(status="absent")), rule=rule)
    assert verdict.status == FAILED  # 4 of 20 and nothing outstanding
    assert only(verdict).params["outstanding_sheets"] == 0


def test_a_maximum_of_zero_is_inconclusive():
    assert only(evaluate(record=record(), rule=percentage(50))).code == "no_maximum"
    exempt_only = evaluate(record=record(sheet(status="exempt")), rule=percentage(50))
    assert exempt_only.status == INCONCLUSIVE
    assert "cannot be decided" in exempt_only.reasons[0]


def test_planned_sheets_keep_a_percentage_open():
    rule = percentage(50, expected_assignments=4)
    verdict = evaluate(record=record(sheet(0), sheet(0)), rule=rule)
    assert verdict.status == INCONCLUSIVE
    assert only(verdict).code == "threshold_open_planned"
    assert only(verdict).params["planned_sheets"] == 2
    assert "2 more sheets are planned" in verdict.reasons[0]
    # once every planned sheet exists the figures decide
    done = percentage(50, expected_assignments=2)
    assert evaluate(record=record(sheet(0), sheet(0)), rule=done).status == FAILED


# -- the points threshold --------------------------------------------------------------------


def test_points_passed_failed_inconclusive_planned():
    rule = absolute(12)
    assert evaluate(record=record(sheet(6), sheet(6)), rule=rule).status == PASSED
    assert evaluate(record=record(sheet("5.99"), sheet(6)), rule=rule).status == FAILED
    open_ = evaluate(record=record(sheet(6), sheet(status="pending")), rule=rule)
    assert open_.status == INCONCLUSIVE
    assert open_.reasons == ["You still need 6 points from the 1 sheet not marked yet."]
    planned = evaluate(record=record(sheet(6)), rule=absolute(12, expected_assignments=3))
    assert planned.status == INCONCLUSIVE
    assert planned.reasons == ["You still need 6 points; 2 more sheets are planned this term."]
    # reached before the planned sheets exist: passed already
    early = evaluate(record=record(sheet(12)), rule=absolute(12, expected_assignments=3))
    assert early.status == PASSED
    assert early.reasons == ["12 points reached; 12 points are needed."]


def test_points_above_the_maximum_count():
    # bonus points inside a task: 11 of 10 on one sheet
    assert evaluate(record=record(sheet(11)), rule=absolute(11)).status == PASSED


def test_one_point_is_singular():
    verdict = evaluate(record=record(sheet(1)), rule=absolute(1))
    assert verdict.reasons == ["1 point reached; 1 point is needed."]
    failed = evaluate(record=record(sheet("0.5")), rule=absolute(1))
    assert failed.reasons == ["1 point is needed, but at most 0.5 points can still be reached."]


# -- the per-sheet criterion -----------------------------------------------------------------


def test_per_sheet_passed_failed_inconclusive():
    rule = per_sheet(50, 2)
    assert evaluate(record=record(sheet(5), sheet(6), sheet(0)), rule=rule).status == PASSED
    failed = evaluate(record=record(sheet(5), sheet("4.99"), sheet(0)), rule=rule)
    assert failed.status == FAILED and only(failed).code == "sheets_unreachable"
    assert failed.reasons == [
        "At least 50 % is needed on 2 sheets, but it was reached on 1 and 0 more can come."
    ]
    open_ = evaluate(record=record(sheet(5), sheet(0), sheet(status="pending")), rule=rule)
    assert open_.status == INCONCLUSIVE and only(open_).code == "sheets_open"
    assert open_.reasons == [
        "So far at least 50 % on 1 of the 2 sheets needed; 1 more must follow from the 1 sheet "
        "still to come."
    ]


def test_per_sheet_exact_boundary_and_zero_maximum():
    rule = per_sheet(20, 1)
    assert evaluate(record=record(sheet(2)), rule=rule).status == PASSED
    assert evaluate(record=record(sheet("1.99")), rule=rule).status == FAILED
    # a reviewed sheet worth 0 points is met
    assert evaluate(record=record(sheet(0, maximum=0)), rule=rule).status == PASSED
    # an outstanding sheet is not met yet
    assert evaluate(record=record(sheet(status="pending")), rule=rule).status == INCONCLUSIVE


def test_exempt_sheets_count_as_met_and_absent_ones_as_missed():
    rule = per_sheet(50, 3)
    verdict = evaluate(
        record=record(sheet(5), sheet(status="exempt"), sheet(6), sheet(status="absent")),
        rule=rule,
    )
    assert verdict.status == PASSED
    assert only(verdict).params["met"] == 3
    assert verdict.reasons == [
        "At least 50 % on 3 sheets (counting the 1 sheet the student is exempt from) (3 needed)."
    ]
    missed = evaluate(
        record=record(sheet(5), sheet(status="absent"), sheet(status="absent")), rule=rule
    )
    assert missed.status == FAILED


def test_a_named_sheet_set_ignores_other_sheets_and_planned_ones():
    rule = per_sheet(50, 2, sheet_ids=(1, 2), expected_assignments=10)
    # sheet 3 is not in the set; nothing is planned inside a named set
    verdict = evaluate(record=record(sheet(5), sheet(0), sheet(10)), rule=rule)
    assert verdict.status == FAILED
    assert only(verdict).params["of"] == 2


def test_every_sheet_set_leaves_bonus_sheets_out_and_counts_planned_ones():
    rule = per_sheet(50, 3, bonus_sheet_ids=(3,), expected_assignments=5)
    verdict = evaluate(record=record(sheet(5), sheet(5), sheet(10)), rule=rule)
    # two of two non-bonus sheets met, two more sheets planned
    assert verdict.status == INCONCLUSIVE
    assert only(verdict).params["of"] == 4
    assert only(verdict).params["planned_sheets"] == 2


# -- achievements ----------------------------------------------------------------------------


def test_achievements_met_not_met_ungraded():
    rule = RuleSpec(required_achievements=((7, "Presentation"),))
    met = evaluate(record=record(achievements={7: "met"}), rule=rule)
    assert met.status == PASSED and met.reasons == ["“Presentation”: passed."]
    not_met = evaluate(record=record(achievements={7: "not_met"}), rule=rule)
    assert not_met.status == FAILED and not_met.reasons == ["“Presentation”: not passed."]
    ungraded = evaluate(record=record(achievements={7: "ungraded"}), rule=rule)
    assert ungraded.status == INCONCLUSIVE
    assert ungraded.reasons == ["“Presentation”: not graded yet."]
    unknown = evaluate(record=record(), rule=rule)  # achievement created after the record
    assert unknown.status == INCONCLUSIVE


# -- overall ---------------------------------------------------------------------------------


def test_overall_failed_beats_inconclusive_beats_passed():
    rule = RuleSpec(
        threshold_kind="percentage",
        threshold_value=D(50),
        sheet_min_percentage=D(20),
        sheet_min_count=1,
        required_achievements=((1, "Talk"), (2, "Quiz")),
    )
    good = record(sheet(8), achievements={1: "met", 2: "met"})
    assert evaluate(record=good, rule=rule).status == PASSED
    waiting = record(sheet(8), achievements={1: "met", 2: "ungraded"})
    verdict = evaluate(record=waiting, rule=rule)
    assert verdict.status == INCONCLUSIVE
    assert [c.code for c in verdict.deciding] == ["achievement_ungraded"]
    bad = record(sheet(8), achievements={1: "not_met", 2: "ungraded"})
    verdict = evaluate(record=bad, rule=rule)
    assert verdict.status == FAILED
    assert [c.code for c in verdict.deciding] == ["achievement_not_met"]
    assert [c.criterion for c in verdict.criteria] == [
        "threshold",
        "sheets",
        "achievement",
        "achievement",
    ]


def test_a_rule_without_criterion_is_inconclusive():
    verdict = evaluate(record=record(sheet(10)), rule=RuleSpec())
    assert verdict.status == INCONCLUSIVE
    assert verdict.reasons == ["The rule has no criterion yet."]


def test_figures_come_from_a_record_or_plain_values():
    figures = RecordFigures.from_record(record(sheet("7.5"), sheet(status="exempt")))
    assert figures.sheets[1].points == D("7.5") and figures.sheets[2].status == "exempt"
    assert RecordFigures.from_record(figures) is figures
    spec = percentage(50)
    assert RuleSpec.from_rule(spec) is spec


# -- the rule in words ----------------------------------------------------------------------


def test_describe_rule():
    spec = RuleSpec(
        threshold_kind="percentage",
        threshold_value=D(50),
        sheet_min_percentage=D(20),
        sheet_min_count=9,
        required_achievements=((1, "Presentation"),),
    )
    assert describe_rule(spec, sheet_count=12) == (
        "at least 50 % of all points, at least 20 % on 9 of 12 sheets and “Presentation” passed"
    )
    assert describe_rule(per_sheet(20, 1), sheet_count=1) == "at least 20 % on 1 of 1 sheet"
    assert describe_rule(per_sheet(20, 1)) == "at least 20 % on 1 sheet"
    assert describe_rule(per_sheet("12.5", 2, sheet_ids=(1, 2, 3))) == (
        "at least 12.5 % on 2 of 3 sheets"
    )
    assert describe_rule(absolute(1)) == "at least 1 point"
    assert describe_rule(absolute("120.5")) == "at least 120.5 points"
    assert describe_rule(RuleSpec()) == "no criterion yet"


def test_german_wording():
    spec = RuleSpec(
        threshold_kind="percentage",
        threshold_value=D("50.5"),
        sheet_min_percentage=D(20),
        sheet_min_count=9,
        required_achievements=((1, "Vortrag"),),
    )
    with translation.override("de"):
        assert describe_rule(spec, sheet_count=12) == (
            "mindestens 50,5 % aller Punkte, mindestens 20 % auf 9 von 12 Blättern und "
            "„Vortrag“ bestanden"
        )
        verdict = evaluate(record=record(sheet(6), sheet(status="pending")), rule=absolute(12))
        assert verdict.reasons == [
            "Ihnen fehlen noch 6 Punkte aus dem 1 noch nicht korrigierten Blatt."
        ]
        failed = evaluate(record=record(sheet("4.99")), rule=percentage(50))
        assert failed.reasons == [
            "50 % der Punkte (5 Punkte) sind nötig, erreichbar sind aber höchstens 4,99 Punkte."
        ]


@pytest.mark.parametrize(
    "code_rule_record",
    [
        (percentage(50), record(sheet(5))),
        (percentage(50), record(sheet(1))),
        (percentage(50), record(sheet(1), sheet(status="pending"))),
        (percentage(50, expected_assignments=3), record(sheet(1))),
        (percentage(50), record()),
        (absolute(5, expected_assignments=3), record(sheet(1))),
        (absolute(5), record(sheet(1))),
        (per_sheet(50, 1), record(sheet(5))),
        (per_sheet(50, 2), record(sheet(5), sheet(status="pending"))),
        (per_sheet(50, 2), record(sheet(5))),
    ],
)
def test_every_reason_is_translated(code_rule_record):
    rule, figures = code_rule_record
    english = evaluate(record=figures, rule=rule).reasons
    with translation.override("de"):
        german = evaluate(record=figures, rule=rule).reasons
    assert german != english
