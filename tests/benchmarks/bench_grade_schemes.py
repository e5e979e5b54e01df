"""Grade-scheme benchmark on PostgreSQL: apply a scheme to 2,000 exam participations, re-apply
after 100 students' points changed, and render the distribution page for 2,000 candidates.
Prints wall times and query counts; targets: apply under 0.3 s with a query count that does not
grow with the number of candidates (the script also runs a 10x smaller exam to compare), and the
page in a bounded number of queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_bench_schemes \
        python tests/benchmarks/bench_grade_schemes.py [--candidates 2000] [--tasks 6]
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mampf_bench_schemes")
os.environ["DJANGO_SETTINGS_MODULE"] = "mampf.settings"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["EMAIL_URL"] = "dummy://"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from tests.benchmarks.bench_allocation import ensure_database  # noqa: E402

APPLY_TARGET = 0.3
PAGE_QUERY_LIMIT = 15


def build(n: int, n_tasks: int, tag: str):
    """An exam assessment with tasks and ``n`` reviewed candidates (setup only, in bulk)."""
    from decimal import Decimal

    from django.db import transaction

    from assessment.models import Assessment, Participation, Task, TaskPoint
    from mampf.models import Exam, Lecture, Term, User

    with transaction.atomic():
        old = list(
            Participation.objects.filter(
                assessment__lecture__title=f"Bench schemes {tag}"
            ).values_list("pk", flat=True)
        )
        TaskPoint.objects.filter(participation_id__in=old).delete()
        Assessment.objects.filter(lecture__title=f"Bench schemes {tag}").delete()
        Lecture.objects.filter(title=f"Bench schemes {tag}").delete()
        User.objects.filter(email__startswith=f"bench-schemes-{tag}-").delete()
        term, _ = Term.objects.get_or_create(season="WS", year=2032)
        teacher = User.objects.create(
            email=f"bench-schemes-{tag}-teacher@example.org", name="Teacher", is_staff=False
        )
        lecture = Lecture.objects.create(term=term, title=f"Bench schemes {tag}", teacher=teacher)
        exam = Exam.objects.create(lecture=lecture, title=f"Exam {tag}", capacity=n + 10)
        assessment = Assessment.objects.create(
            lecture=lecture, kind="exam", title=f"Bench exam {tag}", exam=exam
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
                    email=f"bench-schemes-{tag}-{i}@example.org",
                    name=f"Candidate {i:05d}",
                    matriculation_number=f"{tag}{i:06d}",
                )
                for i in range(n)
            ]
        )
        spread = random.Random(n)
        points = {
            u.pk: [Decimal(spread.randint(0, 20)) / 2 for _j in range(n_tasks)] for u in users
        }
        rows = Participation.objects.bulk_create(
            [
                Participation(assessment=assessment, user=u, points_total=sum(points[u.pk]))
                for u in users
            ]
        )
        TaskPoint.objects.bulk_create(
            [
                TaskPoint(participation=row, task=task, points=points[row.user_id][j])
                for row in rows
                for j, task in enumerate(tasks)
            ]
        )
        Participation.objects.filter(assessment=assessment).update(status="reviewed")
        # a few absent and pending rows, as in a real exam
        Participation.objects.filter(pk__in=[r.pk for r in rows[:: max(n // 20, 1)]]).update(
            status="absent", points_total=0
        )
    return teacher, assessment, tasks, rows


def analyze():
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
    print(f"{label:<62} {elapsed:7.3f} s  {len(queries.captured_queries):5d} queries")
    return elapsed, len(queries.captured_queries), result


def change_points(assessment, tasks, rows, count: int):
    """Setup: ``count`` reviewed candidates get 5 more points on task 1 (in bulk)."""
    from django.db.models import F

    from assessment.models import Participation, TaskPoint

    ids = list(
        Participation.objects.filter(assessment=assessment, status="reviewed")
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    TaskPoint.objects.filter(participation_id__in=ids, task=tasks[0]).update(points=F("points") + 5)
    Participation.objects.filter(pk__in=ids).update(points_total=F("points_total") + 5)
    return ids


def bench(n: int, n_tasks: int, *, mc: bool = False) -> dict:
    """With ``mc`` the last task is the exam's multiple-choice part (ÄApprO, weight 0.3, every
    tenth candidate a repeat attempt): two-stage grades and their stored outcomes."""
    from django.test import Client
    from django.urls import reverse

    from assessment.models import Participation
    from grade_schemes import mc_config, services

    teacher, assessment, tasks, rows = build(n, n_tasks, f"{'m' if mc else 'c'}{n}")
    maximum = 10 * n_tasks
    if mc:
        Participation.objects.filter(pk__in=[r.pk for r in rows[::10]]).update(
            first_attempt=False
        )
        mc_config.configure_mc(
            assessment=assessment, task=tasks[-1], by=teacher, weight="0.3", rule="aeappro"
        )
        maximum = 10 * (n_tasks - 1)
    bands = services.generate_bands(
        passing_points=maximum * 4 // 10, excellence_points=maximum * 9 // 10
    )
    scheme = services.create_scheme(assessment=assessment, bands=bands, by=teacher)
    analyze()
    label = " (MC exam)" if mc else ""
    t_apply, q_apply, changed = timed(
        f"apply_scheme{label}: {n} candidates",
        lambda: services.apply_scheme(scheme=scheme, by=teacher),
    )
    assert changed == n, changed
    change_points(assessment, tasks, rows, 100 if n >= 1000 else 10)
    t_reapply, q_reapply, rechanged = timed(
        f"apply_scheme{label} again after changed points: {n} candidates",
        lambda: services.apply_scheme(scheme=scheme, by=teacher),
    )
    t_noop, q_noop, nothing = timed(
        f"apply_scheme{label} a third time (no change): {n} candidates",
        lambda: services.apply_scheme(scheme=scheme, by=teacher),
    )
    assert nothing == 0
    client = Client()
    client.force_login(teacher)
    url = reverse("grade_schemes:distribution", args=[assessment.pk])
    client.get(url, secure=True)  # warm-up
    t_page, q_page, response = timed(
        f"distribution page: {n} candidates", lambda: client.get(url, secure=True)
    )
    assert response.status_code == 200, response.status_code
    return {
        "apply": (t_apply, q_apply),
        "reapply": (t_reapply, q_reapply, rechanged),
        "noop": (t_noop, q_noop),
        "page": (t_page, q_page),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="200 candidates only")
    args = parser.parse_args()
    if args.quick:
        args.candidates = 200
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # the manifest storage
    small = bench(max(args.candidates // 10, 1), args.tasks)
    large = bench(args.candidates, args.tasks)
    mc_small = bench(max(args.candidates // 10, 1), args.tasks, mc=True)
    mc_large = bench(args.candidates, args.tasks, mc=True)
    print(
        f"apply: {large['apply'][0]:.3f} s, re-apply ({large['reapply'][2]} grades changed): "
        f"{large['reapply'][0]:.3f} s (target < {APPLY_TARGET} s); queries "
        f"{small['apply'][1]} / {large['apply'][1]} (apply), {small['reapply'][1]} / "
        f"{large['reapply'][1]} (re-apply) for {args.candidates // 10} / {args.candidates} "
        f"candidates; page {large['page'][0]:.3f} s in {large['page'][1]} queries"
    )
    print(
        f"MC exam: apply {mc_large['apply'][0]:.3f} s, re-apply {mc_large['reapply'][0]:.3f} s; "
        f"queries {mc_small['apply'][1]} / {mc_large['apply'][1]} (apply), "
        f"{mc_small['reapply'][1]} / {mc_large['reapply'][1]} (re-apply)"
    )
    failures = []
    if (
        mc_large["apply"][1] != mc_small["apply"][1]
        or mc_large["reapply"][1] != mc_small["reapply"][1]
    ):
        failures.append("the MC exam's apply query count grows with the number of candidates")
    if max(mc_large["apply"][0], mc_large["reapply"][0]) > APPLY_TARGET:
        # The 0.3 s target is for a scheme; an MC exam also grades its MC part in two
        # stages and stores every outcome. Reported, not failed.
        print(f"note: the MC exam's apply is above the scheme target of {APPLY_TARGET} s")
    if large["apply"][1] != small["apply"][1] or large["reapply"][1] != small["reapply"][1]:
        failures.append("the apply query count grows with the number of candidates")
    if max(large["apply"][0], large["reapply"][0]) > APPLY_TARGET:
        failures.append(f"apply takes longer than {APPLY_TARGET} s")
    if large["page"][1] > PAGE_QUERY_LIMIT or large["page"][1] != small["page"][1]:
        failures.append("the distribution page's query count is not bounded")
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))


if __name__ == "__main__":
    main()
