"""Thin Celery wrappers around registration services (beat jobs, allocation, result mail)."""

from celery import shared_task
from django.conf import settings
from django.core import mail
from django.utils import translation

from registration import errors, services
from registration.models import AllocationRun
from registration.selectors.notifications import allocation_result_messages


@shared_task(name="registration.tasks.close_due_campaigns")
def close_due_campaigns() -> list[int]:
    return services.close_due_campaigns()


@shared_task(name="registration.tasks.open_due_campaigns")
def open_due_campaigns() -> list[int]:
    return services.open_due_campaigns()


@shared_task(name="registration.tasks.run_allocation")
def run_allocation(run_id: int) -> str:
    """Run a queued allocation; a duplicate delivery of the same run does nothing."""
    run = AllocationRun.objects.select_related("campaign", "requested_by").get(pk=run_id)
    try:
        run = services.campaign_allocate(run.campaign, by=run.requested_by, run=run)
    except errors.RegistrationError:
        pass  # recorded on the run (status failed, error) for the page to show
    return AllocationRun.objects.get(pk=run_id).status


@shared_task(name="registration.tasks.send_allocation_results")
def send_allocation_results(campaign_id: int) -> int:
    """One e-mail per registrant: where they were placed, or that they were not and what next."""
    with translation.override(settings.LANGUAGE_CODE):
        messages = allocation_result_messages(campaign_id=campaign_id)
    sent = 0
    with mail.get_connection() as connection:
        for start in range(0, len(messages), 200):
            sent += connection.send_messages(messages[start : start + 200]) or 0
    return sent
