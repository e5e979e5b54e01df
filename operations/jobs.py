"""Beat jobs: which ran when (heartbeats written from Celery's task signals) and which are late.

Every task run whose name and arguments match an entry of ``settings.CELERY_BEAT_SCHEDULE``
updates that entry's ``JobHeartbeat`` row (one upsert at the start, one update at the end), so
all beat jobs are covered without touching their code, including ones added later. Other tasks
cost a dictionary look-up. A heartbeat that cannot be written (database away) is logged and the
task itself runs on.

A job is overdue when it has not started within twice its interval; a job that never ran is
overdue once heartbeats have been recorded for longer than twice its interval (before that,
beat has simply not been running long enough to tell).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from celery.signals import task_failure, task_postrun, task_prerun
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from operations.models import JobHeartbeat

logger = logging.getLogger(__name__)


def cadence(entry_schedule) -> timedelta:
    """The average time between two runs of a beat schedule (crontab, interval or seconds)."""
    if isinstance(entry_schedule, timedelta):
        return entry_schedule
    if isinstance(entry_schedule, (int, float)):
        return timedelta(seconds=entry_schedule)
    if isinstance(entry_schedule, interval_schedule) and not isinstance(entry_schedule, crontab):
        return entry_schedule.run_every
    if isinstance(entry_schedule, crontab):
        per_day = len(entry_schedule.minute) * len(entry_schedule.hour)
        days = len(entry_schedule.day_of_week)
        if len(entry_schedule.day_of_month) < 31:
            return timedelta(days=31 / len(entry_schedule.day_of_month)) / per_day
        return timedelta(days=7) / (per_day * days)
    raise TypeError(f"unknown beat schedule {entry_schedule!r}")


def beat_entries() -> dict[str, dict]:
    return dict(getattr(settings, "CELERY_BEAT_SCHEDULE", {}))


def job_for(task_name: str, args, kwargs) -> str | None:
    """The beat entry this task run belongs to: same task and arguments; or the only entry of
    that task."""
    same_task = {
        name: entry for name, entry in beat_entries().items() if entry.get("task") == task_name
    }
    if not same_task:
        return None
    for name, entry in same_task.items():
        if list(entry.get("args", ())) == list(args or ()) and dict(
            entry.get("kwargs", {})
        ) == dict(kwargs or {}):
            return name
    return next(iter(same_task)) if len(same_task) == 1 else None


def _write(action) -> None:
    try:
        with transaction.atomic():
            action()
    except DatabaseError:
        logger.warning("beat job heartbeat not written", exc_info=True)


@task_prerun.connect(dispatch_uid="operations.jobs.started")
def started(sender=None, args=None, kwargs=None, **extra) -> None:
    job = job_for(getattr(sender, "name", ""), args, kwargs)
    if job is None:
        return
    now = timezone.now()
    _write(
        lambda: JobHeartbeat.objects.bulk_create(
            [JobHeartbeat(job=job, task=sender.name, first_started_at=now, last_started_at=now)],
            update_conflicts=True,
            unique_fields=["job"],
            update_fields=["task", "last_started_at"],
        )
    )


@task_failure.connect(dispatch_uid="operations.jobs.failed")
def failed(sender=None, exception=None, args=None, kwargs=None, **extra) -> None:
    job = job_for(getattr(sender, "name", ""), args, kwargs)
    if job is None:
        return
    now = timezone.now()
    error = f"{type(exception).__name__}: {exception}"[:2000]
    _write(
        lambda: JobHeartbeat.objects.filter(job=job).update(
            last_finished_at=now, last_failed_at=now, last_error=error
        )
    )


@task_postrun.connect(dispatch_uid="operations.jobs.finished")
def finished(sender=None, args=None, kwargs=None, state=None, **extra) -> None:
    if state != "SUCCESS":
        return
    job = job_for(getattr(sender, "name", ""), args, kwargs)
    if job is None:
        return
    now = timezone.now()
    _write(
        lambda: JobHeartbeat.objects.filter(job=job).update(
            last_finished_at=now, last_succeeded_at=now
        )
    )


@dataclass(frozen=True)
class JobState:
    job: str
    task: str
    interval: timedelta
    last_started_at: datetime | None
    last_succeeded_at: datetime | None
    last_failed_at: datetime | None
    last_error: str
    overdue: bool

    @property
    def failing(self) -> bool:
        return bool(self.last_failed_at) and (
            self.last_succeeded_at is None or self.last_failed_at > self.last_succeeded_at
        )


def job_states(*, now=None) -> list[JobState]:
    """Every beat entry with its heartbeat and whether it is overdue (one query)."""
    now = now or timezone.now()
    beats = {b.job: b for b in JobHeartbeat.objects.all()}
    monitoring_since = min((b.first_started_at for b in beats.values()), default=None)
    states = []
    for name, entry in sorted(beat_entries().items()):
        interval = cadence(entry["schedule"])
        beat = beats.get(name)
        if beat is not None:
            overdue = now - beat.last_started_at > 2 * interval
        else:
            overdue = monitoring_since is not None and now - monitoring_since > 2 * interval
        states.append(
            JobState(
                job=name,
                task=entry["task"],
                interval=interval,
                last_started_at=beat.last_started_at if beat else None,
                last_succeeded_at=beat.last_succeeded_at if beat else None,
                last_failed_at=beat.last_failed_at if beat else None,
                last_error=beat.last_error if beat else "",
                overdue=overdue,
            )
        )
    return states


def overdue_jobs() -> list:
    """The integrity check over the beat jobs themselves: jobs overdue (one query)."""
    from decimal import Decimal

    from mampf.integrity import Finding

    late = [state.job for state in job_states() if state.overdue]
    return [Finding(lecture_id=None, value=Decimal(len(late)), ids=tuple(late))] if late else []
