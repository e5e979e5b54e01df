"""Thin Celery wrappers: primary keys in, idempotent enough to be delivered twice."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_noop

from mampf.tasks import notify_users


@shared_task(name="assessment.tasks.send_results")
def send_results(assessment_id: int, tutorial_id: int | None = None) -> int:
    """Tell the students concerned that results are published: one e-mail each, written in
    the recipient's language (``mampf.tasks.notify_users``), linking to their results page (an
    exam's own result page when ``grade_schemes`` registered it). Nothing once the publication
    was withdrawn meanwhile. Exams: only candidates not yet told their current grade
    (``services.claim_result_notices``), so republishing after a withdrawal does not mail those
    already told the same grade, and a second delivery of this task mails nobody twice."""
    from django.db import transaction

    from assessment.hooks import result_page_path
    from assessment.models import Assessment, Participation
    from assessment.services import claim_result_notices

    assessment = Assessment.objects.filter(pk=assessment_id).select_related("lecture").first()
    if assessment is None:
        return 0
    if tutorial_id is None and assessment.results_published_at is None:
        return 0
    path = result_page_path(assessment) or reverse(
        "assessment:pages_my_results", args=[assessment.lecture_id]
    )
    with transaction.atomic():
        if assessment.kind == Assessment.Kind.EXAM and tutorial_id is None:
            user_ids = claim_result_notices(assessment_id=assessment.pk)
            users = list(get_user_model().objects.filter(pk__in=user_ids))
        else:
            rows = Participation.objects.filter(assessment=assessment, user__is_active=True)
            if tutorial_id is not None:
                rows = rows.filter(tutorial_id=tutorial_id)
            else:
                rows = rows.exclude(tutorial__assessment_publications__assessment=assessment)
            users = [row.user for row in rows.select_related("user").exclude(user__email="")]
        return notify_users(
            users=users,
            subject=gettext_noop("Results published: %(title)s"),
            body=gettext_noop(
                "the results of “%(title)s” in %(lecture)s are published. You find them on "
                "your results page."
            ),
            params={"title": assessment.title, "lecture": assessment.lecture.title},
            path=path,
        )


@shared_task(name="assessment.tasks.seed_due_participations")
def seed_due_participations() -> int:
    """Beat job: pending rows for tutorial members of assignments past their deadline, and
    for exam candidates added to an exam roster after its grading was created (idempotent; two
    runs at once are safe). Returns how many rows were attempted."""
    from assessment.exams import seed_due_exams
    from assessment.pages import seed_due_assignments

    return sum(seed_due_assignments().values()) + sum(seed_due_exams().values())
