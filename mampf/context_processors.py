"""Template context shared by every page: which navigation entries this user may see
(``nav``), and the layout's per-process constants (``layout``).

The role flags are computed only when a template reads one (an htmx partial or a page without
the layout never does; the layout reads ``tutors_groups``), at most once per request, together in
one small query (``mampf.selectors.staff_roles``), so the lecture banners' "does this user manage
any lecture?" costs nothing more; a page that reads its own rows in one round trip sends that
query along (``Navigation.along_with_page``). Nothing is cached beyond the request: a new tutor
sees "My groups" on the next page.
"""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import get_language
from django_htmx.jinja import htmx_script as htmx_script_tag

from mampf import permissions


class Navigation:
    """``nav`` in templates: ``authenticated``, ``is_site_staff``, ``manages_lectures``,
    ``tutors_groups``."""

    def __init__(self, user, *, manages_lectures=None, tutors_groups=None):
        """A view that already knows a flag (the start page reads both) passes it in."""
        self._user = user
        self._roles_read = None
        self.authenticated = bool(user is not None and user.is_authenticated)
        if manages_lectures is not None:
            self.__dict__["manages_lectures"] = bool(manages_lectures)
        if tutors_groups is not None:
            self.__dict__["tutors_groups"] = bool(tutors_groups)

    @classmethod
    def along_with_page(cls, *, user) -> Navigation:
        """For a view that reads its page in one round trip (``mampf.db.fetch_together``): it
        passes ``reads`` along with its own, and the flags come from their rows. Should the
        view not run them, the flags query on first use as usual."""
        from mampf.selectors import staff_roles_read

        navigation = cls(user)
        if navigation.authenticated:
            navigation._roles_read = staff_roles_read(user=user)
        return navigation

    @property
    def reads(self) -> tuple:
        """The layout's reads for a view to run along with its own."""
        return (self._roles_read,) if self._roles_read is not None else ()

    @property
    def is_site_staff(self) -> bool:
        return self.authenticated and permissions.is_site_staff(self._user)

    @cached_property
    def _roles(self):
        from mampf.selectors import staff_roles, staff_roles_from

        read = self._roles_read
        if read is None:
            return staff_roles(user=self._user)
        return staff_roles_from(read.fetch() if read.rows is None else read.rows, user=self._user)

    @cached_property
    def manages_lectures(self) -> bool:
        return self.authenticated and self._roles.manages_lectures

    @cached_property
    def tutors_groups(self) -> bool:
        return self.authenticated and self._roles.tutors_groups


def navigation(request):
    return {"nav": Navigation(getattr(request, "user", None)), "layout": _current_layout()}


class Layout:
    """``layout`` in templates: what ``base.html`` shows on every page and that does not change
    while the process runs (for one language, URL prefix and URL configuration): the navigation
    URLs (``urls.<name>``, empty when the route does not exist), the static file URLs
    (``static.<name>``), the htmx script tag and the language choices. Computed once instead of
    reversing, hashing and translating on every request; nothing in it depends on the user or
    on data in the database."""

    NAV_ROUTES = {
        "home": "home",
        "student_index": "registration:student_index",
        "my_results": "assessment:pages_results_index",
        "my_groups": "rosters:my_groups",
        "profile": "profile",
        "admin": "admin:index",
        "set_language": "set_language",
        "logout": "logout",
        # Fixed pages the profile links to (``{% url %}`` resolves on every call).
        "password_change": "password_change",
        "my_data": "reports:my_data",
        "resend_confirmation": "resend_institutional_email_confirmation",
    }
    STATIC_FILES = {
        "favicon_svg": "favicon.svg",
        "favicon_ico": "favicon.ico",
        "app_css": "css/app.css",
        "app_js": "js/app.js",
        "preferences_js": "js/preferences.js",  # the students' ranking form
    }

    def __init__(self):
        self.urls = {}
        for name, route in self.NAV_ROUTES.items():
            try:
                self.urls[name] = reverse(route)
            except NoReverseMatch:
                self.urls[name] = ""
        self.static = {name: static(path) for name, path in self.STATIC_FILES.items()}
        self.htmx_script = htmx_script_tag(version=2, minified=True, extensions="", nonce=None)
        self.languages = [(code, str(name)) for code, name in settings.LANGUAGES]
        # The <head> links every page has, as one piece of markup.
        self.head = format_html(
            '<meta name="htmx-config" content="{}">\n'
            '  <link rel="icon" href="{}" type="image/svg+xml">\n'
            '  <link rel="icon" href="{}" sizes="32x32">\n'
            '  <link rel="stylesheet" href="{}">\n'
            "  {}\n"
            '  <script src="{}" defer></script>',
            HTMX_CONFIG,
            self.static["favicon_svg"],
            self.static["favicon_ico"],
            self.static["app_css"],
            self.htmx_script,
            self.static["app_js"],
        )


# Content-Security-Policy: htmx must not inject its indicator <style> (app.css has the rule),
# evaluate "js:" expressions or run <script> elements that arrive in swapped HTML.
HTMX_CONFIG = '{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}'

_LAYOUTS: dict[tuple, Layout] = {}


def _current_layout() -> Layout:
    key = (
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
        settings.STATIC_URL,
        get_language(),
    )
    found = _LAYOUTS.get(key)
    if found is None:
        found = _LAYOUTS[key] = Layout()
    return found
