"""Shared plumbing of campaign state changes: campaign locks, audited transitions and changes.

``services`` and ``allocation`` both use it; ``allocation`` imports this module (never
``services``), ``services`` re-exports ``allocation``. Locks go through ``mampf.db.lock_rows``
(one ordered helper, one test switch); ``OperationalError`` becomes ``errors.TryAgain`` through
``mampf.db.translate_db_errors``.
"""

from __future__ import annotations

from celery import current_app
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from mampf.db import actor_or_none, lock_rows, translate_db_errors
from registration import errors
from registration.models import Campaign, CampaignChange, CampaignTransition

#: The decorator every registration service wears: a lock timeout is a clean "try again".
busy_is_try_again = translate_db_errors(error=errors.TryAgain)


def lock_campaign(campaign: Campaign, *, nowait: bool = False) -> Campaign:
    """The campaign row, fresh, under ``FOR UPDATE`` (state changes, configuration)."""
    rows = lock_rows(Campaign, [campaign.pk], nowait=nowait)
    if not rows:
        raise errors.InvalidTransition(_("This campaign no longer exists."))
    return rows[0]


def share_lock_campaign(campaign_id: int) -> Campaign:
    """Re-read the campaign under a shared row lock (PostgreSQL ``FOR SHARE``).

    Student writes take it, state changes take ``FOR UPDATE``: many registrations proceed side
    by side, but none can slip in while a campaign is being closed, reverted or deleted, and a
    status read here stays true until the registration commits.
    """
    rows = lock_rows(Campaign, [campaign_id], shared=True)
    if not rows:
        raise Campaign.DoesNotExist
    return rows[0]


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
        by=actor_or_none(by),
        note=note,
    )
    return campaign


def record_change(
    campaign: Campaign | int, action: str, *, by, subject: str = "", old=None, new=None
) -> CampaignChange:
    """Append one audit row for a configuration change (items, capacities, rules, settings)."""
    return CampaignChange.objects.create(
        campaign_id=getattr(campaign, "pk", campaign),
        action=action,
        subject=str(subject)[:200],
        old=old,
        new=new,
        by=actor_or_none(by),
    )


def enqueue_on_commit(task_name: str, *args) -> None:
    """Hand a job to ``registration.tasks`` once the transaction commits (eagerly without a
    broker). By name, so ``services`` and ``allocation`` never import ``tasks``, which imports
    them; ``RegistrationConfig.ready()`` imports ``tasks``, so the name is always known."""
    current_app.tasks[task_name].delay_on_commit(*args)
