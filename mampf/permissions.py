"""Object-level access rules, in one place; every view and service asks here.

Roles: a *student* is any active user; a *tutor* tutors given tutorials; a *teacher* or *editor*
manages given lectures; *site staff* (``is_staff``) manage every lecture.
"""

from django.core.exceptions import PermissionDenied

from mampf.db import PreparedQuery
from mampf.models import Lecture, Registerable, Tutorial


def is_site_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def can_manage_lecture(user, lecture: Lecture) -> bool:
    """Teacher, editor or site staff: may configure campaigns and maintain rosters."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff:
        return True
    if lecture.teacher_id == user.pk:
        return True
    return lecture.editors.filter(pk=user.pk).exists()


def managed_lectures(user):
    """The lectures this user may manage, as a queryset."""
    if not (user.is_authenticated and user.is_active):
        return Lecture.objects.none()
    if user.is_staff:
        return Lecture.objects.all()
    from django.db.models import Q

    return Lecture.objects.filter(Q(teacher=user) | Q(editors=user)).distinct()


def manages_any_lecture(user) -> bool:
    return is_site_staff(user) or managed_lectures(user).exists()


def is_tutor_of(user, tutorial: Tutorial) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return tutorial.tutors.filter(pk=user.pk).exists()


def tutors_any_group(user) -> bool:
    """Whether the user tutors a group (every page's navigation asks: one small query whose SQL
    is built once per process)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(_TUTORS_ANY.fetchall(user_id=user.pk))


_TUTORS_ANY = PreparedQuery(
    lambda *, user_id: Tutorial.tutors.through.objects.filter(user_id=user_id)
    .order_by()
    .values_list("id")[:1]
)


def can_view_roster(user, registerable: Registerable) -> bool:
    """Managers see every roster of their lecture; tutors only the rosters of their own groups."""
    if can_manage_lecture(user, registerable.parent_lecture):
        return True
    if issubclass(registerable.get_real_instance_class(), Tutorial):
        return Tutorial.tutors.through.objects.filter(
            tutorial_id=registerable.pk, user_id=user.pk
        ).exists() and bool(user.is_authenticated and user.is_active)
    return False


def can_edit_roster(user, registerable: Registerable) -> bool:
    """Roster maintenance is for the lecture's managers; tutors read only."""
    return can_manage_lecture(user, registerable.parent_lecture)


def can_view_user_data(viewer, subject) -> bool:
    """A student sees their own data; site staff see everyone's."""
    if not (viewer.is_authenticated and viewer.is_active):
        return False
    return viewer.pk == subject.pk or viewer.is_staff


def require(allowed: bool) -> None:
    """Turn a failed check into a 403 page (never a crash)."""
    if not allowed:
        raise PermissionDenied


# -- grading (assessment app; predicates over mampf objects and duck-typed assessment rows) ---


def can_grade(user, tutorial: Tutorial) -> bool:
    """Tutors grade their own tutorials; teachers, editors and site staff grade the lecture's."""
    return is_tutor_of(user, tutorial) or can_manage_lecture(user, tutorial.lecture)


def can_manage_assessment(user, assessment) -> bool:
    """Create assessments, edit tasks, publish: the lecture's teacher, editors, site staff."""
    return can_manage_lecture(user, assessment.lecture)


def can_grade_participation(user, participation) -> bool:
    """Managers grade every participation of their lecture; tutors those of their tutorial;
    an exam's rows its correctors (``can_correct_exam``), never tutors by tutorial."""
    if can_manage_lecture(user, participation.assessment.lecture):
        return True
    if participation.assessment.kind == "exam":
        return is_exam_corrector(user, participation.assessment)
    return participation.tutorial_id is not None and is_tutor_of(user, participation.tutorial)


def can_view_submission(user, submission) -> bool:
    """Team members, the lecture's managers, and the tutors of a member's tutorial."""
    if not (user.is_authenticated and user.is_active):
        return False
    if submission.memberships.filter(user_id=user.pk).exists():
        return True
    if can_manage_lecture(user, submission.assessment.lecture):
        return True
    member_ids = submission.memberships.values("user_id")
    return Tutorial.objects.filter(
        lecture_id=submission.assessment.lecture_id,
        tutors=user,
        roster_entries__user_id__in=member_ids,
    ).exists()


def is_exam_corrector(user, assessment) -> bool:
    """Named as a corrector of this exam assessment (duck-typed: its ``correctors`` rows)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return assessment.correctors.filter(user_id=user.pk).exists()


def can_correct_exam(user, assessment) -> bool:
    """Enter points of an exam assessment: its correctors and the lecture's teacher, editors
    and site staff. Tutors of the lecture who are not correctors, students and other lectures'
    teachers may not."""
    if getattr(assessment, "kind", None) != "exam":
        return False
    return can_manage_lecture(user, assessment.lecture) or is_exam_corrector(user, assessment)


def corrects_any_exam(user) -> bool:
    """Whether the user is a corrector of any exam assessment (their "exams to correct")."""
    return bool(user.is_authenticated and user.is_active and user.exam_corrections.exists())
