"""The integrity monitor's registry (issue 12 item 1; DOMAIN-NOTES "Integrity monitoring").

Each app registers the checks of the data it owns at ``AppConfig.ready()``; the runner, the
stored results, the alerts and the health page live in ``operations`` (the top app), which reads
this registry and imports no check itself. A check measures one invariant of spec 002 in bulk
SQL (one or a few statements whatever the size of the site) and returns one ``Finding`` per
lecture that is not clean; an empty list means green.

Registering a check (for example ``remediation``'s "answer sheet score != latest history row")::

    from mampf.integrity import Action, Finding, register_check

    def sheets_off_history() -> list[Finding]:
        ...  # one SQL statement; group by lecture; ids = the answer sheets
        return [Finding(lecture_id=..., value=Decimal(n), ids=(...))]

    register_check(
        "answer_sheet_score_mismatch",
        label=gettext_lazy("Answer sheet score differs from its latest history row"),
        interval=timedelta(days=1), threshold=Decimal(0), action=Action.REPAIR,
        fn=sheets_off_history, repair=repair_sheets, links=sheet_links,
    )

and add a beat entry ``"integrity-<name>"`` running ``operations.tasks.run_integrity_check``
with ``args=["<name>"]`` at that interval to ``CELERY_BEAT_SCHEDULE`` (a test checks that every
registered check has one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal


class Action:
    """What happens when a finding is over its threshold (besides the alert e-mail)."""

    ALERT_OPERATORS = "alert_operators"  # alert the operators at once
    ALERT_STAFF = "alert_staff"  # alert the lecture's teacher and editors
    RECOUNT = "recount"  # counted again on every run; reported to the lecture's staff
    RECOMPUTE = "recompute"  # ask the owning app to recompute, alert the operators
    REPAIR = "repair"  # repair (audited) and alert the lecture's staff


#: Actions whose alert goes to the lecture's staff (else to the operators).
STAFF_ACTIONS = {Action.ALERT_STAFF, Action.RECOUNT, Action.REPAIR}


@dataclass(frozen=True)
class Finding:
    """One lecture's (or, with ``lecture_id=None``, the site's) measurement of a check.

    ``value`` is compared with the check's threshold; ``ids`` are the objects involved (linked
    on the health page through the check's ``links``), at most a few hundred are stored.
    """

    lecture_id: int | None
    value: Decimal
    ids: tuple = ()


def counted_by_lecture(rows) -> list[Finding]:
    """``(lecture_id, object_id)`` rows (in id order) as one ``Finding`` per lecture whose value
    is the number of its objects: the shape of most checks."""
    grouped: dict = {}
    for lecture_id, pk in rows:
        grouped.setdefault(lecture_id, []).append(pk)
    return [
        Finding(lecture_id=lecture_id, value=Decimal(len(ids)), ids=tuple(ids))
        for lecture_id, ids in grouped.items()
    ]


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    interval: timedelta
    threshold: Decimal
    action: str
    fn: Callable[[], list[Finding]]
    unit: str = "count"  # "count", "percent" or "hours": how the value is shown
    aggregate: str = "sum"  # the site-wide value: "sum" of the lectures' values or their "max"
    repair: Callable[[list[Finding]], int] | None = None  # over-threshold findings -> repaired
    # affected ids -> {id: a page about it}, in one query
    links: Callable[[list], dict] | None = None
    description: str = ""
    object_label: str = ""
    extra: dict = field(default_factory=dict)

    def over(self, value: Decimal) -> bool:
        return Decimal(value) > self.threshold

    def site_value(self, findings: Sequence[Finding]) -> Decimal:
        values = [Decimal(f.value) for f in findings]
        if not values:
            return Decimal(0)
        return max(values) if self.aggregate == "max" else sum(values, Decimal(0))


_CHECKS: dict[str, Check] = {}


def register_check(
    name: str,
    *,
    label,
    interval: timedelta,
    threshold,
    action: str,
    fn: Callable[[], list[Finding]],
    **options,
) -> Check:
    """Add (or replace, when an app's ``ready()`` runs twice) the check called ``name``."""
    check = Check(
        name=name,
        label=label,
        interval=interval,
        threshold=Decimal(threshold),
        action=action,
        fn=fn,
        **options,
    )
    _CHECKS[name] = check
    return check


def unregister_check(name: str) -> None:
    """For tests that plug in a check of their own."""
    _CHECKS.pop(name, None)


def get_check(name: str) -> Check | None:
    return _CHECKS.get(name)


def checks() -> list[Check]:
    """Every registered check, by name."""
    return [_CHECKS[name] for name in sorted(_CHECKS)]
