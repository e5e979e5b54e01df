"""Defining an MC test in pages (issue 11 item 1): the services that create a test for an exam's
task, add variants, save and delete questions (each refusal with its code, nothing changed), and
enter one answer sheet by hand; the pages for staff, the refusals for everyone else, bounded
query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from assessment.models import TaskPoint
from grade_schemes import mc_config
from remediation import errors, services
from remediation.models import AnswerSheet, Evaluation, EvaluationVersion, QuestionVersion
from tests.factories import (
    AnswerSheetFactory,
    AssessmentFactory,
    EvaluationFactory,
    LectureFactory,
    ParticipationFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def exam():
    """An exam with a written problem and an MC task (named by its MC configuration), three
    candidates with matriculation numbers."""
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    written = TaskFactory(assessment=assessment, position=1, max_points=D(10), title="Proofs")
    mc = TaskFactory(assessment=assessment, position=2, max_points=D(3), title="MC")
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
    students = [
        ParticipationFactory(
            assessment=assessment,
            user=UserFactory(name=f"Candidate {i}", matriculation_number=f"77000{i}"),
        ).user
        for i in range(1, 4)
    ]
    return {
        "assessment": assessment,
        "written": written,
        "mc": mc,
        "teacher": teacher,
        "students": students,
    }


@pytest.fixture
def defined(exam):
    evaluation = services.create_evaluation(task=exam["mc"], title="MC test", by=exam["teacher"])
    version = evaluation.versions.get()
    for position, key in enumerate(["A", "B", "C"], start=1):
        services.save_question(
            version=version,
            position=position,
            options=["A", "B", "C", "D", "E"],
            key=[key],
            points=D(1),
            by=exam["teacher"],
        )
    return {**exam, "evaluation": evaluation, "version": version}


def snapshot():
    return (
        list(Evaluation.objects.order_by("pk").values_list("pk", "title", "task_id")),
        list(EvaluationVersion.objects.order_by("pk").values_list("pk", "label")),
        list(
            QuestionVersion.objects.order_by("pk").values_list(
                "pk", "position", "options", "key", "points"
            )
        ),
    )


# -- services -------------------------------------------------------------------------------------


def test_create_evaluation_makes_variant_a_and_is_audited(exam):
    evaluation = services.create_evaluation(
        task=exam["mc"], title="  MC test  ", by=exam["teacher"]
    )
    assert evaluation.title == "MC test"
    assert evaluation.lecture == exam["assessment"].lecture
    assert [v.label for v in evaluation.versions.all()] == ["A"]
    assert LogEntry.objects.filter(object_id=str(evaluation.pk), user=exam["teacher"]).exists()


def test_any_task_of_the_exam_may_carry_a_test(exam):
    evaluation = services.create_evaluation(task=exam["written"], title="x", by=exam["teacher"])
    assert evaluation.task == exam["written"]


def test_a_second_test_for_a_task_is_refused(defined):
    before = snapshot()
    with pytest.raises(errors.EvaluationExists) as caught:
        services.create_evaluation(task=defined["mc"], title="Again", by=defined["teacher"])
    assert caught.value.code == "evaluation_exists"
    assert snapshot() == before


def test_a_task_of_another_lecture_is_refused(exam):
    other = TaskFactory(assessment=AssessmentFactory(kind="exam"), position=1)
    with pytest.raises(errors.NotAllowed):
        services.create_evaluation(task=other, title="MC", by=exam["teacher"])
    assert not Evaluation.objects.exists()


def test_a_task_of_an_assignment_is_refused(exam):
    sheet = AssessmentFactory(lecture=exam["assessment"].lecture)
    task = TaskFactory(assessment=sheet, position=1)
    with pytest.raises(errors.TaskNotExam) as caught:
        services.create_evaluation(task=task, title="MC", by=exam["teacher"])
    assert caught.value.code == "task_not_exam"


def test_an_empty_title_is_refused_per_field(exam):
    with pytest.raises(errors.InvalidDefinition) as caught:
        services.create_evaluation(task=exam["mc"], title="  ", by=exam["teacher"])
    assert set(caught.value.fields) == {"title"}
    assert caught.value.code == "invalid_definition"


def test_save_question_creates_then_updates(defined):
    version, teacher = defined["version"], defined["teacher"]
    question = services.save_question(
        version=version,
        position=2,
        options=["A", "B", "C"],
        key=["C", "A"],
        points="2.5",
        by=teacher,
    )
    assert (question.options, question.key, question.points) == (
        ["A", "B", "C"],
        ["A", "C"],
        D("2.5"),
    )
    assert version.questions.count() == 3  # updated, not added
    assert LogEntry.objects.filter(object_id=str(defined["evaluation"].pk)).count() == 5


@pytest.mark.parametrize(
    "options, key, points, field",
    [
        (["A", "B", "C"], ["D"], D(1), "key"),  # key not among the options
        (["A", "B", "B"], ["A"], D(1), "options"),  # duplicate option
        (["A", "B", "C"], ["A"], D(0), "points"),  # points 0
        (["A", "B", "C"], ["A"], D(-1), "points"),
        (["A", "B", "C"], ["A"], "abc", "points"),
        (["A", "B", "C"], ["A"], D("0.005"), "points"),
        (["A", "B", "C"], [], D(1), "key"),  # empty key
        (["A", "B", "C"], ["A", "A"], D(1), "key"),
        (["A"], ["A"], D(1), "options"),  # one option
        (["A", ""], ["A"], D(1), "options"),
        (["A B", "C"], ["C"], D(1), "options"),
        ("ABC", ["A"], D(1), "options"),  # not a list
    ],
)
def test_bad_questions_are_refused_per_field(defined, options, key, points, field):
    before = snapshot()
    with pytest.raises(errors.InvalidDefinition) as caught:
        services.save_question(
            version=defined["version"],
            position=1,
            options=options,
            key=key,
            points=points,
            by=defined["teacher"],
        )
    assert field in caught.value.fields
    assert all(isinstance(m, str) and m for m in caught.value.fields[field])
    assert snapshot() == before


def test_a_gap_in_the_positions_is_refused(defined):
    with pytest.raises(errors.InvalidDefinition) as caught:
        services.save_question(
            version=defined["version"], position=5, options=["A", "B"], key=["A"], points=1,
            by=defined["teacher"],
        )  # fmt: skip
    assert "position" in caught.value.fields


def test_delete_question_renumbers_the_later_ones(defined):
    first = defined["version"].questions.get(position=1)
    services.delete_question(question=first, by=defined["teacher"])
    assert list(defined["version"].questions.values_list("position", "key")) == [
        (1, ["B"]),
        (2, ["C"]),
    ]


def test_add_version(defined):
    version = services.add_version(
        evaluation=defined["evaluation"], label="B", by=defined["teacher"]
    )
    assert version.label == "B" and version.revision == 1
    with pytest.raises(errors.VersionExists):
        services.add_version(evaluation=defined["evaluation"], label="B", by=defined["teacher"])
    with pytest.raises(errors.InvalidDefinition) as caught:
        services.add_version(evaluation=defined["evaluation"], label="", by=defined["teacher"])
    assert "label" in caught.value.fields


def test_every_edit_is_refused_once_a_sheet_exists(defined):
    AnswerSheetFactory(version=defined["version"], user=defined["students"][0], answers={1: "A"})
    before = snapshot()
    teacher, version = defined["teacher"], defined["version"]
    calls = [
        lambda: services.add_version(evaluation=defined["evaluation"], label="B", by=teacher),
        lambda: services.save_question(
            version=version, position=1, options=["A", "B"], key=["B"], points=1, by=teacher
        ),
        lambda: services.save_question(
            version=version, position=4, options=["A", "B"], key=["B"], points=1, by=teacher
        ),
        lambda: services.delete_question(question=version.questions.get(position=1), by=teacher),
    ]
    for call in calls:
        with pytest.raises(errors.HasSheets) as caught:
            call()
        assert caught.value.code == "evaluation_has_sheets"
    assert snapshot() == before


def test_edits_by_someone_else_are_refused(defined):
    stranger = LectureFactory().teacher
    version = defined["version"]
    with pytest.raises(errors.NotAllowed):
        services.save_question(
            version=version, position=1, options=["A", "B"], key=["B"], points=1, by=stranger
        )
    with pytest.raises(errors.NotAllowed):
        services.delete_question(question=version.questions.get(position=1), by=stranger)
    with pytest.raises(errors.NotAllowed):
        services.add_version(evaluation=defined["evaluation"], label="B", by=stranger)


def test_enter_sheet_scores_and_moves_the_task_points(defined):
    student = defined["students"][0]
    sheet = services.enter_sheet(
        evaluation=defined["evaluation"],
        matriculation_number="770001",
        version=defined["version"],
        answers={1: ["A"], 2: ["C"], 3: ["C"]},
        by=defined["teacher"],
    )
    assert (sheet.user, sheet.attempt, sheet.score, sheet.max_score) == (student, 1, D(2), D(3))
    assert TaskPoint.objects.get(participation__user=student, task=defined["mc"]).points == D(2)
    again = services.enter_sheet(
        evaluation=defined["evaluation"], matriculation_number="770001",
        version=defined["version"], answers={}, by=defined["teacher"],
    )  # fmt: skip
    assert again.attempt == 2


def test_enter_sheet_refusals(defined):
    outsider = UserFactory(matriculation_number="990099")  # no participation in the exam
    kwargs = {"evaluation": defined["evaluation"], "version": defined["version"]}
    with pytest.raises(errors.UnknownStudent):
        services.enter_sheet(
            matriculation_number=outsider.matriculation_number, answers={}, by=defined["teacher"],
            **kwargs,
        )  # fmt: skip
    with pytest.raises(errors.UnknownStudent):
        services.enter_sheet(matriculation_number="", answers={}, by=defined["teacher"], **kwargs)
    with pytest.raises(errors.InvalidSheet):
        services.enter_sheet(
            matriculation_number="770001", answers={1: ["Z"]}, by=defined["teacher"], **kwargs
        )
    with pytest.raises(errors.NotAllowed):
        services.enter_sheet(
            matriculation_number="770001", answers={}, by=LectureFactory().teacher, **kwargs
        )
    assert not AnswerSheet.objects.exists()


# -- pages ----------------------------------------------------------------------------------------


def test_staff_create_a_test_on_the_exam_page(client, exam):
    client.force_login(exam["teacher"])
    url = reverse("remediation:exam_evaluations", args=[exam["assessment"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f'<option value="{exam["mc"].pk}" selected>' in page.content.decode()
    response = client.post(url, {"task": exam["mc"].pk, "title": "MC test"})
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302 and evaluation.task == exam["mc"]
    # With one test the page goes straight to it; ?all=1 lists it and offers the free tasks.
    assert client.get(url)["Location"].endswith(f"/mc/{evaluation.pk}/")
    listing = client.get(url + "?all=1").content.decode()
    overview = client.get(reverse("remediation:evaluation", args=[evaluation.pk]))
    assert f"/exams/{exam['assessment'].pk}/mc/?all=1" in overview.content.decode()
    assert f'<option value="{exam["written"].pk}"' in listing
    assert f'<option value="{exam["mc"].pk}"' not in listing
    # The MC task is taken: a second post for it is a refused choice, nothing created.
    response = client.post(url, {"task": exam["mc"].pk, "title": "Again"})
    assert response.status_code == 422 and Evaluation.objects.count() == 1
    # A task of another lecture is no choice either.
    other = TaskFactory(assessment=AssessmentFactory(kind="exam"), position=1)
    assert client.post(url, {"task": other.pk, "title": "x"}).status_code == 422
    assert Evaluation.objects.count() == 1


def test_staff_edit_questions_on_the_overview(client, defined):
    client.force_login(defined["teacher"])
    ev, version = defined["evaluation"], defined["version"]
    edit = reverse("remediation:edit_questions", args=[ev.pk])
    page = client.get(reverse("remediation:evaluation", args=[ev.pk])).content.decode()
    assert f'id="edit-{version.pk}"' in page and "Add the variant" in page
    response = client.post(
        edit,
        {"action": "save_question", "version": version.pk, "position": 4,
         "options": "A B C D", "key": "B D", "points": "1,5"},
    )  # fmt: skip
    assert response.status_code == 302
    q4 = version.questions.get(position=4)
    assert (q4.key, q4.points) == (["B", "D"], D("1.5"))
    response = client.post(
        edit,
        {"action": "save_question", "version": version.pk, "question": q4.pk,
         "options": "A B C", "key": "E", "points": "0"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and "The key must name options" in body
    assert "above 0" in body
    assert version.questions.get(position=4).points == D("1.5")
    response = client.post(
        edit, {"action": "delete_question", "version": version.pk, "question": q4.pk}
    )
    assert response.status_code == 302 and version.questions.count() == 3
    response = client.post(edit, {"action": "add_version", "label": "B"})
    assert response.status_code == 302 and ev.versions.filter(label="B").exists()
    response = client.post(edit, {"action": "add_version", "label": "B"})
    assert response.status_code == 422 and ev.versions.filter(label="B").count() == 1


def test_staff_enter_a_sheet(client, defined):
    client.force_login(defined["teacher"])
    url = reverse("remediation:enter_sheet", args=[defined["evaluation"].pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="q3"' in page.content.decode()
    data = {"version": defined["version"].pk, "matriculation_number": "770002", "q1": "A",
            "q2": ["B", "C"]}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    sheet = AnswerSheet.objects.get()
    assert sheet.answers == {"1": ["A"], "2": ["B", "C"], "3": []}
    assert sheet.score == D(1)
    response = client.post(url, {**data, "matriculation_number": "123"})
    assert response.status_code == 422
    assert "No candidate of this exam" in response.content.decode()
    # Once a sheet exists, the overview shows no edit forms and edits are refused.
    overview = client.get(reverse("remediation:evaluation", args=[defined["evaluation"].pk]))
    assert "Add the variant" not in overview.content.decode()
    response = client.post(
        reverse("remediation:edit_questions", args=[defined["evaluation"].pk]),
        {"action": "add_version", "label": "B"},
    )
    assert response.status_code == 422 and "correction batches" in response.content.decode()
    assert defined["evaluation"].versions.count() == 1


def _urls(defined):
    ev = defined["evaluation"].pk
    return [
        reverse("remediation:exam_evaluations", args=[defined["assessment"].pk]),
        reverse("remediation:evaluation", args=[ev]),
        reverse("remediation:enter_sheet", args=[ev]),
    ]


@pytest.mark.parametrize("who", ["student", "candidate", "tutor", "other_teacher"])
def test_others_are_refused(client, defined, who):
    lecture = defined["assessment"].lecture
    user = {
        "student": lambda: UserFactory(),
        "candidate": lambda: defined["students"][0],
        "tutor": lambda: TutorialFactory(lecture=lecture).tutors.create(
            email="tutor@example.org", name="Tutor"
        ),
        "other_teacher": lambda: LectureFactory().teacher,
    }[who]()
    client.force_login(user)
    for url in _urls(defined):
        assert client.get(url).status_code == 403, url
    before = snapshot()
    ev, version = defined["evaluation"], defined["version"]
    posts = [
        (_urls(defined)[0], {"task": defined["written"].pk, "title": "x"}),
        (
            reverse("remediation:edit_questions", args=[ev.pk]),
            {"action": "add_version", "label": "B"},
        ),
        (
            reverse("remediation:edit_questions", args=[ev.pk]),
            {"action": "delete_question", "version": version.pk,
             "question": version.questions.first().pk},
        ),
        (
            reverse("remediation:enter_sheet", args=[ev.pk]),
            {"version": version.pk, "matriculation_number": "770001", "q1": "A"},
        ),
    ]  # fmt: skip
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert snapshot() == before and not AnswerSheet.objects.exists()


def test_anonymous_users_go_to_the_login_page(client, defined):
    for url in _urls(defined):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    edit = reverse("remediation:edit_questions", args=[defined["evaluation"].pk])
    assert client.post(edit, {"action": "add_version", "label": "B"}).status_code == 302
    assert defined["evaluation"].versions.count() == 1


def test_page_queries_do_not_grow_with_the_questions(client, exam, django_assert_max_num_queries):
    teacher = exam["teacher"]
    small = EvaluationFactory(lecture=exam["assessment"].lecture, task=exam["mc"], questions=3)
    big = EvaluationFactory(lecture=exam["assessment"].lecture, task=exam["written"], questions=80)
    services.add_version(evaluation=big, label="B", by=teacher)
    client.force_login(teacher)
    counts = {}
    for evaluation in (small, big):
        for name in ("evaluation", "enter_sheet"):
            url = reverse(f"remediation:{name}", args=[evaluation.pk])
            with django_assert_max_num_queries(16) as captured:
                assert client.get(url).status_code == 200
            counts[(evaluation.pk, name)] = len(captured)
    assert counts[(big.pk, "evaluation")] == counts[(small.pk, "evaluation")]
    assert counts[(big.pk, "enter_sheet")] == counts[(small.pk, "enter_sheet")]
    listing = reverse("remediation:exam_evaluations", args=[exam["assessment"].pk]) + "?all=1"
    with django_assert_max_num_queries(10):
        assert client.get(listing).status_code == 200
