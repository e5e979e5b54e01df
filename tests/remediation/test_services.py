"""Scoring, correction batches, apply, revert and preview (issue 11 items 3-5 and 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from remediation import errors, services
from remediation.models import AnswerSheet, CorrectionBatch, ScoreHistory
from tests.factories import AnswerSheetFactory, EvaluationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def evaluation():
    return EvaluationFactory(questions=4)


@pytest.fixture
def version(evaluation):
    return evaluation.versions.get()


@pytest.fixture
def teacher(evaluation):
    return evaluation.lecture.teacher


def q(version, position):
    return version.questions.get(position=position)


def scores(*sheets):
    return [
        (s.score, s.max_score)
        for s in AnswerSheet.objects.filter(pk__in=[x.pk for x in sheets]).order_by("pk")
    ]


def history(sheet):
    return list(
        ScoreHistory.objects.filter(sheet=sheet)
        .order_by("pk")
        .values_list("batch_id", "score", "max_score")
    )


def test_score_sheet_writes_the_initial_history_row(version):
    sheet = AnswerSheetFactory(version=version, answers={1: "A", 2: "B", 3: "A"})
    assert (sheet.score, sheet.max_score) == (D(2), D(4))
    assert history(sheet) == [(None, D(2), D(4))]
    assert sheet.answers == {"1": ["A"], "2": ["B"], "3": ["A"], "4": []}
    with pytest.raises(errors.InvalidSheet):
        services.score_sheet(sheet=sheet)


def test_attempts_are_numbered_per_user_and_evaluation(version):
    user = UserFactory()
    first = AnswerSheetFactory(version=version, user=user, answers={1: "A"})
    second = AnswerSheetFactory(version=version, user=user, answers={1: "B"})
    other = AnswerSheetFactory(version=version, answers={})
    assert (first.attempt, second.attempt, other.attempt) == (1, 2, 1)


def test_unknown_option_or_position_is_refused(version):
    with pytest.raises(errors.InvalidSheet):
        AnswerSheetFactory(version=version, answers={1: "E"})
    with pytest.raises(errors.InvalidSheet):
        AnswerSheetFactory(version=version, answers={9: "A"})
    assert not AnswerSheet.objects.exists()


def test_create_batch_validates_the_payload(evaluation, version, teacher):
    other = EvaluationFactory(lecture=evaluation.lecture).versions.get()
    cases = [
        ([{"kind": "drop_item", "question_version": 999999}], "unknown_question_version"),
        ([{"kind": "drop_item", "question_version": q(other, 1).pk}], "unknown_question_version"),
        (
            [{"kind": "mark_correct", "question_version": q(version, 1).pk, "options": ["E"]}],
            "unknown_option",
        ),
        (
            [{"kind": "replace_key", "question_version": q(version, 1).pk, "options": []}],
            "options_required",
        ),
        (
            [{"kind": "drop_item", "question_version": q(version, 1).pk, "options": ["A"]}],
            "options_not_allowed",
        ),
        ([{"kind": "boost", "question_version": q(version, 1).pk}], "unknown_kind"),
        (
            [
                {"kind": "drop_item", "question_version": q(version, 1).pk},
                {"kind": "replace_key", "question_version": q(version, 1).pk, "options": ["B"]},
            ],
            "contradiction",
        ),
        (["nonsense"], "malformed"),
    ]
    for corrections, code in cases:
        with pytest.raises(errors.InvalidCorrections) as caught:
            services.create_batch(
                evaluation=evaluation, reason="flawed", corrections=corrections, by=teacher
            )
        assert code in [p["code"] for p in caught.value.details["problems"]], code
        assert caught.value.code == "invalid_corrections"
    with pytest.raises(errors.ReasonRequired):
        services.create_batch(
            evaluation=evaluation,
            reason="   ",
            corrections=[{"kind": "drop_item", "question_version": q(version, 1).pk}],
            by=teacher,
        )
    with pytest.raises(errors.PayloadTooLarge):
        services.create_batch(
            evaluation=evaluation,
            reason="big",
            corrections=[{"kind": "drop_item", "question_version": 1, "x": "y" * 5_000_000}],
            by=teacher,
        )
    with pytest.raises(errors.NotAllowed):
        services.create_batch(
            evaluation=evaluation,
            reason="not mine",
            corrections=[{"kind": "drop_item", "question_version": q(version, 1).pk}],
            by=UserFactory(),
        )
    assert not CorrectionBatch.objects.exists()


def test_payload_is_normalized(evaluation, version, teacher):
    batch = services.create_batch(
        evaluation=evaluation,
        reason=" two keys ",
        corrections=[
            {
                "kind": "mark_correct",
                "question_version": str(q(version, 2).pk),
                "options": ["D", "B"],
            }
        ],
        by=teacher,
    )
    assert batch.status == "draft" and batch.reason == "two keys"
    assert batch.payload == [
        {"kind": "mark_correct", "question_version": q(version, 2).pk, "options": ["B", "D"]}
    ]
    assert batch.created_by == teacher


def make_batch(evaluation, teacher, *corrections, reason="flawed question"):
    return services.create_batch(
        evaluation=evaluation, reason=reason, corrections=list(corrections), by=teacher
    )


def test_apply_drop_item_rescores_every_attempt_and_only_that_version(evaluation, version, teacher):
    other_version = evaluation.versions.create(label="B")
    other_version.questions.create(position=1, options=["A", "B"], key=["B"], points=D(2))
    user = UserFactory()
    first = AnswerSheetFactory(version=version, user=user, answers={1: "A", 2: "A"})
    second = AnswerSheetFactory(version=version, user=user, answers={1: "B", 2: "A"})
    untouched = AnswerSheetFactory(version=other_version, answers={1: "B"})
    batch = make_batch(
        evaluation, teacher, {"kind": "drop_item", "question_version": q(version, 1).pk}
    )
    services.apply_batch(batch=batch, by=teacher)
    batch.refresh_from_db()
    assert batch.status == "applied" and batch.applied_by == teacher and batch.applied_at
    assert scores(first, second, untouched) == [(D(1), D(3)), (D(1), D(3)), (D(2), D(2))]
    assert history(first) == [(None, D(2), D(4)), (batch.pk, D(1), D(3))]
    assert history(second) == [(None, D(1), D(4)), (batch.pk, D(1), D(3))]
    assert history(untouched) == [(None, D(2), D(2))]


def test_mark_correct_and_replace_key(evaluation, version, teacher):
    a = AnswerSheetFactory(version=version, answers={1: "A"})
    b = AnswerSheetFactory(version=version, answers={1: "B"})
    ab = AnswerSheetFactory(version=version, answers={1: ["A", "B"]})
    c = AnswerSheetFactory(version=version, answers={1: "C"})
    services.apply_batch(
        batch=make_batch(
            evaluation,
            teacher,
            {"kind": "mark_correct", "question_version": q(version, 1).pk, "options": ["B"]},
        ),
        by=teacher,
    )
    assert [s for s, _m in scores(a, b, ab, c)] == [D(1), D(1), D(1), D(0)]
    services.apply_batch(
        batch=make_batch(
            evaluation,
            teacher,
            {"kind": "replace_key", "question_version": q(version, 1).pk, "options": ["C"]},
        ),
        by=teacher,
    )
    assert [s for s, _m in scores(a, b, ab, c)] == [D(0), D(0), D(0), D(1)]


def test_apply_twice_in_a_row_changes_scores_once(evaluation, version, teacher):
    sheet = AnswerSheetFactory(version=version, answers={1: "B"})
    batch = make_batch(
        evaluation,
        teacher,
        {"kind": "mark_correct", "question_version": q(version, 1).pk, "options": ["B"]},
    )
    services.apply_batch(batch=batch, by=teacher)
    with pytest.raises(errors.NotDraft) as caught:
        services.apply_batch(batch=batch, by=teacher)
    assert caught.value.code == "batch_not_draft"
    assert scores(sheet) == [(D(1), D(4))]
    assert len(history(sheet)) == 2


def test_apply_by_a_teacher_of_another_lecture_is_refused(evaluation, version, teacher):
    sheet = AnswerSheetFactory(version=version, answers={1: "B"})
    batch = make_batch(
        evaluation, teacher, {"kind": "drop_item", "question_version": q(version, 1).pk}
    )
    stranger = EvaluationFactory().lecture.teacher
    with pytest.raises(errors.NotAllowed):
        services.apply_batch(batch=batch, by=stranger)
    batch.refresh_from_db()
    assert batch.status == "draft" and len(history(sheet)) == 1
    assert services.apply_batch(batch=batch, by=StaffFactory()).status == "applied"


def test_revert_latest_restores_pre_batch_values_exactly(evaluation, version, teacher):
    sheets = [
        AnswerSheetFactory(version=version, answers={1: o, 2: "A"}) for o in ["A", "B", "C", ""]
    ]
    before = scores(*sheets)
    batch = make_batch(
        evaluation,
        teacher,
        {"kind": "replace_key", "question_version": q(version, 1).pk, "options": ["B"]},
    )
    services.apply_batch(batch=batch, by=teacher)
    assert scores(*sheets) != before
    compensation = services.revert_batch(batch=batch, by=teacher, reason="key was right")
    assert scores(*sheets) == before
    batch.refresh_from_db()
    assert batch.status == "reverted"
    assert compensation.reverts == batch and compensation.status == "applied"
    assert compensation.reason == "key was right" and compensation.applied_by == teacher
    for sheet, (score, maximum) in zip(sheets, before, strict=True):
        rows = history(sheet)
        assert len(rows) == 3 and rows[0][1:] == rows[2][1:] == (score, maximum)
        assert rows[2][0] == compensation.pk
    with pytest.raises(errors.AlreadyReverted) as caught:
        services.revert_batch(batch=batch, by=teacher, reason="again")
    assert caught.value.code == "batch_already_reverted"
    with pytest.raises(errors.CompensationNotRevertible):
        services.revert_batch(batch=compensation, by=teacher, reason="undo the undo")
    assert all(len(history(s)) == 3 for s in sheets)


def test_revert_of_an_earlier_batch_keeps_the_later_one(evaluation, version, teacher):
    sheet = AnswerSheetFactory(version=version, answers={1: "B", 2: "C"})
    assert scores(sheet) == [(D(0), D(4))]
    first = make_batch(
        evaluation,
        teacher,
        {"kind": "mark_correct", "question_version": q(version, 1).pk, "options": ["B"]},
    )
    services.apply_batch(batch=first, by=teacher)
    second = make_batch(
        evaluation,
        teacher,
        {"kind": "replace_key", "question_version": q(version, 2).pk, "options": ["C"]},
        {"kind": "drop_item", "question_version": q(version, 3).pk},
    )
    services.apply_batch(batch=second, by=teacher)
    assert scores(sheet) == [(D(2), D(3))]
    services.revert_batch(batch=first, by=teacher, reason="B was wrong after all")
    assert scores(sheet) == [(D(1), D(3))]


def test_revert_refusals(evaluation, version, teacher):
    draft = make_batch(
        evaluation, teacher, {"kind": "drop_item", "question_version": q(version, 1).pk}
    )
    with pytest.raises(errors.NotApplied):
        services.revert_batch(batch=draft, by=teacher, reason="x")
    services.apply_batch(batch=draft, by=teacher)
    with pytest.raises(errors.ReasonRequired):
        services.revert_batch(batch=draft, by=teacher, reason="")
    draft.refresh_from_db()
    assert draft.status == "applied"


def test_preview_writes_nothing_and_lists_changes(evaluation, version, teacher):
    right = AnswerSheetFactory(version=version, answers={1: "A"})
    wrong = AnswerSheetFactory(version=version, answers={1: "B"})
    other = EvaluationFactory(lecture=evaluation.lecture)
    AnswerSheetFactory(version=other.versions.get(), answers={1: "B"})
    batch = make_batch(
        evaluation,
        teacher,
        {"kind": "replace_key", "question_version": q(version, 1).pk, "options": ["B"]},
    )
    count = ScoreHistory.objects.count()
    preview = services.preview_batch(batch=batch)
    assert preview.submissions_affected == 2
    assert {(c.sheet_id, c.old_score, c.new_score) for c in preview.score_changes} == {
        (right.pk, D(1), D(0)),
        (wrong.pk, D(0), D(1)),
    }
    assert not preview.has_exam and preview.pass_to_fail == []
    assert ScoreHistory.objects.count() == count
    assert scores(right, wrong) == [(D(1), D(4)), (D(0), D(4))]
    services.apply_batch(batch=batch, by=teacher)
    with pytest.raises(errors.NotDraft):
        services.preview_batch(batch=batch)
