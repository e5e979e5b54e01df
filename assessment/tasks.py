"""Thin Celery wrappers: primary keys in, idempotent enough to be delivered twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from mampf.tasks import send_notification_email


@shared_task(name="assessment.tasks.send_results")
def send_results(assessment_id: int, tutorial_id: int | None = None) -> int:
    """Tell the students concerned that results are published: one e-mail each."""
    from assessment.models import Assessment, Participation

    assessment = Assessment.objects.filter(pk=assessment_id).select_related("lecture").first()
    if assessment is None:
        return 0
    rows = Participation.objects.filter(assessment=assessment)
    if tutorial_id is not None:
        rows = rows.filter(tutorial_id=tutorial_id)
    else:
        rows = rows.exclude(tutorial__assessment_publications__assessment=assessment)
    addresses = sorted(set(rows.exclude(user__email="").values_list("user__email", flat=True)))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Results published: %(title)s") % {"title": assessment.title}
        body = _(
            "The results of “%(title)s” in %(lecture)s are published. You find them on your "
            "results page."
        ) % {"title": assessment.title, "lecture": assessment.lecture.title}
    for address in addresses:
        send_notification_email.delay(subject=subject, body=body, to=[address])
    return len(addresses)
