"""Pure scoring of answer sheets under a key and corrections (no database).

The rule of a question is folded from its key and the applied corrections, in the order they
were applied:

- ``replace_key(options)``: the key becomes ``options``; earlier acceptances of further options
  for that question lapse (the new key supersedes them);
- ``mark_correct(options)``: these options are accepted as well (all of them: every option);
- ``drop_item``: the question leaves both the score and the maximum.

An answer (the set of options a sheet marks for a question) is **correct** when it equals the
key, or when it is not empty, marks only key or accepted options, and marks at least one
accepted option. So for a single-answer question with key A where B is accepted too, "B" and
"A" are correct (and "A+B", both accepted options); for a multi-answer question with key A+C,
"A" alone stays wrong unless A was explicitly accepted. With every option accepted, every
non-empty answer is correct; an empty answer is never correct. A correct answer earns the
question's points, anything else nothing (no partial credit, no negative points).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

DROP_ITEM = "drop_item"
MARK_CORRECT = "mark_correct"
REPLACE_KEY = "replace_key"
KINDS = (DROP_ITEM, MARK_CORRECT, REPLACE_KEY)
ZERO = Decimal("0")


@dataclass(frozen=True)
class Question:
    """What scoring needs of a ``QuestionVersion``."""

    id: int
    position: int
    options: tuple[str, ...]
    key: frozenset[str]
    points: Decimal


@dataclass(frozen=True)
class Rule:
    """How a question is scored after the corrections."""

    key: frozenset[str]
    accepted: frozenset[str] = frozenset()
    dropped: bool = False


def base_rule(question: Question) -> Rule:
    return Rule(key=frozenset(question.key))


def fold(questions: Mapping[int, Question], corrections: Iterable[Mapping]) -> dict[int, Rule]:
    """The rule of every question after ``corrections`` (applied in this order).

    Corrections for questions not in ``questions`` are ignored (they belong to another version).
    """
    rules = {qid: base_rule(q) for qid, q in questions.items()}
    for correction in corrections:
        qid = int(correction["question_version"])
        rule = rules.get(qid)
        if rule is None:
            continue
        kind = correction["kind"]
        options = frozenset(correction.get("options") or ())
        if kind == DROP_ITEM:
            rules[qid] = Rule(rule.key, rule.accepted, True)
        elif kind == MARK_CORRECT:
            rules[qid] = Rule(rule.key, rule.accepted | options, rule.dropped)
        elif kind == REPLACE_KEY:
            rules[qid] = Rule(options, frozenset(), rule.dropped)
        else:  # validated on creation; an unknown kind here is a programming error
            raise ValueError(f"unknown correction kind {kind!r}")
    return rules


def is_correct(answer: Iterable[str], rule: Rule) -> bool:
    chosen = frozenset(answer)
    if not chosen:
        return False
    if chosen == rule.key:
        return True
    return bool(chosen & rule.accepted) and chosen <= (rule.key | rule.accepted)


def contribution(answer: Iterable[str], rule: Rule, points: Decimal) -> tuple[Decimal, Decimal]:
    """(score, maximum) one question adds to a sheet."""
    if rule.dropped:
        return ZERO, ZERO
    return (points if is_correct(answer, rule) else ZERO), points


def score(
    answers: Mapping[str, Sequence[str]],
    questions: Iterable[Question],
    rules: Mapping[int, Rule],
) -> tuple[Decimal, Decimal]:
    """(score, maximum) of a sheet: ``answers`` maps the position (as text) to the options."""
    total, maximum = ZERO, ZERO
    for question in questions:
        got, out_of = contribution(
            answers.get(str(question.position), ()), rules[question.id], question.points
        )
        total += got
        maximum += out_of
    return total, maximum


def delta(
    answer: Iterable[str], question: Question, before: Rule, after: Rule
) -> tuple[Decimal, Decimal]:
    """How (score, maximum) of a sheet move when one question's rule changes."""
    old_score, old_max = contribution(answer, before, question.points)
    new_score, new_max = contribution(answer, after, question.points)
    return new_score - old_score, new_max - old_max


def normalize_answers(raw: Mapping, questions: Iterable[Question]) -> dict[str, list[str]]:
    """Every position of the version as text, its options in the question's order.

    ``raw`` maps a position (int or text) to an option, a list of options, or nothing.
    Raises ``ValueError`` naming the position for an unknown position or option.
    """
    by_position = {q.position: q for q in questions}
    chosen: dict[int, set[str]] = {}
    for position, value in raw.items():
        try:
            pos = int(position)
        except (TypeError, ValueError):
            raise ValueError(position) from None
        question = by_position.get(pos)
        if question is None:
            raise ValueError(position)
        if value is None or value == "":
            options: set[str] = set()
        elif isinstance(value, str):
            options = {value}
        else:
            options = {str(v) for v in value}
        if not options <= set(question.options):
            raise ValueError(position)
        chosen[pos] = options
    return {
        str(q.position): [o for o in q.options if o in chosen.get(q.position, ())]
        for q in sorted(by_position.values(), key=lambda q: q.position)
    }
