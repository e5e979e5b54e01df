"""Catalogue pages: the role-aware start page, a lecture overview and the user's profile."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mampf import permissions, selectors
from mampf.forms import ProfileForm
from mampf.models import Lecture


@login_required
@require_GET
def home(request):
    """What this user can do: their groups, the groups they tutor, the lectures they manage."""
    user = request.user
    memberships = selectors.memberships_of_student(user=user)
    managed_lectures = list(selectors.lectures_for_dashboard(user=user))
    has_memberships = any(memberships.values())
    context = {
        "memberships": memberships,
        "has_memberships": has_memberships,
        "managed_lectures": managed_lectures,
        "tutorials": selectors.tutorials_of_tutor(user=user),
        "is_site_staff": permissions.is_site_staff(user),
        # Staff who are on no roster themselves do not need the student's cards.
        "show_student_section": has_memberships or not managed_lectures,
    }
    return render(request, "mampf/home.html", context)


@login_required
@require_GET
def lecture_detail(request, lecture_id: int):
    """Overview of one lecture's groups; for its teacher, editors and site staff only."""
    try:
        lecture = selectors.lecture_overview(lecture_id=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return render(request, "mampf/lecture_detail.html", {"lecture": lecture})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """The user edits their own name and university address (PRG on success)."""
    # A fresh copy: a refused form must not leave half-applied values on request.user.
    user = get_user_model().objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your profile has been saved."))
            return redirect("profile")
        messages.error(request, _("Please correct the errors below."))
    return render(request, "mampf/profile.html", {"form": form, "profile_user": user})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
