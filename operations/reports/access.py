"""Who may read which report: the lecture's teacher, editors and site staff read every report
of the lecture; a tutor reads the participation reports of their own tutorials only; students
read only their own data (``personal``). Views ask here and turn ``False`` into a 403."""

from __future__ import annotations

from mampf import permissions
from mampf.models import Tutorial


def manages(user, lecture) -> bool:
    return permissions.can_manage_lecture(user, lecture)


def tutored_ids(user, lecture_id: int) -> list[int]:
    """The tutorials of the lecture this user tutors (one query)."""
    if not (user.is_authenticated and user.is_active):
        return []
    return list(
        Tutorial.tutors.through.objects.filter(
            user_id=user.pk, tutorial__lecture_id=lecture_id
        ).values_list("tutorial_id", flat=True)
    )


def assessment_scope(user, assessment) -> list[int] | None:
    """The tutorials whose rows of this assessment the user may read: ``None`` for all (the
    lecture's managers), a list for a tutor (assignments only: exam rows belong to the exam's
    correctors and talks have no tutorial), an empty list for nobody."""
    if manages(user, assessment.lecture):
        return None
    if assessment.kind != "assignment":
        return []
    return tutored_ids(user, assessment.lecture_id)


def can_read_tutorial(user, tutorial) -> bool:
    return manages(user, tutorial.lecture) or permissions.is_tutor_of(user, tutorial)
