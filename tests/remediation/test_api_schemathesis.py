"""Schemathesis fuzzes the remediation API from its own OpenAPI schema (issue 11 "Guarantees"):
for every operation, generated requests (valid and invalid bodies, parameters, ids) sent through
the Django WSGI app with a staff token must never get a 5xx, and every response must match the
schema (status code documented, content type, body). A seeded evaluation with answer sheets and
batches in each status gives the generated ids something to hit."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from remediation import services
from tests.factories import AnswerSheetFactory, EvaluationFactory, UserFactory

pytestmark = pytest.mark.django_db

# Few examples per operation keep the suite fast (~10 operations).
MAX_EXAMPLES = 25


def _openapi() -> dict:
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


@pytest.fixture
def keep_connection():
    """As Django's test client does: a finished request must not close the test's database
    connection (its transaction holds the seeded rows)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(keep_connection):
    """A lecture's quiz with sheets and a draft, an applied and a reverted batch."""
    evaluation = EvaluationFactory(questions=4)
    version = evaluation.versions.get()
    teacher = evaluation.lecture.teacher
    sheets = [
        AnswerSheetFactory(version=version, user=UserFactory(), answers={1: o, 2: "A"})
        for o in "ABCD"
    ]
    questions = list(version.questions.order_by("position"))

    def batch(position, kind="drop_item"):
        return services.create_batch(
            evaluation=evaluation,
            reason="seed",
            corrections=[{"kind": kind, "question_version": questions[position].pk, "options": []}],
            by=teacher,
        )

    applied = services.apply_batch(batch=batch(1), by=teacher)
    reverted = services.apply_batch(batch=batch(2), by=teacher)
    services.revert_batch(batch=reverted, by=teacher, reason="seed")
    draft = batch(3)
    return {
        "token": Token.objects.create(user=teacher).key,
        "batch_ids": [draft.pk, applied.pk, reverted.pk],
        "sheet_ids": [s.pk for s in sheets],
        "evaluation": evaluation.pk,
    }


# Built from the code at collection (pytest-django has set Django up); requests go through the
# WSGI app in the test's thread and database transaction.
schema = schemathesis.openapi.from_dict(_openapi())
schema.app = WSGIHandler()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_never_fails_and_answers_as_its_schema_says(case, seeded):
    # Half of the generated ids become ids that exist, so the operations do real work too.
    identifier = (case.path_parameters or {}).get("id")
    if isinstance(identifier, int) and identifier % 2:
        pool = seeded["sheet_ids"] if "answer-sheets" in case.path else seeded["batch_ids"]
        case.path_parameters["id"] = pool[identifier % len(pool)]
    if isinstance(case.body, dict) and isinstance(case.body.get("evaluation"), int):
        if case.body["evaluation"] % 2:
            case.body["evaluation"] = seeded["evaluation"]
    case.call_and_validate(
        headers={"Authorization": f"Token {seeded['token']}"},
        # A body can match the schema and still be refused by the domain (an unknown question
        # version, a missing option, a blank reason): 400 with a code, by design. Every other
        # check (no 5xx, documented status, content type, body schema, negative data) runs.
        excluded_checks=[positive_data_acceptance],
    )
