"""Two request/response guards every page gets, so no single view can forget them.

``CleanQueryMiddleware``: query-string parameters (every search box, admin search and
autocomplete included) lose NUL and the other control characters before any view sees them.
PostgreSQL refuses a NUL in a string literal, so ``?q=%00`` would otherwise be a 500 wherever
a parameter reaches a query. Tab, line feed and carriage return are kept (harmless); form fields
in POST bodies already refuse NUL (Django's ``ProhibitNullCharactersValidator``).

``PrivateNoStoreMiddleware``: a response to a logged-in user is personal (profile, my
registrations, rosters, every CSV/XLSX export, grading pages), so it is marked
``Cache-Control: private, no-store`` unless the view set its own ``Cache-Control`` or opted out
with ``@shared_cache_allowed``.
"""

from __future__ import annotations

import re
from functools import wraps

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import QueryDict
from django.utils.cache import patch_cache_control


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies of our
    own the address the outermost of them saw (counted from the right of X-Forwarded-For, so a
    client cannot choose it by sending the header itself). Login throttling and the password
    reset limit count by this."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login through a request (login page, admin).

    ``authenticate()`` without a request (``manage.py`` scripts, the test client's ``login``)
    is not an HTTP guess and is left to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control_characters(value: str) -> str:
    """The text without NUL and the other control characters (tab and line breaks stay)."""
    return _CONTROL_CHARACTERS.sub("", value)


class CleanQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.GET
        if any(
            _CONTROL_CHARACTERS.search(key) or any(_CONTROL_CHARACTERS.search(v) for v in values)
            for key, values in query.lists()
        ):
            cleaned = QueryDict(mutable=True, encoding=query.encoding)
            for key, values in query.lists():
                cleaned.setlist(
                    strip_control_characters(key), [strip_control_characters(v) for v in values]
                )
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


def shared_cache_allowed(view):
    """Opt a view out of ``private, no-store`` (it must not show anything personal)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.mampf_shared_cache_allowed = True
        return response

    return wrapper


class PrivateNoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not response.has_header("Cache-Control")
            and not getattr(response, "mampf_shared_cache_allowed", False)
        ):
            patch_cache_control(response, private=True, no_store=True)
        return response
