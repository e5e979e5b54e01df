"""Notification e-mails to users: written in the recipient's language, linking back to the site.

A caller (a service) queues a notice with ``mampf.tasks.notify_users``: the subject and the text
are the English source strings, marked with ``gettext_noop`` so that they are translated, with
parameters (``%(name)s`` style) and, for groups, the registerable ids to describe. Nothing is
translated when the notice is queued: the mail task renders each e-mail under
``translation.override`` of the recipient's language (``recipient_language``), so a German
student gets German mail whatever language the staff member who moved them uses. Every notice
names the page it is about; the e-mail ends with its absolute URL, built from
``settings.SITE_URL``.

One task per recipient (``mampf.tasks.send_user_notification``), enqueued with
``delay_on_commit``: a rolled-back change sends nothing, and a retry after a mail-server failure
does not mail the other recipients twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from mampf.models import Registerable, Tutorial


def site_url(path: str = "") -> str:
    """The absolute URL of a path on this site (``SITE_URL`` from the environment)."""
    base = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    if not path:
        return base + "/"
    return base + (path if path.startswith("/") else "/" + path)


def _supported(language: str) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    if language in available:
        return language
    short = language.split("-")[0]
    return short if short in available else settings.LANGUAGE_CODE


def recipient_language(user) -> str:
    """The user's preferred language if the user model stores one, else the site's default."""
    return _supported(getattr(user, "language", "") or "")


def languages_of(user_ids) -> dict[int, str]:
    """``recipient_language`` for many users at once (at most one query; none while the user
    model stores no language)."""
    ids = list(user_ids)
    model = get_user_model()
    if not any(f.name == "language" for f in model._meta.get_fields()):
        return dict.fromkeys(ids, settings.LANGUAGE_CODE)
    stored = dict(model.objects.filter(pk__in=ids).values_list("pk", "language"))
    return {pk: _supported(stored.get(pk) or "") for pk in ids}


def describe_place(registerable: Registerable) -> str:
    """'Tutorial C (Thursday 14:00–16:00, SR 3)', 'Exam (…, HS 1)' or just the title; in the
    active language (the weekday and date formats are translated)."""
    if type(registerable) is Registerable:
        registerable = registerable.get_real_instance()
    details: list[str] = []
    if isinstance(registerable, Tutorial):
        details = [d for d in (registerable.schedule, registerable.room) if d]
    else:
        when = getattr(registerable, "date", None)
        if when is not None:
            if hasattr(when, "hour"):
                details.append(date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT"))
            else:
                details.append(date_format(when, "SHORT_DATE_FORMAT"))
        location = getattr(registerable, "location", "")
        if location:
            details.append(location)
    return f"{registerable.title} ({', '.join(details)})" if details else registerable.title


def render_notice(
    user,
    *,
    subject: str,
    body: str,
    path: str,
    params: Mapping[str, object] | None = None,
    places: Mapping[str, Registerable] | None = None,
) -> EmailMessage:
    """The e-mail for one recipient, rendered in their language."""
    with translation.override(recipient_language(user)):
        values = {"name": user.name or user.email, **(params or {})}
        values.update({key: describe_place(place) for key, place in (places or {}).items()})
        text = "\n\n".join(
            [
                _("Hello %(name)s,") % values,
                _(body) % values,
                _("Open the page: %(url)s") % {"url": site_url(path)},
            ]
        )
        return EmailMessage(
            _(subject) % values, text + "\n", settings.DEFAULT_FROM_EMAIL, [user.email]
        )
