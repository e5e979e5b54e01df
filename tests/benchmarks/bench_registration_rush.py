"""Registration rush benchmark: many students press "register" at the same moment.

A script, never collected by pytest. Run it on PostgreSQL::

    python tests/benchmarks/bench_registration_rush.py [--quick]

``DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/mampf_bench) names a database the
benchmark owns: it is created if missing and migrated, and the benchmark's previous data in it
is cleared. It builds one lecture with an open first-come-first-served campaign of 8 tutorials
x 25 seats and 1,000 students (200 with ``--quick``) with ready sessions, starts gunicorn on a
free loopback port with production settings (DEBUG=0, manifest static files), and then:

1. the rush: every student POSTs once to the register URL of a random tutorial, from 64
   concurrent clients (each request on a fresh connection, as from a separate browser);
2. the ceiling: the same number of GETs of a trivial logged-in page at the same concurrency:
   ``/registrations/`` (the student's registration list, empty for these students), the
   cheapest logged-in page (6 queries, against 10 for the home page ``/``).

It reports throughput, latency percentiles (client side, and server side from the access
log), errors, and oversells counted in the database afterwards, plus an in-process profile of
one request of each kind (queries and time). Exit code: 0 when the figures were measured (a
missed latency or throughput target is reported, not fatal), 1 when the setup failed, 2 when
an oversell happened.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.benchmarks import rush_cpu, rush_load, rush_profile  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mampf_bench"
HOST = "127.0.0.1"
ITEMS = 8
SEATS = 25
CONCURRENCY = 64
PHASE_DEADLINE_SECONDS = 75
BENCH_LECTURE_TITLE = "Registration rush benchmark"
BENCH_EMAIL_DOMAIN = "rush-bench.example.org"
SESSION_KEY_PREFIX = "rushbench"  # bench sessions are found (and cleared) by this prefix
CEILING_PATH = "/registrations/"  # the cheapest logged-in page; the probe also times "/"
PROBE_REPEATS = 9
PROFILE_REPEATS = 20

TARGET_P95_MS = 250
TARGET_THROUGHPUT_SHARE = 0.40


class SetupFailed(Exception):
    """The benchmark could not build its world; no figure would mean anything."""


@dataclass
class World:
    campaign_id: int
    item_ids: list[int]
    register_paths: dict[int, str]
    capacities: dict[int, int]
    sessions: list[tuple[str, str]]  # (session key, csrf token) per rush student
    probe: dict = field(default_factory=dict)


# -- setup: database, settings, data -------------------------------------------------------------


def ensure_database(database_url: str) -> None:
    """Create the benchmark database if it does not exist yet (needs CREATEDB)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.scheme not in {"postgres", "postgresql"} or not name:
        raise SetupFailed(f"DATABASE_URL must name a PostgreSQL database, got {database_url!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_environment(database_url: str, var_dir: Path) -> dict[str, str]:
    """Production-like settings, minus HTTPS (loopback HTTP) and with a throwaway secret."""
    alphabet = string.ascii_letters + string.digits
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mampf.settings",
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(64)),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "MAMPF_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict[str, str], *args: str) -> None:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    if completed.returncode != 0:
        raise SetupFailed(
            f"manage.py {' '.join(args)} failed:\n{completed.stdout[-2000:]}"
            f"{completed.stderr[-4000:]}"
        )


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with exactly the server's settings."""
    os.environ.update(env)
    import django

    django.setup()


def clear_previous_run() -> None:
    from django.contrib.sessions.models import Session

    from mampf.models import Lecture, User
    from registration.models import Campaign

    Campaign.objects.filter(lecture__title=BENCH_LECTURE_TITLE).delete()
    Lecture.objects.filter(title=BENCH_LECTURE_TITLE).delete()
    User.objects.filter(email__endswith=f"@{BENCH_EMAIL_DOMAIN}").delete()
    Session.objects.filter(session_key__startswith=SESSION_KEY_PREFIX).delete()


def make_students(prefix: str, count: int, password_hash: str) -> list:
    from mampf.models import User

    return User.objects.bulk_create(
        [
            User(
                email=f"{prefix}{index:05d}@{BENCH_EMAIL_DOMAIN}",
                name=f"Rush {prefix.title()} {index}",
                matriculation_number=f"rb-{prefix}-{index:05d}",
                password=password_hash,
            )
            for index in range(count)
        ],
        batch_size=1000,
    )


def make_sessions(users: list) -> list[tuple[str, str]]:
    """A logged-in session row per user, plus a CSRF secret for its cookie and form field."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    store = SessionStore()
    expires = timezone.now() + datetime.timedelta(days=1)
    backend = "django.contrib.auth.backends.ModelBackend"
    key_alphabet = string.ascii_lowercase + string.digits
    rows, pairs = [], []
    for user in users:
        key = SESSION_KEY_PREFIX + get_random_string(32 - len(SESSION_KEY_PREFIX), key_alphabet)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        pairs.append((key, get_random_string(32)))
    Session.objects.bulk_create(rows, batch_size=1000)
    return pairs


def open_campaign(lecture, teacher, *, title: str, capacities: list[int | None]):
    """Create and open an FCFS campaign through the services, one tutorial per capacity."""
    from django.utils import timezone

    from mampf.models import Tutorial
    from registration import services

    campaign = services.campaign_create(
        lecture=lecture, by=teacher, title=title,
        registration_deadline=timezone.now() + datetime.timedelta(days=1),
    )
    items = []
    for number, capacity in enumerate(capacities, start=1):
        tutorial = Tutorial.objects.create(
            lecture=lecture, title=f"{title} group {number}", capacity=capacity,
            weekday=number % 5, room=f"SR {number}",
        )
        items.append(services.item_add(campaign=campaign, registerable=tutorial, by=teacher))
    services.campaign_open(campaign, by=teacher)
    return campaign, items


def build_world(students: int) -> World:
    from django.contrib.auth.hashers import make_password
    from django.urls import reverse

    from mampf.models import Lecture, Term, User

    clear_previous_run()
    password_hash = make_password("rush-bench-password")
    teacher = User.objects.create(
        email=f"teacher@{BENCH_EMAIL_DOMAIN}", name="Rush Teacher", password=password_hash
    )
    term, _created = Term.objects.get_or_create(season=Term.Season.WINTER, year=2099)
    lecture = Lecture.objects.create(title=BENCH_LECTURE_TITLE, term=term, teacher=teacher)
    campaign, items = open_campaign(
        lecture, teacher, title="Tutorial rush", capacities=[SEATS] * ITEMS
    )
    rush_students = make_students("student", students, password_hash)
    return World(
        campaign_id=campaign.pk,
        item_ids=[item.pk for item in items],
        register_paths={
            item.pk: reverse(
                "registration:register", kwargs={"campaign_id": campaign.pk, "item_id": item.pk}
            )
            for item in items
        },
        capacities={item.pk: SEATS for item in items},
        sessions=make_sessions(rush_students),
    )


# -- in-process profile of single requests -------------------------------------------------------


def probe_requests(*, ceiling_path: str) -> dict:
    """Queries and median time of one request of each kind, in-process (no HTTP, no queueing),
    and a cProfile breakdown of a registration and of the ceiling page.

    Uses its own campaign (an unlimited group and a group of zero seats) and its own students,
    so the rush campaign is untouched.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from mampf.models import Lecture, User

    lecture = Lecture.objects.get(title=BENCH_LECTURE_TITLE)
    teacher = User.objects.get(email=f"teacher@{BENCH_EMAIL_DOMAIN}")
    campaign, (roomy, full) = open_campaign(
        lecture, teacher, title="Probe", capacities=[None, 0]
    )
    password_hash = teacher.password
    seated = make_sessions(make_students("probe-seated", PROBE_REPEATS, password_hash))
    refused = make_sessions(make_students("probe-refused", PROBE_REPEATS, password_hash))
    profiled = make_sessions(make_students("probe-profiled", PROFILE_REPEATS, password_hash))

    def register_path(item):
        return reverse("registration:register", kwargs={"campaign_id": campaign.pk,
                                                        "item_id": item.pk})

    # One client for all: a new Client builds a new handler, and so re-scans the static files
    # (WhiteNoise) on its first request, which a server worker does once.
    client = Client(HTTP_HOST=HOST)

    def send(method: str, path: str, session_key: str):
        client.cookies.clear()
        client.cookies["sessionid"] = session_key
        return getattr(client, method)(path)

    cases = {
        "POST register (seat confirmed)": [("post", register_path(roomy), s) for s in seated],
        "POST register (group full)": [("post", register_path(full), s) for s in refused],
        "GET campaign page (after the redirect)": [
            ("get", reverse("registration:student_campaign", args=[campaign.pk]), s)
            for s in seated
        ],
        "GET seat table (htmx poll, every 10 s)": [
            ("get", reverse("registration:student_campaign_seats", args=[campaign.pk]), s)
            for s in seated
        ],
        "GET / (home)": [("get", "/", s) for s in seated],
        "GET /registrations/": [("get", "/registrations/", s) for s in seated],
    }
    requests = {}
    for name, calls in cases.items():
        timings, queries, statuses = [], [], set()
        for method, path, (session_key, _csrf) in calls:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = send(method, path, session_key)
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            statuses.add(response.status_code)
        requests[name] = {
            "median_ms": round(statistics.median(timings[1:] or timings), 2),
            "queries": max(queries),
            "statuses": sorted(statuses),
        }
    profiles = {
        "POST register": rush_profile.profile_requests(
            lambda index: send("post", register_path(roomy), profiled[index][0]),
            PROFILE_REPEATS,
        ),
        f"GET {ceiling_path}": rush_profile.profile_requests(
            lambda index: send("get", ceiling_path, profiled[index][0]), PROFILE_REPEATS
        ),
    }
    return {"requests": requests, "profiles": profiles}


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(env, *, port: int, workers: int, threads: int, log_dir: Path):
    command = [
        sys.executable, "-m", "gunicorn", "mampf.wsgi:application",
        "--bind", f"{HOST}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--backlog", "2048",
        "--timeout", "60",
        "--graceful-timeout", "5",
        "--access-logfile", str(log_dir / "access.log"),
        "--access-logformat", rush_load.ACCESS_LOG_FORMAT,
        "--error-logfile", str(log_dir / "error.log"),
        "--log-level", "warning",
    ]
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_until_ready(server, port: int, *, timeout: float = 40.0) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SetupFailed(f"gunicorn exited with code {server.returncode}")
        connection = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise SetupFailed(f"gunicorn did not answer GET /login/ within {timeout:.0f} s")


def stop_server(server) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def read_from(path: Path, offset: int) -> tuple[str, int]:
    if not path.exists():
        return "", offset
    with path.open() as handle:
        handle.seek(offset)
        text = handle.read()
        return text, handle.tell()


def database_backend_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark database, except this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def measured_phase(meter, name, requests, *, port, concurrency):
    """Run one load phase and the CPU its server, database and client used meanwhile."""
    before = meter.snapshot()
    phase = rush_load.run_phase(name, requests, host=HOST, port=port, concurrency=concurrency,
                                deadline_seconds=PHASE_DEADLINE_SECONDS)
    return phase, rush_cpu.CpuMeter.used(before, meter.snapshot())


# -- checks after the rush -----------------------------------------------------------------------


def count_outcomes(world: World) -> dict:
    from django.db.models import Count, Q

    from registration.models import UserRegistration

    confirmed = UserRegistration.Status.CONFIRMED
    per_item = {
        row["item_id"]: row
        for row in UserRegistration.objects.filter(campaign_id=world.campaign_id)
        .values("item_id")
        .annotate(
            confirmed=Count("id", filter=Q(status=confirmed)),
            full=Count("id", filter=Q(rejection_reason="item_full")),
            rows=Count("id"),
        )
    }
    double_seated = (
        UserRegistration.objects.filter(campaign_id=world.campaign_id, status=confirmed)
        .values("user_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    confirmed_per_item = {i: per_item.get(i, {}).get("confirmed", 0) for i in world.item_ids}
    return {
        "confirmed_per_item": confirmed_per_item,
        "confirmed_total": sum(confirmed_per_item.values()),
        "refused_full_total": sum(row["full"] for row in per_item.values()),
        "rows_total": sum(row["rows"] for row in per_item.values()),
        "oversold_items": [
            i for i, n in confirmed_per_item.items() if n > world.capacities[i]
        ],
        "students_with_two_seats": double_seated,
    }


# -- report --------------------------------------------------------------------------------------


def phase_row(label: str, phase: rush_load.PhaseResult, server_ms: list[float]) -> str:
    server = (
        f"{rush_load.percentile(server_ms, 0.5):7.1f} {rush_load.percentile(server_ms, 0.95):7.1f}"
        if server_ms else f"{'-':>7} {'-':>7}"
    )
    return (
        f"{label:<30} {len(phase.outcomes):>5} {phase.answered:>5} {phase.server_errors:>4} "
        f"{phase.client_errors:>4} {phase.connection_errors:>5} {phase.throughput:>8.1f} "
        f"{phase.percentile(0.5):7.1f} {phase.percentile(0.95):7.1f} {phase.percentile(0.99):7.1f} "
        f"{phase.latencies_ms[-1] if phase.outcomes else 0:7.1f}   {server}"
    )


def phase_figures(phase: rush_load.PhaseResult, server_ms: list[float]) -> dict:
    return {
        "requests": len(phase.outcomes),
        "not_sent": phase.not_sent,
        "answered_2xx_3xx": phase.answered,
        "status_counts": {str(k): v for k, v in phase.statuses.items()},
        "errors_5xx": phase.server_errors,
        "errors_4xx": phase.client_errors,
        "connection_errors": phase.connection_errors,
        "throughput_rps": round(phase.throughput, 1),
        "p50_ms": round(phase.percentile(0.5), 1),
        "p95_ms": round(phase.percentile(0.95), 1),
        "p99_ms": round(phase.percentile(0.99), 1),
        "server_p50_ms": round(rush_load.percentile(server_ms, 0.5), 1),
        "server_p95_ms": round(rush_load.percentile(server_ms, 0.95), 1),
        "wall_seconds": round(phase.wall_seconds, 2),
    }


def print_cpu_use(cpu_use: dict, phases: dict) -> dict:
    """CPU milliseconds per request: unlike wall-clock figures, they hardly depend on what else
    runs on the machine."""
    cores = os.cpu_count() or 2
    figures = {}
    print()
    print("CPU per request (hardly depends on other load): server + PostgreSQL + load generator")
    for name, use in cpu_use.items():
        per_request = use.per_request_ms(len(phases[name].outcomes))
        if not per_request:
            continue
        total = sum(per_request.values())
        figures[name] = {key: round(value, 2) for key, value in per_request.items()}
        print(f"  {name:<8} server {per_request['server']:5.1f} ms, database "
              f"{per_request['database']:5.1f} ms, client {per_request['client']:4.1f} ms: "
              f"at most ~{cores * 1000 / total:.0f} req/s on {cores} otherwise idle cores")
    if {"rush", "ceiling"} <= figures.keys():
        rush_total = sum(figures["rush"].values())
        ceiling_total = sum(figures["ceiling"].values())
        print(f"  a registration costs {rush_total / ceiling_total:.2f}x the trivial page's CPU")
    return figures


def print_latency_diagnosis(args, rush, ceiling, rush_server_ms) -> None:
    """Say whether the latency is work inside the server or waiting for a free worker."""
    client_mean = statistics.fmean(rush.latencies_ms) if rush.outcomes else 0.0
    server_mean = statistics.fmean(rush_server_ms) if rush_server_ms else 0.0
    waiting = 1 - server_mean / client_mean if client_mean else 0.0
    needed = args.concurrency / (TARGET_P95_MS / 1000)
    print("where the register latency goes:")
    print(f"  mean {client_mean:.0f} ms at the client, {server_mean:.0f} ms inside the server: "
          f"{waiting:.0%} is waiting in the accept queue for one of the "
          f"{args.workers * args.threads} server threads"
          + (" (saturation, not the view)" if waiting > 0.5 else ""))
    print(f"  Little's law: {args.concurrency} clients / {rush.throughput:.0f} req/s = "
          f"{args.concurrency / rush.throughput * 1000 if rush.throughput else 0:.0f} ms mean; "
          f"p95 under {TARGET_P95_MS} ms at this concurrency needs about {needed:.0f} req/s")
    if ceiling.percentile(0.95) >= TARGET_P95_MS:
        print(f"  the trivial page misses it too (p95 {ceiling.percentile(0.95):.0f} ms): "
              f"the machine, not the registration path, sets the limit")


def report(args, world, rush, ceiling, rush_server_ms, ceiling_server_ms, outcomes,
           expected_confirmed, timings, error_log_tail, cpu_use) -> dict:
    print()
    print(f"== Registration rush: {len(world.sessions)} students, {ITEMS} items x {SEATS} seats, "
          f"{args.concurrency} concurrent clients, gunicorn {args.workers} workers x "
          f"{args.threads} threads, {os.cpu_count()} cores ==")
    print("setup: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
    load = os.getloadavg()[0]
    print(f"load average (1 min) before the rush {args.load_before:.1f}, after {load:.1f}"
          + (" -- other processes share the CPU: figures are pessimistic"
             if max(load, args.load_before) > (os.cpu_count() or 2) else ""))
    print()
    print(f"{'phase':<30} {'reqs':>5} {'2/3xx':>5} {'5xx':>4} {'4xx':>4} {'conn':>5} "
          f"{'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}   "
          f"{'srv p50':>7} {'srv p95':>7}  (ms)")
    print(phase_row("POST register (rush)", rush, rush_server_ms))
    print(phase_row(f"GET {args.ceiling_path} (ceiling)", ceiling, ceiling_server_ms))
    print(f"rush redirects: {dict(rush.redirect_targets().most_common(3))}")
    for phase in (rush, ceiling):
        if phase.error_samples():
            print(f"{phase.name} errors (sample): {phase.error_samples()}")
        if phase.not_sent:
            print(f"{phase.name}: {phase.not_sent} requests not sent before the phase deadline")
    if error_log_tail:
        print("server error log (tail):")
        print(error_log_tail)
    print()
    seats = ITEMS * SEATS
    print(f"database after the rush: confirmed {outcomes['confirmed_total']} of {seats} seats "
          f"(expected {expected_confirmed}), refused item_full {outcomes['refused_full_total']}, "
          f"registration rows {outcomes['rows_total']} for {rush.answered} answered requests")
    print(f"confirmed per item: {sorted(outcomes['confirmed_per_item'].values(), reverse=True)}")
    busy = rush.answered - outcomes["rows_total"]
    if busy:
        print(f"{busy} answered requests wrote no row (refused before the write, e.g. 'busy')")
    print()
    oversells = len(outcomes["oversold_items"]) + max(0, outcomes["confirmed_total"] - seats) \
        + outcomes["students_with_two_seats"]
    share = rush.throughput / ceiling.throughput if ceiling.throughput else 0.0
    server_errors = rush.server_errors + ceiling.server_errors
    targets = [
        (oversells == 0, f"zero oversells: {len(outcomes['oversold_items'])} items over "
                         f"capacity, {outcomes['confirmed_total']}/{seats} seats confirmed, "
                         f"{outcomes['students_with_two_seats']} students with two seats"),
        (server_errors == 0, f"zero 5xx: {server_errors}"),
        (rush.percentile(0.95) < TARGET_P95_MS,
         f"register p95 under {TARGET_P95_MS} ms: {rush.percentile(0.95):.0f} ms "
         f"(server side {rush_load.percentile(rush_server_ms, 0.95):.0f} ms)"),
        (share >= TARGET_THROUGHPUT_SHARE,
         f"register throughput >= {TARGET_THROUGHPUT_SHARE:.0%} of the ceiling: {share:.0%} "
         f"({rush.throughput:.0f} vs {ceiling.throughput:.0f} req/s)"),
        (outcomes["confirmed_total"] == expected_confirmed,
         f"every seat taken that demand could take: {outcomes['confirmed_total']} of "
         f"{expected_confirmed}"),
    ]
    print("targets:")
    for passed, text in targets:
        print(f"  [{'PASS' if passed else 'MISS'}] {text}")
    if rush.percentile(0.95) >= TARGET_P95_MS:
        print_latency_diagnosis(args, rush, ceiling, rush_server_ms)
    cpu_figures = print_cpu_use(cpu_use, {"rush": rush, "ceiling": ceiling})
    print()
    print("in-process, one request at a time (no HTTP, no queueing):")
    for name, figures in world.probe["requests"].items():
        print(f"  {name:<42} {figures['median_ms']:7.1f} ms median, {figures['queries']:>3} "
              f"queries, status {figures['statuses']}")
    print("in-process profile, ms per request (cProfile):")
    for name, parts in world.probe["profiles"].items():
        print(f"  {name:<24} " + ", ".join(f"{part} {value:.1f}" for part, value in parts.items()))
    return {
        "students": len(world.sessions),
        "items": ITEMS,
        "seats_per_item": SEATS,
        "concurrency": args.concurrency,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "rush": phase_figures(rush, rush_server_ms),
        "ceiling": {"path": args.ceiling_path, **phase_figures(ceiling, ceiling_server_ms)},
        "throughput_share": round(share, 3),
        "database": {**outcomes, "expected_confirmed": expected_confirmed},
        "oversells": oversells,
        "targets_met": all(passed for passed, _text in targets),
        "probe": world.probe,
        "cpu_ms_per_request": cpu_figures,
        "load_average": {"before": round(args.load_before, 2), "after": round(load, 2)},
        "setup_seconds": {name: round(seconds, 2) for name, seconds in timings.items()},
    }


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv):
    cores = os.cpu_count() or 2
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 students: a smoke run")
    parser.add_argument("--students", type=int, help="override the number of students")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--workers", type=int, default=2 * cores + 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--ceiling-path", default=CEILING_PATH)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.students = args.students or (200 if args.quick else 1000)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    scratch = Path(tempfile.mkdtemp(prefix="rush_bench_"))
    env = server_environment(database_url, scratch / "var")
    timings: dict[str, float] = {}
    server = None
    try:
        try:
            started = time.perf_counter()
            ensure_database(database_url)
            manage(env, "migrate", "--noinput")
            timings["migrate"] = time.perf_counter() - started
            started = time.perf_counter()
            manage(env, "collectstatic", "--noinput")
            timings["collectstatic"] = time.perf_counter() - started
            started = time.perf_counter()
            setup_django(env)
            world = build_world(args.students)
            timings["data"] = time.perf_counter() - started
            started = time.perf_counter()
            world.probe = probe_requests(ceiling_path=args.ceiling_path)
            timings["probe"] = time.perf_counter() - started

            from django.db import connection

            connection.close()
            port = free_port()
            started = time.perf_counter()
            server = start_server(env, port=port, workers=args.workers, threads=args.threads,
                                  log_dir=scratch)
            wait_until_ready(server, port)
            timings["server start"] = time.perf_counter() - started
            warm_up = [
                rush_load.Request("GET", args.ceiling_path, key, csrf)
                for key, csrf in world.sessions[: 4 * args.workers * args.threads]
            ]
            warm = rush_load.run_phase("warm-up", warm_up, host=HOST, port=port,
                                       concurrency=args.concurrency, deadline_seconds=30)
            if warm.statuses != {200: len(warm_up)}:
                raise SetupFailed(
                    f"warm-up GET {args.ceiling_path} answered {dict(warm.statuses)} "
                    f"(expected 200 for all: are the sessions valid?) {warm.error_samples()}"
                )
        except Exception as exc:
            print(f"SETUP FAILED: {exc}", file=sys.stderr)
            if not isinstance(exc, SetupFailed):
                traceback.print_exc()
            return 1

        args.load_before = os.getloadavg()[0]
        rng = random.Random(args.seed)
        choices = [rng.choice(world.item_ids) for _ in world.sessions]
        demand = {item_id: choices.count(item_id) for item_id in world.item_ids}
        expected_confirmed = sum(min(n, world.capacities[i]) for i, n in demand.items())
        rush_requests = [
            rush_load.Request("POST", world.register_paths[item_id], key, csrf)
            for (key, csrf), item_id in zip(world.sessions, choices, strict=True)
        ]
        ceiling_requests = [
            rush_load.Request("GET", args.ceiling_path, key, csrf) for key, csrf in world.sessions
        ]
        access_log = scratch / "access.log"
        _text, offset = read_from(access_log, 0)
        meter = rush_cpu.CpuMeter(server.pid, database_backend_pids)
        rush, rush_cpu_use = measured_phase(meter, "rush", rush_requests, port=port,
                                            concurrency=args.concurrency)
        time.sleep(0.3)  # let the access log catch up
        rush_log, offset = read_from(access_log, offset)
        ceiling, ceiling_cpu_use = measured_phase(meter, "ceiling", ceiling_requests, port=port,
                                                  concurrency=args.concurrency)
        time.sleep(0.3)
        ceiling_log, offset = read_from(access_log, offset)
        stop_server(server)
        error_log, _offset = read_from(scratch / "error.log", 0)
        error_lines = [line for line in error_log.splitlines() if line.strip()]

        outcomes = count_outcomes(world)
        figures = report(
            args, world, rush, ceiling,
            rush_load.server_durations_ms(rush_log, method="POST"),
            rush_load.server_durations_ms(ceiling_log, method="GET"),
            outcomes, expected_confirmed, timings, "\n".join(error_lines[-20:]),
            {"rush": rush_cpu_use, "ceiling": ceiling_cpu_use},
        )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str))
        return 2 if figures["oversells"] else 0
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
