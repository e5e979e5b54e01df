"""Celery tasks of ``performance``: thin wrappers around services, primary keys in, idempotent."""

from celery import shared_task

# -- notifications (examgate: stale digest to staff, decision mail to students) ------------------


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
