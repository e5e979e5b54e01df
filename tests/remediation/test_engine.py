"""The pure scoring engine: the rule of each correction kind, and properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remediation import engine

D = Decimal
OPTIONS = ("A", "B", "C", "D")
ONE = D(1)


def question(qid=1, position=1, key=("A",), points=ONE):
    return engine.Question(qid, position, OPTIONS, frozenset(key), points)


@pytest.mark.parametrize(
    ("answer", "corrections", "correct"),
    [
        (["A"], [], True),
        (["B"], [], False),
        ([], [], False),
        (["A", "B"], [], False),  # a single-answer question marked twice
        (["B"], [{"kind": "mark_correct", "options": ["B"]}], True),
        (["A", "B"], [{"kind": "mark_correct", "options": ["B"]}], True),  # both accepted
        (["B", "C"], [{"kind": "mark_correct", "options": ["B"]}], False),  # C is not
        (["C"], [{"kind": "mark_correct", "options": list(OPTIONS)}], True),  # every option
        ([], [{"kind": "mark_correct", "options": list(OPTIONS)}], False),
        (["B"], [{"kind": "replace_key", "options": ["B"]}], True),
        (["A"], [{"kind": "replace_key", "options": ["B"]}], False),
        # a later replace_key supersedes an earlier acceptance
        (
            ["C"],
            [
                {"kind": "mark_correct", "options": ["C"]},
                {"kind": "replace_key", "options": ["B"]},
            ],
            False,
        ),
    ],
)
def test_single_answer_rules(answer, corrections, correct):
    q = question()
    rules = engine.fold({1: q}, [{**c, "question_version": 1} for c in corrections])
    assert engine.is_correct(answer, rules[1]) is correct


def test_multi_answer_needs_the_whole_key_unless_an_option_is_accepted():
    q = question(key=("A", "C"))
    rules = engine.fold({1: q}, [])
    assert engine.is_correct(["A", "C"], rules[1])
    assert not engine.is_correct(["A"], rules[1])
    assert not engine.is_correct(["A", "B", "C"], rules[1])
    rules = engine.fold({1: q}, [{"kind": "mark_correct", "question_version": 1, "options": ["A"]}])
    assert engine.is_correct(["A"], rules[1])
    assert not engine.is_correct(["A", "B"], rules[1])


def test_drop_item_leaves_score_and_maximum():
    qs = [question(1, 1), question(2, 2, points=D(2))]
    answers = {"1": ["A"], "2": ["A"]}
    assert engine.score(answers, qs, engine.fold({q.id: q for q in qs}, [])) == (D(3), D(3))
    rules = engine.fold({q.id: q for q in qs}, [{"kind": "drop_item", "question_version": 2}])
    assert engine.score(answers, qs, rules) == (D(1), D(1))


def test_normalize_answers_orders_options_and_refuses_unknowns():
    qs = [question(1, 1), question(2, 2)]
    assert engine.normalize_answers({2: ["C", "A"]}, qs) == {"1": [], "2": ["A", "C"]}
    with pytest.raises(ValueError):
        engine.normalize_answers({1: "E"}, qs)
    with pytest.raises(ValueError):
        engine.normalize_answers({3: "A"}, qs)


# -- properties ----------------------------------------------------------------------------------

subsets = st.lists(st.sampled_from(OPTIONS), unique=True)
corrections = st.lists(
    st.one_of(
        st.builds(lambda q: {"kind": "drop_item", "question_version": q}, st.integers(1, 5)),
        st.builds(
            lambda q, o: {"kind": "mark_correct", "question_version": q, "options": o},
            st.integers(1, 5),
            subsets.filter(bool),
        ),
        st.builds(
            lambda q, o: {"kind": "replace_key", "question_version": q, "options": o},
            st.integers(1, 5),
            subsets.filter(bool),
        ),
    ),
    max_size=6,
)
QUESTIONS = [
    engine.Question(i, i, OPTIONS, frozenset(k), D(p))
    for i, k, p in [(1, "A", 1), (2, "B", 2), (3, "AC", 1), (4, "D", "0.5"), (5, "BD", 3)]
]
BY_ID = {q.id: q for q in QUESTIONS}
sheets = st.fixed_dictionaries({str(q.position): subsets for q in QUESTIONS})


@settings(max_examples=300, deadline=None)
@given(answers=sheets, before=corrections, extra=corrections)
def test_incremental_change_equals_full_rescoring(answers, before, extra):
    """What apply and revert rely on: the stored score plus the change of the targeted
    questions equals scoring everything again under the new corrections."""
    old_rules = engine.fold(BY_ID, before)
    new_rules = engine.fold(BY_ID, [*before, *extra])
    old = engine.score(answers, QUESTIONS, old_rules)
    new = engine.score(answers, QUESTIONS, new_rules)
    targeted = {c["question_version"] for c in extra}
    ds = dm = D(0)
    for qid in targeted:
        step = engine.delta(answers[str(qid)], BY_ID[qid], old_rules[qid], new_rules[qid])
        ds, dm = ds + step[0], dm + step[1]
    assert (old[0] + ds, old[1] + dm) == new
    assert D(0) <= new[0] <= new[1]


@settings(max_examples=200, deadline=None)
@given(answers=sheets, first=corrections, middle=corrections, last=corrections)
def test_leaving_a_batch_out_is_the_same_as_never_applying_it(answers, first, middle, last):
    """Revert: rescoring without the reverted batch (later batches kept) from the current
    state gives the score the sheet would have had without it."""
    everything = engine.fold(BY_ID, [*first, *middle, *last])
    without = engine.fold(BY_ID, [*first, *last])
    now = engine.score(answers, QUESTIONS, everything)
    ds = dm = D(0)
    for qid in {c["question_version"] for c in middle}:
        step = engine.delta(answers[str(qid)], BY_ID[qid], everything[qid], without[qid])
        ds, dm = ds + step[0], dm + step[1]
    assert (now[0] + ds, now[1] + dm) == engine.score(answers, QUESTIONS, without)


@settings(max_examples=200, deadline=None)
@given(answers=sheets, before=corrections)
def test_accepting_every_option_never_lowers_a_score(answers, before):
    rules = engine.fold(BY_ID, before)
    accept = [
        {"kind": "mark_correct", "question_version": 2, "options": list(OPTIONS)},
    ]
    after = engine.fold(BY_ID, [*before, *accept])
    assert engine.score(answers, QUESTIONS, after)[0] >= engine.score(answers, QUESTIONS, rules)[0]
