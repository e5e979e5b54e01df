"""Roster pages: the rosters of a lecture, one roster with its maintenance, exports, my groups.

Managers of the lecture (teacher, editors, site staff) see and edit every roster of it. Tutors
see the rosters of their own tutorials read-only: no forms, and a POST gets a 403. Everyone else
gets a 403; unknown ids a 404. Views stay thin: forms validate ids, ``rosters.selectors`` read
and ``rosters.services`` write, refusing with a ``RosterError`` that is shown as a message.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mampf import exports, permissions
from mampf.models import Lecture, Registerable, Tutorial
from rosters import bulk, forms, selectors, services
from rosters.errors import RosterError
from rosters.models import RosterEntry

MEMBERS_PER_PAGE = 250


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


# -- exports ------------------------------------------------------------------------------------


def _export(fmt: str, rows, *, filename: str):
    header = [
        _("Kind"),
        _("Group"),
        _("Tutors"),
        _("Name"),
        _("E-mail"),
        _("Matriculation number"),
        _("Source"),
        _("Added at"),
    ]
    values = (
        (row.kind, row.group, row.tutors, row.name, row.email, row.matriculation_number,
         row.source, row.added_at)
        for row in rows
    )
    return exports.table_response(
        fmt, filename=filename, header=header, rows=values, sheet_title=_("Rosters")
    )


# -- lecture overview ---------------------------------------------------------------------------


@login_required
@require_GET
def lecture_rosters(request, lecture_id: int):
    lecture = _managed_lecture(request, lecture_id)
    groups = selectors.lecture_groups(lecture=lecture)
    return render(request, "rosters/lecture_rosters.html", {"lecture": lecture, "groups": groups})


@login_required
@require_GET
def lecture_rosters_export(request, lecture_id: int, fmt: str = "csv"):
    lecture = _managed_lecture(request, lecture_id)
    rows = selectors.lecture_export_rows(lecture=lecture, manual_label=_("manual"))
    return _export(fmt, rows, filename=exports.export_name(lecture.title, _("rosters")))


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
        "emails": selectors.roster_emails(registerable=registerable),
        "confirmed_not_listed": selectors.confirmed_not_listed(registerable=registerable),
    }
    if can_edit:
        search_form = forms.SearchForm(request.GET or None)
        siblings = selectors.sibling_groups(registerable=registerable)
        context.update(
            siblings=siblings,
            bulk_form=forms.BulkForm(siblings=siblings, auto_id="bulk-%s"),
            search_form=search_form,
            search_term=search_form.term(),
            candidates=selectors.search_candidates(
                registerable=registerable, search=search_form.term(), by=request.user
            ),
        )
    return render(request, "rosters/roster_detail.html", context)


@login_required
@require_GET
def roster_export(request, registerable_id: int, fmt: str = "csv"):
    registerable, _can_edit = _viewable_roster(request, registerable_id)
    rows = selectors.roster_export_rows(registerable=registerable, manual_label=_("manual"))
    lecture = registerable.parent_lecture
    group = "" if registerable.pk == lecture.pk else registerable.title
    return _export(fmt, rows, filename=exports.export_name(lecture.title, group, _("roster")))


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


@login_required
@require_POST
def roster_bulk(request, registerable_id: int):
    """Move or remove the selected members, all or nothing; removal asks first."""
    registerable = _editable_roster(request, registerable_id)
    siblings = selectors.sibling_groups(registerable=registerable)
    form = forms.BulkForm(request.POST, siblings=siblings)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_roster(registerable)
    data = form.cleaned_data
    students = selectors.members_by_ids(registerable=registerable, user_ids=data["user"])
    if len(students) < len(data["user"]):
        messages.error(
            request,
            _("Some of the selected students are no longer on this roster. Nothing was changed; "
              "please check the list and try again."),
        )
        return _to_roster(registerable)
    if data["action"] == "remove" and not data["confirm"]:
        return render(
            request,
            "rosters/roster_bulk_remove_confirm.html",
            {
                "registerable": registerable,
                "lecture": registerable.parent_lecture,
                "students": students,
                "is_lecture": isinstance(registerable, Lecture),
            },
        )
    try:
        if data["action"] == "move":
            target = Registerable.objects.get(pk=data["target"])
            bulk.move_users(
                users=students,
                source=registerable,
                target=target,
                by=request.user,
                allow_overfill=data["allow_overfill"],
            )
        else:
            bulk.remove_users(users=students, registerable=registerable, by=request.user)
    except RosterError as exc:
        messages.error(request, str(exc))
    else:
        if data["action"] == "move":
            text = ngettext(
                "%(count)d student was moved from “%(source)s” to “%(target)s”.",
                "%(count)d students were moved from “%(source)s” to “%(target)s”.",
                len(students),
            ) % {"count": len(students), "source": registerable.title, "target": target.title}
        else:
            text = ngettext(
                "%(count)d student was removed from “%(group)s”.",
                "%(count)d students were removed from “%(group)s”.",
                len(students),
            ) % {"count": len(students), "group": registerable.title}
        messages.success(request, text)
    return _to_roster(registerable)


@login_required
@require_POST
def roster_move_here(request, registerable_id: int):
    """Move a student found by the search from their other group of the lecture into this one."""
    registerable = _editable_roster(request, registerable_id)
    find = request.POST.get("find", "")[:100]
    form = forms.MoveHereForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _to_roster(registerable, find=find)
    student = get_object_or_404(get_user_model(), pk=form.cleaned_data["user"], is_active=True)
    source = selectors.sibling_group_of(registerable=registerable, user_id=student.pk)
    if source is None:
        messages.error(
            request,
            _("%(name)s is in no other group of this kind in the lecture; add them instead.")
            % {"name": student.name},
        )
        return _to_roster(registerable, find=find)
    try:
        services.move_user(
            user=student,
            source=source,
            target=registerable,
            by=request.user,
            allow_overfill=form.cleaned_data["allow_overfill"],
        )
    except RosterError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s was moved from “%(source)s” to “%(target)s”.")
            % {"name": student.name, "source": source.title, "target": registerable.title},
        )
    return _to_roster(registerable, find=find)


# -- tutors -------------------------------------------------------------------------------------


@login_required
@require_GET
def my_groups(request):
    groups = selectors.tutorials_of_tutor(user=request.user)
    return render(request, "rosters/my_groups.html", {"groups": groups})
