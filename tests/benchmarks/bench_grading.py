"""Grading benchmark on PostgreSQL: a grading sheet of 1,500 students x 8 tasks imported in one
go (``assessment.sheets.import_sheet``), against entering the same points row by row through
``assessment.services.enter_points``. Prints wall times and query counts; the target for the
import is under 1 s with a query count that does not grow with the number of students (the
script also imports a 10x smaller sheet to compare).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_sheets \
        python tests/benchmarks/bench_grading.py [--students 1500] [--tasks 8] \
        [--repeat 5] [--skip-rows]

``--repeat N`` imports the big sheet N times (each on freshly built rows) and reports the
median; ``--skip-rows`` leaves out the row-by-row comparison (about 10 s).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mampf_sheets")
os.environ["DJANGO_SETTINGS_MODULE"] = "mampf.settings"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["EMAIL_URL"] = "dummy://"

from tests.benchmarks.bench_allocation import ensure_database  # noqa: E402


def build(n_students: int, n_tasks: int, tag: str):
    """An assignment past its deadline with tasks and pending participations (setup only)."""
    import datetime
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from assessment.models import Assessment, Participation, Task, TaskPoint
    from mampf.models import Lecture, Term, User

    with transaction.atomic():
        # By participation ids (the leading column of TaskPoint's unique index): a join-delete
        # on the whole task-point table took minutes once it had grown.
        old_rows = list(
            Participation.objects.filter(
                assessment__lecture__title=f"Bench grading {tag}"
            ).values_list("pk", flat=True)
        )
        TaskPoint.objects.filter(participation_id__in=old_rows).delete()
        Lecture.objects.filter(title=f"Bench grading {tag}").delete()
        User.objects.filter(email__startswith=f"bench-grading-{tag}-").delete()
        term, _ = Term.objects.get_or_create(season="WS", year=2031)
        teacher = User.objects.create(email=f"bench-grading-{tag}-teacher@example.org", name="T")
        lecture = Lecture.objects.create(term=term, title=f"Bench grading {tag}", teacher=teacher)
        assessment = Assessment.objects.create(
            lecture=lecture,
            kind="assignment",
            title=f"Bench sheet {tag}",
            deadline=timezone.now() - datetime.timedelta(days=1),
        )
        tasks = Task.objects.bulk_create(
            [
                Task(assessment=assessment, position=i + 1, title=f"P{i + 1}", max_points=10)
                for i in range(n_tasks)
            ]
        )
        users = User.objects.bulk_create(
            [
                User(
                    email=f"bench-grading-{tag}-{i}@example.org",
                    name=f"Student {i:05d}",
                    matriculation_number=f"{tag}{i:06d}",
                )
                for i in range(n_students)
            ]
        )
        Participation.objects.bulk_create(
            [Participation(assessment=assessment, user=u) for u in users]
        )
    points = {u.pk: [Decimal((u.pk + j) % 21) / 2 for j in range(n_tasks)] for u in users}
    return teacher, assessment, tasks, users, points


def analyze():
    """``VACUUM ANALYZE`` of the tables every run churns, then ``ANALYZE``.

    The benchmark database runs without autovacuum (as this machine's PostgreSQL is set up);
    each run deletes the previous run's rows, so without a vacuum the dead rows pile up
    (130 MB of task points for 25,000 live rows after some forty runs), the planner reads the
    existing points with a sequential scan of the whole bloated table, and the timings drift
    upwards from run to run. Production runs autovacuum."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "assessment_taskpoint",
            "assessment_gradechange",
            "assessment_participation",
            "mampf_user",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")


def timed(label: str, func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        func()
        elapsed = time.perf_counter() - started
    print(f"{label:<58} {elapsed:7.3f} s  {len(queries.captured_queries):6d} queries")
    return elapsed, len(queries.captured_queries)


def bench_import(n_students: int, n_tasks: int) -> tuple[float, int]:
    from assessment import sheets

    teacher, assessment, _tasks, users, points = build(n_students, n_tasks, f"imp{n_students}")
    header, _body = sheets.sheet_table(assessment=assessment)
    rows = [header] + [
        [
            u.matriculation_number,
            u.name,
            "",
            *[str(p).replace(".", ",") for p in points[u.pk]],
            str(u.pk),
        ]
        for u in users
    ]
    analyze()
    result = timed(
        f"import_sheet: {n_students} students x {n_tasks} tasks",
        lambda: sheets.import_sheet(assessment=assessment, rows=rows, by=teacher),
    )
    from assessment.models import Participation

    assert Participation.objects.filter(assessment=assessment, status="reviewed").count() == len(
        users
    )
    return result


def bench_rows(n_students: int, n_tasks: int) -> tuple[float, int]:
    from assessment.models import Participation
    from assessment.services import enter_points

    teacher, assessment, tasks, users, points = build(n_students, n_tasks, f"row{n_students}")
    rows = {p.user_id: p for p in Participation.objects.filter(assessment=assessment)}
    analyze()

    def run():
        for u in users:
            enter_points(
                participation=rows[u.pk],
                points=dict(zip(tasks, points[u.pk], strict=True)),
                by=teacher,
            )

    return timed(f"enter_points row by row: {n_students} students x {n_tasks} tasks", run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=1500)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="150 students only")
    parser.add_argument("--repeat", type=int, default=1, help="imports of the big sheet")
    parser.add_argument("--skip-rows", action="store_true", help="no row-by-row comparison")
    args = parser.parse_args()
    if args.quick:
        args.students = 150
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    small = max(args.students // 10, 1)
    _t_small, q_small = bench_import(small, args.tasks)
    runs = [bench_import(args.students, args.tasks) for _ in range(max(args.repeat, 1))]
    t_import = statistics.median(t for t, _q in runs)
    q_import = runs[-1][1]
    if not args.skip_rows:
        bench_rows(args.students, args.tasks)
    print(
        f"import: {t_import:.3f} s (median of {len(runs)}; target < 1 s); queries {q_small} "
        f"for {small} students, {q_import} for {args.students} (must not grow)"
    )
    if q_import != q_small:
        sys.exit("FAIL: the import's query count grows with the number of students")


if __name__ == "__main__":
    main()
