"""The integrity monitor's storage (issue 12): results for trends, alert episodes, job heartbeats.

- ``MetricResult``: one row per check run for the site (``lecture`` empty) and one per lecture
  that was not clean; the health page draws each metric's trend from the site rows.
- ``Alert``: one row per (metric, lecture) telling whether an alert is open; an alert is mailed
  when the row opens and a recovery message when it clears, so a finding that stays over its
  threshold is mailed once, however often the check runs.
- ``JobHeartbeat``: per beat job (the ``CELERY_BEAT_SCHEDULE`` entry's name) when it last
  started, finished, succeeded and failed, written by Celery's task signals
  (``operations.jobs``), so the health page can show a job that stopped running.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MetricResult(models.Model):
    metric = models.CharField(_("metric"), max_length=60)
    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lecture"),
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=2)
    ok = models.BooleanField(_("within threshold"))
    ids = models.JSONField(_("objects involved"), default=list, blank=True)
    repaired = models.PositiveIntegerField(_("repaired"), default=0)
    at = models.DateTimeField(_("measured at"))

    class Meta:
        verbose_name = _("metric result")
        verbose_name_plural = _("metric results")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["metric", "lecture", "at"], name="metric_result_trend")]

    def __str__(self):
        return f"{self.metric} = {self.value} ({self.at:%Y-%m-%d %H:%M})"


class Alert(models.Model):
    metric = models.CharField(_("metric"), max_length=60)
    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lecture"),
    )
    # ``lecture_id`` or 0 for the site: one row per (metric, lecture) by a plain unique index.
    lecture_key = models.BigIntegerField(default=0)
    is_open = models.BooleanField(_("open"), default=False)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, default=0)
    ids = models.JSONField(_("objects involved"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["metric", "lecture_key"], name="alert_one_per_metric")
        ]

    def __str__(self):
        return f"{self.metric} @ {self.lecture_key}: {'open' if self.is_open else 'clear'}"


class JobHeartbeat(models.Model):
    job = models.CharField(_("job"), max_length=100, unique=True)
    task = models.CharField(_("task"), max_length=200)
    first_started_at = models.DateTimeField(_("first started at"))
    last_started_at = models.DateTimeField(_("last started at"))
    last_finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    last_succeeded_at = models.DateTimeField(_("last succeeded at"), null=True, blank=True)
    last_failed_at = models.DateTimeField(_("last failed at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")
        ordering = ["job"]

    def __str__(self):
        return self.job
