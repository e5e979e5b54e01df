"""Performance benchmark on PostgreSQL (issue 9, "Speed"): 1,500 students x 14 sheets x 8 tasks,
every row reviewed, two achievements with a value for everyone.

Measured (each run in its own transaction, commit included; medians of ``--runs``):
- the SQL floor: one bare ``GROUP BY`` over the task points and an upsert of one row per student
  into a table of its own (``bench_performance_floor``) -- the least any recompute must do;
- ``performance.services.compute_and_upsert_all_records``: the first run (every record
  inserted), re-runs with nothing changed (every record rewritten, fingerprints kept), and a
  re-run after one student's grade changed;
and the ratio recompute / floor (the target: within 4x of the floor, under 0.3 s).

Other areas add their timings (the certification dashboard, accept-all) as functions taking a
``BenchContext``, listed in ``EXTRA_BENCHMARKS``; they run on the same data after the recompute.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_bench_records \
        python tests/benchmarks/bench_performance.py [--students 1500] [--sheets 14] [--tasks 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mampf_bench_performance")
os.environ["DJANGO_SETTINGS_MODULE"] = "mampf.settings"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["EMAIL_URL"] = "dummy://"

from tests.benchmarks.bench_allocation import ensure_database  # noqa: E402

TITLE = "Bench performance"
FLOOR_TABLE = "bench_performance_floor"


@dataclass
class BenchContext:
    """What a timing function gets: the lecture, its teacher, the students, and the results
    printed at the end (``results[label] = seconds``)."""

    lecture: object
    teacher: object
    student_ids: list[int]
    runs: int
    results: dict[str, float] = field(default_factory=dict)


def build(n_students: int, n_sheets: int, n_tasks: int) -> BenchContext:
    """The lecture, built with bulk SQL: users and assessments through the ORM's bulk insert,
    roster entries, participations, task points and achievement values as ``INSERT ... SELECT``.
    """
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from assessment.models import Achievement, Assessment, Participation, Task, TaskPoint
    from mampf.models import Lecture, Term, User

    with transaction.atomic():
        old = list(
            Participation.objects.filter(assessment__lecture__title=TITLE).values_list(
                "pk", flat=True
            )
        )
        TaskPoint.objects.filter(participation_id__in=old).delete()
        Lecture.objects.filter(title=TITLE).delete()
        User.objects.filter(email__startswith="bench-performance-").delete()
        term, _ = Term.objects.get_or_create(season="WS", year=2032)
        teacher = User.objects.create(email="bench-performance-teacher@example.org", name="T")
        lecture = Lecture.objects.create(term=term, title=TITLE, teacher=teacher)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"bench-performance-{i}@example.org",
                    name=f"Student {i:05d}",
                    matriculation_number=f"77{i:06d}",
                    password="!",
                )
                for i in range(n_students)
            ]
        )
        ids = [u.pk for u in users]
        deadline = timezone.now() - datetime.timedelta(days=1)
        sheets = Assessment.objects.bulk_create(
            [
                Assessment(
                    lecture=lecture, kind="assignment", title=f"Sheet {s + 1}", deadline=deadline
                )
                for s in range(n_sheets)
            ]
        )
        Task.objects.bulk_create(
            [
                Task(assessment=a, position=t + 1, title=f"P{t + 1}", max_points=10)
                for a in sheets
                for t in range(n_tasks)
            ]
        )
        achievements = [
            Achievement.objects.create(lecture=lecture, title="Presentation", value_type="boolean"),
            Achievement.objects.create(
                lecture=lecture, title="Quizzes", value_type="numeric", threshold=5
            ),
        ]
        sheet_ids = [a.pk for a in sheets]
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO rosters_rosterentry (registerable_id, user_id, added_at) "
                "SELECT %s, u, %s FROM unnest(%s::bigint[]) AS u",
                [lecture.pk, now, ids],
            )
            cursor.execute(
                "INSERT INTO assessment_participation (assessment_id, user_id, status, "
                "points_total, grade_source, exempt_reason, first_attempt, note, version, "
                "updated_at) SELECT a, u, 'reviewed', 0, '', '', TRUE, '', 1, %s "
                "FROM unnest(%s::bigint[]) AS a CROSS JOIN unnest(%s::bigint[]) AS u",
                [now, sheet_ids, ids],
            )
            cursor.execute(
                "INSERT INTO assessment_taskpoint (participation_id, task_id, points, graded_at) "
                "SELECT p.id, t.id, ((p.user_id + t.id) %% 21) / 2.0, %s "
                "FROM assessment_participation p JOIN assessment_task t "
                "ON t.assessment_id = p.assessment_id WHERE p.assessment_id = ANY(%s)",
                [now, sheet_ids],
            )
            cursor.execute(
                "UPDATE assessment_participation p SET points_total = s.total "
                "FROM (SELECT participation_id, SUM(points) AS total FROM assessment_taskpoint "
                "GROUP BY participation_id) s WHERE s.participation_id = p.id "
                "AND p.assessment_id = ANY(%s)",
                [sheet_ids],
            )
            cursor.execute(
                "INSERT INTO assessment_achievementvalue (achievement_id, user_id, passed, "
                "updated_at) SELECT %s, u, u %% 3 <> 0, %s FROM unnest(%s::bigint[]) AS u",
                [achievements[0].pk, now, ids],
            )
            cursor.execute(
                "INSERT INTO assessment_achievementvalue (achievement_id, user_id, value, "
                "updated_at) SELECT %s, u, u %% 10, %s FROM unnest(%s::bigint[]) AS u",
                [achievements[1].pk, now, ids],
            )
            cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
            cursor.execute(
                f"CREATE TABLE {FLOOR_TABLE} (lecture_id bigint NOT NULL, user_id bigint NOT "
                "NULL, points numeric(9, 2) NOT NULL, computed_at timestamptz NOT NULL, "
                "PRIMARY KEY (lecture_id, user_id))"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return BenchContext(lecture=lecture, teacher=teacher, student_ids=ids, runs=0)


def timed(func: Callable[[], object]) -> tuple[float, int, object]:
    """Wall time, queries and result of one call in its own committed transaction."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        with transaction.atomic():
            result = func()
        elapsed = time.perf_counter() - started
    return elapsed, len(queries.captured_queries), result


def median_of(runs: int, func: Callable[[], object]) -> tuple[float, int]:
    samples = [timed(func) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), samples[-1][1]


def report(label: str, seconds: float, queries: int | None = None) -> None:
    extra = f"  {queries:4d} queries" if queries is not None else ""
    print(f"{label:<62} {seconds * 1000:8.1f} ms{extra}")


def floor_statement(ctx: BenchContext) -> Callable[[], None]:
    """The floor: one GROUP BY over the task points of reviewed assignment rows and one upsert
    of a row per student, nothing else."""
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (lecture_id, user_id, points, computed_at) "  # noqa: S608
                "SELECT a.lecture_id, p.user_id, SUM(tp.points), now() "
                "FROM assessment_taskpoint tp "
                "JOIN assessment_participation p ON p.id = tp.participation_id "
                "JOIN assessment_assessment a ON a.id = p.assessment_id "
                "WHERE a.lecture_id = %s AND a.kind = 'assignment' AND p.status = 'reviewed' "
                "GROUP BY a.lecture_id, p.user_id "
                "ON CONFLICT (lecture_id, user_id) DO UPDATE "
                "SET points = EXCLUDED.points, computed_at = EXCLUDED.computed_at",
                [ctx.lecture.pk],
            )

    return run


def bench_floor(ctx: BenchContext) -> None:
    first, _q, _r = timed(floor_statement(ctx))
    report("SQL floor, first run (inserts)", first)
    again, _q = median_of(ctx.runs, floor_statement(ctx))
    report(f"SQL floor, re-run (upserts; median of {ctx.runs})", again)
    ctx.results["floor_first"] = first
    ctx.results["floor"] = again


def bench_recompute(ctx: BenchContext) -> None:
    from decimal import Decimal

    from assessment.models import Participation
    from performance.models import Record
    from performance.services import compute_and_upsert_all_records

    def run() -> int:
        return compute_and_upsert_all_records(lecture=ctx.lecture)

    Record.objects.filter(lecture=ctx.lecture).delete()
    first, queries, count = timed(run)
    assert count == len(ctx.student_ids), count
    report(f"recompute all records, first run ({count} inserted)", first, queries)
    before = dict(Record.objects.filter(lecture=ctx.lecture).values_list("user_id", "fingerprint"))
    again, queries = median_of(ctx.runs, run)
    report(f"recompute, nothing changed (median of {ctx.runs})", again, queries)
    after = dict(Record.objects.filter(lecture=ctx.lecture).values_list("user_id", "fingerprint"))
    assert before == after, "a no-change recompute moved fingerprints"

    row = Participation.objects.filter(assessment__lecture=ctx.lecture).order_by("pk").first()
    Participation.objects.filter(pk=row.pk).update(points_total=row.points_total + Decimal("1"))
    changed, queries, _r = timed(run)
    report("recompute after one grade changed", changed, queries)
    moved = Record.objects.filter(lecture=ctx.lecture).exclude(
        fingerprint__in=list(before.values())
    )
    assert list(moved.values_list("user_id", flat=True)) == [row.user_id]
    ctx.results["recompute_first"] = first
    ctx.results["recompute"] = again
    ctx.results["recompute_one_change"] = changed


#: Timings of other areas (certification dashboard, accept-all): ``func(ctx)`` after the
#: recompute, each adding its figures to ``ctx.results`` and printing them with ``report``.
EXTRA_BENCHMARKS: list[Callable[[BenchContext], None]] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--sheets", type=int, default=14)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="150 students, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.students, args.runs = 150, 3
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    ctx = build(args.students, args.sheets, args.tasks)
    ctx.runs = args.runs
    print(
        f"{args.students} students x {args.sheets} sheets x {args.tasks} tasks "
        f"(built in {time.perf_counter() - started:.1f} s; load {os.getloadavg()[0]:.2f})"
    )
    bench_floor(ctx)
    bench_recompute(ctx)
    for extra in EXTRA_BENCHMARKS:
        extra(ctx)
    ratio = ctx.results["recompute"] / ctx.results["floor"]
    ratio_first = ctx.results["recompute_first"] / ctx.results["floor_first"]
    print(
        f"recompute / floor: {ratio:.2f}x (first run {ratio_first:.2f}x); target within 4x "
        f"and under 0.3 s: recompute {ctx.results['recompute'] * 1000:.0f} ms"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")


if __name__ == "__main__":
    main()
