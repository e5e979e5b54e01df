"""Settings come from the environment: each case imports mampf.settings in a clean subprocess.

A subprocess is the only honest way: the settings module is evaluated once per process, and the
test process itself runs on mampf.settings_test with whatever DATABASE_URL the suite was given.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CONFIG_VARIABLES = (
    "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL", "SECRET_KEY",
    "DEBUG", "ALLOWED_HOSTS", "EMAIL_URL", "MAMPF_VAR_DIR", "DJANGO_SETTINGS_MODULE",
    "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "BEHIND_TLS_PROXY",
    # Set for the browser tests in this process (Playwright runs an event loop); a deployment
    # never has it, and the deploy check rightly refuses it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)

PRINT_SETTINGS = """
import json, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'mampf.settings'
import django
django.setup()
from django.conf import settings
db = settings.DATABASES['default']
print(json.dumps({
    'db_engine': db['ENGINE'],
    'db_name': str(db['NAME']),
    'db_host': db.get('HOST'),
    'db_options': {k: str(v) for k, v in db.get('OPTIONS', {}).items()},
    'var_dir': str(settings.VAR_DIR),
    'eager': settings.CELERY_TASK_ALWAYS_EAGER,
    'broker': settings.CELERY_BROKER_URL,
    'result_backend': settings.CELERY_RESULT_BACKEND,
    'cache_backend': settings.CACHES['default']['BACKEND'],
    'cache_location': settings.CACHES['default'].get('LOCATION', ''),
    'email_backend': settings.EMAIL_BACKEND,
    'email_host': settings.EMAIL_HOST,
    'email_port': settings.EMAIL_PORT,
    'email_user': settings.EMAIL_HOST_USER,
    'email_tls': settings.EMAIL_USE_TLS,
    'secret_key': settings.SECRET_KEY,
    'debug': settings.DEBUG,
    'allowed_hosts': settings.ALLOWED_HOSTS,
    'ssl_redirect': settings.SECURE_SSL_REDIRECT,
    'session_cookie_secure': settings.SESSION_COOKIE_SECURE,
}))
"""


def _clean_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env["MAMPF_VAR_DIR"] = str(tmp_path / "var")
    env.update(overrides)
    return env


def _settings(tmp_path: Path, **overrides: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=BASE_DIR,
        env=_clean_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_without_any_environment(tmp_path):
    settings = _settings(tmp_path)

    assert settings["db_engine"] == "django.db.backends.sqlite3"
    assert settings["db_name"] == str(tmp_path / "var" / "db.sqlite3")
    assert settings["db_options"]["transaction_mode"] == "IMMEDIATE"
    assert settings["eager"] is True
    assert settings["broker"] == ""
    assert settings["cache_backend"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["debug"] is False
    assert settings["allowed_hosts"] == ["localhost", "127.0.0.1"]
    # DEBUG is off by default, so the production protections are on by default too.
    assert settings["ssl_redirect"] is True and settings["session_cookie_secure"] is True


def test_sqlite_defaults_to_the_var_directory_of_the_checkout(tmp_path):
    env_without_var_dir = {k: v for k, v in _clean_env(tmp_path).items() if k != "MAMPF_VAR_DIR"}
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='mampf.settings'; import django; "
        "django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['NAME'])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env_without_var_dir,
                            capture_output=True, text=True, timeout=60, check=True)

    assert result.stdout.strip() == str(BASE_DIR / "var" / "db.sqlite3")


def test_postgres_from_database_url(tmp_path):
    settings = _settings(tmp_path, DATABASE_URL="postgres://app:pw@db.internal:5432/courses")

    assert settings["db_engine"] == "django.db.backends.postgresql"
    assert settings["db_name"] == "courses"
    assert settings["db_host"] == "db.internal"
    assert "lock_timeout" in settings["db_options"]["options"]
    assert "transaction_mode" not in settings["db_options"]


def test_tasks_are_queued_when_a_broker_is_configured(tmp_path):
    settings = _settings(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/3")

    assert settings["eager"] is False
    assert settings["broker"] == "redis://127.0.0.1:6379/3"
    assert settings["result_backend"] == "redis://127.0.0.1:6379/3"


def test_cache_is_redis_when_redis_url_is_set(tmp_path):
    settings = _settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/4")

    assert settings["cache_backend"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["cache_location"] == "redis://127.0.0.1:6379/4"


def test_smtp_from_email_url(tmp_path):
    settings = _settings(tmp_path, EMAIL_URL="smtp://mailer:pw@mail.example.org:587/?tls=True")

    assert settings["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert settings["email_host"] == "mail.example.org"
    assert settings["email_port"] == 587
    assert settings["email_user"] == "mailer"
    assert settings["email_tls"] is True


def test_secret_key_is_generated_once_into_the_var_directory(tmp_path):
    first = _settings(tmp_path)["secret_key"]
    second = _settings(tmp_path)["secret_key"]

    key_file = tmp_path / "var" / "secret_key"
    assert first == second
    assert len(first) >= 50
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only


def test_each_var_directory_gets_its_own_secret_key(tmp_path):
    one = _settings(tmp_path / "one")["secret_key"]
    other = _settings(tmp_path / "other", MAMPF_VAR_DIR=str(tmp_path / "other" / "var"))

    assert one != other["secret_key"]


def test_secret_key_from_the_environment_wins(tmp_path):
    settings = _settings(tmp_path, SECRET_KEY="from-the-environment-" + "x" * 40)

    assert settings["secret_key"] == "from-the-environment-" + "x" * 40
    assert not (tmp_path / "var" / "secret_key").exists()


def test_debug_and_allowed_hosts_from_the_environment(tmp_path):
    settings = _settings(tmp_path, DEBUG="1", ALLOWED_HOSTS="a.example.org, b.example.org")

    assert settings["debug"] is True
    assert settings["allowed_hosts"] == ["a.example.org", "b.example.org"]
    assert settings["ssl_redirect"] is False


@pytest.mark.slow
def test_deploy_check_passes_with_production_values(tmp_path):
    env = _clean_env(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="production-" + "k3y-" * 20,
        ALLOWED_HOSTS="courses.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/mampf_found",
        DJANGO_SETTINGS_MODULE="mampf.settings",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_deploy_check_fails_with_a_weak_secret_key(tmp_path):
    """Control: the deploy check above would notice a bad production value."""
    env = _clean_env(
        tmp_path, DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="courses.example.org",
        DJANGO_SETTINGS_MODULE="mampf.settings",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
