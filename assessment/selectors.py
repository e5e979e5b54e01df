"""Reads of the assessment app: fixed query counts, stated per function.

Also the roster removal guard (``has_grading_data``) that ``assessment.apps`` plugs into
``rosters.services`` at ``ready()``.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from assessment.models import Assessment, Participation, TaskPoint
from mampf.models import Tutorial
from rosters.models import RosterEntry


def tutorial_ids_of(*, lecture_id: int, user_ids: list[int]) -> dict[int, int]:
    """Each user's tutorial in the lecture (user id -> tutorial id); one query."""
    tutorials = Tutorial.objects.filter(lecture_id=lecture_id).values("pk")
    return dict(
        RosterEntry.objects.filter(user_id__in=user_ids, registerable_id__in=tutorials)
        .order_by("user_id", "registerable_id")
        .values_list("user_id", "registerable_id")
    )


def has_grading_data(*, registerable, user) -> str | None:
    """Why ``user`` may not leave this talk's or exam's roster, or None if they may.

    A speaker or candidate whose participation in one of the talk's or exam's assessments has
    points, a grade or a status other than pending keeps their place: removing or moving them
    would orphan grading data. Tutorials and lectures are never guarded here (a participation
    keeps the tutorial it was created with). Two queries at most.
    """
    user_id = getattr(user, "pk", user)
    rows = Participation.objects.filter(
        Q(assessment__talk_id=registerable.pk) | Q(assessment__exam_id=registerable.pk),
        user_id=user_id,
    )
    graded = (
        rows.filter(
            ~Q(status=Participation.Status.PENDING)
            | Q(grade_value__isnull=False)
            | Q(pk__in=TaskPoint.objects.values("participation_id"))
        )
        .select_related("assessment")
        .first()
    )
    if graded is None:
        return None
    return _(
        "%(user)s already has grading data in “%(assessment)s” (status: %(status)s); "
        "they cannot be removed from or moved off this roster."
    ) % {
        "user": str(user) if not isinstance(user, int) else user,
        "assessment": graded.assessment.title,
        "status": graded.get_status_display(),
    }


def results_visible(*, participation: Participation) -> bool:
    """Published as a whole, or (assignments) for the participation's tutorial; one query."""
    assessment = participation.assessment
    if assessment.results_published_at is not None:
        return True
    if assessment.kind != Assessment.Kind.ASSIGNMENT or participation.tutorial_id is None:
        return False
    return assessment.tutorial_publications.filter(tutorial_id=participation.tutorial_id).exists()


def participation_history(*, participation: Participation) -> list:
    """The participation's audit rows, newest first, with the actor and task; one query."""
    return list(participation.changes.select_related("by", "task").order_by("-at", "-id"))
