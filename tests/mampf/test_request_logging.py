"""Request ids on responses and log records, JSON lines, one line per error, task ids."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mampf.celery import app
from mampf.log_context import JsonFormatter, request_id_var

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_request_id_is_made_up_and_returned(client):
    first = client.get("/login/")
    second = client.get("/login/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="edge-4f2a:17.3")
    assert response["X-Request-ID"] == "edge-4f2a:17.3"


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["two words", "line\nbreak", 'quote"d', "x" * 129, "", "ümlaut"])
def test_a_malformed_request_id_is_replaced(client, forged):
    response = client.get("/login/", HTTP_X_REQUEST_ID=forged)
    assert response["X-Request-ID"] != forged
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_log_records_of_a_request_carry_its_id(client, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 404
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [r.request_id for r in records] == ["req-42"]
    # Outside the request the id is gone again.
    assert (
        logging.getLogger("x").makeRecord("x", logging.INFO, "f", 1, "m", (), None).request_id
        == "-"
    )
    assert request_id_var.get() == "-"


def test_a_task_log_carries_the_task_id(caplog, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    @app.task(name="tests.log_probe", bind=True)
    def log_probe(self):
        logging.getLogger("tests.probe").warning("probing")

    caplog.set_level(logging.WARNING, logger="tests.probe")
    log_probe.apply(task_id="task-7")
    record = next(r for r in caplog.records if r.name == "tests.probe")
    assert record.task_id == "task-7"
    assert record.request_id == "-"


def test_json_lines_keep_the_traceback_inside_the_line():
    token = request_id_var.set("req-9")
    try:
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError:
            record = logging.getLogger("tests").makeRecord(
                "tests", logging.ERROR, "f", 1, "failed %s", ("here",), sys.exc_info()
            )
    finally:
        request_id_var.reset(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "failed here"
    assert entry["request_id"] == "req-9"
    assert entry["level"] == "ERROR"
    assert "ZeroDivisionError: boom" in entry["exc"]
    assert "task_id" not in entry


SCRIPT = """
import django
django.setup()
from django.test import Client
from django.urls import path
from mampf import urls

def boom(request):
    raise ZeroDivisionError("boom")

urls.urlpatterns.append(path("boom/", boom))
client = Client(raise_request_exception=False)
response = client.get("/boom/", HTTP_X_REQUEST_ID="req-500")
assert response.status_code == 500, response.status_code
assert response["X-Request-ID"] == "req-500"
"""


@pytest.mark.slow
@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_500_is_one_json_line_with_the_request_id(tmp_path, debug):
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_LEVEL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="mampf.settings_test",
        DEBUG=debug,
        LOG_FORMAT="json",
        MAMPF_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(BASE_DIR),
        ALLOWED_HOSTS="testserver",
    )

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    errors = [e for e in entries if e["level"] == "ERROR"]
    assert len(errors) == 1, lines
    assert errors[0]["message"] == "Internal Server Error: /boom/"
    assert errors[0]["request_id"] == "req-500"
    assert errors[0]["exc"].count("ZeroDivisionError: boom") == 1
    assert result.stderr.count("ZeroDivisionError: boom") == 1
