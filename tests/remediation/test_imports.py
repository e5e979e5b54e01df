"""Question-list and scanner CSV imports: whole-file validation, summary, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from remediation import errors, imports
from remediation.models import AnswerSheet, EvaluationVersion, QuestionVersion, ScoreHistory
from tests.factories import AnswerSheetFactory, EvaluationFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def csv_rows(text: str):
    return imports.read_file(name="x.csv", data=text.encode("utf-8-sig"))


QUESTIONS = """variant;position;options;key;points
A;1;A,B,C,D;A;1
A;2;ABCD;B,D;2
B;1;A,B,C;C;1,5
B;2;A,B;A;
"""


def test_question_list_import_creates_the_variants():
    evaluation = EvaluationFactory(questions=0)
    EvaluationVersion.objects.filter(evaluation=evaluation).delete()
    check = imports.check_question_list(evaluation=evaluation, rows=csv_rows(QUESTIONS))
    assert check.problems == [] and check.questions == 4
    imports.import_question_list(
        evaluation=evaluation, rows=csv_rows(QUESTIONS), by=evaluation.lecture.teacher
    )
    b = evaluation.versions.get(label="B")
    assert list(b.questions.values_list("position", "options", "key", "points")) == [
        (1, ["A", "B", "C"], ["C"], D("1.5")),
        (2, ["A", "B"], ["A"], D(1)),
    ]
    a2 = evaluation.versions.get(label="A").questions.get(position=2)
    assert a2.key == ["B", "D"] and a2.points == D(2)


def test_question_list_problems_refuse_the_whole_file():
    evaluation = EvaluationFactory(questions=2)
    AnswerSheetFactory(version=evaluation.versions.get(), answers={1: "A"})
    bad = """variant;position;options;key;points
A;1;A,B;A;1
C;1;A;A;1
C;1;A,B;A;1
C;3;A,B;E;1
D;1;A,B;A;x
E;2;A,B;A;1
"""
    before = list(QuestionVersion.objects.values_list("pk", "key"))
    check = imports.check_question_list(evaluation=evaluation, rows=csv_rows(bad))
    codes = {p.code for p in check.problems}
    assert {"bad_options", "bad_key", "bad_points", "evaluation_has_sheets", "gaps"} <= codes
    with pytest.raises(errors.ImportRejected) as caught:
        imports.import_question_list(
            evaluation=evaluation, rows=csv_rows(bad), by=evaluation.lecture.teacher
        )
    assert caught.value.details["problems"]
    assert list(QuestionVersion.objects.values_list("pk", "key")) == before


@pytest.fixture
def evaluation():
    evaluation = EvaluationFactory(questions=3)
    b = evaluation.versions.create(label="B")
    QuestionVersion.objects.bulk_create(
        QuestionVersion(version=b, position=p, options=["A", "B", "C"], key=["B"]) for p in (1, 2)
    )
    return evaluation


def test_scanner_import_scores_every_sheet_with_attempts(evaluation):
    ann = UserFactory(matriculation_number="1001")
    ben = UserFactory(matriculation_number="1002")
    AnswerSheetFactory(version=evaluation.versions.get(label="A"), user=ben, answers={})
    text = "matriculation;variant;1;2;3\n1001;A;A;AB;\n1002;B;B;B;\n"
    check = imports.check_answer_sheets(evaluation=evaluation, rows=csv_rows(text))
    assert check.problems == [] and check.count == 2 and check.repeat_attempts == 1
    assert imports.summary_counts(check)["by_variant"] == {"A": 1, "B": 1}
    imports.import_answer_sheets(
        evaluation=evaluation, rows=csv_rows(text), by=evaluation.lecture.teacher
    )
    sheet = AnswerSheet.objects.get(user=ann)
    assert sheet.answers == {"1": ["A"], "2": ["A", "B"], "3": []}
    assert (sheet.attempt, sheet.score, sheet.max_score) == (1, D(1), D(3))
    second = AnswerSheet.objects.get(user=ben, attempt=2)
    assert (second.version.label, second.score, second.max_score) == ("B", D(2), D(2))
    assert ScoreHistory.objects.filter(sheet=second, batch=None).count() == 1


def test_scanner_problems_refuse_the_whole_file(evaluation):
    UserFactory(matriculation_number="1001")
    UserFactory(matriculation_number="1002")
    text = (
        "matriculation;variant;1;2;3\n"
        "1001;A;A;;\n"
        "9999;A;A;;\n"  # unknown student
        "1002;Z;A;;\n"  # unknown variant
        "1003;A;E;;\n"  # unknown student first
        "1001;A;B;;\n"  # duplicated sheet
    )
    check = imports.check_answer_sheets(evaluation=evaluation, rows=csv_rows(text))
    codes = [p.code for p in check.problems]
    assert codes.count("duplicate_sheet") == 2
    assert {"unknown_student", "unknown_variant"} <= set(codes)
    impossible = "matriculation;variant;1;2;3\n1002;B;A;A;C\n"  # B has no question 3
    check = imports.check_answer_sheets(evaluation=evaluation, rows=csv_rows(impossible))
    assert [p.code for p in check.problems] == ["impossible_answer"]
    with pytest.raises(errors.ImportRejected):
        imports.import_answer_sheets(
            evaluation=evaluation, rows=csv_rows(text), by=evaluation.lecture.teacher
        )
    assert not AnswerSheet.objects.exists()
