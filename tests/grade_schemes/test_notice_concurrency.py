"""Result notices claimed by jobs running at once: every candidate is claimed exactly once
(PostgreSQL only). Each job holds its transaction open a while after its claim, so the others'
upserts meet the uncommitted rows and must wait, then find the same grade told."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.utils import timezone

from assessment import services as assessment_services
from assessment.models import Assessment, ResultNotice
from tests.concurrency import run_concurrently
from tests.factories import AssessmentFactory, ParticipationFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_concurrent_claims_tell_each_candidate_once(on_postgres):
    exam = AssessmentFactory(kind="exam")
    rows = [ParticipationFactory(assessment=exam, user=UserFactory()) for _ in range(30)]
    # published without its own mail job (which would claim them first)
    Assessment.objects.filter(pk=exam.pk).update(results_published_at=timezone.now())

    def claim():
        with transaction.atomic():
            claimed = assessment_services.claim_result_notices(assessment_id=exam.pk)
            time.sleep(0.3)
        return claimed

    outcomes = run_concurrently([claim] * 4)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    claimed = [user_id for _kind, value in outcomes for user_id in value]
    assert sorted(claimed) == sorted(r.user_id for r in rows)
    assert ResultNotice.objects.count() == 30
    assert not ResultNotice.objects.exclude(grade=None).exists()
