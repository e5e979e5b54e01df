"""Certification benchmark on PostgreSQL: accept-all and the dashboard for 1,500 students.

A script, never collected by pytest::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_bench_certify \
        python tests/benchmarks/bench_certification.py [--students 1500] [--rounds 5]

It builds a lecture of 1,500 students with 14 assignments of 8 tasks each, every row reviewed,
and one performance record per student inserted directly (the same data as the records
benchmark; the records branch computes them with ``compute_and_upsert_all_records``). A third of
the students pass the rule (50 % of all points), a third fail, a third have two sheets still
pending (inconclusive). It then times, with the production settings (``DEBUG=0``):

- ``accept_all_proposals`` on a lecture without certifications (1,500 written), target < 1 s;
- the same after a grade change made 150 certifications stale (150 re-certified);
- the dashboard page (all 1,500 evaluated and counted, one page of 100 rows rendered) through
  Django's full handler, median of ``--rounds`` requests, with its query count.

Background work goes to a real broker (``--broker``, Redis db 1 by default; the queue is purged
afterwards), as in production: accept-all's request queues one task for the students' decision
mails. That task's own work (1,500 students told, one mail task queued each) is timed on its
own as the worker's share. ``--eager`` runs it inside accept-all instead, as `make run` does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/mampf_bench_certify"
SHEETS = 14
TASKS = 8
TASK_MAX = Decimal(10)
TITLE = "Bench certification"


def build(n_students: int):
    """Lecture, roster, 14 assignments x 8 tasks (reviewed), records and a rule (setup only)."""
    import datetime
    import hashlib
    import json

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from assessment.models import Assessment
    from mampf.models import Lecture, Term, User
    from performance.models import LectureState, Record, Rule
    from rosters.models import RosterEntry

    with transaction.atomic():
        Lecture.objects.filter(title=TITLE).delete()
        User.objects.filter(email__startswith="bench-cert-").delete()
        term, _ = Term.objects.get_or_create(season="WS", year=2032)
        teacher = User.objects.create(email="bench-cert-teacher@example.org", name="Teacher")
        lecture = Lecture.objects.create(term=term, title=TITLE, teacher=teacher)
        sheets = Assessment.objects.bulk_create(
            Assessment(
                lecture=lecture, kind="assignment", title=f"Sheet {i + 1}",
                deadline=timezone.now() - datetime.timedelta(days=SHEETS - i),
            )
            for i in range(SHEETS)
        )
        password = make_password(None)
        users = User.objects.bulk_create(
            User(email=f"bench-cert-{i}@example.org", name=f"Student {i:05d}",
                 matriculation_number=f"bc{i:06d}", password=password)
            for i in range(n_students)
        )
        RosterEntry.objects.bulk_create(
            RosterEntry(registerable_id=lecture.pk, user=user) for user in users
        )
        now = timezone.now()
        sheet_max = TASK_MAX * TASKS
        records = []
        for index, user in enumerate(users):
            kind = index % 3  # 0 passes, 1 fails, 2 inconclusive
            per = {}
            total = Decimal(0)
            pending = Decimal(0)
            for number, sheet in enumerate(sheets):
                if kind == 2 and number >= SHEETS - 2:
                    per[str(sheet.pk)] = {"points": None, "max": f"{sheet_max:.2f}",
                                          "status": "pending", "submitted": True}
                    pending += sheet_max
                    continue
                points = Decimal(60 if kind == 0 else 20) + Decimal(index % 7)
                if kind == 2:
                    points = Decimal(34)
                total += points
                per[str(sheet.pk)] = {"points": f"{points:.2f}", "max": f"{sheet_max:.2f}",
                                      "status": "reviewed", "submitted": True}
            maximum = sheet_max * SHEETS
            records.append(Record(
                lecture=lecture, user=user, points=total, maximum=maximum,
                points_pending_marking=pending,
                percentage=(total * 100 / maximum).quantize(Decimal("0.01")),
                per_assessment=per, achievements={},
                fingerprint=hashlib.sha256(json.dumps(per, sort_keys=True).encode()).hexdigest(),
                figures_changed_at=now, computed_at=now,
            ))
        Record.objects.bulk_create(records)
        Rule.objects.create(lecture=lecture, threshold_kind="percentage",
                            threshold_value=Decimal(50))
        LectureState.objects.create(lecture=lecture)
    return lecture, teacher, users


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(label: str, func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    print(f"{label:<62} {elapsed:7.3f} s  {len(queries.captured_queries):4d} queries  -> {result}")
    return elapsed


def make_stale(lecture, users, count: int) -> None:
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    from performance.models import Record

    Record.objects.filter(lecture=lecture, user__in=users[:count]).update(
        fingerprint=Concat(Substr("fingerprint", 1, 60), Value("xxxx"))
    )


def bench_dashboard(lecture, teacher, rounds: int) -> tuple[float, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(teacher)
    address = reverse("performance:dashboard", args=[lecture.pk])
    for _ in range(2):
        assert client.get(address).status_code == 200  # warm-up
    times = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(address, {"page": 2})
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    median = statistics.median(times)
    print(f"{'dashboard, 1 of 15 pages of 100 rows (all counted), median':<62} {median:7.3f} s"
          f"  {len(queries.captured_queries):4d} queries  (min {min(times):.3f}, "
          f"max {max(times):.3f}, {rounds} rounds)")
    return median, len(queries.captured_queries)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="150 students, 3 rounds")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/1",
                        help="the Redis broker background tasks are queued on (purged after)")
    parser.add_argument("--eager", action="store_true",
                        help="run background tasks inside the request, as `make run` does")
    args = parser.parse_args(argv)
    if args.quick:
        args.students, args.rounds = 150, 3
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench_certification needs PostgreSQL: set DATABASE_URL=postgres://...")
    from tests.benchmarks.bench_student_pages import bench_environment, ensure_database

    os.environ.update(bench_environment(database_url))
    os.environ["MAMPF_VAR_DIR"] = tempfile.mkdtemp(prefix="certification_bench_")
    if args.eager:
        os.environ.pop("CELERY_BROKER_URL", None)
    else:
        os.environ["CELERY_BROKER_URL"] = args.broker
    ensure_database(database_url)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    from performance import services

    lecture, teacher, users = build(args.students)
    analyze()
    first = timed(
        f"accept_all_proposals: {args.students} students, none certified",
        lambda: services.accept_all_proposals(lecture=lecture, by=teacher),
    )
    stale = max(args.students // 10, 1)
    make_stale(lecture, users, stale)
    timed(
        f"accept_all_proposals: {stale} stale of {args.students}",
        lambda: services.accept_all_proposals(lecture=lecture, by=teacher),
    )
    timed(
        "accept_all_proposals: nothing to do",
        lambda: services.accept_all_proposals(lecture=lecture, by=teacher),
    )
    dashboard, _queries = bench_dashboard(lecture, teacher, args.rounds)
    if not args.eager:
        from performance.models import Certification
        from performance.notifications import notify_students_of_decisions

        Certification.objects.filter(lecture=lecture).update(student_notified_status="")
        timed(
            f"worker: decision mails for {args.students} students (one mail task each queued)",
            lambda: notify_students_of_decisions(
                lecture_id=lecture.pk, user_ids=[user.pk for user in users]
            ),
        )
        from mampf.celery import app

        app.control.purge()
    print(f"accept-all {first:.3f} s (target < 1 s); dashboard {dashboard:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
