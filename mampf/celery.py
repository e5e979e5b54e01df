"""The Celery application; tasks are autodiscovered from every installed app's tasks.py."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mampf.settings")

app = Celery("mampf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs):
    """Celery adds no handlers of its own: settings.LOGGING (one console handler on the root,
    request/task ids on every record) stays in charge, and nothing is printed twice."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
