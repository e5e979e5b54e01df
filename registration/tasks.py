"""Thin Celery wrappers: the beat schedule calls these every minute."""

from celery import shared_task

from registration import services


@shared_task(name="registration.tasks.close_due_campaigns")
def close_due_campaigns() -> list[int]:
    return services.close_due_campaigns()


@shared_task(name="registration.tasks.open_due_campaigns")
def open_due_campaigns() -> list[int]:
    return services.open_due_campaigns()
