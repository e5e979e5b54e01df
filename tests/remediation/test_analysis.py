"""Item analysis: shares, point-biserial discrimination against the rest score, flags."""

from __future__ import annotations

from decimal import Decimal

import pytest

from remediation import analysis, engine, selectors
from tests.factories import AnswerSheetFactory, EvaluationFactory

OPTIONS = ("A", "B", "C", "D")
QUESTIONS = [engine.Question(i, i, OPTIONS, frozenset("A"), Decimal(1)) for i in (1, 2, 3)]
RULES = engine.fold({q.id: q for q in QUESTIONS}, [])


def sheet(*answers):
    return {str(i + 1): list(a) for i, a in enumerate(answers)}


def test_shares_and_a_flag_when_the_best_chose_a_distractor():
    # Question 3's key is wrong: the strong students (right on 1 and 2) all chose B.
    sheets = [sheet("A", "A", "B")] * 4 + [sheet("B", "C", "A")] * 4 + [sheet("A", "", "")] * 2
    stats = analysis.analyse_version(QUESTIONS, RULES, sheets)
    q1, q2, q3 = stats
    assert q1.share_correct == pytest.approx(0.6)
    assert q1.option_shares == pytest.approx({"A": 0.6, "B": 0.4, "C": 0.0, "D": 0.0})
    assert q2.share_blank == pytest.approx(0.2)
    assert q3.flagged and not q1.flagged and not q2.flagged
    assert q3.top_group == 3 and q3.top_choices["B"] == 3 and q3.top_correct == 0
    assert q3.discrimination < 0
    assert q2.discrimination is None  # every rest score (question 1 + 3) is 1


def test_point_biserial_matches_the_formula():
    # rest scores 2, 2, 0, 0 with item right, right, wrong, wrong: a perfect separation.
    sheets = [sheet("A", "A", "A")] * 2 + [sheet("B", "B", "B")] * 2
    q1 = analysis.analyse_version(QUESTIONS, RULES, sheets)[0]
    assert q1.discrimination == pytest.approx(1.0)
    everyone = analysis.analyse_version(QUESTIONS, RULES, [sheet("A", "A", "A")] * 3)[0]
    assert everyone.discrimination is None and everyone.share_correct == 1


def test_a_dropped_question_is_not_flagged_and_the_accepted_option_is_no_distractor():
    sheets = [sheet("A", "A", "B")] * 4 + [sheet("B", "C", "A")] * 4
    rules = engine.fold(
        {q.id: q for q in QUESTIONS},
        [{"kind": "mark_correct", "question_version": 3, "options": ["B"]}],
    )
    assert not analysis.analyse_version(QUESTIONS, rules, sheets)[2].flagged
    rules = engine.fold(
        {q.id: q for q in QUESTIONS}, [{"kind": "drop_item", "question_version": 3}]
    )
    q3 = analysis.analyse_version(QUESTIONS, rules, sheets)[2]
    assert q3.dropped and not q3.flagged and q3.discrimination is None


@pytest.mark.django_db
def test_selector_reads_every_version(django_assert_max_num_queries):
    evaluation = EvaluationFactory(questions=3)
    version = evaluation.versions.get()
    for answer in ["A", "A", "B"]:
        AnswerSheetFactory(version=version, answers={1: answer})
    with django_assert_max_num_queries(4):
        result = selectors.item_analysis(evaluation=evaluation)
    stats = result[version]
    assert [s.position for s in stats] == [1, 2, 3]
    assert stats[0].share_correct == pytest.approx(2 / 3) and stats[0].sheets == 3
