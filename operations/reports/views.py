"""Report pages and downloads (namespace ``reports``). Thin: look up, authorize, hand a
selector's table to ``mampf.exports``. Unknown ids and formats are 404, refusals 403."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assessment.models import Assessment
from mampf import permissions
from mampf.exports import FORMATS, export_name, table_response
from mampf.models import Tutorial, User
from mampf.selectors import is_valid_id, lecture_or_404

from . import access, services, staff
from .audit import HEADER as AUDIT_HEADER
from .audit import PAGE_ROWS, AuditFilter, LectureAudit
from .errors import InvalidFilter, StudentNotFound
from .exports import PERSONAL_FORMATS, personal_filename, personal_response
from .personal import personal_data


def _format(fmt: str, allowed=FORMATS) -> str:
    if fmt not in allowed:
        raise Http404
    return fmt


def _valid(pk) -> int:
    if not is_valid_id(pk):
        raise Http404
    return pk


# -- the lecture's reports page -----------------------------------------------------------------


@login_required
@require_GET
def lecture_reports(request, lecture_id: int):
    """The lecture's report downloads: everything for managers, a tutor's own tutorials."""
    lecture = lecture_or_404(lecture_id)
    manager = access.manages(request.user, lecture)
    tutorials = Tutorial.objects.filter(lecture_id=lecture.pk).order_by("title", "pk")
    if not manager:
        own = access.tutored_ids(request.user, lecture.pk)
        permissions.require(bool(own))
        tutorials = tutorials.filter(pk__in=own)
    assessments = Assessment.objects.filter(lecture_id=lecture.pk)
    if not manager:
        assessments = assessments.filter(kind="assignment")
    return render(
        request,
        "operations/reports/lecture.html",
        {
            "lecture": lecture,
            "manager": manager,
            "tutorials": list(tutorials.values("pk", "title")),
            "assessments": list(
                assessments.order_by("deadline", "pk").values("pk", "title", "kind", "deadline")
            ),
        },
    )


@login_required
@require_GET
def assessment_report(request, assessment_id: int, fmt: str):
    _format(fmt)
    assessment = get_object_or_404(
        Assessment.objects.select_related("lecture"), pk=_valid(assessment_id)
    )
    scope = access.assessment_scope(request.user, assessment)
    permissions.require(scope is None or bool(scope))
    wanted = request.GET.get("tutorial")
    if wanted:
        try:
            tutorial_id = int(wanted)
        except ValueError:
            raise Http404 from None
        permissions.require(scope is None or tutorial_id in scope)
        scope = [tutorial_id]
    table = staff.assessment_report(assessment=assessment, tutorial_ids=scope)
    name = export_name(assessment.lecture.title, assessment.title, _("participation"))
    return table_response(
        fmt, filename=name, header=table.header, rows=table.rows, sheet_title=assessment.title
    )


@login_required
@require_GET
def tutorial_report(request, tutorial_id: int, fmt: str):
    _format(fmt)
    tutorial = get_object_or_404(Tutorial.objects.select_related("lecture"), pk=_valid(tutorial_id))
    permissions.require(access.can_read_tutorial(request.user, tutorial))
    table = staff.tutorial_report(tutorial=tutorial)
    name = export_name(tutorial.lecture.title, tutorial.title, _("participation"))
    return table_response(
        fmt, filename=name, header=table.header, rows=table.rows, sheet_title=tutorial.title
    )


@login_required
@require_GET
def eligibility(request, lecture_id: int, fmt: str):
    _format(fmt)
    lecture = lecture_or_404(lecture_id)
    permissions.require(access.manages(request.user, lecture))
    table = staff.eligibility_report(lecture=lecture)
    name = export_name(lecture.title, _("exam admission"))
    return table_response(
        fmt, filename=name, header=table.header, rows=table.rows, sheet_title=_("Exam admission")
    )


# -- registration audit -------------------------------------------------------------------------


@login_required
@require_GET
def audit(request, lecture_id: int):
    """The newest rows of the lecture's registration audit under a filter; the download has
    them all."""
    lecture = lecture_or_404(lecture_id)
    permissions.require(access.manages(request.user, lecture))
    error, rows, flt = None, [], AuditFilter()
    try:
        flt = AuditFilter.from_query(request.GET)
    except InvalidFilter as exc:
        error = str(exc)
    else:
        rows = list(LectureAudit(lecture=lecture, flt=flt).rows(limit=PAGE_ROWS + 1))
    return render(
        request,
        "operations/reports/audit.html",
        {
            "lecture": lecture,
            "header": AUDIT_HEADER,
            "rows": rows[:PAGE_ROWS],
            "more": len(rows) > PAGE_ROWS,
            "page_rows": PAGE_ROWS,
            "error": error,
            "filter": request.GET,
            "query": request.GET.urlencode(),
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def audit_export(request, lecture_id: int, fmt: str):
    _format(fmt)
    lecture = lecture_or_404(lecture_id)
    permissions.require(access.manages(request.user, lecture))
    try:
        flt = AuditFilter.from_query(request.GET)
    except InvalidFilter as exc:
        return render(
            request,
            "operations/reports/audit.html",
            {
                "lecture": lecture,
                "header": AUDIT_HEADER,
                "rows": [],
                "error": str(exc),
                "filter": request.GET,
                "query": "",
            },
            status=400,
        )
    rows = LectureAudit(lecture=lecture, flt=flt).rows()
    name = export_name(lecture.title, _("registration audit"))
    return table_response(
        fmt, filename=name, header=AUDIT_HEADER, rows=rows, sheet_title=_("Registration audit")
    )


# -- everything we store about you --------------------------------------------------------------


@login_required
@require_GET
def my_data(request):
    """The signed-in person's own data (data protection request), with downloads."""
    return render(
        request,
        "operations/reports/my_data.html",
        {
            "sections": personal_data(user=request.user),
            "subject": request.user,
        },
    )


@login_required
@require_GET
def my_data_export(request, fmt: str):
    _format(fmt, PERSONAL_FORMATS)
    sections = personal_data(user=request.user)
    return personal_response(
        fmt,
        user=request.user,
        sections=sections,
        filename=personal_filename(request.user, own=True),
    )


@login_required
@require_GET
def person_lookup(request):
    """Site staff name a person exactly (address or matriculation number) to export their
    data; teachers and everyone else get a 403, and nobody gets a list of accounts."""
    if not permissions.is_site_staff(request.user):
        raise PermissionDenied
    term = (request.GET.get("q") or "").strip()
    person, error = None, None
    if term:
        try:
            person = services.find_person(by=request.user, term=term)
        except StudentNotFound as exc:
            error = str(exc)
    return render(
        request,
        "operations/reports/person_lookup.html",
        {
            "term": term,
            "person": person,
            "error": error,
        },
    )


@login_required
@require_POST
def person_export(request, user_id: int, fmt: str):
    """A site staff export of one person's complete data; audited on the person's account."""
    _format(fmt, PERSONAL_FORMATS)
    if not permissions.is_site_staff(request.user):
        raise PermissionDenied
    subject = get_object_or_404(User, pk=_valid(user_id))
    services.record_personal_export(subject=subject, by=request.user, fmt=fmt)
    sections = personal_data(user=subject, full=True)
    return personal_response(
        fmt, user=subject, sections=sections, filename=personal_filename(subject, own=False)
    )
