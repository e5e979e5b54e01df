"""Performance pages. Thin: 404 -> permission -> selector or one service call -> render.

The certification pages are for the lecture's teacher, editors and site staff
(``can_manage_lecture``); tutors and students are refused.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mampf import permissions
from mampf.models import Lecture
from mampf.selectors import is_valid_id
from performance import selectors
from performance.evaluator import RuleSpec
from performance.wording import describe_rule


def _lecture(lecture_id: int) -> Lecture:
    if not is_valid_id(lecture_id):
        raise Http404
    lecture = Lecture.objects.filter(pk=lecture_id).select_related("term").first()
    if lecture is None:
        raise Http404
    return lecture


@login_required
@require_GET
def dashboard(request, lecture_id: int):
    """The lecture's certification overview: how many students are in which state."""
    lecture = _lecture(lecture_id)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    rule = selectors.active_rule(lecture=lecture)
    completeness = selectors.lecture_completeness(lecture=lecture)
    return render(
        request,
        "performance/dashboard.html",
        {
            "lecture": lecture,
            "rule": rule,
            "rule_sentence": describe_rule(RuleSpec.from_rule(rule)) if rule else "",
            "completeness": completeness,
            "counts": {state: len(ids) for state, ids in completeness.groups.items()},
        },
    )
