"""Test settings: the real settings, with fast hashing, no HTTPS redirect and eager tasks.

The database still comes from DATABASE_URL, so the same suite runs on SQLite and PostgreSQL.
"""

from mampf.settings import *  # noqa: F403
from mampf.settings import CELERY_BROKER_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tasks run in-process in tests; the Celery round-trip test talks to the real broker itself.
CELERY_TASK_ALWAYS_EAGER = True
# Keep the broker URL visible to the round-trip test.
MAMPF_TEST_BROKER_URL = CELERY_BROKER_URL
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
