"""The "recompute now" page of a lecture's performance records (area "records").

For the lecture's teacher, editors and site staff (``can_manage_lecture``); tutors and students
are refused (403), anonymous visitors sent to the login. Thin: 404 -> permission -> one service
call or a read -> render. While a recompute is queued or running the status part polls itself
through htmx every two seconds.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mampf import permissions
from mampf.models import Lecture
from mampf.selectors import lecture_or_404
from performance import recompute


def _managed_lecture(request, lecture_id: int) -> Lecture:
    lecture = lecture_or_404(lecture_id)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


@login_required
@require_GET
def records_status(request, lecture_id: int):
    """The records' state: when last computed, how many, and the "recompute now" button."""
    lecture = _managed_lecture(request, lecture_id)
    status = recompute.recompute_status(lecture=lecture)
    template = "performance/_records_progress.html" if request.htmx else "performance/records.html"
    return render(request, template, {"lecture": lecture, "status": status})


@login_required
@require_POST
def records_recompute(request, lecture_id: int):
    """Queue a recompute of every record of the lecture at once (without a worker it runs
    before the page comes back)."""
    lecture = _managed_lecture(request, lecture_id)
    recompute.request_recompute(lecture_ids=[lecture.pk], force=True)
    messages.success(
        request, _("The records are being recomputed. This page shows when it is done.")
    )
    return redirect("performance:records_status", lecture.pk)
