"""Shared plumbing of campaign state changes: locking, audited transitions, clean DB errors."""

from django.db import OperationalError, connection
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from registration import errors
from registration.models import Campaign, CampaignTransition


def lock_campaign(campaign: Campaign) -> Campaign:
    try:
        return Campaign.objects.select_for_update().get(pk=campaign.pk)
    except Campaign.DoesNotExist:
        raise errors.InvalidTransition(_("This campaign no longer exists.")) from None


def transition(campaign: Campaign, method_name: str, *, by, note: str = "") -> Campaign:
    """Run an FSM transition on the locked campaign and write the audit row."""
    from_status = campaign.status
    try:
        getattr(campaign, method_name)()
        campaign.save()
    except (TransitionNotAllowed, ConcurrentTransition):
        raise errors.InvalidTransition(
            _("The campaign cannot change from “%(status)s” now.")
            % {"status": campaign.get_status_display()}
        ) from None
    CampaignTransition.objects.create(
        campaign=campaign,
        from_status=from_status,
        to_status=campaign.status,
        by=by if getattr(by, "pk", None) else None,
        note=note,
    )
    return campaign


def translate_db_errors(func):
    """A lock timeout or a lost race becomes a clean 'try again', never a 500."""

    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            raise errors.TryAgain() from exc

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    wrapper.__wrapped__ = func
    return wrapper


def share_lock_campaign(campaign_id: int) -> Campaign:
    """Re-read the campaign under a shared row lock (PostgreSQL ``FOR SHARE``).

    Student writes take it, state changes take ``FOR UPDATE``: many registrations proceed side
    by side, but none can slip in while a campaign is being closed, reverted or deleted, and a
    status read here stays true until the registration commits. SQLite serializes all writers
    anyway, so there a plain read is enough.
    """
    if connection.vendor != "postgresql":
        return Campaign.objects.get(pk=campaign_id)
    table = connection.ops.quote_name(Campaign._meta.db_table)
    rows = list(
        Campaign.objects.raw(f"SELECT * FROM {table} WHERE id = %s FOR SHARE", [campaign_id])  # noqa: S608
    )
    if not rows:
        raise Campaign.DoesNotExist
    return rows[0]
