"""Item analysis, so staff can find a flawed question (issue 11 item 2). Pure: no database.

Per question version, over the sheets of its version (the counting and earlier attempts
alike), under the applied corrections:

- ``share_correct``: the share of sheets whose answer is correct;
- ``option_shares``: the share of sheets marking each option (a sheet may mark several), and
  ``share_blank`` for no mark;
- ``discrimination``: the point-biserial correlation between answering this question correctly
  (1/0) and the **rest** score (the sheet's score without this question), so the question does
  not correlate with itself; None when everyone (or no one) was right or the rest scores are
  all equal;
- ``flagged``: in the top group (the best 27 % by score, at least one sheet) some distractor
  (an option neither in the key nor accepted) was marked by more sheets than answered
  correctly, the classic sign of a wrong key. A dropped question is never flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from remediation import engine

TOP_SHARE = 0.27


@dataclass(frozen=True)
class ItemStats:
    question_id: int
    position: int
    options: tuple[str, ...]
    key: tuple[str, ...]
    dropped: bool
    sheets: int
    share_correct: float | None
    share_blank: float | None
    option_shares: dict[str, float] = field(default_factory=dict)
    discrimination: float | None = None
    top_group: int = 0
    top_correct: int = 0
    top_choices: dict[str, int] = field(default_factory=dict)
    flagged: bool = False


def _point_biserial(correct: Sequence[bool], rest: Sequence[float]) -> float | None:
    n = len(correct)
    right = [r for c, r in zip(correct, rest, strict=True) if c]
    wrong = [r for c, r in zip(correct, rest, strict=True) if not c]
    if not right or not wrong:
        return None
    mean = sum(rest) / n
    variance = sum((r - mean) ** 2 for r in rest) / n
    if variance <= 0:
        return None
    p = len(right) / n
    m1, m0 = sum(right) / len(right), sum(wrong) / len(wrong)
    return (m1 - m0) / math.sqrt(variance) * math.sqrt(p * (1 - p))


def analyse_version(
    questions: Sequence[engine.Question],
    rules: Mapping[int, engine.Rule],
    sheets: Sequence[Mapping[str, Sequence[str]]],
) -> list[ItemStats]:
    """The statistics of every question of one version over these sheets' answers."""
    n = len(sheets)
    got: list[list[Decimal]] = []  # per sheet, the points of each question
    correct: list[list[bool]] = []
    for answers in sheets:
        row_points, row_correct = [], []
        for q in questions:
            rule = rules[q.id]
            right = not rule.dropped and engine.is_correct(answers.get(str(q.position), ()), rule)
            row_correct.append(right)
            row_points.append(q.points if right else Decimal(0))
        got.append(row_points)
        correct.append(row_correct)
    totals = [float(sum(points, Decimal(0))) for points in got]
    order = sorted(range(n), key=lambda i: totals[i], reverse=True)
    top = order[: max(1, math.ceil(n * TOP_SHARE))] if n else []
    result = []
    for index, q in enumerate(questions):
        rule = rules[q.id]
        if not n:
            result.append(
                ItemStats(
                    q.id, q.position, q.options, tuple(sorted(q.key)), rule.dropped, 0, None, None
                )
            )
            continue
        chosen = [sheets[i].get(str(q.position), ()) for i in range(n)]
        shares = {o: sum(1 for c in chosen if o in c) / n for o in q.options}
        blank = sum(1 for c in chosen if not c) / n
        item = [correct[i][index] for i in range(n)]
        rest = [totals[i] - float(got[i][index]) for i in range(n)]
        top_choices = {o: sum(1 for i in top if o in chosen[i]) for o in q.options}
        top_correct = sum(1 for i in top if item[i])
        distractors = [o for o in q.options if o not in rule.key and o not in rule.accepted]
        flagged = not rule.dropped and any(top_choices[o] > top_correct for o in distractors)
        result.append(
            ItemStats(
                question_id=q.id,
                position=q.position,
                options=q.options,
                key=tuple(o for o in q.options if o in rule.key),
                dropped=rule.dropped,
                sheets=n,
                share_correct=sum(item) / n,
                share_blank=blank,
                option_shares=shares,
                discrimination=None if rule.dropped else _point_biserial(item, rest),
                top_group=len(top),
                top_correct=top_correct,
                top_choices=top_choices,
                flagged=flagged,
            )
        )
    return result
