"""Celery tasks of ``performance``: thin wrappers around services, primary keys in, idempotent,
safe to be delivered twice."""

from __future__ import annotations

from celery import shared_task

# -- records (recompute) ---------------------------------------------------------------------------


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


# -- notifications (stale digest to staff, decision mail to students) -----------------------------


@shared_task(name="performance.tasks.send_stale_digest")
def send_stale_digest(*, lecture_id: int, user_ids: list[int]) -> int:
    """The staff's "certifications out of date" digest; a no-op within the interval."""
    from performance import notifications

    return notifications.send_stale_digest(lecture_id=lecture_id, user_ids=user_ids)


@shared_task(name="performance.tasks.notify_certified_students")
def notify_certified_students(*, lecture_id: int, user_ids: list[int]) -> int:
    """Tell students about a first or changed decision; a no-op when they already know."""
    from performance import notifications

    return notifications.notify_students_of_decisions(lecture_id=lecture_id, user_ids=user_ids)
