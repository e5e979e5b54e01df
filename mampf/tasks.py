"""Project-wide tasks: outgoing mail (on the ``mail`` queue) and a liveness ping."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(
    name="mampf.tasks.send_notification_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text notification; retried when the mail server is unreachable."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


@shared_task(name="mampf.tasks.ping")
def ping(value: str = "pong") -> str:
    """Round-trip check for the broker and workers."""
    return value


@shared_task(name="mampf.tasks.lapse_unconfirmed_addresses")
def lapse_unconfirmed_addresses() -> int:
    """Remove unconfirmed university addresses whose link expired (idempotent)."""
    from mampf import services

    return services.lapse_unconfirmed_addresses()
