"""Group catalogue pages: teachers, editors and site staff keep the groups of their lecture.

Each view: 404 for an unknown lecture or group, 403 unless ``can_manage_lecture``, a form for
the input's shape, one ``mampf.catalogue_services`` call, a message, a redirect. A refusal
(``CatalogueError``) is shown as a message and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mampf import catalogue_forms as forms
from mampf import catalogue_selectors as selectors
from mampf import catalogue_services as services
from mampf import permissions
from mampf.catalogue_errors import CatalogueError
from mampf.models import Lecture, Registerable, Tutorial

# -- access -------------------------------------------------------------------------------------


def _managed_lecture(request, lecture_id: int) -> Lecture:
    try:
        lecture = selectors.lecture_for_groups(lecture_id=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


def _managed_group(request, group_id: int) -> Registerable:
    try:
        group = selectors.group_for_editing(group_id=group_id)
    except Registerable.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_manage_lecture(request.user, group.lecture))
    return group


def _managed_tutorial(request, group_id: int) -> Tutorial:
    group = _managed_group(request, group_id)
    if not isinstance(group, Tutorial):
        raise Http404
    return group


def _kind_of(group: Registerable) -> str:
    return group._meta.model_name


def _to_groups(lecture_id: int):
    return redirect("catalogue:lecture_groups", lecture_id)


def _to_edit(group: Registerable):
    return redirect("catalogue:group_edit", group.pk)


# -- pages --------------------------------------------------------------------------------------


@login_required
@require_GET
def lecture_groups(request, lecture_id: int):
    """Every group of the lecture with its fill, and links to add, edit and delete."""
    lecture = _managed_lecture(request, lecture_id)
    groups = selectors.lecture_groups(lecture=lecture)
    return render(
        request, "mampf/catalogue/groups.html", {"lecture": lecture, "groups": groups}
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request, lecture_id: int, kind: str):
    lecture = _managed_lecture(request, lecture_id)
    if kind not in forms.FORMS:
        raise Http404
    form = forms.form_for(kind)(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                group = services.create_group(
                    lecture=lecture, kind=kind, values=form.values(), by=request.user
                )
            except CatalogueError as exc:
                messages.error(request, str(exc))
                status = 400
            else:
                messages.success(request, _("“%(title)s” was added.") % {"title": group.title})
                return _to_groups(lecture.pk)
        else:
            status = 400
    context = {"lecture": lecture, "form": form, "kind": kind, "group": None}
    return render(request, "mampf/catalogue/group_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, group_id: int):
    group = _managed_group(request, group_id)
    kind = _kind_of(group)
    form = forms.form_for(kind)(
        request.POST if request.method == "POST" else None, instance=group
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = services.update_group(
                    group=group, changes=form.changes(), by=request.user
                )
            except CatalogueError as exc:
                messages.error(request, str(exc))
                status = 400
            else:
                messages.success(request, _("“%(title)s” was saved.") % {"title": saved.title})
                return _to_groups(group.lecture_id)
        else:
            status = 400
    context = {
        "lecture": group.lecture,
        "form": form,
        "kind": kind,
        "group": group,
        "tutors": selectors.tutors_of(tutorial=group) if kind == "tutorial" else None,
        "tutor_form": forms.AddTutorForm() if kind == "tutorial" else None,
    }
    return render(request, "mampf/catalogue/group_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_delete(request, group_id: int):
    """GET asks to confirm; POST deletes (refused while anyone is on the roster)."""
    group = _managed_group(request, group_id)
    if request.method == "POST":
        try:
            services.delete_group(group=group, by=request.user)
        except CatalogueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("“%(title)s” was deleted.") % {"title": group.title})
        return _to_groups(group.lecture_id)
    return render(
        request,
        "mampf/catalogue/group_delete.html",
        {"lecture": group.lecture, "group": group, "kind": _kind_of(group)},
    )


@login_required
@require_POST
def tutor_add(request, group_id: int):
    tutorial = _managed_tutorial(request, group_id)
    form = forms.AddTutorForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _to_edit(tutorial)
    try:
        user = services.add_tutor(
            tutorial=tutorial, email=form.cleaned_data["email"], by=request.user
        )
    except CatalogueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s now tutors “%(title)s”.") % {"name": user.name, "title": tutorial.title},
        )
    return _to_edit(tutorial)


@login_required
@require_POST
def tutor_remove(request, group_id: int):
    tutorial = _managed_tutorial(request, group_id)
    form = forms.RemoveTutorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a tutor of this tutorial."))
        return _to_edit(tutorial)
    try:
        services.remove_tutor(
            tutorial=tutorial, user_id=form.cleaned_data["user"], by=request.user
        )
    except CatalogueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The tutor was removed from “%(title)s”.")
                         % {"title": tutorial.title})
    return _to_edit(tutorial)
