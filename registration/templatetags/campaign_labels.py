"""Display labels of the staff pages that differ from the stored choice labels."""

from django import template

from registration.selectors.staff import campaign_status_label

register = template.Library()


@register.filter
def campaign_status(status: str) -> str:
    """``{{ campaign.status|campaign_status }}``: "Awaiting finalization" for ``processing``."""
    return campaign_status_label(status)
