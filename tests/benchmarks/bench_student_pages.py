"""CPU cost of the student pages against a bare logged-in page, in-process, in the same run.

A script, never collected by pytest::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_bench \
        python tests/benchmarks/bench_student_pages.py [--quick] [--profile PAGE]

It migrates the database it is given, loads the demo semester (``manage.py seed_demo``:
150 students, a preference-based tutorial campaign with 100 rankings, a first-come-first-served
seminar, an exam behind a university-address policy) and then sends each student page through
Django's full handler -- every middleware, the session and user from the database, the context
processors, the template engine -- with the production settings (``DEBUG=0``) plus the bare page
of ``tests/benchmarks/settings_bench.py``. Requests go round-robin over the pages, so a burst of
other load on the shared machine hits every page alike, and each request's CPU time of this
process (``time.process_time``; the database server's time is not in it) is recorded.

It prints, per page, the median and p90 CPU milliseconds, the queries (round trips to the
database: reads sent together by ``mampf.db.fetch_together`` count once), and the ratio of the
median to the bare page's median. The goal of issue 7, item 19 is every student page within 2x
the bare page. ``--profile PAGE`` adds a cProfile listing of that page.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import shutil
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mampf_bench"
HOST = "127.0.0.1"
TARGET_RATIO = 2.0
YARDSTICKS = ("bare", "layout only")  # not student pages: the bare page, and base.html alone


def bench_environment(database_url: str) -> dict[str, str]:
    """The rush benchmark's production-like server settings, with the bench URLs."""
    alphabet = string.ascii_letters + string.digits
    return {
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings_bench",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY")
        or "".join(secrets.choice(alphabet) for _ in range(64)),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "ERROR",
        "EMAIL_URL": "dummy://",
    }


def ensure_database(database_url: str) -> None:
    from tests.benchmarks.bench_registration_rush import ensure_database as create

    create(database_url)


def pick_pages() -> dict[str, tuple[str, dict]]:
    """The student pages of item 19, for one demo student with a ranking and a seat."""
    from django.urls import reverse

    from registration.models import Campaign, UserRegistration
    from tests.benchmarks.bench_urls import BARE_PATH, LAYOUT_PATH

    preference = (
        Campaign.objects.filter(status=Campaign.Status.OPEN,
                                allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED)
        .order_by("-pk").first()
    )
    # The same lecture's first-come-first-served campaign (Linear Algebra's exam registration),
    # so the figures stay comparable as the demo grows other lectures' campaigns.
    fcfs = (
        Campaign.objects.filter(status=Campaign.Status.OPEN, planning_only=False,
                                allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED,
                                lecture_id=getattr(preference, "lecture_id", None))
        .order_by("-pk").first()
    )
    if fcfs is None or preference is None:
        raise SystemExit("the demo data has no open FCFS and preference campaign: run seed_demo")
    ranked = set(
        UserRegistration.objects.filter(campaign=preference).values_list("user_id", flat=True)
    )
    seat = (
        # An open campaign's seat: not the demo midterm's completed registration.
        UserRegistration.objects.filter(campaign__allocation_mode=fcfs.allocation_mode,
                                        campaign__status=Campaign.Status.OPEN,
                                        status=UserRegistration.Status.CONFIRMED,
                                        user_id__in=ranked)
        .values_list("user_id", "campaign_id").first()
    )
    if seat is None:
        raise SystemExit("the demo data has no ranking student with an open FCFS seat")
    user_id, seated_campaign_id = seat
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages = {
        "bare": (BARE_PATH, {}),
        "layout only": (LAYOUT_PATH, {}),
        "start page": (reverse("home"), {}),
        "my registrations": (reverse("registration:student_index"), {}),
        "campaign FCFS": (reverse("registration:student_campaign", args=[fcfs.pk]), {}),
        "campaign FCFS, my place": (
            reverse("registration:student_campaign", args=[seated_campaign_id]), {}
        ),
        "campaign preference": (reverse("registration:student_campaign", args=[preference.pk]),
                                {}),
        "result": (reverse("registration:student_result", args=[preference.pk]), {}),
        "seat table (htmx)": (
            reverse("registration:student_campaign_seats", args=[fcfs.pk]), htmx
        ),
        "profile": (reverse("profile"), {}),
    }
    return user_id, pages


def measure(client, pages, *, rounds: int, warm_up: int) -> dict[str, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm_up):
        for path, extra in pages.values():
            client.get(path, **extra)
    figures = {}
    for name, (path, extra) in pages.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, **extra)
        if response.status_code != 200:
            raise SystemExit(f"{name}: GET {path} answered {response.status_code}")
        figures[name] = {"queries": len(captured.captured_queries), "bytes": len(response.content),
                         "cpu_ms": []}
    clock = time.process_time
    for _ in range(rounds):
        for name, (path, extra) in pages.items():
            started = clock()
            client.get(path, **extra)
            figures[name]["cpu_ms"].append((clock() - started) * 1000)
    for values in figures.values():
        samples = sorted(values.pop("cpu_ms"))
        values["median_ms"] = statistics.median(samples)
        values["p90_ms"] = samples[min(len(samples) - 1, int(0.9 * len(samples)))]
    return figures


def report(figures: dict[str, dict], *, rounds: int) -> bool:
    bare = figures["bare"]["median_ms"]
    print(f"CPU per request of this process (process_time), {rounds} rounds, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'page':<22} {'median':>7} {'p90':>7} {'queries':>7} {'KiB':>5} {'x bare':>7}")
    all_met = True
    for name, values in figures.items():
        ratio = values["median_ms"] / bare if bare else 0.0
        met = name in YARDSTICKS or ratio <= TARGET_RATIO
        all_met &= met
        print(f"{name:<22} {values['median_ms']:7.2f} {values['p90_ms']:7.2f} "
              f"{values['queries']:>7} {values['bytes'] / 1024:5.1f} {ratio:6.2f}x"
              + ("" if met else "  (over 2x)"))
    verdict = "met" if all_met else "MISSED"
    print(f"every student page within {TARGET_RATIO:.0f}x the bare page: {verdict}")
    return all_met


def profile(client, path: str, extra: dict, *, repeats: int = 200, lines: int = 45) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, as the figures above
    profiler.enable()
    for _ in range(repeats):
        client.get(path, **extra)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    from tests.benchmarks import rush_profile

    parts = {
        name: sum(stats.stats[key][3] for key in keys if key in stats.stats) * 1000 / repeats
        for name, keys in rush_profile._known_functions().items()
    }
    print("CPU ms per request by part: "
          + ", ".join(f"{name} {value:.2f}" for name, value in parts.items()))
    stats.sort_stats("cumulative").print_stats(lines)
    stats.sort_stats("tottime").print_stats(lines)
    print(out.getvalue())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 rounds instead of 300")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--profile", metavar="PAGE", help="also profile this page (its name)")
    parser.add_argument("--no-seed", action="store_true", help="the demo data is already there")
    args = parser.parse_args(argv)
    rounds = args.rounds or (60 if args.quick else 300)

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_student_pages needs PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ.update(bench_environment(database_url))
    scratch = Path(tempfile.mkdtemp(prefix="student_pages_bench_"))
    os.environ["MAMPF_VAR_DIR"] = str(scratch)  # manifest static files, as in production
    os.environ.pop("CELERY_BROKER_URL", None)
    ensure_database(database_url)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    if not args.no_seed:
        call_command("seed_demo", stdout=io.StringIO())
    from django.test import Client

    from mampf.models import User

    try:
        user_id, pages = pick_pages()
        client = Client(HTTP_HOST=HOST)  # one client: one handler, as in a server worker
        client.force_login(User.objects.get(pk=user_id))
        figures = measure(client, pages, rounds=rounds, warm_up=10)
        report(figures, rounds=rounds)
        if args.profile:
            if args.profile not in pages:
                sys.exit(f"--profile: one of {', '.join(pages)}")
            path, extra = pages[args.profile]
            profile(client, path, extra)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0  # figures measured; a missed target is reported, not fatal (as the rush)


if __name__ == "__main__":
    sys.exit(main())
