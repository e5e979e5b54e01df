"""Performance's integrity checks (spec 002 monitoring; registered at ``ready()``).

- ``pending_certifications``: pending certifications of a lecture whose ``student_performance``
  policy blocks a campaign now (an open campaign's registration-phase policy, a closed
  campaign's finalization-phase policy); alert the lecture's staff.
- ``stale_certifications``: the share of a lecture's certifications that are stale (the same
  definition as ``selectors.is_stale``, ``notifications.stale_certifications``), above 10 %;
  alert the lecture's staff (only a person can re-certify).
- ``record_age``: hours since the oldest record of a lecture with open grading was computed,
  above 48 h; the repair asks for a recompute (``recompute.request_recompute``, the same
  request the staff's "recompute now" and the hourly beat job make), and the operators hear of
  it: the hourly job should have done it already.

Each check is one to three queries over the whole site.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mampf.integrity import Action, Finding, counted_by_lecture, register_check
from performance import records
from performance.models import Certification, Record
from performance.notifications import stale_certifications as stale_queryset
from performance.policy import KIND, _lecture_ids
from performance.recompute import MAX_RECORD_AGE, request_recompute
from registration.models import Campaign, Policy

STALE_PERCENT = Decimal(10)
CENT = Decimal("0.01")


def _covered_lecture_ids() -> set[int]:
    """Lectures whose pending certifications block a campaign now (one query): an open
    campaign's active student_performance policy checked at registration, or a closed (or
    processing) campaign's policy checked at finalization. A finalization-phase policy of an
    open campaign is not counted: admission is decided at the end of the term, and pending
    until then is the normal course (the demo's exam registration)."""
    registration = [Policy.Phase.REGISTRATION, Policy.Phase.BOTH]
    finalization = [Policy.Phase.FINALIZATION, Policy.Phase.BOTH]
    policies = (
        Policy.objects.filter(kind=KIND, active=True)
        .filter(
            Q(campaign__status=Campaign.Status.OPEN, phase__in=registration)
            | Q(
                campaign__status__in=[Campaign.Status.CLOSED, Campaign.Status.PROCESSING],
                phase__in=finalization,
            )
        )
        .select_related("campaign")
    )
    return {pk for policy in policies for pk in _lecture_ids(policy)}


def pending_certifications() -> list[Finding]:
    """Pending certifications of lectures that an open campaign's policy reads (two queries)."""
    lecture_ids = _covered_lecture_ids()
    if not lecture_ids:
        return []
    rows = (
        Certification.objects.filter(
            lecture_id__in=sorted(lecture_ids), status=Certification.Status.PENDING
        )
        .order_by("pk")
        .values_list("lecture_id", "pk")
    )
    return counted_by_lecture(rows)


def stale_certifications() -> list[Finding]:
    """Per lecture the percentage of its certifications that are stale (two queries)."""
    stale: dict = defaultdict(list)
    for lecture_id, pk in (
        stale_queryset(lecture_id=None).order_by("pk").values_list("lecture_id", "pk")
    ):
        stale[lecture_id].append(pk)
    if not stale:
        return []
    totals = dict(
        Certification.objects.filter(lecture_id__in=sorted(stale))
        .order_by()
        .values("lecture_id")
        .annotate(n=Count("pk"))
        .values_list("lecture_id", "n")
    )
    return [
        Finding(
            lecture_id=lecture_id,
            value=(Decimal(100) * len(ids) / totals[lecture_id]).quantize(CENT, ROUND_HALF_UP),
            ids=tuple(ids),
        )
        for lecture_id, ids in stale.items()
    ]


def record_age(*, now=None) -> list[Finding]:
    """Per lecture with open grading, the age in hours of its oldest record (one query)."""
    now = now or timezone.now()
    rows = (
        Record.objects.filter(lecture__in=records.open_grading_lectures())
        .order_by()
        .values("lecture_id")
        .annotate(oldest=Min("computed_at"))
        .values_list("lecture_id", "oldest")
    )
    findings = []
    for lecture_id, oldest in rows:
        hours = Decimal((now - oldest).total_seconds()) / 3600
        findings.append(
            Finding(
                lecture_id=lecture_id,
                value=hours.quantize(Decimal("0.1"), ROUND_HALF_UP),
                ids=(lecture_id,),
            )
        )
    return [f for f in findings if f.value > 0]


def recompute_old_records(findings: list[Finding]) -> int:
    """The repair of ``record_age``: request a recompute of those lectures now."""
    return len(
        request_recompute(lecture_ids=[f.lecture_id for f in findings], countdown=0, force=True)
    )


def certification_links(ids) -> dict:
    rows = Certification.objects.filter(pk__in=list(ids)).values_list("pk", "lecture_id", "user_id")
    return {pk: reverse("performance:student", args=[lecture, user]) for pk, lecture, user in rows}


def record_links(ids) -> dict:
    return {pk: reverse("performance:records_status", args=[pk]) for pk in ids}


def register() -> None:
    register_check(
        "pending_certifications",
        label=_("Pending certifications while a campaign with an admission rule needs them"),
        interval=timedelta(hours=1),
        threshold=0,
        action=Action.ALERT_STAFF,
        fn=pending_certifications,
        links=certification_links,
        object_label=_("certification"),
    )
    register_check(
        "stale_certifications",
        label=_("Stale certifications (share of a lecture's)"),
        interval=timedelta(days=1),
        threshold=STALE_PERCENT,
        action=Action.ALERT_STAFF,
        fn=stale_certifications,
        unit="percent",
        aggregate="max",
        links=certification_links,
        object_label=_("certification"),
    )
    register_check(
        "record_age",
        label=_("Age of performance records while grading goes on"),
        interval=timedelta(hours=1),
        threshold=Decimal(MAX_RECORD_AGE.total_seconds() / 3600),
        action=Action.RECOMPUTE,
        fn=record_age,
        unit="hours",
        aggregate="max",
        repair=recompute_old_records,
        links=record_links,
        object_label=_("lecture"),
    )
