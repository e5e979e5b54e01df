"""The remediation JSON API (issue 11 item 8): happy paths with session and token auth, and every
"Bad input" case over HTTP: a clear 4xx with ``code`` and ``message``, nothing changed."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from remediation.models import AnswerSheet, CorrectionBatch, ScoreHistory
from tests.factories import (
    AnswerSheetFactory,
    EvaluationFactory,
    LectureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
BATCHES = "/api/results/correction-batches/"


@pytest.fixture
def quiz():
    """Five questions (key A); three students; question 1 answered B by two of them."""
    evaluation = EvaluationFactory(questions=5)
    version = evaluation.versions.get()
    answers = [
        {1: "B", 2: "A", 3: "A", 4: "A", 5: "B"},
        {1: "B", 2: "A", 3: "C", 4: "A", 5: "A"},
        {1: "A", 2: "A", 3: "A", 4: "A", 5: "A"},
    ]
    sheets = [
        AnswerSheetFactory(version=version, user=UserFactory(name=f"Student {i}"), answers=a)
        for i, a in enumerate(answers, start=1)
    ]
    return {
        "evaluation": evaluation,
        "version": version,
        "sheets": sheets,
        "teacher": evaluation.lecture.teacher,
        "q": {q.position: q for q in version.questions.all()},
    }


def client_for(user, *, csrf=False) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def body(quiz, *, kind="drop_item", position=1, options=(), reason="Question 1 was ambiguous"):
    return {
        "evaluation": quiz["evaluation"].pk,
        "reason": reason,
        "corrections": [
            {"kind": kind, "question_version": quiz["q"][position].pk, "options": list(options)}
        ],
    }


def scores(quiz):
    return list(
        AnswerSheet.objects.filter(pk__in=[s.pk for s in quiz["sheets"]])
        .order_by("pk")
        .values_list("score", "max_score")
    )


def state(quiz):
    """Everything a refused request must leave as it was."""
    return (
        scores(quiz),
        ScoreHistory.objects.count(),
        list(CorrectionBatch.objects.order_by("pk").values_list("pk", "status", "reason")),
    )


def refused(response, status, code):
    assert response.status_code == status, response.content
    data = response.json()
    assert data["code"] == code, data
    assert isinstance(data["message"], str) and data["message"]
    return data


def draft(quiz, **kwargs) -> int:
    response = client_for(quiz["teacher"]).post(BATCHES, body(quiz, **kwargs), format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


# -- happy paths ---------------------------------------------------------------------------------


def test_create_list_detail_apply_and_revert_a_drop(quiz):
    api = client_for(quiz["teacher"])
    before = scores(quiz)
    created = api.post(BATCHES, body(quiz), format="json")
    assert created.status_code == 201, created.content
    batch = created.json()
    assert batch["status"] == "draft"
    assert batch["reason"] == "Question 1 was ambiguous"
    assert batch["created_by"] == {"id": quiz["teacher"].pk, "name": quiz["teacher"].name}
    assert batch["corrections"] == [
        {"kind": "drop_item", "question_version": quiz["q"][1].pk, "options": []}
    ]
    assert scores(quiz) == before  # a draft changes nothing

    listed = api.get(BATCHES).json()
    assert [b["id"] for b in listed["results"]] == [batch["id"]]
    assert api.get(BATCHES, {"status": "applied"}).json()["results"] == []

    applied = api.post(f"{BATCHES}{batch['id']}/apply/")
    assert applied.status_code == 200, applied.content
    assert applied.json()["status"] == "applied"
    assert applied.json()["applied_by"]["id"] == quiz["teacher"].pk
    assert applied.json()["changes_count"] == 3
    assert scores(quiz) == [(D(3), D(4)), (D(3), D(4)), (D(4), D(4))]

    changes = api.get(f"{BATCHES}{batch['id']}/changes/").json()["results"]
    assert [
        (c["user"]["name"], c["old_score"], c["new_score"], c["new_max_score"]) for c in changes
    ] == [
        ("Student 1", "3.00", "3.00", "4.00"),
        ("Student 2", "3.00", "3.00", "4.00"),
        ("Student 3", "5.00", "4.00", "4.00"),
    ]

    reverted = api.post(
        f"{BATCHES}{batch['id']}/revert/", {"reason": "Wrong question"}, format="json"
    )
    assert reverted.status_code == 201, reverted.content
    compensation = reverted.json()
    assert compensation["reverts"] == batch["id"]
    assert compensation["status"] == "applied"
    assert api.get(f"{BATCHES}{batch['id']}/").json()["status"] == "reverted"
    assert api.get(f"{BATCHES}{batch['id']}/").json()["reverted_by"] == compensation["id"]
    assert scores(quiz) == before

    history = api.get(f"/api/results/answer-sheets/{quiz['sheets'][2].pk}/history/").json()
    assert [(h["score"], h["batch"]) for h in history["history"]] == [
        ("5.00", None),
        ("4.00", batch["id"]),
        ("5.00", compensation["id"]),
    ]
    assert history["history"][2]["batch_reason"] == "Wrong question"


def test_preview_of_a_draft_as_json_and_csv(quiz):
    batch_id = draft(quiz, kind="mark_correct", position=3, options=["C"])
    api = client_for(quiz["teacher"])
    preview = api.get(f"{BATCHES}{batch_id}/preview/")
    assert preview.status_code == 200, preview.content
    data = preview.json()
    assert data["submissions_affected"] == 3
    assert data["score_changes_count"] == 1
    assert data["score_changes"][0]["user"]["name"] == "Student 2"
    assert (data["score_changes"][0]["old_score"], data["score_changes"][0]["new_score"]) == (
        "3.00",
        "4.00",
    )
    assert data["has_exam"] is False
    csv = api.get(f"{BATCHES}{batch_id}/preview/csv/")
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert "Student 2" in text
    assert CorrectionBatch.objects.get(pk=batch_id).status == "draft"


def test_a_script_with_a_token_creates_previews_and_applies(quiz):
    script = token_client(quiz["teacher"])
    created = script.post(
        BATCHES, body(quiz, kind="replace_key", position=5, options=["B"]), format="json"
    )
    assert created.status_code == 201, created.content
    batch_id = created.json()["id"]
    assert script.get(f"{BATCHES}{batch_id}/preview/").json()["score_changes_count"] == 3
    assert script.post(f"{BATCHES}{batch_id}/apply/").status_code == 200
    assert scores(quiz) == [(D(4), D(5)), (D(2), D(5)), (D(4), D(5))]


def test_token_auth_needs_no_csrf_but_a_session_post_does(quiz):
    session = client_for(quiz["teacher"], csrf=True)
    before = state(quiz)
    refused(session.post(BATCHES, body(quiz), format="json"), 403, "permission_denied")
    assert state(quiz) == before
    script = token_client(quiz["teacher"])
    assert script.post(BATCHES, body(quiz), format="json").status_code == 201


def test_anonymous_and_a_wrong_token_are_refused_with_401(quiz):
    anonymous = APIClient()
    data = refused(anonymous.get(BATCHES), 401, "not_authenticated")
    assert data["message"]
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    refused(wrong.get(BATCHES), 401, "authentication_failed")


def test_the_list_shows_only_batches_of_lectures_the_user_staffs(quiz):
    mine = draft(quiz)
    other = EvaluationFactory(questions=2)
    other_version = other.versions.get()
    AnswerSheetFactory(version=other_version, answers={1: "A"})
    theirs = client_for(other.lecture.teacher).post(
        BATCHES,
        {
            "evaluation": other.pk,
            "reason": "theirs",
            "corrections": [
                {"kind": "drop_item", "question_version": other_version.questions.first().pk}
            ],
        },
        format="json",
    )
    assert theirs.status_code == 201
    listed = client_for(quiz["teacher"]).get(BATCHES).json()
    assert [b["id"] for b in listed["results"]] == [mine]
    student = client_for(quiz["sheets"][0].user)
    assert student.get(BATCHES).json()["results"] == []
    refused(student.get(f"{BATCHES}{mine}/"), 403, "permission_denied")


def test_the_list_is_paginated_with_a_bounded_number_of_queries(
    quiz, django_assert_max_num_queries
):
    for i in range(60):
        draft(quiz, reason=f"Reason {i}")
    api = client_for(quiz["teacher"])
    with django_assert_max_num_queries(8):
        page = api.get(BATCHES).json()
    assert page["count"] == 60
    assert len(page["results"]) == 50
    with django_assert_max_num_queries(8):
        detail = api.get(f"{BATCHES}{page['results'][0]['id']}/")
    assert detail.status_code == 200


# -- bad input -----------------------------------------------------------------------------------


def test_unknown_question_version(quiz):
    before = state(quiz)
    payload = body(quiz)
    payload["corrections"][0]["question_version"] = 987654321
    data = refused(
        client_for(quiz["teacher"]).post(BATCHES, payload, format="json"),
        400,
        "invalid_corrections",
    )
    assert [p["code"] for p in data["details"]["problems"]] == ["unknown_question_version"]
    assert state(quiz) == before


def test_an_option_that_does_not_exist(quiz):
    before = state(quiz)
    data = refused(
        client_for(quiz["teacher"]).post(
            BATCHES, body(quiz, kind="mark_correct", options=["Z"]), format="json"
        ),
        400,
        "invalid_corrections",
    )
    assert [p["code"] for p in data["details"]["problems"]] == ["unknown_option"]
    assert state(quiz) == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_empty_reason(quiz, reason):
    before = state(quiz)
    refused(
        client_for(quiz["teacher"]).post(BATCHES, body(quiz, reason=reason), format="json"),
        400,
        "reason_required",
    )
    assert state(quiz) == before


def test_a_payload_of_another_evaluation(quiz):
    other = EvaluationFactory(lecture=quiz["evaluation"].lecture, questions=3)
    before = state(quiz)
    payload = body(quiz)
    payload["corrections"][0]["question_version"] = other.versions.get().questions.first().pk
    data = refused(
        client_for(quiz["teacher"]).post(BATCHES, payload, format="json"),
        400,
        "invalid_corrections",
    )
    assert data["details"]["problems"][0]["code"] == "unknown_question_version"
    assert state(quiz) == before


def test_a_5_mb_payload(quiz):
    before = state(quiz)
    payload = body(quiz, reason="x" * (5 * 1024 * 1024))
    refused(
        client_for(quiz["teacher"]).post(
            BATCHES, json.dumps(payload), content_type="application/json"
        ),
        413,
        "payload_too_large",
    )
    assert state(quiz) == before


def test_apply_by_a_teacher_of_another_lecture(quiz):
    batch_id = draft(quiz)
    before = state(quiz)
    outsider = client_for(LectureFactory().teacher)
    refused(outsider.post(f"{BATCHES}{batch_id}/apply/"), 403, "permission_denied")
    refused(outsider.get(f"{BATCHES}{batch_id}/preview/"), 403, "permission_denied")
    refused(outsider.post(BATCHES, body(quiz), format="json"), 403, "permission_denied")
    assert state(quiz) == before


def test_revert_of_a_draft(quiz):
    batch_id = draft(quiz)
    before = state(quiz)
    refused(
        client_for(quiz["teacher"]).post(
            f"{BATCHES}{batch_id}/revert/", {"reason": "undo"}, format="json"
        ),
        409,
        "batch_not_applied",
    )
    assert state(quiz) == before


def test_apply_of_a_batch_that_is_not_a_draft(quiz):
    batch_id = draft(quiz)
    api = client_for(quiz["teacher"])
    assert api.post(f"{BATCHES}{batch_id}/apply/").status_code == 200
    before = state(quiz)
    refused(api.post(f"{BATCHES}{batch_id}/apply/"), 409, "batch_not_draft")
    refused(api.get(f"{BATCHES}{batch_id}/preview/"), 409, "batch_not_draft")
    assert state(quiz) == before


def test_revert_twice_and_revert_without_reason(quiz):
    batch_id = draft(quiz)
    api = client_for(quiz["teacher"])
    api.post(f"{BATCHES}{batch_id}/apply/")
    before = state(quiz)
    refused(
        api.post(f"{BATCHES}{batch_id}/revert/", {"reason": " "}, format="json"),
        400,
        "reason_required",
    )
    refused(api.post(f"{BATCHES}{batch_id}/revert/", {}, format="json"), 400, "invalid")
    assert state(quiz) == before
    assert (
        api.post(f"{BATCHES}{batch_id}/revert/", {"reason": "undo"}, format="json").status_code
        == 201
    )
    refused(
        api.post(f"{BATCHES}{batch_id}/revert/", {"reason": "again"}, format="json"),
        409,
        "batch_already_reverted",
    )


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "parse_error"),
        ('{"reason": NaN}', "application/json", 400, "parse_error"),
        ("evaluation=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("[]", "application/json", 400, "invalid"),
        ('{"evaluation": 1, "reason": "r", "corrections": []}', "application/json", 400, "invalid"),
        (
            '{"evaluation": 99999999999999999999, "reason": "r", "corrections": []}',
            "application/json",
            400,
            "invalid",
        ),
        # Text must be a JSON string, as the schema says (DRF would turn 0 into "0").
        (
            '{"evaluation": 1, "reason": 0, "corrections": [{"kind": "drop_item", '
            '"question_version": 1}]}',
            "application/json",
            400,
            "invalid",
        ),
        (
            '{"evaluation": 1, "reason": "r", "corrections": [{"kind": "mark_correct", '
            '"question_version": 1, "options": [1]}]}',
            "application/json",
            400,
            "invalid",
        ),
    ],
)
def test_malformed_bodies(quiz, raw, content_type, status, code):
    before = state(quiz)
    refused(
        client_for(quiz["teacher"]).generic("POST", BATCHES, raw, content_type=content_type),
        status,
        code,
    )
    assert state(quiz) == before


def test_unknown_evaluation_batch_and_paths_are_json_404s(quiz):
    api = client_for(quiz["teacher"])
    data = refused(
        api.post(BATCHES, {**body(quiz), "evaluation": 99999}, format="json"), 400, "invalid"
    )
    assert "evaluation" in data["errors"]
    refused(api.get(f"{BATCHES}99999/"), 404, "not_found")
    refused(api.get(f"{BATCHES}99999999999999999999999/"), 404, "not_found")
    refused(api.get("/api/results/nothing-here/"), 404, "not_found")
    refused(api.get(f"{BATCHES}%0A%1B/apply/"), 404, "not_found")
    refused(api.get("/api/results/answer-sheets/99999/history/"), 404, "not_found")
    refused(api.delete(f"{BATCHES}1/"), 405, "method_not_allowed")
    refused(api.get(BATCHES, {"status": "bogus"}), 400, "invalid")


def test_schema_and_docs_are_served_without_a_cdn(quiz):
    api = client_for(quiz["teacher"])
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/results/correction-batches/", "/apply/", "/revert/", "/preview/"):
        assert path in text
    assert "payload_too_large" in text and "batch_not_draft" in text
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_a_token_made_with_manage_py_works_for_a_script(quiz, capsys):
    from django.core.management import call_command

    call_command("drf_create_token", quiz["teacher"].email)
    key = Token.objects.get(user=quiz["teacher"]).key
    assert key in capsys.readouterr().out
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get(BATCHES).status_code == 200
