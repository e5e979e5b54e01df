"""Corrections flow into the MC exam's grades; the preview names who moves; dropping a question
never makes an outcome worse where the MC rule says so (issue 11 items 4, 6 and 7)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessment import services as assessment_services
from assessment.models import Participation
from grade_schemes import mc_config
from grade_schemes import services as scheme_services
from grade_schemes.models import McOutcome
from remediation import services
from tests.factories import (
    AnswerSheetFactory,
    AssessmentFactory,
    EvaluationFactory,
    ParticipationFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def exam():
    assessment = AssessmentFactory(kind="exam")
    written = TaskFactory(assessment=assessment, position=1, max_points=D(10))
    mc = TaskFactory(assessment=assessment, position=2, max_points=D(10), title="MC")
    evaluation = EvaluationFactory(lecture=assessment.lecture, task=mc)  # 10 questions, key A
    teacher = assessment.lecture.teacher
    mc_config.configure_mc(
        assessment=assessment,
        task=mc,
        by=teacher,
        weight="0.5",
        rule="custom",
        absolute_percent="60",
        relative="",
        step="1",
        mc_grading="share",
    )
    version = evaluation.versions.get()
    # Ann: 6 of 10 (passes at 60 %); Carl: question 1 answered B, then 5 right (fails).
    people = {"Ann": "A", "Carl": "B"}
    for name, first in people.items():
        row = ParticipationFactory(assessment=assessment, user=UserFactory(name=name))
        assessment_services.enter_points(participation=row, points={written: D(8)}, by=teacher)
        answers = {1: first, 2: "A", 3: "A", 4: "A", 5: "A", 6: "A"}
        AnswerSheetFactory(version=version, user=row.user, answers=answers)
    scheme = scheme_services.create_scheme(
        assessment=assessment,
        bands=scheme_services.generate_bands(passing_points=4, excellence_points=9, step=D("0.5")),
        by=teacher,
    )
    scheme_services.apply_scheme(scheme=scheme, by=teacher)
    return {"evaluation": evaluation, "version": version, "teacher": teacher}


def grades():
    return dict(Participation.objects.values_list("user__name", "grade_value"))


def q1(exam):
    return exam["version"].questions.get(position=1).pk


def test_replace_key_preview_names_the_movers_and_apply_regrades(exam):
    assert grades()["Carl"] == D("5.0") and grades()["Ann"] < D("5.0")
    before = grades()
    batch = services.create_batch(
        evaluation=exam["evaluation"],
        reason="the key of question 1 is B",
        corrections=[{"kind": "replace_key", "question_version": q1(exam), "options": ["B"]}],
        by=exam["teacher"],
    )
    preview = services.preview_batch(batch=batch)
    assert preview.has_exam and preview.submissions_affected == 2
    assert [m.name for m in preview.pass_to_fail] == ["Ann"]
    assert [m.name for m in preview.fail_to_pass] == ["Carl"]
    assert preview.pass_to_fail[0].new_points == D(5) and preview.pass_mark == D(6)
    assert grades() == before  # nothing written
    services.apply_batch(batch=batch, by=exam["teacher"])
    after = grades()
    assert after["Ann"] == D("5.0") and after["Carl"] < D("5.0")
    services.revert_batch(batch=batch, by=exam["teacher"], reason="A was right")
    assert grades() == before


def test_dropping_a_question_never_makes_an_outcome_worse(exam):
    before = grades()
    batch = services.create_batch(
        evaluation=exam["evaluation"],
        reason="question 1 was ambiguous",
        corrections=[{"kind": "drop_item", "question_version": q1(exam)}],
        by=exam["teacher"],
    )
    preview = services.preview_batch(batch=batch)
    # Ann: 5 of 9 is below 60 %, but 6 of 10 without the elimination passes: she stays.
    assert preview.pass_to_fail == []
    assert [m.name for m in preview.unchanged] == ["Ann", "Carl"]
    assert [m.name for m in preview.no_disadvantage] == ["Ann"]
    services.apply_batch(batch=batch, by=exam["teacher"])
    after = grades()
    assert after["Ann"] == before["Ann"]
    ann = McOutcome.objects.get(participation__user__name="Ann")
    assert ann.used_fallback
    mc_task = exam["evaluation"].task
    mc_task.refresh_from_db()
    assert mc_task.max_points == D(9)  # the dropped question left the maximum
