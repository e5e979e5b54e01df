"""Performance pages. Thin: 404 -> permission -> selector or one service call -> render.

The certification pages are for the lecture's teacher, editors and site staff
(``can_manage_lecture``); tutors and students are refused (403), also for every POST.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mampf import exports, permissions
from mampf.errors import DomainError
from mampf.models import Lecture
from mampf.selectors import is_valid_id, lecture_or_404
from performance import certification, rules, selectors, services
from performance.forms_certification import CarryOverForm, DashboardFilterForm, OverrideForm
from performance.models import Certification
from performance.wording import percent, points

ROWS_PER_PAGE = 100


def _lecture(lecture_id: int) -> Lecture:
    return lecture_or_404(lecture_id)


def _managed_lecture(request, lecture_id: int) -> Lecture:
    lecture = _lecture(lecture_id)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


def _dashboard_url(lecture: Lecture, query: str = "") -> str:
    url = reverse("performance:dashboard", args=[lecture.pk])
    return f"{url}?{query}" if query else url


def state_label(state: str) -> str:
    return {
        selectors.PASSED: _("Passed"),
        selectors.FAILED: pgettext("exam admission", "Failed"),
        selectors.PENDING: _("Pending"),
        selectors.STALE: _("Stale"),
        selectors.MISSING: _("Missing"),
        selectors.INCONCLUSIVE: _("Inconclusive"),
    }.get(state, state)


def difference(row: selectors.DashboardRow, has_rule: bool) -> str:
    """Why the certification and the proposal differ (or why there is none), in words."""
    cert = row.certification
    if cert and row.source == Certification.Source.CARRIED_OVER:
        return _("Carried over from “%(lecture)s”; the evaluator leaves it alone.") % {
            "lecture": cert["origin__lecture__title"] or "—"
        }
    if row.state == selectors.STALE:
        return " ".join(row.stale_reasons) + " " + _("Re-certify it.")
    if not has_rule:
        return _("No rule yet, so no proposal.")
    if row.record is None:
        return _("No performance record yet: recompute the records.")
    if cert is None:
        return _("Not certified yet; the proposal is “%(proposal)s”.") % {
            "proposal": state_label(row.proposal_status)
        }
    if row.differs:
        return _("Decided by hand (%(status)s); the proposal is “%(proposal)s”.") % {
            "status": state_label(cert["status"]),
            "proposal": state_label(row.proposal_status),
        }
    if cert["status"] == Certification.Status.PENDING:
        return _("Pending until the outstanding marking decides it.")
    return ""


def _display(row: selectors.DashboardRow, has_rule: bool) -> dict:
    record = row.record
    return {
        "row": row,
        "points": points(record.points) if record else "",
        "maximum": points(record.maximum) if record else "",
        "percentage": percent(record.percentage) if record else "",
        "reasons": [c.message for c in row.proposal.criteria] if row.proposal else [],
        "state_label": state_label(row.state),
        "proposal_label": state_label(row.proposal_status) if row.proposal else "",
        "difference": difference(row, has_rule),
    }


@login_required
@require_GET
def dashboard(request, lecture_id: int):
    """Counts, filters and search over every student of the lecture, a page of rows at a time."""
    lecture = _managed_lecture(request, lecture_id)
    data = selectors.dashboard(lecture=lecture)
    form = DashboardFilterForm(request.GET or None)
    state = search = ""
    if form.is_valid():
        state, search = form.cleaned_data["state"], form.cleaned_data["q"]
    rows = data.filtered(state=state, search=search)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    has_rule = data.rule is not None
    stale_count = data.counts[selectors.STALE]
    return render(
        request,
        "performance/dashboard.html",
        {
            "lecture": lecture,
            "rule": data.rule,
            "rule_sentence": rules.rule_sentence(lecture=lecture, rule=data.rule),
            "counts": data.counts,
            "complete": data.complete,
            "filter_form": form,
            "page_obj": page,
            "rows": [_display(row, has_rule) for row in page.object_list],
            "stale_count": stale_count,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def accept_all(request, lecture_id: int):
    """GET: confirm page with what will be written; POST: accept every proposal."""
    lecture = _managed_lecture(request, lecture_id)
    if request.method == "POST":
        try:
            written = services.accept_all_proposals(lecture=lecture, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(count)d certifications written from the proposals.") % {"count": written},
            )
        return redirect(_dashboard_url(lecture))
    data = selectors.dashboard(lecture=lecture)
    will_write = [
        row for row in data.rows
        if row.on_roster and row.proposal is not None and row.differs
        and row.source in ("", Certification.Source.COMPUTED)
    ]
    kept = [row for row in data.rows if row.on_roster and row.source == Certification.Source.MANUAL]
    return render(
        request,
        "performance/accept_all_confirm.html",
        {
            "lecture": lecture,
            "rule": data.rule,
            "will_write": len(will_write),
            "kept_manual": len(kept),
            "carried_over": sum(
                1 for row in data.rows if row.source == Certification.Source.CARRIED_OVER
            ),
        },
    )


def _student(lecture: Lecture, user_id: int):
    """A student of the lecture roster, or anyone with a certification here; else 404."""
    if not is_valid_id(user_id):
        raise Http404
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    from rosters.models import RosterEntry

    on_roster = RosterEntry.objects.filter(registerable_id=lecture.pk, user_id=user.pk).exists()
    if not on_roster and not Certification.objects.filter(lecture=lecture, user=user).exists():
        raise Http404
    return user, on_roster


@login_required
@require_GET
def student(request, lecture_id: int, user_id: int):
    """One student: figures, proposal with reasons, certification, history, and the forms."""
    lecture = _managed_lecture(request, lecture_id)
    user, on_roster = _student(lecture, user_id)
    rule = selectors.active_rule(lecture=lecture)
    row = next(
        iter(selectors.dashboard(lecture=lecture, user_ids=[user.pk]).rows), None
    )
    certification_row = row.certification if row else None
    return render(
        request,
        "performance/student.html",
        {
            "lecture": lecture,
            "student": user,
            "on_roster": on_roster,
            "rule": rule,
            "item": _display(row, rule is not None) if row else None,
            "certification": Certification.objects.filter(lecture=lecture, user=user)
            .select_related("certified_by", "origin__lecture__term")
            .first(),
            "history": [
                {
                    "change": change,
                    "old": state_label(change.old_status) if change.old_status else "—",
                    "new": state_label(change.new_status),
                }
                for change in selectors.certification_history(lecture=lecture, user_id=user.pk)
            ],
            "override_form": OverrideForm(),
            "is_stale": row is not None and row.state == selectors.STALE,
            "stale_is_manual": bool(
                certification_row and certification_row["source"] == Certification.Source.MANUAL
            ),
        },
    )


def _student_url(lecture: Lecture, user) -> str:
    return reverse("performance:student", args=[lecture.pk, user.pk])


@login_required
@require_POST
def override(request, lecture_id: int, user_id: int):
    lecture = _managed_lecture(request, lecture_id)
    user, _on_roster = _student(lecture, user_id)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_student_url(lecture, user))
    try:
        services.override_certification(
            lecture=lecture,
            user=user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The decision for %(name)s was saved.") % {"name": user})
    return redirect(_student_url(lecture, user))


@login_required
@require_POST
def recertify(request, lecture_id: int, user_id: int):
    lecture = _managed_lecture(request, lecture_id)
    user, _on_roster = _student(lecture, user_id)
    try:
        services.recertify(
            lecture=lecture,
            user=user,
            by=request.user,
            status=request.POST.get("status") or None,
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s is certified again.") % {"name": user})
    return redirect(_student_url(lecture, user))


@login_required
@require_GET
def export(request, lecture_id: int, fmt: str):
    """The eligibility list of every student (not only the page shown) as CSV or XLSX."""
    lecture = _managed_lecture(request, lecture_id)
    if fmt not in exports.FORMATS:
        raise Http404
    data = selectors.dashboard(lecture=lecture)
    header = [
        _("Name"), _("E-mail"), _("Matriculation number"), _("In the lecture"), _("Admission"),
        _("Certification"), _("Source"), _("Note"), _("Certified at"), _("Proposal"),
        _("Points"), _("Maximum"), _("Percentage"),
    ]
    sources = dict(Certification.Source.choices)

    def rows():
        for row in data.rows:
            cert = row.certification or {}
            record = row.record
            yield [
                row.name,
                row.email,
                row.matriculation_number,
                row.on_roster,
                state_label(row.state),
                state_label(cert["status"]) if cert else "",
                sources.get(cert.get("source"), "") if cert else "",
                cert.get("note", ""),
                cert.get("certified_at"),
                state_label(row.proposal_status) if row.proposal else "",
                record.points if record else None,
                record.maximum if record else None,
                record.percentage if record else None,
            ]

    return exports.table_response(
        fmt,
        filename=exports.export_name(lecture.title, _("exam admission")),
        header=header,
        rows=rows(),
        sheet_title=_("Exam admission"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def carry_over(request, lecture_id: int):
    """Import the passed certifications of an earlier lecture the teacher manages."""
    lecture = _managed_lecture(request, lecture_id)
    lectures = (
        permissions.managed_lectures(request.user)
        .exclude(pk=lecture.pk)
        .select_related("term")
        .order_by("-term__year", "term__season", "title")
    )
    form = CarryOverForm(request.POST or None, lectures=lectures)
    if request.method == "POST" and form.is_valid():
        numbers_text = form.cleaned_data["numbers"].strip()
        try:
            outcome = services.carry_over(
                lecture=lecture,
                source_lecture=form.cleaned_data["source_lecture"],
                numbers=certification.parse_numbers(numbers_text) if numbers_text else None,
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, outcome.message)
            return redirect(_dashboard_url(lecture))
    return render(
        request,
        "performance/carry_over.html",
        {"lecture": lecture, "form": form},
        status=422 if request.method == "POST" else 200,
    )
