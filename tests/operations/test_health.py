"""The health page (site staff only) and ``/health/`` (issue 12 item 3)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from operations import health, monitor
from operations.models import JobHeartbeat
from registration.models import AllocationRun
from tests.factories import (
    CampaignFactory,
    LectureFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# -- /health/ --------------------------------------------------------------------------------------


def test_health_endpoint_is_200_when_everything_answers(client, settings):
    settings.CELERY_BROKER_URL = ""  # tasks run in-process: no broker to reach
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_health_endpoint_answers_any_host_and_plain_http(client, settings):
    """The container's own check calls http://127.0.0.1:8000/health/ whatever the public
    host names and the HTTPS redirect are."""
    settings.CELERY_BROKER_URL = ""
    settings.ALLOWED_HOSTS = ["mampf.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/health/", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_health_endpoint_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body == {
        "status": "error",
        "checks": {"database": "ok", "cache": "ok", "broker": "error", "migrations": "ok"},
    }, "names and ok/error only: no hosts, versions or messages"


def test_health_endpoint_is_503_when_a_migration_is_missing(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""
    monkeypatch.setattr(health, "_migrations_applied", False)

    class Pending:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda s: []})()})()

        def migration_plan(self, targets):
            return [("operations", "9999_not_applied")]

    monkeypatch.setattr(health, "MigrationExecutor", Pending)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "error"


def test_health_endpoint_is_503_when_the_cache_fails(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def fail(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(health.cache, "set", fail)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "error"


# -- the health page -------------------------------------------------------------------------------


def test_health_page_refuses_everyone_but_site_staff(client):
    url = reverse("operations:health")
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    lecture = LectureFactory()
    tutorial = TutorialFactory(lecture=lecture)
    tutor = UserFactory()
    tutorial.tutors.add(tutor)
    for user in (UserFactory(), lecture.teacher, tutor):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(reverse("operations:run_now")).status_code == 403
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 200


def test_health_page_shows_red_metrics_with_linked_objects_and_overdue_jobs(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    run = AllocationRun.objects.create(campaign=campaign, status="failed", seed=1)
    long_ago = timezone.now() - datetime.timedelta(hours=5)
    JobHeartbeat.objects.create(
        job="integrity-count-drift",
        task="operations.tasks.run_integrity_check",
        first_started_at=long_ago,
        last_started_at=long_ago,
        last_succeeded_at=long_ago,
    )
    with django_capture_on_commit_callbacks(execute=True):
        monitor.run_all()
        monitor.run_all()
    client.force_login(StaffFactory())
    with django_assert_max_num_queries(20):
        response = client.get(reverse("operations:health"))
    html = response.content.decode()
    assert "Problems found" in html
    row = html[html.index('id="metric-failed_allocation_runs"') :]
    row = row[: row.index("</tr>")]
    assert "Over threshold" in row
    link = reverse("registration:staff_campaign_detail", args=[campaign.pk])
    assert f'<a href="{link}">{run.pk}</a>' in row
    assert campaign.lecture.title in row
    assert "<polyline" in row
    job = html[html.index('id="job-integrity-count-drift"') :]
    assert "Overdue" in job[: job.index("</tr>")]


def test_health_page_is_green_when_every_check_is(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        monitor.run_all()
    client.force_login(StaffFactory())
    html = client.get(reverse("operations:health")).content.decode()
    assert "All green" in html and "Over threshold" not in html
    # Thresholds as people write them (Decimal("10").normalize() alone would print 1E+1).
    assert "&gt; 10 %" in html and "&gt; 48 h" in html and "&gt; 5<" in html


def test_run_now_runs_every_check(client, django_capture_on_commit_callbacks):
    from operations.models import MetricResult

    client.force_login(StaffFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("operations:run_now"))
    assert response.status_code == 302
    assert MetricResult.objects.filter(lecture=None).count() == len(monitor.checks())


def test_docker_compose_web_service_checks_health_endpoint():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    )
    check = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/health/" in check
