"""Remediation benchmark on PostgreSQL (issue 11 "Speed"): 20,000 answer sheets x 40 questions,
one batch that replaces a key (apply), its revert, then the preview of a new draft batch.
Prints wall times and query counts; targets: apply and revert each under 1.5 s, the preview
under 1 s, with query counts that do not grow with the number of sheets (the script also runs
a 10x smaller evaluation to compare). ``--exam`` attaches the evaluation to an exam's MC task,
so apply and revert also move 20,000 task points, totals and audit rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mampf_bench_remediation \
        python tests/benchmarks/bench_remediation.py [--sheets 20000] [--questions 40] [--exam]
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mampf_bench_remediation")
os.environ["DJANGO_SETTINGS_MODULE"] = "mampf.settings"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["EMAIL_URL"] = "dummy://"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from tests.benchmarks.bench_allocation import ensure_database  # noqa: E402

APPLY_TARGET = 1.5
PREVIEW_TARGET = 1.0
OPTIONS = ["A", "B", "C", "D"]


def build(n: int, n_questions: int, tag: str, *, exam: bool):
    """An evaluation with one version of ``n_questions`` and ``n`` scored sheets (setup only,
    in bulk: sheets, their initial history rows, and with ``exam`` the MC task points)."""

    from django.db import transaction
    from django.utils import timezone

    from assessment.models import Assessment, Participation, Task, TaskPoint
    from mampf.models import Exam, Lecture, Term, User
    from remediation import engine
    from remediation.models import (
        AnswerSheet,
        CorrectionBatch,
        Evaluation,
        EvaluationVersion,
        QuestionVersion,
        ScoreHistory,
    )
    from remediation.selectors import questions_of

    title = f"Bench remediation {tag}"
    with transaction.atomic():
        ScoreHistory.objects.filter(sheet__evaluation__lecture__title=title).delete()
        CorrectionBatch.objects.filter(
            evaluation__lecture__title=title, reverts__isnull=False
        ).delete()
        CorrectionBatch.objects.filter(evaluation__lecture__title=title).delete()
        AnswerSheet.objects.filter(evaluation__lecture__title=title).delete()
        Evaluation.objects.filter(lecture__title=title).delete()
        old = list(
            Participation.objects.filter(assessment__lecture__title=title).values_list(
                "pk", flat=True
            )
        )
        TaskPoint.objects.filter(participation_id__in=old).delete()
        Assessment.objects.filter(lecture__title=title).delete()
        Lecture.objects.filter(title=title).delete()
        User.objects.filter(email__startswith=f"bench-remed-{tag}-").delete()
        term, _ = Term.objects.get_or_create(season="WS", year=2033)
        teacher = User.objects.create(email=f"bench-remed-{tag}-teacher@example.org", name="T")
        lecture = Lecture.objects.create(term=term, title=title, teacher=teacher)
        task = None
        if exam:
            exam_row = Exam.objects.create(lecture=lecture, title=f"Exam {tag}", capacity=n + 10)
            assessment = Assessment.objects.create(
                lecture=lecture, kind="exam", title=f"Exam {tag}", exam=exam_row
            )
            task = Task.objects.create(
                assessment=assessment, position=1, title="MC", max_points=n_questions
            )
        evaluation = Evaluation.objects.create(lecture=lecture, title=f"MC {tag}", task=task)
        version = EvaluationVersion.objects.create(evaluation=evaluation, label="A")
        QuestionVersion.objects.bulk_create(
            QuestionVersion(version=version, position=p, options=OPTIONS, key=["A"], points=1)
            for p in range(1, n_questions + 1)
        )
        users = User.objects.bulk_create(
            User(
                email=f"bench-remed-{tag}-{i}@example.org",
                name=f"Candidate {i:05d}",
                matriculation_number=f"{tag}{i:06d}",
            )
            for i in range(n)
        )
        questions = questions_of(version_ids=[version.pk])[version.pk]
        rules = engine.fold({q.id: q for q in questions}, [])
        spread = random.Random(n)
        sheets = []
        for user in users:
            # A sheet answers "A" with 60 %, else one of the distractors (or nothing).
            answers = {
                str(p): (
                    ["A"] if spread.random() < 0.6 else spread.choice([[], ["B"], ["C"], ["D"]])
                )
                for p in range(1, n_questions + 1)
            }
            score, maximum = engine.score(answers, questions, rules)
            sheets.append(
                AnswerSheet(
                    evaluation=evaluation,
                    version=version,
                    user=user,
                    attempt=1,
                    answers=answers,
                    score=score,
                    max_score=maximum,
                )
            )
        sheets = AnswerSheet.objects.bulk_create(sheets, batch_size=2000)
        now = timezone.now()
        ScoreHistory.objects.bulk_create(
            (ScoreHistory(sheet=s, score=s.score, max_score=s.max_score, at=now) for s in sheets),
            batch_size=5000,
        )
        if exam:
            rows = Participation.objects.bulk_create(
                Participation(
                    assessment=assessment, user=u, status="reviewed", points_total=s.score
                )
                for u, s in zip(users, sheets, strict=True)
            )
            TaskPoint.objects.bulk_create(
                (
                    TaskPoint(participation=r, task=task, points=s.score)
                    for r, s in zip(rows, sheets, strict=True)
                ),
                batch_size=5000,
            )
    return teacher, evaluation, version


def analyze():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def timed(label: str, func):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    print(f"{label:<58} {elapsed:7.3f} s  {len(queries.captured_queries):5d} queries")
    return elapsed, len(queries.captured_queries), result


def bench(n: int, n_questions: int, *, exam: bool) -> dict:
    from remediation import services
    from remediation.models import AnswerSheet

    teacher, evaluation, version = build(n, n_questions, f"s{n}", exam=exam)
    question = version.questions.get(position=1)
    before = list(
        AnswerSheet.objects.filter(evaluation=evaluation)
        .order_by("pk")
        .values_list("score", flat=True)
    )
    analyze()
    batch = services.create_batch(
        evaluation=evaluation,
        reason="key of question 1 is B",
        corrections=[{"kind": "replace_key", "question_version": question.pk, "options": ["B"]}],
        by=teacher,
    )
    t_apply, q_apply, _ = timed(
        f"apply replace_key: {n} sheets", lambda: services.apply_batch(batch=batch, by=teacher)
    )
    t_revert, q_revert, _ = timed(
        f"revert: {n} sheets",
        lambda: services.revert_batch(batch=batch, by=teacher, reason="the key was right"),
    )
    after = list(
        AnswerSheet.objects.filter(evaluation=evaluation)
        .order_by("pk")
        .values_list("score", flat=True)
    )
    assert after == before, "the revert did not restore the scores"
    draft = services.create_batch(
        evaluation=evaluation,
        reason="drop question 1",
        corrections=[{"kind": "drop_item", "question_version": question.pk}],
        by=teacher,
    )
    t_preview, q_preview, preview = timed(
        f"preview drop_item: {n} sheets", lambda: services.preview_batch(batch=draft)
    )
    assert preview.submissions_affected == n
    return {
        "apply": (t_apply, q_apply),
        "revert": (t_revert, q_revert),
        "preview": (t_preview, q_preview),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sheets", type=int, default=20000)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--exam", action="store_true", help="attach to an exam's MC task")
    parser.add_argument("--quick", action="store_true", help="2,000 sheets only")
    args = parser.parse_args()
    if args.quick:
        args.sheets = 2000
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    small = bench(max(args.sheets // 10, 1), args.questions, exam=args.exam)
    large = bench(args.sheets, args.questions, exam=args.exam)
    print(
        f"{args.sheets} sheets x {args.questions} questions: apply {large['apply'][0]:.3f} s, "
        f"revert {large['revert'][0]:.3f} s (target < {APPLY_TARGET} s), preview "
        f"{large['preview'][0]:.3f} s (target < {PREVIEW_TARGET} s); queries "
        f"{small['apply'][1]} / {large['apply'][1]} (apply), {small['revert'][1]} / "
        f"{large['revert'][1]} (revert), {small['preview'][1]} / {large['preview'][1]} "
        f"(preview) for {args.sheets // 10} / {args.sheets} sheets"
    )
    failures = []
    for name in ("apply", "revert", "preview"):
        if large[name][1] != small[name][1]:
            failures.append(f"the {name} query count grows with the number of sheets")
    if max(large["apply"][0], large["revert"][0]) > APPLY_TARGET:
        failures.append(f"apply or revert takes longer than {APPLY_TARGET} s")
    if large["preview"][0] > PREVIEW_TARGET:
        failures.append(f"the preview takes longer than {PREVIEW_TARGET} s")
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))


if __name__ == "__main__":
    main()
