"""Telling people about certifications: the staff's stale digest, the students' decision mail and
the "out of date" banner on the lecture's pages (issue 9 item 7).

Rules:
- staleness is derived, never stored (``performance.selectors``); ``stale_certifications`` is
  the same definition as one SQL query (a count for the banner, no rows loaded), and a test keeps
  the two in step. A recompute that changes no figure keeps the fingerprint, so nothing turns
  stale and nobody is told anything;
- the digest: when a recompute changed figures (``performance.signals.records_changed``) and at
  least one of those students' certifications is now stale, the lecture's teacher and editors
  get ONE e-mail with the number of out-of-date certifications and a link to the certification
  dashboard; at most one per lecture within ``settings.PERFORMANCE_STALE_DIGEST_HOURS``. The
  interval is claimed with a conditional ``UPDATE`` of ``LectureState.stale_digest_sent_at``
  ("set it to now where it is empty or older than the interval"): of two workers running at
  once exactly one updates the row, the other sees no row updated and sends nothing. Changes
  inside the interval send nothing more; the banner shows the count meanwhile, and the next
  grading change after the interval sends the next digest;
- the students: a student hears once when their certification is first decided (passed or
  failed; pending is no decision) and again only when the decided status changes
  (``Certification.student_notified_status`` remembers what they were told; re-accepting the
  same status sends nothing, and a pending step in between is not told). The rows are locked
  (ascending pk) before they are compared and marked, so two workers never mail twice;
- mail goes through ``mampf.tasks.notify_users``: written in the recipient's language at send
  time, with an absolute link from ``SITE_URL``, queued on commit;
- the signal receivers only enqueue the Celery tasks (``performance.tasks``), which call the
  services here; the tasks take primary keys and are idempotent.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from mampf.banners import Banner
from mampf.db import lock_rows, translate_db_errors
from mampf.models import Lecture, User
from mampf.tasks import notify_users
from performance.models import Certification, LectureState, Record, Rule

DECIDED = (Certification.Status.PASSED, Certification.Status.FAILED)


# -- staleness as one query ----------------------------------------------------------------------


def stale_certifications(*, lecture_id: int | None, user_ids=None) -> QuerySet:
    """The lecture's stale certifications as a queryset (``.count()`` is one query);
    ``lecture_id=None``: every lecture's (the integrity monitor).

    The same definition as ``performance.selectors.is_stale``: not carried over, and the record's
    current fingerprint differs from the one decided on (a missing record counts as ``""``), or
    the active rule is another rule than the one decided under, or the same rule in another
    version.
    """
    # ``order_by()``: the default orderings would join lecture, term and user into every lookup
    # (one row each by the unique constraints anyway).
    current = (
        Record.objects.filter(lecture_id=OuterRef("lecture_id"), user_id=OuterRef("user_id"))
        .order_by()
        .values("fingerprint")[:1]
    )
    active = Rule.objects.filter(lecture_id=OuterRef("lecture_id"), is_active=True).order_by()
    certifications = Certification.objects.all()
    if lecture_id is not None:
        certifications = certifications.filter(lecture_id=lecture_id)
    queryset = (
        certifications.exclude(source=Certification.Source.CARRIED_OVER)
        .annotate(
            fingerprint_now=Coalesce(Subquery(current), Value("")),
            rule_now=Coalesce(Subquery(active.values("pk")[:1]), Value(0)),
            version_now=Coalesce(Subquery(active.values("version")[:1]), Value(0)),
            rule_then=Coalesce("rule_id", Value(0)),
            version_then=Coalesce("rule_version", Value(0)),
        )
        .filter(
            ~Q(record_fingerprint=F("fingerprint_now"))
            | ~Q(rule_then=F("rule_now"))
            | (Q(rule_now__gt=0) & ~Q(version_then=F("version_now")))
        )
    )
    if user_ids is not None:
        queryset = queryset.filter(user_id__in=list(user_ids))
    return queryset


def stale_count(*, lecture_id: int) -> int:
    """How many of the lecture's certifications are stale (one query)."""
    return stale_certifications(lecture_id=lecture_id).count()


# -- the banner on every page of the lecture -----------------------------------------------------


def stale_banner(request, lecture: Lecture) -> Banner | None:
    """For ``mampf.banners`` (staff only, checked there): "N certifications are out of date",
    linking to the certification dashboard. One query."""
    count = stale_count(lecture_id=lecture.pk)
    if not count:
        return None
    return Banner(
        message=ngettext(
            "%(count)s exam admission decision is out of date: grades or the rule changed "
            "since it was made.",
            "%(count)s exam admission decisions are out of date: grades or the rule changed "
            "since they were made.",
            count,
        )
        % {"count": count},
        link_url=reverse("performance:dashboard", args=[lecture.pk]),
        link_text=_("Review the certifications"),
        level="warning",
    )


# -- the staff's digest ---------------------------------------------------------------------------

DIGEST_SUBJECT = gettext_noop("%(lecture)s: exam admission decisions are out of date")
DIGEST_BODY = gettext_noop(
    "grading changes have made exam admission decisions of %(lecture)s out of date. "
    "Out-of-date certifications now: %(count)s. Please review and re-certify them on the "
    "certification page; until then the exam registration cannot rely on them."
)


def digest_interval() -> datetime.timedelta:
    return datetime.timedelta(hours=float(settings.PERFORMANCE_STALE_DIGEST_HOURS))


def claim_stale_digest(*, lecture_id: int, now: datetime.datetime) -> bool:
    """Take the lecture's digest slot: True for exactly one caller per interval.

    One conditional ``UPDATE``; two workers at once cannot both see the old value (PostgreSQL
    re-checks the condition after waiting for the other's row lock; SQLite serializes writers).
    """
    LectureState.objects.bulk_create([LectureState(lecture_id=lecture_id)], ignore_conflicts=True)
    due = Q(stale_digest_sent_at__isnull=True) | Q(
        stale_digest_sent_at__lte=now - digest_interval()
    )
    return bool(
        LectureState.objects.filter(Q(pk=lecture_id) & due).update(stale_digest_sent_at=now)
    )


def lecture_staff(lecture: Lecture) -> list[User]:
    """The lecture's teacher and editors (active, with an address); one query."""
    return list(
        User.objects.filter(Q(pk=lecture.teacher_id) | Q(edited_lectures=lecture))
        .filter(is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


@translate_db_errors
def send_stale_digest(*, lecture_id: int, user_ids, now: datetime.datetime | None = None) -> int:
    """Mail the lecture's staff that certifications became stale, at most once per interval.

    ``user_ids`` are the students whose figures just changed; nothing is sent unless one of
    their certifications is stale now. Returns how many e-mails were queued (0 when nothing
    became stale, the interval's digest was already sent, or the lecture is gone).
    """
    user_ids = sorted({int(pk) for pk in user_ids or ()})
    if not user_ids:
        return 0
    if not stale_certifications(lecture_id=lecture_id, user_ids=user_ids).exists():
        return 0
    lecture = Lecture.objects.filter(pk=lecture_id).first()
    if lecture is None:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        if not claim_stale_digest(lecture_id=lecture_id, now=now):
            return 0
        return notify_users(
            users=lecture_staff(lecture),
            subject=DIGEST_SUBJECT,
            body=DIGEST_BODY,
            path=reverse("performance:dashboard", args=[lecture_id]),
            params={"lecture": lecture.title, "count": stale_count(lecture_id=lecture_id)},
        )


# -- the students' decision mail ------------------------------------------------------------------

DECISION_SUBJECT = gettext_noop("%(lecture)s: your exam admission")
DECISION_BODIES = {
    # (first time told, status) -> body
    (True, "passed"): gettext_noop(
        "your exam admission for %(lecture)s has been decided: you are admitted to the exams "
        "of this lecture. The page below shows your points and the rule."
    ),
    (True, "failed"): gettext_noop(
        "your exam admission for %(lecture)s has been decided: you are not admitted to the "
        "exams of this lecture. The page below shows your points, the rule and why. If you "
        "think this is a mistake, please contact the lecture's teacher."
    ),
    (False, "passed"): gettext_noop(
        "your exam admission for %(lecture)s has changed: you are now admitted to the exams "
        "of this lecture. The page below shows your points and the rule."
    ),
    (False, "failed"): gettext_noop(
        "your exam admission for %(lecture)s has changed: you are no longer admitted to the "
        "exams of this lecture. The page below shows your points, the rule and why. If you "
        "think this is a mistake, please contact the lecture's teacher."
    ),
}


@translate_db_errors
def notify_students_of_decisions(*, lecture_id: int, user_ids) -> int:
    """Tell these students about their certification if it is decided (passed or failed) and
    differs from what they were last told; remember what they were told. Idempotent: a second
    run (or a second worker) finds nothing to tell. Returns how many e-mails were queued."""
    user_ids = sorted({int(pk) for pk in user_ids or ()})
    if not user_ids:
        return 0
    lecture = Lecture.objects.filter(pk=lecture_id).first()
    if lecture is None:
        return 0
    candidates = (
        Certification.objects.filter(
            lecture_id=lecture_id, user_id__in=user_ids, status__in=DECIDED
        )
        .exclude(student_notified_status=F("status"))
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        rows = lock_rows(Certification, list(candidates))
        tell = [
            row
            for row in rows
            if row.status in DECIDED and row.student_notified_status != row.status
        ]
        if not tell:
            return 0
        groups: dict[tuple[bool, str], list[int]] = {}
        for row in tell:
            first = not row.student_notified_status
            groups.setdefault((first, row.status), []).append(row.user_id)
        for status in DECIDED:
            ids = [row.pk for row in tell if row.status == status]
            if ids:
                Certification.objects.filter(pk__in=ids).update(student_notified_status=status)
        users = User.objects.in_bulk([row.user_id for row in tell])
        path = reverse("performance:my_performance", args=[lecture_id])
        queued = 0
        for key, ids in sorted(groups.items()):
            queued += notify_users(
                users=[users[pk] for pk in ids if pk in users],
                subject=DECISION_SUBJECT,
                body=DECISION_BODIES[key],
                path=path,
                params={"lecture": lecture.title},
            )
        return queued


# -- wiring (called from PerformanceConfig.ready) -------------------------------------------------


def on_records_changed(sender=None, *, lecture_id, user_ids, **kwargs) -> None:
    """``records_changed`` receiver: queue the digest check (the signal is sent on commit)."""
    if not user_ids:
        return
    from performance import tasks

    tasks.send_stale_digest.delay_on_commit(
        lecture_id=int(lecture_id), user_ids=sorted({int(pk) for pk in user_ids})
    )


def on_certifications_changed(sender=None, *, lecture_id, user_ids, **kwargs) -> None:
    """``certifications_changed`` receiver: queue the students' decision mail."""
    if not user_ids:
        return
    from performance import tasks

    tasks.notify_certified_students.delay_on_commit(
        lecture_id=int(lecture_id), user_ids=sorted({int(pk) for pk in user_ids})
    )


def connect() -> None:
    from mampf.banners import register_lecture_banner
    from performance import signals

    signals.records_changed.connect(on_records_changed, dispatch_uid="performance.stale_digest")
    signals.certifications_changed.connect(
        on_certifications_changed, dispatch_uid="performance.student_decision_mail"
    )
    register_lecture_banner(stale_banner, name="performance.stale")
