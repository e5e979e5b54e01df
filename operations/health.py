"""``/health/`` for the load balancer and docker-compose (issue 12 item 3).

200 when the database answers, the cache stores and returns a value, the broker accepts a
connection (without ``CELERY_BROKER_URL`` tasks run in-process: nothing to reach) and every
migration is applied; 503 otherwise. The answer names the four parts with "ok" or "error" and
nothing else (no versions, hosts or messages), and needs no login.

``HealthMiddleware`` (first in ``MIDDLEWARE``) answers the path before host validation and the
HTTPS redirect: the container's own health check calls ``http://127.0.0.1:8000/health/``,
whatever ``ALLOWED_HOSTS`` and ``SECURE_SSL_REDIRECT`` say for the public site.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

logger = logging.getLogger(__name__)

PATH = "/health/"
_migrations_applied = False  # once true, true for the life of the process


def database_ok() -> bool:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("health: database unreachable", exc_info=True)
        return False


def cache_ok() -> bool:
    try:
        token = secrets.token_hex(8)
        cache.set("operations:health", token, 10)
        return cache.get("operations:health") == token
    except Exception:
        logger.warning("health: cache unreachable", exc_info=True)
        return False


def broker_ok() -> bool:
    url = getattr(settings, "CELERY_BROKER_URL", "")
    if not url:
        return True
    try:
        from kombu import Connection

        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("health: broker unreachable", exc_info=True)
        return False


def migrations_ok() -> bool:
    global _migrations_applied
    if _migrations_applied:
        return True
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        logger.warning("health: migrations not readable", exc_info=True)
        return False
    _migrations_applied = not plan
    return _migrations_applied


def health_response(request=None) -> JsonResponse:
    parts = {"database": database_ok()}
    parts["cache"] = cache_ok()
    parts["broker"] = broker_ok()
    parts["migrations"] = parts["database"] and migrations_ok()
    healthy = all(parts.values())
    response = JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": {name: "ok" if good else "error" for name, good in parts.items()},
        },
        status=200 if healthy else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


def health(request):
    """The view behind ``/health/`` (also reached through the middleware)."""
    return health_response(request)


class HealthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return health_response(request)
        return self.get_response(request)
