"""Who may use the remediation API: staff (teacher, editors, site staff) of the lecture."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from mampf import permissions


class IsLectureStaff(BasePermission):
    """Object level: the lecture of the object's evaluation must be one the user manages.

    Views give each object a ``lecture`` through ``lecture_of(obj)``."""

    def has_object_permission(self, request, view, obj) -> bool:
        return permissions.can_manage_lecture(request.user, view.lecture_of(obj))
