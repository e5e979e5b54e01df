"""Running the integrity checks: measure, repair, store, alert (issue 12 items 1 and 2).

A run of one check (``run_check``):
1. measures (the check's own bulk SQL, registered in ``mampf.integrity`` by the owning app);
2. for the findings over the threshold, runs the check's repair when it has one (recompute,
   the audited points repair); repairs are never silent: the alert says what was done;
3. stores a ``MetricResult`` for the site and one per lecture that was not clean;
4. alerts: a (metric, lecture) that goes over its threshold opens its ``Alert`` row and sends
   ONE e-mail; while it stays over, nothing more; when it is clean again the row clears and a
   recovery message goes out. Staff actions (``mampf.integrity.STAFF_ACTIONS``) mail the
   lecture's teacher and editors in their language (``mampf.tasks.notify_users``); the others
   mail the operators (``settings.OPERATORS_EMAILS``, else ``ADMINS``). All mail leaves after
   the commit.

``measure`` only measures (the ``integrity_check`` command and the health page use it).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mampf.integrity import STAFF_ACTIONS, Action, Check, Finding, checks, get_check
from mampf.mail import languages_of, site_url
from mampf.models import Lecture, User
from mampf.tasks import notify_users, send_notification_email
from operations.models import Alert, MetricResult

logger = logging.getLogger(__name__)

#: At most this many ids are stored per result and named per alert.
MAX_IDS = 200


@dataclass
class Outcome:
    check: Check
    value: Decimal
    ok: bool
    ids: list
    findings: list[Finding]
    over: list[Finding]
    repaired: int = 0
    opened: list = field(default_factory=list)
    cleared: list = field(default_factory=list)


def _over_ids(over: list[Finding]) -> list:
    ids = []
    for finding in over:
        ids.extend(finding.ids)
    return ids[:MAX_IDS]


def measure(check: Check) -> Outcome:
    """Measure one check now; nothing is stored, repaired or sent."""
    findings = list(check.fn())
    over = [f for f in findings if check.over(f.value)]
    return Outcome(
        check=check,
        value=check.site_value(findings),
        ok=not over,
        ids=_over_ids(over),
        findings=findings,
        over=over,
    )


def measure_all() -> list[Outcome]:
    return [measure(check) for check in checks()]


def run_check(check: Check | str, *, now=None) -> Outcome:
    """Measure, repair, store and alert for one check (the beat job's body)."""
    if isinstance(check, str):
        found = get_check(check)
        if found is None:
            raise LookupError(f"no integrity check named {check!r}")
        check = found
    now = now or timezone.now()
    outcome = measure(check)
    with transaction.atomic():
        if outcome.over and check.repair is not None:
            outcome.repaired = int(check.repair(outcome.over) or 0)
        _store(outcome, now=now)
        _alert(outcome, now=now)
    return outcome


def run_all(*, now=None) -> list[Outcome]:
    return [run_check(check, now=now) for check in checks()]


def _store(outcome: Outcome, *, now) -> None:
    check = outcome.check
    rows = [
        MetricResult(
            metric=check.name,
            lecture=None,
            value=outcome.value,
            threshold=check.threshold,
            ok=outcome.ok,
            ids=outcome.ids,
            repaired=outcome.repaired,
            at=now,
        )
    ]
    rows += [
        MetricResult(
            metric=check.name,
            lecture_id=f.lecture_id,
            value=f.value,
            threshold=check.threshold,
            ok=not check.over(f.value),
            ids=list(f.ids[:MAX_IDS]),
            at=now,
        )
        for f in outcome.findings
        if f.lecture_id is not None
    ]
    MetricResult.objects.bulk_create(rows)


# -- alerts ---------------------------------------------------------------------------------------

ALERT_SUBJECT = gettext_noop("Integrity alert: %(metric)s")
ALERT_BODY = gettext_noop(
    "the integrity monitor found a problem%(where)s.\n\n"
    "%(metric)s: %(value)s (threshold %(threshold)s).\n"
    "Affected %(objects)s: %(ids)s.\n"
    "%(action)s"
)
RECOVERY_SUBJECT = gettext_noop("Integrity recovered: %(metric)s")
RECOVERY_BODY = gettext_noop(
    "the integrity problem reported earlier%(where)s is gone.\n\n"
    "%(metric)s: %(value)s (threshold %(threshold)s)."
)


def _action_text(outcome: Outcome) -> str:
    action = outcome.check.action
    if action == Action.REPAIR:
        return _("Repaired automatically (with an audit entry): %(count)s.") % {
            "count": outcome.repaired
        }
    if action == Action.RECOMPUTE:
        return _("A recomputation was requested: %(count)s.") % {"count": outcome.repaired}
    if action == Action.RECOUNT:
        return _("Counted again now; please check these items' rosters.")
    return _("Please look into it.")


def _format(check: Check, value) -> str:
    value = Decimal(value).normalize()
    text = f"{value:f}"
    if check.unit == "percent":
        return f"{text} %"
    if check.unit == "hours":
        return _("%(hours)s h") % {"hours": text}
    return text


def _alert(outcome: Outcome, *, now) -> None:
    """Open and clear ``Alert`` rows and queue one e-mail per change (after the commit)."""
    check = outcome.check
    over = {f.lecture_id or 0: f for f in outcome.over}
    current = {
        a.lecture_key: a
        for a in Alert.objects.select_for_update().filter(
            Q(metric=check.name) & (Q(is_open=True) | Q(lecture_key__in=list(over)))
        )
    }
    to_open = [key for key in over if not (key in current and current[key].is_open)]
    to_clear = [key for key, a in current.items() if a.is_open and key not in over]
    for key in to_open:
        finding = over[key]
        Alert.objects.update_or_create(
            metric=check.name,
            lecture_key=key,
            defaults={
                "lecture_id": finding.lecture_id,
                "is_open": True,
                "value": finding.value,
                "ids": list(finding.ids[:MAX_IDS]),
                "opened_at": now,
                "cleared_at": None,
            },
        )
    if to_clear:
        Alert.objects.filter(metric=check.name, lecture_key__in=to_clear).update(
            is_open=False, cleared_at=now
        )
    values = {f.lecture_id or 0: f.value for f in outcome.findings}
    lectures = Lecture.objects.in_bulk([k for k in to_open + to_clear if k])
    for key in to_open:
        _send(outcome, lectures.get(key), over[key], recovery=False)
        outcome.opened.append(key or None)
    for key in to_clear:
        cleared = Finding(lecture_id=key or None, value=values.get(key, Decimal(0)))
        _send(outcome, lectures.get(key), cleared, recovery=True)
        outcome.cleared.append(key or None)


def operator_addresses() -> list[str]:
    configured = list(getattr(settings, "OPERATORS_EMAILS", []) or [])
    if configured:
        return configured
    return [address for _name, address in getattr(settings, "ADMINS", [])]


def _lecture_staff(lecture: Lecture) -> list[User]:
    return list(
        User.objects.filter(Q(pk=lecture.teacher_id) | Q(edited_lectures=lecture))
        .filter(is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def _params(outcome: Outcome, lecture, finding: Finding) -> dict:
    check = outcome.check
    ids = ", ".join(str(pk) for pk in finding.ids[:50])
    if len(finding.ids) > 50:
        ids += ", …"
    return {
        "metric": str(check.label),
        "value": _format(check, finding.value),
        "threshold": _format(check, check.threshold),
        "where": (_(" in %(lecture)s") % {"lecture": lecture.title}) if lecture else "",
        "objects": str(check.object_label or _("objects")),
        "ids": ids or "-",
        "action": _action_text(outcome),
    }


def _send(outcome: Outcome, lecture, finding: Finding, *, recovery: bool) -> None:
    subject, body = (RECOVERY_SUBJECT, RECOVERY_BODY) if recovery else (ALERT_SUBJECT, ALERT_BODY)
    if lecture is not None and outcome.check.action in STAFF_ACTIONS:
        staff = _lecture_staff(lecture)
        by_language = defaultdict(list)
        for user_id, language in languages_of([u.pk for u in staff]).items():
            by_language[language].append(user_id)
        users = {u.pk: u for u in staff}
        for language, user_ids in by_language.items():
            with translation.override(language):
                params = _params(outcome, lecture, finding)
            notify_users(
                users=[users[pk] for pk in user_ids],
                subject=subject,
                body=body,
                path=reverse("lecture_detail", args=[lecture.pk]),
                params=params,
            )
        if staff:
            return
    addresses = operator_addresses()
    if not addresses:
        logger.warning(
            "integrity %s: %s%s (no OPERATORS_EMAILS or ADMINS to tell)",
            "recovered" if recovery else "alert",
            outcome.check.name,
            f" lecture {lecture.pk}" if lecture else "",
        )
        return
    with translation.override(settings.LANGUAGE_CODE):
        params = _params(outcome, lecture, finding)
        text = "\n\n".join(
            [
                _("Hello,"),
                _(body) % params,
                _("Open the page: %(url)s") % {"url": site_url(reverse("operations:health"))},
            ]
        )
        subject_text = _(subject) % params
    send_notification_email.delay_on_commit(subject=subject_text, body=text, to=addresses)
