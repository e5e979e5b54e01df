"""Thin Celery wrappers: primary keys in, safe to be delivered twice or to run twice at once."""

from __future__ import annotations

from celery import shared_task
from django.urls import reverse
from django.utils.translation import gettext_noop

from mampf.tasks import notify_users


@shared_task(name="grade_schemes.tasks.send_grade_change_notices")
def send_grade_change_notices(assessment_id: int, participation_ids: list[int]) -> int:
    """After a published exam grade changed (a regrade after new points, an override, a scheme
    applied again): one e-mail to each of these candidates whose current grade differs from the
    one they were last told (``assessment.services.claim_result_notices``), in the recipient's
    language, linking to their exam result page. Nothing while the results are not published,
    nothing for a grade that moved back before this ran, nobody twice."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from assessment.models import Assessment
    from assessment.services import claim_result_notices

    assessment = (
        Assessment.objects.filter(
            pk=assessment_id, kind=Assessment.Kind.EXAM, results_published_at__isnull=False
        )
        .select_related("lecture")
        .first()
    )
    if assessment is None:
        return 0
    with transaction.atomic():
        user_ids = claim_result_notices(
            assessment_id=assessment.pk, participation_ids=participation_ids
        )
        return notify_users(
            users=get_user_model().objects.filter(pk__in=user_ids),
            subject=gettext_noop("Your grade changed: %(title)s"),
            body=gettext_noop(
                "your grade in “%(title)s” (%(lecture)s) has changed. You find it on your "
                "exam result page."
            ),
            params={"title": assessment.title, "lecture": assessment.lecture.title},
            path=reverse("grade_schemes:my_exam_result", args=[assessment.pk]),
        )
