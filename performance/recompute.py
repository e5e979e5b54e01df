"""Recomputation of a lecture's records after the changes that feed them, coalesced per lecture.

Rules (DOMAIN-NOTES "Performance records and rules", issue 9 item 2):
- every change that feeds a record (``assessment.hooks``, ``rosters.hooks``: points, status,
  submissions, tasks, assignments, achievements, lecture roster) calls ``request_recompute``
  after its commit. It stamps ``LectureState.recompute_requested_at`` only when no request is
  waiting yet (one conditional ``UPDATE``: of two concurrent callers exactly one wins) and only
  then queues ``performance.tasks.recompute_lecture`` with a countdown
  (``PERFORMANCE_RECOMPUTE_DELAY_SECONDS``): every change during the countdown is covered by the
  one waiting request, so grading 500 rows in a minute gives a few recomputes, not 500;
- the task (``run_recompute``) takes the lecture's lock, **claims** the request by
  compare-and-set (``UPDATE ... WHERE recompute_requested_at = <the value it read>``), recomputes
  every record, and runs again while a newer request arrived meanwhile and has already waited
  its countdown (at most ``MAX_ROUNDS``, then it hands over to a fresh task); a younger request
  is left to the task it queued, so grading that goes on during a recompute still coalesces.
  A duplicate or late delivery finds nothing to claim and does nothing;
- the lock is a PostgreSQL session advisory lock per lecture, so two workers never recompute the
  same lecture at once (the second waits, then usually finds the request already served). It is
  not a row lock on ``LectureState``: the hooks' ``UPDATE`` of the request must never wait for a
  running recompute. ``settings.MAMPF_ROW_LOCKS = False`` turns it off (the concurrency test's
  control); SQLite serializes writers by itself;
- a failed recompute puts its request back (the next change or the beat job retries) and keeps
  the error for the staff page; a request older than ``LOST_AFTER`` (a task lost with its broker)
  is stamped again and queued again;
- the beat job (``request_stale_recomputes``) requests a recompute for lectures with open grading
  (an assignment whose results are not published as a whole) whose records are older than
  ``MAX_RECORD_AGE`` or that have roster members without a record, and for lost requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mampf.db import locks_enabled
from mampf.models import Lecture
from performance import records
from performance.models import LectureState, Record
from rosters.models import RosterEntry

MAX_ROUNDS = 3
LOST_AFTER = timedelta(minutes=10)
MAX_RECORD_AGE = timedelta(hours=48)
LOCK_WAIT_SECONDS = 30.0
#: First half of the advisory lock key: "perf" in ASCII, so no other lock collides with it.
LOCK_NAMESPACE = 0x70657266


def recompute_delay() -> int:
    """Seconds a queued recompute waits, so that a burst of changes coalesces into one."""
    return int(getattr(settings, "PERFORMANCE_RECOMPUTE_DELAY_SECONDS", 10))


# -- requests -------------------------------------------------------------------------------------


def request_recompute(
    *, lecture_ids: Iterable[int], countdown: int | None = None, force: bool = False
) -> list[int]:
    """Ask for a recompute of these lectures' records; return the ids a task was queued for.

    A lecture whose request is already waiting gets no second task (the waiting one covers this
    change too) unless ``force`` (the staff's "recompute now"). The task is queued after the
    commit of the caller's transaction, if any. A few queries per lecture, whatever happened.
    """
    wanted = sorted({int(pk) for pk in lecture_ids if pk is not None})
    ids = list(Lecture.objects.filter(pk__in=wanted).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return []
    now = timezone.now()
    LectureState.objects.bulk_create(
        [LectureState(lecture_id=pk) for pk in ids], ignore_conflicts=True
    )
    queued = []
    for lecture_id in ids:
        waiting_or_lost = Q(recompute_requested_at__isnull=True) | Q(
            recompute_requested_at__lt=now - LOST_AFTER
        )
        stamped = (
            LectureState.objects.filter(lecture_id=lecture_id)
            .filter(waiting_or_lost)
            .update(recompute_requested_at=now)
        )
        if stamped or force:
            queued.append(lecture_id)
    delay = 0 if force else (recompute_delay() if countdown is None else countdown)
    for lecture_id in queued:
        transaction.on_commit(_enqueue(lecture_id, delay), robust=True)
    return queued


def _enqueue(lecture_id: int, countdown: int):
    def send() -> None:
        from performance import tasks

        tasks.recompute_lecture.apply_async((lecture_id,), countdown=countdown)

    return send


def records_feed_changed(lecture_ids: list[int]) -> None:
    """The listener ``performance`` registers with ``assessment.hooks`` and ``rosters.hooks``."""
    request_recompute(lecture_ids=lecture_ids)


# -- the claim ------------------------------------------------------------------------------------


def claim_request(*, lecture_id: int, min_age: timedelta | None = None):
    """Take the waiting request by compare-and-set; return its time, or None if there is none,
    it is younger than ``min_age``, or another worker took it first. Marks the recompute as
    started."""
    requested_at = (
        LectureState.objects.filter(lecture_id=lecture_id)
        .values_list("recompute_requested_at", flat=True)
        .first()
    )
    if requested_at is None:
        return None
    if min_age is not None and timezone.now() - requested_at < min_age:
        return None
    taken = LectureState.objects.filter(
        lecture_id=lecture_id, recompute_requested_at=requested_at
    ).update(
        recompute_requested_at=None,
        recompute_started_at=timezone.now(),
        recompute_finished_at=None,
        recompute_error="",
    )
    return requested_at if taken else None


def _finish(lecture_id: int, computed: int) -> None:
    LectureState.objects.filter(lecture_id=lecture_id).update(
        recompute_finished_at=timezone.now(), records_computed=computed, recompute_error=""
    )


def _give_back(lecture_id: int, requested_at, error: str) -> None:
    """A failed recompute: its request waits again (unless a newer one already does)."""
    state = LectureState.objects.filter(lecture_id=lecture_id)
    state.filter(recompute_requested_at__isnull=True).update(recompute_requested_at=requested_at)
    state.update(recompute_finished_at=timezone.now(), recompute_error=error[:2000])


@contextmanager
def lecture_lock(lecture_id: int) -> Iterator[bool]:
    """Hold the lecture's recompute lock (PostgreSQL session advisory lock); yields False when
    it could not be had within ``LOCK_WAIT_SECONDS`` (the holder serves the request)."""
    if connection.vendor != "postgresql" or not locks_enabled():
        yield True
        return
    key = (LOCK_NAMESPACE << 32) | (int(lecture_id) & 0xFFFFFFFF)
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    held = False
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = bool(cursor.fetchone()[0])
            if held or time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@dataclass(frozen=True)
class RunOutcome:
    rounds: int
    computed: int


def run_recompute(*, lecture_id: int) -> RunOutcome:
    """The task's body: under the lecture's lock, claim the waiting request, recompute every
    record, and repeat while a newer request arrived meanwhile and has waited its countdown
    already (a younger one is left to the task it queued, so a burst keeps coalescing). Safe to
    run twice at once and to be delivered twice: a run without a request to claim does
    nothing."""
    lecture = Lecture.objects.filter(pk=lecture_id).first()
    if lecture is None:
        return RunOutcome(rounds=0, computed=0)
    rounds = computed = 0
    with lecture_lock(lecture_id) as held:
        if not held:
            return RunOutcome(rounds=0, computed=0)
        debounce = timedelta(seconds=recompute_delay())
        while rounds < MAX_ROUNDS:
            requested_at = claim_request(
                lecture_id=lecture_id, min_age=debounce if rounds else None
            )
            if requested_at is None:
                break
            try:
                outcome = records.recompute(lecture=lecture)
            except Exception as exc:
                _give_back(lecture_id, requested_at, f"{type(exc).__name__}: {exc}")
                raise
            _finish(lecture_id, outcome.computed)
            rounds += 1
            computed = outcome.computed
        else:
            if LectureState.objects.filter(
                lecture_id=lecture_id, recompute_requested_at__isnull=False
            ).exists():
                transaction.on_commit(_enqueue(lecture_id, recompute_delay()), robust=True)
    return RunOutcome(rounds=rounds, computed=computed)


# -- the staff page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecomputeStatus:
    """What the "recompute now" page shows (``state``: never, queued, running, finished,
    failed)."""

    state: str
    requested_at: object = None
    started_at: object = None
    finished_at: object = None
    records_computed: int = 0
    error: str = ""
    records: int = 0
    oldest_computed_at: object = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


def recompute_status(*, lecture: Lecture) -> RecomputeStatus:
    """The lecture's recompute state and its records' count and age (two queries)."""
    from django.db.models import Count, Min

    figures = Record.objects.filter(lecture=lecture).aggregate(
        records=Count("pk"), oldest=Min("computed_at")
    )
    extra = {"records": figures["records"], "oldest_computed_at": figures["oldest"]}
    state = LectureState.objects.filter(lecture=lecture).first()
    if state is None:
        return RecomputeStatus(state="never", **extra)
    running = state.recompute_started_at is not None and state.recompute_finished_at is None
    if running:
        name = "running"
    elif state.recompute_requested_at is not None:
        name = "queued"
    elif state.recompute_error:
        name = "failed"
    elif state.recompute_finished_at is not None:
        name = "finished"
    else:
        name = "never"
    return RecomputeStatus(
        state=name,
        requested_at=state.recompute_requested_at,
        started_at=state.recompute_started_at,
        finished_at=state.recompute_finished_at,
        records_computed=state.records_computed,
        error=state.recompute_error,
        **extra,
    )


# -- the beat job ---------------------------------------------------------------------------------


def stale_lecture_ids(*, now=None) -> list[int]:
    """Lectures whose records need the periodic recompute: open grading and records older than
    ``MAX_RECORD_AGE`` or roster members without a record; plus lost requests. Two queries."""
    now = now or timezone.now()
    old_records = Record.objects.filter(
        lecture_id=OuterRef("pk"), computed_at__lt=now - MAX_RECORD_AGE
    )
    without_record = RosterEntry.objects.filter(registerable_id=OuterRef("pk")).exclude(
        Exists(
            Record.objects.filter(lecture_id=OuterRef(OuterRef("pk")), user_id=OuterRef("user_id"))
        )
    )
    due = set(
        records.open_grading_lectures()
        .filter(Exists(old_records) | Exists(without_record))
        .values_list("pk", flat=True)
    )
    due.update(
        LectureState.objects.filter(recompute_requested_at__lt=now - LOST_AFTER).values_list(
            "lecture_id", flat=True
        )
    )
    return sorted(due)


def request_stale_recomputes(*, now=None) -> list[int]:
    """The beat job's body: request a recompute of every lecture ``stale_lecture_ids`` names;
    return the ids a task was queued for."""
    return request_recompute(lecture_ids=stale_lecture_ids(now=now), countdown=0)
