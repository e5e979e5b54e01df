"""Settings, all read from the environment.

Defaults are for zero-setup development (SQLite under ``var/``, eager tasks, console mail);
production sets ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``REDIS_URL``, ``SECRET_KEY``,
``DEBUG=0``, ``ALLOWED_HOSTS`` and ``EMAIL_URL``.
"""

import base64
import datetime
import hashlib
import os
import re
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MAMPF_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, *, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def _secret_key() -> str:
    """Use SECRET_KEY if given; otherwise generate one once and keep it in var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "polymorphic",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the docs UI's files, served by the app (no CDN)
    "mampf.apps.MampfConfig",
    "rosters.apps.RostersConfig",
    "registration.apps.RegistrationConfig",
    "assessment.apps.AssessmentConfig",
    "performance.apps.PerformanceConfig",
    "grade_schemes.apps.GradeSchemesConfig",
    "remediation.apps.RemediationConfig",
    "operations.apps.OperationsConfig",  # the top: cross-cutting commands (seed_demo)
]

MIDDLEWARE = [
    # Outermost: every response and every log line of a request carries its X-Request-ID.
    "mampf.log_context.RequestIdMiddleware",
    # First: /health/ answers the load balancer before host checks and the HTTPS redirect.
    "operations.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before everything that reads parameters: no NUL or control character reaches a query.
    "mampf.guards.CleanQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Outermost of those that know the user: personal responses are never cached by anyone.
    "mampf.guards.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mampf.urls"
WSGI_APPLICATION = "mampf.wsgi.application"
ASGI_APPLICATION = "mampf.asgi.application"

TEMPLATES = [
    {
        # Django's backend; its tag-library check knows the intended i18n replacement below.
        "BACKEND": "mampf.template_backend.SiteDjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mampf.context_processors.navigation",
            ],
            # {% load i18n %} is Django's library with a faster constant {% translate %}
            # (mampf/templatetags/fast_i18n.py).
            "libraries": {"i18n": "mampf.templatetags.fast_i18n"},
        },
    },
]

# Django's widget templates, with the stock input, select and textarea widgets written in Python
# (the same markup; see mampf/form_renderer.py).
FORM_RENDERER = "mampf.form_renderer.FastWidgetRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: concurrent writers queue on the database lock instead of failing mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
else:
    # A lock that cannot be had within a few seconds is a clean "try again", never a hang.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", f"-c lock_timeout={os.environ.get('DB_LOCK_TIMEOUT_MS', '5000')}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    # Sessions are read from Redis and written through to the database: one query less on every
    # logged-in page. Only with a shared cache: a per-process cache would keep a logged-out
    # session alive in the other workers.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "mampf.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username + address before the password is even checked.
    "mampf.guards.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes): 10 wrong passwords for one account from one address lock that
# combination for 15 minutes (so nobody can lock a student out from elsewhere); a success resets.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field (lower-cased by the form)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "mampf.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "mampf.guards.client_ip"
AXES_VERBOSE = False
# Password reset mails: at most this many per address and per client address in an hour.
PASSWORD_RESET_LIMIT_PER_EMAIL = 3
PASSWORD_RESET_LIMIT_PER_IP = 20  # a campus NAT shares one address
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day (and only once)
# Single sign-on through the university's OpenID Connect provider (mampf.sso): off unless
# OIDC_RP_CLIENT_ID is set. Endpoints from the environment or the provider's discovery document.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
# The claim that carries the matriculation number (empty: none is taken over).
OIDC_MATRICULATION_CLAIM = os.environ.get("OIDC_MATRICULATION_CLAIM", "")
OIDC_CREATE_USER = env_bool("OIDC_CREATE_USER", default=True)
# Only for a provider that releases nothing but institution-managed addresses without saying so.
OIDC_REQUIRE_VERIFIED_EMAIL = env_bool("OIDC_REQUIRE_VERIFIED_EMAIL", default=True)
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "login"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("mampf.sso_backend.UniversityLoginBackend")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalization -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True
# One 24-hour date style in both languages ("2 Dec 2026, 14:05" / "2. Dez. 2026, 14:05").
FORMAT_MODULE_PATH = "mampf.formats"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Uploaded files (submissions, corrections): private, served only through checked views, so
# MEDIA_URL is never routed.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
# Largest accepted submission PDF in bytes (default 10 MiB).
SUBMISSION_MAX_BYTES = int(os.environ.get("SUBMISSION_MAX_BYTES") or 10 * 1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------------
_email = dj_email_url.parse(os.environ.get("EMAIL_URL") or "console://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MaMpf <noreply@localhost>")
# Where the site is reached from outside; e-mails link back to pages with absolute URLs.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# performance (exam admission): at most one "certifications out of date" digest e-mail per
# lecture within this many hours.
PERFORMANCE_STALE_DIGEST_HOURS = float(os.environ.get("PERFORMANCE_STALE_DIGEST_HOURS") or 3)
# assessment (exam grade list for the examinations office): the status code written for each
# case, HIS/LSF "Vermerke" by default; override single keys as "absent=NE,withdrawn=AB,...".
EXAM_OFFICE_STATUS_CODES = {
    "absent": "NE",  # nicht erschienen (counts as 5.0 / 500 in HIS)
    "medical_certificate": "RT",  # Rücktritt mit Attest (some HIS installations: GR)
    "withdrawn": "AB",  # abgemeldet (withdrawn from the exam)
    "exempt": "RT",  # exempt for another reason: a Rücktritt the office accepted
    "pending": "AN",  # angemeldet: still registered, no result yet
}
EXAM_OFFICE_STATUS_CODES.update(
    dict(
        pair.split("=", 1)
        for pair in os.environ.get("EXAM_OFFICE_STATUS_CODES", "").split(",")
        if "=" in pair
    )
)

# --- Security (strict whenever DEBUG is off) ------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _inline_style_hashes() -> list[str]:
    """The 500 page keeps its few inline rules (it must render when static files are broken):
    their hashes are the only inline styles the policy allows."""
    text = (BASE_DIR / "templates" / "500.html").read_text()
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in re.findall(r"<style>(.*?)</style>", text, re.S)
    ]


# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. Templates put
# scripts and styles in static files; htmx is told not to inject styles or evaluate code
# (mampf.context_processors.HTMX_CONFIG). CSP_REPORT_URI: where browsers report violations.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *_inline_style_hashes()],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if os.environ.get("CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [os.environ["CSP_REPORT_URI"]]
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours add to X-Forwarded-For (the client address for login throttling).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1" if BEHIND_TLS_PROXY else "0"))
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
# Without a broker, tasks run eagerly in-process through the same code path.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None
)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "mampf.tasks.send_notification_email": {"queue": "mail"},
    "mampf.tasks.send_user_notification": {"queue": "mail"},
    "registration.tasks.send_allocation_results": {"queue": "mail"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "registration-close-due-campaigns": {
        "task": "registration.tasks.close_due_campaigns",
        "schedule": crontab(),  # every minute; the request-time deadline check is the guard
    },
    "registration-open-due-campaigns": {
        "task": "registration.tasks.open_due_campaigns",
        "schedule": crontab(),
    },
    "mampf-lapse-unconfirmed-addresses": {
        "task": "mampf.tasks.lapse_unconfirmed_addresses",
        "schedule": crontab(minute=17),  # hourly; an unconfirmed address reserves nothing
    },
    # Pending rows for every tutorial member after an assignment's deadline (idempotent).
    "assessment-seed-due-participations": {
        "task": "assessment.tasks.seed_due_participations",
        "schedule": crontab(minute="*/5"),
    },
    # Performance records (issue 9, area "records"): records older than 48 h while the lecture
    # has open grading, roster members without a record, lost recompute requests.
    "performance-recompute-stale-records": {
        "task": "performance.tasks.recompute_stale_records",
        "schedule": crontab(minute=41),  # hourly
    },
}
# The integrity monitor (issue 12): one job per check of ``mampf.integrity``, at the cadence
# MaMpf plans (recount hourly, totals daily, orphans weekly, rosters daily); a test keeps them
# in step.
_INTEGRITY_CHECKS = {
    "orphan_registrations": crontab(minute=23, hour=3, day_of_week=1),  # weekly
    "failed_allocation_runs": crontab(minute=5),  # hourly
    "count_drift": crontab(minute=7),  # hourly: the recount
    "pending_certifications": crontab(minute=9),  # hourly
    "stale_certifications": crontab(minute=11, hour=4),  # daily
    "record_age": crontab(minute=51),  # hourly, after the recompute job at :41
    "points_total_mismatch": crontab(minute=13, hour=4),  # daily: the totals
    "overdue_jobs": crontab(minute=3),  # hourly
    "group_members_missing_from_lecture": crontab(minute=17, hour=4),  # daily: roster integrity
    "answer_sheet_score_mismatch": crontab(minute=19, hour=4),  # daily: the totals (remediation)
}
CELERY_BEAT_SCHEDULE.update(
    {
        f"integrity-{name.replace('_', '-')}": {
            "task": "operations.tasks.run_integrity_check",
            "schedule": schedule,
            "args": [name],
        }
        for name, schedule in _INTEGRITY_CHECKS.items()
    }
)
# Who hears of integrity problems that are not one lecture's (and of any when a lecture has no
# staff with an address): comma-separated addresses; default: the ADMINS.
ADMINS = [("", address) for address in env_list("ADMINS", default=[])]
OPERATORS_EMAILS = env_list("OPERATORS_EMAILS", default=[])
# Seconds a queued recompute of a lecture's records waits, so a burst of grading coalesces.
PERFORMANCE_RECOMPUTE_DELAY_SECONDS = int(
    os.environ.get("PERFORMANCE_RECOMPUTE_DELAY_SECONDS", "10")
)

# --- JSON API (Django REST framework) ---------------------------------------------------------
# Session auth (with CSRF) for the browser, token auth for scripts; only JSON in and out; every
# refusal is {"code", "message"} (remediation.api.exceptions). Lists are paginated.
REST_FRAMEWORK = {
    # Token first: an anonymous request is answered 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["remediation.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "remediation.api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "remediation.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": os.environ.get("API_THROTTLE_RATE") or "2000/minute"},
}
# Largest JSON body the API reads, in bytes; larger ones are refused with 413 before parsing.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES") or 1024 * 1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "MaMpf API",
    "DESCRIPTION": (
        "Result remediation: correction batches of multiple-choice evaluations. Session auth "
        "with CSRF for the browser, `Authorization: Token <key>` for scripts. Every refusal is "
        '`{"code": ..., "message": ...}` with a 4xx status.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
}

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
# "json": one JSON object per line (for a log collector); anything else: readable lines.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusals_without_traceback": {"()": "mampf.log_filters.RefusalsWithoutTraceback"},
        "request_context": {"()": "mampf.log_context.RequestContextFilter"},
    },
    "formatters": {
        "json": {"()": "mampf.log_context.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s [%(request_id)s %(task_id)s] %(name)s: %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context", "refusals_without_traceback"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default adds a second console handler under DEBUG: every record (a 403's
        # traceback included) was printed twice. Now everything goes through the root's handler.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # runserver's access lines: Django gives them their own handler; here they go through
        # the root's, once, with the same format.
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # Who searched which lecture's students (never the term); kept at INFO in production.
        "rosters.search": {"level": "INFO"},
    },
}
# The Celery worker and beat keep this configuration (mampf.celery connects setup_logging), so
# a task's lines have the same format, carry the task id, and are printed once.

# --- Domain switches ------------------------------------------------------------------------
# One switch for every row lock taken through mampf.db (the concurrency tests' controls).
MAMPF_ROW_LOCKS = True
