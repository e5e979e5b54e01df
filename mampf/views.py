"""Catalogue pages: the role-aware start page and a lecture overview."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mampf import permissions, selectors
from mampf.models import Lecture


@login_required
@require_GET
def home(request):
    user = request.user
    context = {
        "managed_lectures": selectors.lectures_for_dashboard(user=user),
        "tutorials": selectors.tutorials_of_tutor(user=user),
    }
    return render(request, "mampf/home.html", context)


@login_required
@require_GET
def lecture_detail(request, lecture_id: int):
    try:
        lecture = selectors.lecture_overview(lecture_id=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return render(request, "mampf/lecture_detail.html", {"lecture": lecture})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
