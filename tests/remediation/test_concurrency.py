"""Applying the same batch from two connections at once changes scores once (PostgreSQL).

``apply_batch`` locks the evaluation and the batch row ``FOR UPDATE`` before it reads the
status. The race window is widened by a sleep after the applied corrections are read. The
control switches the locks off (``settings.MAMPF_ROW_LOCKS = False``) and must see the batch
applied twice (a second history row per sheet and a point gained twice), which proves the
test can detect a double application.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from remediation import errors, services
from remediation.models import AnswerSheet, ScoreHistory
from tests.concurrency import run_concurrently
from tests.factories import AnswerSheetFactory, EvaluationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

RACE_WINDOW_SECONDS = 0.4


@pytest.fixture
def batch(on_postgres, monkeypatch):
    evaluation = EvaluationFactory(questions=4)
    version = evaluation.versions.get()
    for answer in ["A", "B", "C"]:
        AnswerSheetFactory(version=version, answers={1: answer})
    q1 = version.questions.get(position=1)
    batch = services.create_batch(
        evaluation=evaluation,
        reason="B is right as well",
        corrections=[{"kind": "mark_correct", "question_version": q1.pk, "options": ["B"]}],
        by=evaluation.lecture.teacher,
    )
    real = services.active_corrections

    def slow(**kwargs):
        result = real(**kwargs)
        time.sleep(RACE_WINDOW_SECONDS)
        return result

    monkeypatch.setattr(services, "active_corrections", slow)
    return batch


def apply_twice(batch):
    teacher = batch.evaluation.lecture.teacher
    return run_concurrently(
        [lambda: services.apply_batch(batch=batch, by=teacher) for _i in range(2)]
    )


def test_two_connections_apply_a_batch_once(batch):
    outcomes = apply_twice(batch)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, errors.NotDraft)
    assert ScoreHistory.objects.filter(batch=batch).count() == 3
    assert list(AnswerSheet.objects.order_by("pk").values_list("score", flat=True)) == [
        Decimal(1),
        Decimal(1),
        Decimal(0),
    ]


def test_control_without_locks_applies_twice(batch, settings):
    settings.MAMPF_ROW_LOCKS = False
    outcomes = apply_twice(batch)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    assert ScoreHistory.objects.filter(batch=batch).count() == 6
    # The sheet answering B gained its point twice.
    assert list(AnswerSheet.objects.order_by("pk").values_list("score", flat=True)) == [
        Decimal(1),
        Decimal(2),
        Decimal(0),
    ]
