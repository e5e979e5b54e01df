"""Project-wide tasks: outgoing mail (on the ``mail`` queue) and a liveness ping."""

from collections.abc import Iterable, Mapping

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from mampf.mail import render_notice
from mampf.models import Registerable


@shared_task(
    name="mampf.tasks.send_notification_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_notification_email(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text notification; retried when the mail server is unreachable."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)


@shared_task(
    name="mampf.tasks.send_user_notification",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_user_notification(
    *, user_id: int, subject: str, body: str, path: str, params: dict, places: dict
) -> int:
    """Render one notice in the recipient's language (see mampf.mail) and send it.

    A user deleted or deactivated meanwhile gets nothing; a group deleted meanwhile is left out
    of the description (its parameter falls back to an empty text).
    """
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    found = {r.pk: r for r in Registerable.objects.filter(pk__in=list(places.values()))}
    params = {**params, **{key: "" for key, pk in places.items() if pk not in found}}
    message = render_notice(
        user,
        subject=subject,
        body=body,
        path=path,
        params=params,
        places={key: found[pk] for key, pk in places.items() if pk in found},
    )
    return message.send(fail_silently=False)


def notify_users(
    *,
    users: Iterable,
    subject: str,
    body: str,
    path: str,
    params: Mapping[str, object] | None = None,
    places: Mapping[str, int] | None = None,
) -> int:
    """Queue one notice per user with an address, sent after the transaction commits.

    ``subject`` and ``body`` are untranslated source strings (mark them with ``gettext_noop``);
    ``params`` fill them (``%(name)s`` is the recipient); ``places`` maps parameter names to
    registerable ids, described in the recipient's language; ``path`` is the page the e-mail
    links to. Returns how many notices were queued.
    """
    recipients = {user.pk: user for user in users if getattr(user, "email", "")}
    for user_id in sorted(recipients):
        send_user_notification.delay_on_commit(
            user_id=user_id,
            subject=subject,
            body=body,
            path=path,
            params={key: str(value) for key, value in (params or {}).items()},
            places={key: int(pk) for key, pk in (places or {}).items()},
        )
    return len(recipients)


@shared_task(name="mampf.tasks.ping")
def ping(value: str = "pong") -> str:
    """Round-trip check for the broker and workers."""
    return value


@shared_task(name="mampf.tasks.lapse_unconfirmed_addresses")
def lapse_unconfirmed_addresses() -> int:
    """Remove unconfirmed university addresses whose link expired (idempotent)."""
    from mampf import services

    return services.lapse_unconfirmed_addresses()
