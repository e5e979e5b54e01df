"""The ``student_performance`` policy kind: exam registration gated by certifications.

Registered with ``registration.policies`` from ``PerformanceConfig.ready()``. Rules (DOMAIN-NOTES
"Certification"):
- config ``{}`` means the campaign's lecture; ``{"lecture_ids": [...]}`` names the lectures
  whose certifications count; the student needs ``passed`` in every one of them;
- ``passed`` passes; ``failed`` (in any) is ``auto_reject``; ``missing``, ``pending`` or
  ``stale`` is a ``blocker`` (the teacher must decide first), never a silent seat or drop;
- registration never recomputes: it looks the states up (``selectors.certification_states``);
- ``evaluate_many`` costs a fixed number of queries per configured lecture, whatever the number
  of students. Inside a transaction (finalization) it first reads the lectures' active rules,
  certifications and records ``FOR SHARE``: a recompute or re-certification that is being
  written waits for finalization, or finalization waits for it and then sees the certification
  stale and refuses; it never seats a student on a certification that turned stale meanwhile;
- opening a campaign that uses the kind in the registration (or both) phase fails while a
  lecture is incomplete (``open_preflight``: the counts and the dashboard's address).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mampf.db import lock_rows
from mampf.models import Lecture
from performance import selectors
from performance.models import Certification, Record, Rule
from registration.policies import AUTO_REJECT, BLOCKER, PolicyKind, PolicyOutcome

KIND = "student_performance"


def _lecture_ids(policy) -> list[int]:
    config = policy.config if isinstance(policy.config, dict) else {}
    ids = config.get("lecture_ids")
    if isinstance(ids, list) and ids:
        return [int(i) for i in ids if isinstance(i, int) or str(i).isdigit()]
    return [policy.campaign.lecture_id]


def _lectures(policy) -> list[Lecture]:
    ids = _lecture_ids(policy)
    found = {lecture.pk: lecture for lecture in Lecture.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def dashboard_url(lecture) -> str:
    return reverse("performance:dashboard", args=[lecture.pk])


def _misconfigured() -> PolicyOutcome:
    return PolicyOutcome(
        passed=False,
        code="policy_misconfigured",
        failure=BLOCKER,
        message=_("The exam admission rule of this campaign names no existing lecture."),
        action=_("The course staff must fix the campaign's rules."),
    )


def _share_lock(lectures: list[Lecture], user_ids: list[int]) -> None:
    """Inside a transaction: hold the rules, certifications and records we read ``FOR SHARE``
    until it ends (finalization decides on them)."""
    if not connection.in_atomic_block:
        return
    lecture_ids = [lecture.pk for lecture in lectures]
    lock_rows(
        Rule,
        Rule.objects.filter(lecture_id__in=lecture_ids, is_active=True).order_by().values_list(
            "pk", flat=True
        ),
        shared=True,
    )
    lock_rows(
        Certification.objects.only("pk"),
        Certification.objects.filter(
            lecture_id__in=lecture_ids, user_id__in=user_ids
        ).order_by().values_list("pk", flat=True),
        shared=True,
    )
    lock_rows(
        Record.objects.only("pk"),
        Record.objects.filter(lecture_id__in=lecture_ids, user_id__in=user_ids)
        .order_by()
        .values_list("pk", flat=True),
        shared=True,
    )


def _outcome(states: dict[Lecture, str]) -> PolicyOutcome:
    """One student's outcome from their state in each lecture."""
    failed = [lecture for lecture, state in states.items() if state == selectors.FAILED]
    if failed:
        lecture = failed[0]
        return PolicyOutcome(
            passed=False,
            code="not_certified",
            failure=AUTO_REJECT,
            message=_("You are not admitted to the exam: your coursework in “%(lecture)s” did "
                      "not meet the admission rule.") % {"lecture": lecture.title},
            action=_("Your performance page shows each criterion; ask the course staff if you "
                     "think this is wrong."),
            details={"lecture_id": lecture.pk, "state": selectors.FAILED},
        )
    open_ = [(lecture, state) for lecture, state in states.items() if state != selectors.PASSED]
    if open_:
        lecture, state = open_[0]
        # Read by the student (registration page) and by staff (finalization names them).
        messages = {
            selectors.MISSING: _("The exam admission for “%(lecture)s” has not been decided "
                                 "yet."),
            selectors.PENDING: _("The exam admission for “%(lecture)s” is still pending: some "
                                 "coursework is not marked yet."),
            selectors.STALE: _("The exam admission for “%(lecture)s” must be confirmed again "
                               "after a change in the results."),
        }
        return PolicyOutcome(
            passed=False,
            code=f"certification_{state}",
            failure=BLOCKER,
            message=messages[state] % {"lecture": lecture.title},
            action=_("The teacher decides on the exam admission page of the lecture; please try "
                     "again once that is done."),
            details={"lecture_id": lecture.pk, "state": state,
                     "dashboard_url": dashboard_url(lecture)},
        )
    return PolicyOutcome.ok()


def evaluate_many(policy, users) -> dict[int, PolicyOutcome]:
    """The outcome for each user; two queries per configured lecture plus one."""
    users = list(users)
    lectures = _lectures(policy)
    if not lectures:
        return {user.pk: _misconfigured() for user in users}
    user_ids = [user.pk for user in users]
    _share_lock(lectures, user_ids)
    per_lecture = {
        lecture: selectors.certification_states(lecture=lecture, user_ids=user_ids)
        for lecture in lectures
    }
    return {
        user_id: _outcome({lecture: states[user_id] for lecture, states in per_lecture.items()})
        for user_id in user_ids
    }


def evaluate(policy, user) -> PolicyOutcome:
    return evaluate_many(policy, [user])[user.pk]


def clean_config(config: dict) -> dict:
    """``{}`` (the campaign's lecture) or ``{"lecture_ids": [existing lecture ids]}``."""
    raw = config.get("lecture_ids")
    if raw in (None, "", []):
        return {}
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split()]
    if not isinstance(raw, list):
        raise ValidationError(_("List the lectures by their numbers."))
    ids = []
    for value in raw:
        try:
            lecture_id = int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                _("“%(value)s” is not a lecture number.") % {"value": value}
            ) from None
        if lecture_id not in ids:
            ids.append(lecture_id)
    found = set(Lecture.objects.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise ValidationError(
            _("These lectures do not exist: %(ids)s.") % {"ids": ", ".join(unknown)}
        )
    return {"lecture_ids": ids}


def describe(policy) -> str:
    titles = ", ".join(lecture.title for lecture in _lectures(policy)) or "—"
    return _("Exam admission (certified coursework) in %(lectures)s required") % {
        "lectures": titles
    }


def incomplete_problems(lectures) -> list[str]:
    """A sentence per lecture that is not completely certified, with counts and a link."""
    problems = []
    for lecture in lectures:
        completeness = selectors.lecture_completeness(lecture=lecture)
        if completeness.complete:
            continue
        counts = {
            "missing": len(completeness.missing),
            "pending": len(completeness.pending),
            "stale": len(completeness.stale),
        }
        problems.append(
            ngettext(
                "“%(lecture)s” is not completely certified yet (%(missing)d missing, "
                "%(pending)d pending, %(stale)d stale of %(total)d student); certify it at "
                "%(url)s.",
                "“%(lecture)s” is not completely certified yet (%(missing)d missing, "
                "%(pending)d pending, %(stale)d stale of %(total)d students); certify it at "
                "%(url)s.",
                completeness.students,
            )
            % {
                **counts,
                "lecture": lecture.title,
                "total": completeness.students,
                "url": dashboard_url(lecture),
            }
        )
    return problems


def open_preflight(policy) -> list[str]:
    """Opening refuses while a configured lecture is incomplete (missing, pending, stale)."""
    lectures = _lectures(policy)
    if not lectures:
        return [str(_misconfigured().message)]
    return incomplete_problems(lectures)


STUDENT_PERFORMANCE = PolicyKind(
    name=KIND,
    label=gettext_lazy("Exam admission (certified coursework)"),
    evaluate=evaluate,
    clean_config=clean_config,
    describe=describe,
    evaluate_many=evaluate_many,
    open_preflight=open_preflight,
)


def register() -> None:
    from registration.policies import register_policy_kind

    register_policy_kind(STUDENT_PERFORMANCE)
