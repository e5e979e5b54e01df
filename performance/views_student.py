"""Students' performance pages. Thin: 404 -> permission -> selector -> render.

"My performance" (``performance:my_performance``) is for the signed-in student of the lecture
(on its roster, or with a record or certification in it); anyone else gets a 404. The same page
for one given student (``performance:student_performance``) is for that student and for the
lecture's teacher, editors and site staff ("as the student sees it"); another student, a tutor
or another teacher gets a 403.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from mampf import permissions
from mampf.models import Lecture
from mampf.selectors import is_valid_id, lecture_or_404
from performance import selectors_student


def _lecture(lecture_id: int) -> Lecture:
    return lecture_or_404(lecture_id)


def _render(request, lecture: Lecture, student, *, own: bool):
    page = selectors_student.student_performance(lecture=lecture, student=student)
    return render(
        request,
        "performance/my_performance.html",
        {"lecture": lecture, "page": page, "own": own},
    )


@login_required
@require_GET
def my_performance(request, lecture_id: int):
    """The signed-in student's points, the rule, the criteria and the certification."""
    lecture = _lecture(lecture_id)
    if not selectors_student.is_member(lecture=lecture, user_id=request.user.pk):
        raise Http404
    return _render(request, lecture, request.user, own=True)


@login_required
@require_GET
def student_performance(request, lecture_id: int, user_id: int):
    """One student's page, for that student or the lecture's managers."""
    lecture = _lecture(lecture_id)
    if not is_valid_id(user_id):
        raise Http404
    if user_id == request.user.pk:
        return redirect("performance:my_performance", lecture_id=lecture.pk)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    student = get_user_model().objects.filter(pk=user_id).first()
    if student is None or not selectors_student.is_member(lecture=lecture, user_id=student.pk):
        raise Http404
    return _render(request, lecture, student, own=False)
