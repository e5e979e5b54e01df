"""Integrity monitor benchmark on PostgreSQL (issue 12, "Speed"): the full monitor on the
benchmark semester, 1,500 students x 14 sheets x 8 tasks (21,000 participations, 168,000 task
points), their records and certifications, a completed tutorial campaign (1,500 confirmed
registrations in 10 groups, every one on its roster) and an open exam campaign gated by the
admission rule. Target: every check in under 2 s with a bounded number of queries.

Plus the issue's 20,000 MC answer sheets (40 questions each, with their initial history rows),
seeded by ``bench_remediation.build``, which remediation's check reads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_bench_integrity \
        python tests/benchmarks/bench_integrity.py [--students 1500] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mampf_bench_integrity")

from tests.benchmarks import bench_performance  # noqa: E402 - sets the settings module
from tests.benchmarks.bench_allocation import ensure_database  # noqa: E402

GROUPS = 10


def add_campaigns_and_certifications(ctx) -> None:
    """Records, certifications, a completed tutorial campaign with its rosters, an open exam
    campaign with the admission rule at registration."""
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from mampf.models import Exam, Tutorial
    from performance import services as performance_services
    from registration.models import Campaign, Item, Policy

    lecture = ctx.lecture
    performance_services.compute_and_upsert_all_records(lecture=lecture)
    now = timezone.now()
    with transaction.atomic():
        tutorials = [
            Tutorial.objects.create(lecture=lecture, title=f"Tutorial {g + 1}", capacity=200)
            for g in range(GROUPS)
        ]
        tutorial_campaign = Campaign.objects.create(
            lecture=lecture,
            title="Tutorials",
            registration_deadline=now - datetime.timedelta(days=30),
        )
        items = [
            Item.objects.create(campaign=tutorial_campaign, registerable=t, position=i)
            for i, t in enumerate(tutorials)
        ]
        exam = Exam.objects.create(
            lecture=lecture, title="Final", date=now + datetime.timedelta(days=60), capacity=2000
        )
        exam_campaign = Campaign.objects.create(
            lecture=lecture, title="Exam", registration_deadline=now + datetime.timedelta(days=20)
        )
        Item.objects.create(campaign=exam_campaign, registerable=exam)
        Policy.objects.create(
            campaign=exam_campaign, kind="student_performance", phase="registration", config={}
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registration_campaign SET status = 'completed' WHERE id = %s",
                [tutorial_campaign.pk],
            )
            cursor.execute(
                "UPDATE registration_campaign SET status = 'open' WHERE id = %s",
                [exam_campaign.pk],
            )
            item_ids = [item.pk for item in items]
            tutorial_ids = [t.pk for t in tutorials]
            cursor.execute(
                "INSERT INTO registration_userregistration (campaign_id, item_id, user_id, "
                "status, exclusive, rejection_reason, created_at, updated_at) "
                "SELECT %s, (%s::bigint[])[1 + (n %% %s)], u, 'confirmed', true, '', %s, %s "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS x(u, n)",
                [tutorial_campaign.pk, item_ids, GROUPS, now, now, ctx.student_ids],
            )
            cursor.execute(
                "INSERT INTO rosters_rosterentry (registerable_id, user_id, source_campaign_id, "
                "added_at) SELECT (%s::bigint[])[1 + (n %% %s)], u, %s, %s "
                "FROM unnest(%s::bigint[]) WITH ORDINALITY AS x(u, n)",
                [tutorial_ids, GROUPS, tutorial_campaign.pk, now, ctx.student_ids],
            )
            cursor.execute(
                "INSERT INTO performance_certification (lecture_id, user_id, status, source, "
                "note, rule_id, rule_version, record_fingerprint, figures, certified_at, "
                "student_notified_status) SELECT r.lecture_id, r.user_id, 'passed', 'computed', "
                "'', NULL, NULL, r.fingerprint, '{}'::jsonb, %s, '' FROM performance_record r "
                "WHERE r.lecture_id = %s",
                [now, lecture.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    return elapsed, len(queries.captured_queries), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--sheets", type=int, default=14)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mc-sheets", type=int, default=20000)
    parser.add_argument("--quick", action="store_true", help="150 students, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.students, args.runs, args.mc_sheets = 150, 3, 2000
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from operations import monitor
    from operations.models import Alert, MetricResult

    started = time.perf_counter()
    MetricResult.objects.all().delete()
    Alert.objects.all().delete()
    ctx = bench_performance.build(args.students, args.sheets, args.tasks)
    add_campaigns_and_certifications(ctx)
    print(
        f"{args.students} students x {args.sheets} sheets x {args.tasks} tasks, "
        f"{GROUPS} tutorials (built in {time.perf_counter() - started:.1f} s; "
        f"load {os.getloadavg()[0]:.2f})"
    )
    from tests.benchmarks import bench_remediation

    seeded = time.perf_counter()
    bench_remediation.build(args.mc_sheets, 40, "integrity", exam=False)
    with django.db.connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{args.mc_sheets} MC answer sheets x 40 questions with their history "
        f"(built in {time.perf_counter() - seeded:.1f} s)"
    )

    per_check = {}
    for check in monitor.checks():
        samples = [timed(lambda c=check: monitor.measure(c)) for _ in range(args.runs)]
        per_check[check.name] = (statistics.median(s[0] for s in samples), samples[-1][1])
        outcome = samples[-1][2]
        print(
            f"  {check.name:<36} {per_check[check.name][0] * 1000:8.1f} ms "
            f"{per_check[check.name][1]:3d} queries  value {outcome.value} "
            f"({'ok' if outcome.ok else 'OVER'})"
        )
    samples = [timed(monitor.measure_all) for _ in range(args.runs)]
    total, queries = statistics.median(s[0] for s in samples), samples[-1][1]
    print(f"every check measured (median of {args.runs}): {total * 1000:.0f} ms, {queries} queries")
    elapsed, queries, outcomes = timed(monitor.run_all)
    print(
        f"every check run as the beat jobs do (store, alerts): {elapsed * 1000:.0f} ms, "
        f"{queries} queries; over threshold: "
        f"{[o.check.name for o in outcomes if not o.ok] or 'none'}"
    )
    print(f"target: under 2 s -> {'met' if total < 2 and elapsed < 2 else 'MISSED'}")
    with django.db.connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {bench_performance.FLOOR_TABLE}")


if __name__ == "__main__":
    main()
