"""Staff pages of result remediation (issue 11 item 9): who may see them, the create form (no raw
JSON), preview with CSV, apply with a confirm step, revert with a reason, sheet history, the
API token page; query counts bounded with hundreds of sheets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from remediation import services
from remediation.models import AnswerSheet, CorrectionBatch, ScoreHistory
from tests.factories import (
    AnswerSheetFactory,
    AssessmentFactory,
    EvaluationFactory,
    LectureFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def exam_mc():
    """An exam whose MC task is an evaluation of 6 questions; 4 answer sheets."""
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    task = TaskFactory(assessment=assessment, position=1, title="MC", max_points=D(6))
    evaluation = EvaluationFactory(
        lecture=assessment.lecture, task=task, title="MC part", questions=6
    )
    version = evaluation.versions.get()
    sheets = [
        AnswerSheetFactory(
            version=version,
            user=UserFactory(name=f"Student {i}"),
            answers={1: first, 2: "A", 3: "A"},
        )
        for i, first in enumerate("ABBC", start=1)
    ]
    return {
        "assessment": assessment,
        "evaluation": evaluation,
        "version": version,
        "sheets": sheets,
        "teacher": assessment.lecture.teacher,
        "q": {q.position: q for q in version.questions.all()},
    }


def drop(exam_mc, position=1, *, apply=False):
    batch = services.create_batch(
        evaluation=exam_mc["evaluation"],
        reason="Question was ambiguous",
        corrections=[
            {"kind": "drop_item", "question_version": exam_mc["q"][position].pk, "options": []}
        ],
        by=exam_mc["teacher"],
    )
    return services.apply_batch(batch=batch, by=exam_mc["teacher"]) if apply else batch


def pages(exam_mc, batch, applied):
    ev = exam_mc["evaluation"].pk
    return [
        reverse("remediation:exam_evaluations", args=[exam_mc["assessment"].pk]),
        reverse("remediation:evaluation", args=[ev]),
        reverse("remediation:batches", args=[ev]),
        reverse("remediation:batch_create", args=[ev]),
        reverse("remediation:sheets", args=[ev]),
        reverse("remediation:import_questions", args=[ev]),
        reverse("remediation:import_sheets", args=[ev]),
        reverse("remediation:batch_detail", args=[batch.pk]),
        reverse("remediation:batch_preview", args=[batch.pk]),
        reverse("remediation:batch_apply", args=[batch.pk]),
        reverse("remediation:batch_revert", args=[applied.pk]),
        reverse("remediation:sheet_history", args=[exam_mc["sheets"][0].pk]),
    ]


def test_staff_see_every_page(client, exam_mc):
    batch, applied = drop(exam_mc), drop(exam_mc, 2, apply=True)
    client.force_login(exam_mc["teacher"])
    for url in pages(exam_mc, batch, applied):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url


@pytest.mark.parametrize("who", ["student", "tutor", "other_teacher", "sheet_owner"])
def test_students_tutors_and_other_teachers_are_refused(client, exam_mc, who):
    batch, applied = drop(exam_mc), drop(exam_mc, 2, apply=True)
    lecture = exam_mc["evaluation"].lecture
    user = {
        "student": lambda: UserFactory(),
        "tutor": lambda: TutorialFactory(lecture=lecture).tutors.create(
            email="tutor@example.org", name="Tutor"
        ),
        "other_teacher": lambda: LectureFactory().teacher,
        "sheet_owner": lambda: exam_mc["sheets"][0].user,
    }[who]()
    client.force_login(user)
    for url in pages(exam_mc, batch, applied):
        assert client.get(url).status_code == 403, url
    before = list(AnswerSheet.objects.order_by("pk").values_list("score", "max_score"))
    assert client.post(reverse("remediation:batch_apply", args=[batch.pk])).status_code == 403
    assert (
        client.post(
            reverse("remediation:batch_revert", args=[applied.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    assert list(AnswerSheet.objects.order_by("pk").values_list("score", "max_score")) == before
    assert CorrectionBatch.objects.get(pk=batch.pk).status == "draft"


def test_anonymous_users_go_to_the_login_page(client, exam_mc):
    response = client.get(reverse("remediation:evaluation", args=[exam_mc["evaluation"].pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def form_data(exam_mc, rows, reason="Ambiguous wording"):
    data = {
        "c-TOTAL_FORMS": str(len(rows)),
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "1",
        "c-MAX_NUM_FORMS": "200",
        "reason": reason,
        "action": "save",
    }
    for i, (position, kind, options) in enumerate(rows):
        data[f"c-{i}-question_version"] = str(exam_mc["q"][position].pk)
        data[f"c-{i}-kind"] = kind
        data[f"c-{i}-options"] = list(options)
    return data


def test_the_create_form_saves_a_draft_and_shows_its_preview(client, exam_mc):
    client.force_login(exam_mc["teacher"])
    url = reverse("remediation:batch_create", args=[exam_mc["evaluation"].pk])
    page = client.get(url).content.decode()
    assert (
        'type="checkbox"' in page
        and "Variant A" in page
        and "{" not in page.split("<main")[1].split("</main>")[0].replace("{%", "")
    )
    response = client.post(
        url, form_data(exam_mc, [(1, "drop_item", ["B"]), (2, "mark_correct", ["B", "C"])])
    )
    batch = CorrectionBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("remediation:batch_preview", args=[batch.pk])
    assert batch.status == "draft" and batch.created_by == exam_mc["teacher"]
    assert batch.payload == [
        {"kind": "drop_item", "question_version": exam_mc["q"][1].pk, "options": []},
        {"kind": "mark_correct", "question_version": exam_mc["q"][2].pk, "options": ["B", "C"]},
    ]


def test_the_create_form_refuses_bad_input_and_changes_nothing(client, exam_mc):
    client.force_login(exam_mc["teacher"])
    url = reverse("remediation:batch_create", args=[exam_mc["evaluation"].pk])
    no_reason = client.post(url, form_data(exam_mc, [(1, "drop_item", [])], reason=""))
    assert no_reason.status_code == 200
    assert "id_reason_error" in no_reason.content.decode()
    twice = client.post(url, form_data(exam_mc, [(1, "drop_item", []), (1, "replace_key", ["B"])]))
    assert twice.status_code == 200
    assert 'id="batch-errors"' in twice.content.decode()
    data = form_data(exam_mc, [(1, "drop_item", [])])
    data["c-0-question_version"] = "999999"
    assert client.post(url, data).status_code == 200
    data = form_data(exam_mc, [(1, "replace_key", ["Z"])])
    assert client.post(url, data).status_code == 200
    other = EvaluationFactory(lecture=exam_mc["evaluation"].lecture, questions=2)
    data = form_data(exam_mc, [(1, "drop_item", [])])
    data["c-0-question_version"] = str(other.versions.get().questions.first().pk)
    assert client.post(url, data).status_code == 200
    assert CorrectionBatch.objects.count() == 0


def test_add_a_correction_keeps_what_was_entered(client, exam_mc):
    client.force_login(exam_mc["teacher"])
    url = reverse("remediation:batch_create", args=[exam_mc["evaluation"].pk])
    data = form_data(exam_mc, [(3, "mark_correct", ["C"])], reason="Keep me")
    data["action"] = "add"
    page = client.post(url, data).content.decode()
    assert 'id="correction-2"' in page
    assert "Keep me" in page
    assert CorrectionBatch.objects.count() == 0


def test_preview_apply_with_confirm_and_revert(client, exam_mc):
    batch = drop(exam_mc)
    client.force_login(exam_mc["teacher"])
    preview = client.get(reverse("remediation:batch_preview", args=[batch.pk])).content.decode()
    assert 'id="submissions-affected">4<' in preview
    assert "Student 1" in preview
    csv = client.get(reverse("remediation:batch_preview", args=[batch.pk]), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    confirm = client.get(reverse("remediation:batch_apply", args=[batch.pk])).content.decode()
    assert "Apply now" in confirm
    batch.refresh_from_db()
    assert batch.status == "draft"  # the confirm step changes nothing
    response = client.post(reverse("remediation:batch_apply", args=[batch.pk]))
    assert response["Location"] == reverse("remediation:batch_detail", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == "applied"
    detail = client.get(reverse("remediation:batch_detail", args=[batch.pk])).content.decode()
    assert 'id="changes"' in detail and "Student 4" in detail
    again = client.post(reverse("remediation:batch_apply", args=[batch.pk]), follow=True)
    assert "not a draft" in again.content.decode()
    url = reverse("remediation:batch_revert", args=[batch.pk])
    assert "id_reason_error" in client.post(url, {"reason": ""}).content.decode()
    response = client.post(url, {"reason": "Question was fine after all"})
    compensation = CorrectionBatch.objects.get(reverts=batch)
    assert response["Location"] == reverse("remediation:batch_detail", args=[compensation.pk])
    history = client.get(
        reverse("remediation:sheet_history", args=[exam_mc["sheets"][0].pk])
    ).content.decode()
    assert "Initial scoring" in history and "Question was fine after all" in history
    assert ScoreHistory.objects.filter(sheet=exam_mc["sheets"][0]).count() == 3
    twice = client.post(url, {"reason": "again"}).content.decode()
    assert 'id="revert-error"' in twice


def test_the_api_token_page(client, exam_mc):
    url = reverse("remediation:api_token")
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "create"}).status_code == 403
    assert Token.objects.count() == 0
    teacher = exam_mc["teacher"]
    client.force_login(teacher)
    created = client.post(url, {"action": "create"}).content.decode()
    key = Token.objects.get(user=teacher).key
    assert key in created
    assert key not in client.get(url).content.decode()  # shown once
    client.post(url, {"action": "create"})
    assert Token.objects.get(user=teacher).key != key
    client.post(url, {"action": "revoke"})
    assert not Token.objects.filter(user=teacher).exists()


# -- query counts with hundreds of sheets ------------------------------------------------------


@pytest.fixture
def big(exam_mc):
    version = exam_mc["version"]
    for i in range(200):
        AnswerSheetFactory(
            version=version,
            user=UserFactory(name=f"Many {i:03d}"),
            answers={1: "AB"[i % 2], 2: "A"},
        )
    applied = drop(exam_mc, 1, apply=True)
    for i in range(60):
        services.create_batch(
            evaluation=exam_mc["evaluation"],
            reason=f"Reason {i}",
            corrections=[
                {"kind": "drop_item", "question_version": exam_mc["q"][4].pk, "options": []}
            ],
            by=exam_mc["teacher"],
        )
    return {**exam_mc, "applied": applied}


def test_page_query_counts_do_not_grow_with_the_sheets(client, big, django_assert_max_num_queries):
    client.force_login(big["teacher"])
    ev = big["evaluation"].pk
    for url in (
        reverse("remediation:evaluation", args=[ev]),
        reverse("remediation:batches", args=[ev]),
        reverse("remediation:sheets", args=[ev]),
        reverse("remediation:batch_detail", args=[big["applied"].pk]),
        reverse("remediation:sheet_history", args=[big["sheets"][0].pk]),
        reverse("remediation:batch_create", args=[ev]),
    ):
        with django_assert_max_num_queries(16):
            assert client.get(url).status_code == 200, url


def test_the_preview_names_for_whom_no_disadvantage_applies(client):
    """A drop under an MC rule of 60 %: Ann (6 of 10, 5 of 9 without question 1) keeps her pass
    through the no-disadvantage rule; the page, the API and the CSV name her."""
    from assessment import services as assessment_services
    from grade_schemes import mc_config
    from grade_schemes import services as scheme_services
    from tests.factories import ParticipationFactory

    assessment = AssessmentFactory(kind="exam")
    written = TaskFactory(assessment=assessment, position=1, max_points=D(10))
    mc = TaskFactory(assessment=assessment, position=2, max_points=D(10), title="MC")
    evaluation = EvaluationFactory(lecture=assessment.lecture, task=mc)
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
    for name, first in {"Ann": "A", "Carl": "B"}.items():
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
    batch = services.create_batch(
        evaluation=evaluation,
        reason="question 1 was ambiguous",
        corrections=[
            {"kind": "drop_item", "question_version": version.questions.get(position=1).pk}
        ],
        by=teacher,
    )
    client.force_login(teacher)
    page = client.get(reverse("remediation:batch_preview", args=[batch.pk])).content.decode()
    table = page.split('id="no-disadvantage"')[1].split("</table>")[0]
    assert "Ann" in table and "Carl" not in table
    api = client.get(f"/api/results/correction-batches/{batch.pk}/preview/").json()
    assert [m["user"]["name"] for m in api["no_disadvantage"]] == ["Ann"]
    csv = client.get(reverse("remediation:batch_preview", args=[batch.pk]), {"format": "csv"})
    ann = [line for line in b"".join(csv.streaming_content).decode().splitlines() if "Ann" in line]
    assert ann[0].endswith(";yes")


def test_item_analysis_flags_the_question_where_the_best_chose_a_distractor(client, exam_mc):
    version = exam_mc["version"]
    for _ in range(6):  # strong students: everything right except "B" on question 5
        AnswerSheetFactory(
            version=version,
            user=UserFactory(),
            answers={p: ("B" if p == 5 else "A") for p in range(1, 7)},
        )
    client.force_login(exam_mc["teacher"])
    page = client.get(reverse("remediation:evaluation", args=[exam_mc["evaluation"].pk]))
    table = page.content.decode().split(f'id="questions-{version.pk}"')[1].split("</table>")[0]
    rows = table.split("<tr")[2:]
    assert "Check the key" in rows[4] and "Check the key" not in rows[0]
    assert "<svg" in rows[0]


def test_the_upload_pages_check_the_whole_file_then_import(client, exam_mc):
    client.force_login(exam_mc["teacher"])
    from tests.factories import ParticipationFactory

    ParticipationFactory(
        assessment=exam_mc["assessment"],
        user=UserFactory(name="New One", matriculation_number="7001"),
    )
    url = reverse("remediation:import_sheets", args=[exam_mc["evaluation"].pk])
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("scan.csv", b"matriculation;variant;1;2\n7001;Z;A;A\n")
    page = client.post(url, {"file": bad}).content.decode()
    assert 'id="import-errors"' in page and "Line 2" in page
    assert not AnswerSheet.objects.filter(user__matriculation_number="7001").exists()
    good = SimpleUploadedFile("scan.csv", b"matriculation;variant;1;2\n7001;A;A;B\n")
    page = client.post(url, {"file": good}).content.decode()
    assert 'id="import-summary"' in page
    assert not AnswerSheet.objects.filter(user__matriculation_number="7001").exists()
    token = page.split('name="token" value="')[1].split('"')[0]
    response = client.post(url, {"token": token})
    assert response.status_code == 302
    sheet = AnswerSheet.objects.get(user__matriculation_number="7001")
    assert sheet.score == D(1)
    assert client.post(url, {"token": token}).status_code == 302  # used: expired
    assert AnswerSheet.objects.filter(user__matriculation_number="7001").count() == 1
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
