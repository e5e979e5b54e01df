"""Template context shared by every page: which navigation entries this user may see.

Each flag that needs the database is computed only when a template reads it (an htmx partial or
a page without the layout never does; the layout reads only ``tutors_groups``), at most once per
request, with one small query. Nothing is cached beyond the request: a new tutor sees "My groups"
on the next page.
"""

from django.utils.functional import cached_property

from mampf import permissions


class Navigation:
    """``nav`` in templates: ``authenticated``, ``is_site_staff``, ``manages_lectures``,
    ``tutors_groups``."""

    def __init__(self, user, *, manages_lectures=None, tutors_groups=None):
        """A view that already knows a flag (the start page reads both) passes it in."""
        self._user = user
        self.authenticated = bool(user is not None and user.is_authenticated)
        if manages_lectures is not None:
            self.__dict__["manages_lectures"] = bool(manages_lectures)
        if tutors_groups is not None:
            self.__dict__["tutors_groups"] = bool(tutors_groups)

    @property
    def is_site_staff(self) -> bool:
        return self.authenticated and permissions.is_site_staff(self._user)

    @cached_property
    def manages_lectures(self) -> bool:
        return self.authenticated and permissions.manages_any_lecture(self._user)

    @cached_property
    def tutors_groups(self) -> bool:
        return self.authenticated and permissions.tutors_any_group(self._user)


def navigation(request):
    return {"nav": Navigation(getattr(request, "user", None))}
