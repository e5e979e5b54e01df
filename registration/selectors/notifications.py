"""The e-mails students get when a campaign is finalized (built in bulk, sent by a task)."""

from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from mampf.mail import describe_place, languages_of, site_url
from mampf.models import Registerable
from registration.models import Campaign, UserRegistration


def allocation_result_messages(*, campaign_id: int) -> list[EmailMessage]:
    campaign = Campaign.objects.select_related("lecture").get(pk=campaign_id)
    rows = list(
        UserRegistration.objects.filter(campaign=campaign)
        .select_related("user")
        .order_by("user_id", "preference_rank")
        .values_list("user_id", "user__name", "user__email", "item__registerable_id", "status")
    )
    places = {r.pk: r for r in Registerable.objects.filter(pk__in={row[3] for row in rows})}
    by_user: dict[int, list] = defaultdict(list)
    for row in rows:
        by_user[row[0]].append(row)
    messages = []
    languages = languages_of(by_user)
    result_url = site_url(reverse("registration:student_result", args=[campaign.pk]))
    for user_id, user_rows in by_user.items():
        with translation.override(languages[user_id]):
            messages.append(_result_message(campaign, user_rows, places, result_url))
    return messages


def _result_message(campaign, user_rows, places, result_url: str) -> EmailMessage:
    """One student's e-mail, in the active language (the recipient's)."""
    _user_id, name, email, _reg, _status = user_rows[0]
    confirmed = [places[r[3]] for r in user_rows if r[4] == UserRegistration.Status.CONFIRMED]
    if confirmed:
        subject = _("%(campaign)s: your place") % {"campaign": campaign.title}
        body = _(
            "Hello %(name)s,\n\nthe registration “%(campaign)s” (%(lecture)s) is "
            "finalized. You were assigned to: %(places)s.\n"
        ) % {
            "name": name,
            "campaign": campaign.title,
            "lecture": campaign.lecture.title,
            "places": "; ".join(describe_place(p) for p in confirmed),
        }
    else:
        subject = _("%(campaign)s: no place this time") % {"campaign": campaign.title}
        body = _(
            "Hello %(name)s,\n\nthe registration “%(campaign)s” (%(lecture)s) is "
            "finalized. Unfortunately none of your choices had room for you. The course "
            "staff can see that you are without a place and will contact you about a "
            "group that still has room; you do not need to register again.\n"
        ) % {"name": name, "campaign": campaign.title, "lecture": campaign.lecture.title}
    body += "\n" + _("Open the page: %(url)s") % {"url": result_url} + "\n"
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
