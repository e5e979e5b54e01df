"""The Celery application; tasks are autodiscovered from every installed app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mampf.settings")

app = Celery("mampf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
