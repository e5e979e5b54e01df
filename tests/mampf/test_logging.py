"""A refused request logs one warning line, never a traceback and never twice (item 17)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.test import RequestFactory

request = RequestFactory().get("/staff/rosters/1/")
request.user = AnonymousUser()
response = response_for_exception(request, PermissionDenied())
assert response.status_code == 403, response.status_code
response = response_for_exception(request, ZeroDivisionError("boom"))
assert response.status_code == 500, response.status_code
"""


@pytest.mark.slow
@pytest.mark.parametrize("debug", ["0", "1"])
def test_a_403_is_one_log_line_and_a_500_keeps_its_traceback(tmp_path, debug):
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_LEVEL", "DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="mampf.settings_test", DEBUG=debug,
               MAMPF_VAR_DIR=str(tmp_path), PYTHONPATH=str(BASE_DIR))

    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    log = result.stderr
    assert log.count("Forbidden (Permission denied): /staff/rosters/1/") == 1, log
    assert "django.core.exceptions.PermissionDenied" not in log, log
    # Real errors still log their traceback, once.
    assert log.count("Internal Server Error: /staff/rosters/1/") == 1, log
    assert log.count("ZeroDivisionError: boom") == 1, log
