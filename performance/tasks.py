"""Thin Celery wrappers: primary keys in, idempotent, safe to be delivered twice."""

from __future__ import annotations

from celery import shared_task

# -- records (area "records") ---------------------------------------------------------------------


@shared_task(name="performance.tasks.recompute_lecture")
def recompute_lecture(lecture_id: int) -> int:
    """Recompute the lecture's records if a request waits (coalesced; see
    ``performance.recompute``); returns how many rounds ran (0: nothing to do)."""
    from performance.recompute import run_recompute

    return run_recompute(lecture_id=lecture_id).rounds


@shared_task(name="performance.tasks.recompute_stale_records")
def recompute_stale_records() -> list[int]:
    """Beat job: recompute records older than 48 h while the lecture has open grading."""
    from performance.recompute import request_stale_recomputes

    return request_stale_recomputes()
