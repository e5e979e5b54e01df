"""The examinations office export of an exam's grade list (issue 10 item 8).

The lecture's teacher, editors and site staff only (``can_manage_assessment``): correctors who
are not staff, tutors and students get a 403, unknown ids a 404. Before publication the list is
exported only as an explicit draft (``?draft=1``); without it staff are sent back with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assessment import exam_office, selectors_exams
from assessment.models import Assessment
from mampf import permissions
from mampf.exports import FORMATS, export_name, table_response
from mampf.selectors import is_valid_id


@login_required
@require_GET
def grade_list(request, assessment_id: int, fmt: str):
    if not is_valid_id(assessment_id) or fmt not in FORMATS:
        raise Http404
    try:
        assessment = selectors_exams.exam_assessment(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    listing = exam_office.grade_list(assessment=assessment)
    if listing.draft and request.GET.get("draft") != "1":
        messages.error(
            request,
            _(
                "The results are not published yet. Export the grade list as a draft, or publish "
                "the results first."
            ),
        )
        return redirect(reverse("assessment:exams_overview", args=[assessment.pk]))
    header, rows = listing.table()
    name = export_name(
        assessment.lecture.title,
        assessment.title,
        _("grade list"),
        _("DRAFT") if listing.draft else "",
    )
    return table_response(fmt, filename=name, header=header, rows=rows, sheet_title=name)
