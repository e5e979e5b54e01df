"""The production URLs plus ``/bench/bare/``: a login-required view with a one-line template.

The bare page is the yardstick of the page benchmarks: it pays for everything every page pays
(middleware, session, user, context processors, the template engine) and nothing else.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from mampf.urls import handler403, handler404  # noqa: F401  (the same error pages)
from mampf.urls import urlpatterns as production_urlpatterns

BARE_PATH = "/bench/bare/"
LAYOUT_PATH = "/bench/layout/"


@login_required
def bare(request):
    return render(request, "bench/bare.html")


@login_required
def layout(request):
    """The site layout (templates/base.html) with an empty content block: what every full page
    pays for the layout alone."""
    return render(request, "bench/layout.html")


urlpatterns = [
    path(BARE_PATH.strip("/") + "/", bare, name="bench_bare"),
    path(LAYOUT_PATH.strip("/") + "/", layout, name="bench_layout"),
    *production_urlpatterns,
]
