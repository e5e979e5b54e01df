"""The integrity monitor's beat job: one entry per check in ``CELERY_BEAT_SCHEDULE``."""

from celery import shared_task


@shared_task(name="operations.tasks.run_integrity_check")
def run_integrity_check(name: str) -> dict:
    """Run one integrity check (measure, repair, store, alert); idempotent."""
    from operations.monitor import run_check

    outcome = run_check(name)
    return {"metric": name, "value": str(outcome.value), "ok": outcome.ok}
