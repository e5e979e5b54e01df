"""docker-compose.yml and the Makefile must stay in step with the settings."""

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_app_service_gets_every_setting_from_the_environment():
    names_read_by_settings = set(
        re.findall(r'(?:environ(?:\.get)?|env_bool|env_list)\(\s*"([A-Z_]+)"',
                   (ROOT / "mampf" / "settings.py").read_text())
    )
    required = {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY", "DEBUG",
                "ALLOWED_HOSTS", "EMAIL_URL"}
    assert required <= names_read_by_settings
    services = compose()["services"]
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert required <= set(environment), name
        unknown = set(environment) - names_read_by_settings
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"


def test_real_services_have_health_checks_and_the_worker_serves_every_queue():
    services = compose()["services"]
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["postgres"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    worker_command = " ".join(services["worker"]["command"])
    routed_queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    queues = set(re.search(r"-Q (\S+)", worker_command).group(1).split(","))
    assert {settings.CELERY_TASK_DEFAULT_QUEUE, *routed_queues} <= queues
    assert "beat" in services["beat"]["command"]
    assert "gunicorn" in services["web"]["command"][0]


def test_makefile_worker_serves_the_same_queues_as_compose():
    makefile = (ROOT / "Makefile").read_text()
    make_queues = set(re.search(r"worker -Q (\S+)", makefile).group(1).split(","))
    compose_queues = set(
        re.search(r"-Q (\S+)", " ".join(compose()["services"]["worker"]["command"])).group(1)
        .split(",")
    )
    assert make_queues == compose_queues


def test_compose_has_no_default_secret_key_and_refuses_to_start_without_one():
    from mampf.checks import secret_key_problem

    services = compose()["services"]
    for name in APP_SERVICES:
        value = services[name]["environment"]["SECRET_KEY"]
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", value), (name, value)
    # The old public default is refused by the deploy check wherever it is still in use.
    assert secret_key_problem("change-me-in-production-to-a-long-random-string-0123456789")


def test_the_secret_key_check_refuses_placeholders_and_accepts_a_random_key():
    import secrets

    from mampf.checks import check_secret_key, secret_key_problem

    for key in ["", "changeme", "CHANGEME", "django-insecure-abc" + "d" * 60, "short",
                "a" * 80, "build-only", "please-change-me-" + "x9" * 30]:
        assert secret_key_problem(key), key
    assert secret_key_problem(secrets.token_urlsafe(64)) is None
    assert secret_key_problem("production-" + "k3y-" * 20) is None
    assert [e.id for e in check_secret_key()] == []  # the test settings' generated key
