"""A real round-trip through the broker: a worker process runs ``mampf.tasks.ping``.

Runs only when the suite has a broker (CELERY_BROKER_URL, e.g. Redis in CI); the test settings
keep tasks eager for everything else, but ``send_task`` always goes through the broker.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from mampf.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]
BROKER_URL = getattr(settings, "MAMPF_TEST_BROKER_URL", "")

needs_broker = pytest.mark.skipif(
    not BROKER_URL,
    reason="no broker configured: set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)",
)


def test_notification_mail_is_routed_to_the_mail_queue():
    route = celery_app.amqp.router.route({}, "mampf.tasks.send_notification_email")

    assert route["queue"].name == "mail"


def test_other_tasks_use_the_default_queue():
    route = celery_app.amqp.router.route({}, "mampf.tasks.ping")

    assert route["queue"].name == "default"


@pytest.fixture
def worker(tmp_path):
    """A real worker on a queue of its own; always terminated."""
    queue = f"test-roundtrip-{uuid.uuid4().hex[:12]}"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mampf.settings",
        CELERY_BROKER_URL=BROKER_URL,
        # The worker must never touch the test database: give it a throwaway SQLite of its own.
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        MAMPF_VAR_DIR=str(tmp_path / "var"),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mampf", "worker", "-Q", queue,
         "--pool", "solo", "--concurrency", "1", "--without-heartbeat", "--without-gossip",
         "--without-mingle", "-l", "warning", "--hostname", f"{queue}@%h"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        yield queue, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@needs_broker
# The test settings keep tasks eager; send_task ignores that and goes through the broker.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
@pytest.mark.filterwarnings("ignore:Results are not stored in backend:RuntimeWarning")
def test_ping_round_trip_through_a_real_worker(worker):
    queue, process = worker
    assert settings.CELERY_RESULT_BACKEND, "a result backend is needed to read the answer"

    result = celery_app.send_task("mampf.tasks.ping", args=["hello"], queue=queue)

    try:
        # The clock includes the worker's start-up; leave room for a busy CI machine.
        assert result.get(timeout=60) == "hello"
    except Exception:
        process.terminate()
        output = process.communicate(timeout=20)[0]
        pytest.fail(f"no answer from the worker; its output:\n{output}")
    finally:
        result.forget()
