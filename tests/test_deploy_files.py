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
