"""The student's own exam result (issue 10 item 5): points per problem, the grade, the
scheme's bands and the distribution without names. Candidates of the exam only, and only while
its results are published; everyone else gets 404 (nothing tells them the exam exists),
anonymous users the login page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from grade_schemes import selectors
from mampf.selectors import is_valid_id


@login_required
@require_GET
def my_exam_result(request, assessment_id: int):
    if not is_valid_id(assessment_id):
        raise Http404
    result = selectors.my_exam_result(user=request.user, assessment_id=assessment_id)
    if result is None:
        raise Http404
    return render(request, "grade_schemes/my_exam_result.html", result)
