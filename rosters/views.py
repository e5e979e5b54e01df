"""Roster pages: the rosters of a lecture, one roster with its maintenance, exports, my groups.

Managers of the lecture (teacher, editors, site staff) see and edit every roster of it. Tutors
see the rosters of their own tutorials read-only: no forms, and a POST gets a 403. Everyone else
gets a 403; unknown ids a 404. Views stay thin: forms validate ids, ``rosters.selectors`` read
and ``rosters.services`` write, refusing with a ``RosterError`` that is shown as a message.
"""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mampf import permissions
from mampf.models import Lecture, Registerable, Tutorial
from rosters import forms, selectors, services
from rosters.errors import RosterError
from rosters.models import RosterEntry

MEMBERS_PER_PAGE = 250
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# -- access -------------------------------------------------------------------------------------


def _managed_lecture(request, lecture_id: int) -> Lecture:
    try:
        lecture = selectors.lecture_for_rosters(lecture_id=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


def _roster(registerable_id: int) -> Registerable:
    try:
        return selectors.registerable_for_roster(registerable_id=registerable_id)
    except Registerable.DoesNotExist as exc:
        raise Http404 from exc


def _viewable_roster(request, registerable_id: int) -> tuple[Registerable, bool]:
    """The roster and whether this user may change it (managers) or only read it (its tutors)."""
    registerable = _roster(registerable_id)
    can_edit = permissions.can_edit_roster(request.user, registerable)
    permissions.require(can_edit or permissions.can_view_roster(request.user, registerable))
    return registerable, can_edit


def _editable_roster(request, registerable_id: int) -> Registerable:
    registerable = _roster(registerable_id)
    permissions.require(permissions.can_edit_roster(request.user, registerable))
    return registerable


def _to_roster(registerable: Registerable, **query):
    target = reverse("rosters:roster_detail", args=[registerable.pk])
    query = {key: value for key, value in query.items() if value}
    return redirect(f"{target}?{urlencode(query)}" if query else target)


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


# -- CSV ----------------------------------------------------------------------------------------


def csv_cell(value) -> str:
    """Text for one CSV cell; a leading formula character is neutralized with a quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _csv_response(rows, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Kind"),
            _("Group"),
            _("Tutors"),
            _("Name"),
            _("E-mail"),
            _("Matriculation number"),
            _("Source"),
            _("Added at"),
        ]
    )
    for row in rows:
        writer.writerow(
            csv_cell(cell)
            for cell in (
                row.kind,
                row.group,
                row.tutors,
                row.name,
                row.email,
                row.matriculation_number,
                row.source,
                timezone.localtime(row.added_at).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return response


# -- lecture overview ---------------------------------------------------------------------------


@login_required
@require_GET
def lecture_rosters(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    groups = selectors.lecture_groups(lecture=lecture)
    return render(request, "rosters/lecture_rosters.html", {"lecture": lecture, "groups": groups})


@login_required
@require_GET
def lecture_rosters_csv(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    rows = selectors.lecture_export_rows(lecture=lecture, manual_label=_("manual"))
    return _csv_response(rows, filename=f"lecture-{lecture.pk}-rosters.csv")


# -- one roster ---------------------------------------------------------------------------------


@login_required
@require_GET
def roster_detail(request, registerable_id: int):
    registerable, can_edit = _viewable_roster(request, registerable_id)
    lecture = registerable.parent_lecture
    filter_form = forms.MemberFilterForm(request.GET or None)
    members = selectors.roster_members(registerable=registerable, search=filter_form.term())
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "registerable": registerable,
        "group": selectors.group_row(
            registerable,
            filled=selectors.roster_size(registerable),
            tutors=registerable.tutors.all() if isinstance(registerable, Tutorial) else (),
        ),
        "lecture": lecture,
        "can_edit": can_edit,
        "filter_form": filter_form,
        "filter_term": filter_form.term(),
        "page_obj": page,
        "changes": selectors.recent_changes(registerable=registerable),
    }
    if can_edit:
        search_form = forms.SearchForm(request.GET or None)
        context.update(
            siblings=selectors.sibling_groups(registerable=registerable),
            search_form=search_form,
            search_term=search_form.term(),
            candidates=selectors.search_candidates(
                registerable=registerable, search=search_form.term(), by=request.user
            ),
        )
    return render(request, "rosters/roster_detail.html", context)


@login_required
@require_GET
def roster_csv(request, registerable_id: int):
    registerable, _can_edit = _viewable_roster(request, registerable_id)
    rows = selectors.roster_export_rows(registerable=registerable, manual_label=_("manual"))
    return _csv_response(rows, filename=f"roster-{registerable.pk}.csv")


@login_required
@require_POST
def roster_add(request, registerable_id: int):
    registerable = _editable_roster(request, registerable_id)
    find = request.POST.get("find", "")[:100]
    form = forms.AddForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_roster(registerable, find=find)
    student = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"], is_active=True)
    try:
        services.add_user(
            registerable=registerable,
            user=student,
            by=request.user,
            allow_overfill=form.cleaned_data["allow_overfill"],
        )
    except RosterError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s was added to “%(group)s”.")
            % {"name": student.name, "group": registerable.title},
        )
    return _to_roster(registerable, find=find)


@login_required
@require_http_methods(["GET", "POST"])
def roster_remove(request, registerable_id: int):
    """GET asks for confirmation (works without JavaScript); POST removes."""
    registerable = _editable_roster(request, registerable_id)
    form = forms.RemoveForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_roster(registerable)
    if request.method == "GET":
        try:
            entry = selectors.entry_of(
                registerable=registerable, user_id=form.cleaned_data["user"]
            )
        except RosterEntry.DoesNotExist as exc:
            raise Http404 from exc
        return render(
            request,
            "rosters/roster_remove_confirm.html",
            {
                "registerable": registerable,
                "lecture": registerable.parent_lecture,
                "entry": entry,
                "is_lecture": isinstance(registerable, Lecture),
            },
        )
    student = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"])
    try:
        services.remove_user(registerable=registerable, user=student, by=request.user)
    except RosterError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s was removed from “%(group)s”.")
            % {"name": student.name, "group": registerable.title},
        )
    return _to_roster(registerable)


@login_required
@require_POST
def roster_move(request, registerable_id: int):
    registerable = _editable_roster(request, registerable_id)
    siblings = selectors.sibling_groups(registerable=registerable)
    form = forms.MoveForm(request.POST, siblings=siblings)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_roster(registerable)
    student = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"])
    target = Registerable.objects.get(pk=form.cleaned_data["target"])
    try:
        services.move_user(
            user=student,
            source=registerable,
            target=target,
            by=request.user,
            allow_overfill=form.cleaned_data["allow_overfill"],
        )
    except RosterError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s was moved from “%(source)s” to “%(target)s”.")
            % {"name": student.name, "source": registerable.title, "target": target.title},
        )
    return _to_roster(registerable)


# -- tutors -------------------------------------------------------------------------------------


@login_required
@require_GET
def my_groups(request):
    groups = selectors.tutorials_of_tutor(user=request.user)
    return render(request, "rosters/my_groups.html", {"groups": groups})


urlpatterns = [
    path("staff/lectures/<int:lecture_id>/rosters/", lecture_rosters, name="lecture_rosters"),
    path(
        "staff/lectures/<int:lecture_id>/rosters.csv",
        lecture_rosters_csv,
        name="lecture_rosters_csv",
    ),
    path("staff/rosters/<int:registerable_id>/", roster_detail, name="roster_detail"),
    path("staff/rosters/<int:registerable_id>/add/", roster_add, name="roster_add"),
    path("staff/rosters/<int:registerable_id>/remove/", roster_remove, name="roster_remove"),
    path("staff/rosters/<int:registerable_id>/move/", roster_move, name="roster_move"),
    path("staff/rosters/<int:registerable_id>/roster.csv", roster_csv, name="roster_csv"),
    path("my-groups/", my_groups, name="my_groups"),
]
