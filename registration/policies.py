"""The policy engine: ordered, phase-aware eligibility checks that stop at the first failure.

Policy *kinds* live in a registry so higher apps can add kinds without this app importing
them: ``performance`` registers ``student_performance`` from its ``AppConfig.ready()``.

A failure is classified:
- ``auto_reject``: the student simply is not eligible (rejected with a reason);
- ``blocker``: something must be fixed first (missing certification, misconfigured policy).
  Blockers stop allocation and finalization; they never silently seat or drop a student.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

AUTO_REJECT = "auto_reject"
BLOCKER = "blocker"


@dataclass(frozen=True)
class PolicyOutcome:
    """One policy's verdict for one user."""

    passed: bool
    code: str = ""
    failure: str = ""  # AUTO_REJECT or BLOCKER when not passed
    message: str = ""
    action: str = ""  # what the student (or staff, for blockers) can do about it
    details: dict = field(default_factory=dict)

    @classmethod
    def ok(cls, **details) -> PolicyOutcome:
        return cls(passed=True, code="ok", details=details)


@dataclass(frozen=True)
class TraceEntry:
    policy_id: int
    kind: str
    passed: bool
    code: str


@dataclass(frozen=True)
class EligibilityResult:
    """The engine's answer: ``passed``, ``failed_policy``, ``code``, ``trace``, ``details``."""

    passed: bool
    failed_policy: object | None = None
    code: str = "ok"
    failure: str = ""
    trace: tuple[TraceEntry, ...] = ()
    details: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.details.get("message", "")

    @property
    def action(self) -> str:
        return self.details.get("action", "")

    @property
    def is_blocker(self) -> bool:
        return not self.passed and self.failure == BLOCKER


@dataclass(frozen=True)
class PolicyKind:
    """How one kind of policy is checked, configured and described."""

    name: str
    label: str
    evaluate: Callable  # (policy, user) -> PolicyOutcome
    clean_config: Callable[[dict], dict]  # raises ValidationError with a clear message
    describe: Callable  # (policy) -> str, for students and staff
    # Optional: bulk evaluation for many users at once (allocation, finalization).
    evaluate_many: Callable | None = None  # (policy, users) -> {user_id: PolicyOutcome}
    # Optional: problems that must be fixed before the campaign may open.
    open_preflight: Callable | None = None  # (policy) -> list[str]


_REGISTRY: dict[str, PolicyKind] = {}


def register_policy_kind(kind: PolicyKind) -> None:
    """Add (or replace, for reloads in tests) a policy kind."""
    _REGISTRY[kind.name] = kind


def get_policy_kind(name: str) -> PolicyKind | None:
    return _REGISTRY.get(name)


def registered_kinds() -> dict[str, PolicyKind]:
    return dict(_REGISTRY)


def _unavailable(policy) -> PolicyOutcome:
    return PolicyOutcome(
        passed=False,
        code="policy_kind_unavailable",
        failure=BLOCKER,
        message=_("This campaign uses a rule that is not available yet (%(kind)s).")
        % {"kind": policy.kind},
        action=_("The course staff must fix the campaign's rules."),
    )


def applicable_policies(campaign, phase: str) -> list:
    """Active policies of the campaign for the phase, in evaluation order."""
    policies = getattr(campaign, "_prefetched_objects_cache", {}).get("policies")
    if policies is None:
        policies = campaign.policies.all()
    ordered = sorted(policies, key=lambda p: (p.position, p.id))
    return [p for p in ordered if p.applies_to(phase)]


def evaluate(campaign, user, *, phase: str = "registration") -> EligibilityResult:
    """Run the campaign's policies for one user in order; stop at the first failure."""
    trace: list[TraceEntry] = []
    for policy in applicable_policies(campaign, phase):
        kind = get_policy_kind(policy.kind)
        outcome = kind.evaluate(policy, user) if kind else _unavailable(policy)
        trace.append(TraceEntry(policy.id, policy.kind, outcome.passed, outcome.code))
        if not outcome.passed:
            return EligibilityResult(
                passed=False,
                failed_policy=policy,
                code=outcome.code,
                failure=outcome.failure or AUTO_REJECT,
                trace=tuple(trace),
                details={"message": outcome.message, "action": outcome.action,
                         **outcome.details},
            )
    return EligibilityResult(passed=True, trace=tuple(trace))


def evaluate_many(campaign, users: Iterable, *, phase: str) -> dict[int, EligibilityResult]:
    """The same verdicts as ``evaluate`` for many users, with one bulk query per policy."""
    users = list(users)
    results: dict[int, EligibilityResult] = {}
    traces: dict[int, list[TraceEntry]] = {u.pk: [] for u in users}
    remaining = users
    for policy in applicable_policies(campaign, phase):
        if not remaining:
            break
        kind = get_policy_kind(policy.kind)
        if kind is None:
            outcomes = {u.pk: _unavailable(policy) for u in remaining}
        elif kind.evaluate_many is not None:
            outcomes = kind.evaluate_many(policy, remaining)
        else:
            outcomes = {u.pk: kind.evaluate(policy, u) for u in remaining}
        still = []
        for user in remaining:
            outcome = outcomes[user.pk]
            traces[user.pk].append(TraceEntry(policy.id, policy.kind, outcome.passed, outcome.code))
            if outcome.passed:
                still.append(user)
            else:
                results[user.pk] = EligibilityResult(
                    passed=False,
                    failed_policy=policy,
                    code=outcome.code,
                    failure=outcome.failure or AUTO_REJECT,
                    trace=tuple(traces[user.pk]),
                    details={"message": outcome.message, "action": outcome.action,
                             **outcome.details},
                )
        remaining = still
    for user in remaining:
        results[user.pk] = EligibilityResult(passed=True, trace=tuple(traces[user.pk]))
    return results


def clean_policy_config(kind_name: str, config) -> dict:
    """Validate a policy's configuration for its kind (raises ValidationError)."""
    kind = get_policy_kind(kind_name)
    if kind is None:
        raise ValidationError(_("Unknown policy kind: %(kind)s.") % {"kind": kind_name})
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ValidationError(_("The configuration must be a JSON object."))
    return kind.clean_config(config)


# -- institutional_email ----------------------------------------------------------------------


def _domain_matches(address: str, domains: Iterable[str]) -> bool:
    """Exact domain or a subdomain of it; ``fake-uni.de`` never matches ``uni.de``."""
    if "@" not in address:
        return False
    host = address.rsplit("@", 1)[1].strip().lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _email_domains(policy) -> list[str]:
    raw = policy.config.get("domains") if isinstance(policy.config, dict) else None
    if not isinstance(raw, list):
        return []
    return [str(d).strip().lower().lstrip("@").rstrip(".") for d in raw if str(d).strip()]


def _evaluate_institutional_email(policy, user) -> PolicyOutcome:
    """Passes on the login address (set by staff or SSO, trusted) or a *confirmed* institutional
    address; anyone can type any address into their profile, so an unconfirmed one never counts.
    """
    domains = _email_domains(policy)
    if not domains:
        return PolicyOutcome(
            passed=False,
            code="policy_misconfigured",
            failure=BLOCKER,
            message=_("The e-mail rule of this campaign names no university domain."),
            action=_("The course staff must add the allowed domains to the rule."),
        )
    trusted = [a for a in (user.verified_institutional_email, user.email) if a]
    if any(_domain_matches(a, domains) for a in trusted):
        return PolicyOutcome.ok()
    claimed = user.institutional_email
    if claimed and _domain_matches(claimed, domains):
        return PolicyOutcome(
            passed=False,
            code="institutional_email_required",
            failure=AUTO_REJECT,
            message=_("This registration is only open to holders of a confirmed university "
                      "e-mail address (%(domains)s); %(address)s is not confirmed yet.")
            % {"domains": ", ".join(domains), "address": claimed},
            action=_("Confirm your university address: we sent a link to %(address)s. Open it, "
                     "or send a new one from your profile, then come back.")
            % {"address": claimed},
            details={"domains": domains, "unverified": True},
        )
    return PolicyOutcome(
        passed=False,
        code="institutional_email_required",
        failure=AUTO_REJECT,
        message=_("This registration is only open to holders of a university e-mail address "
                  "(%(domains)s).") % {"domains": ", ".join(domains)},
        action=_("Add your university e-mail address to your profile, then come back."),
        details={"domains": domains},
    )


def _evaluate_institutional_email_many(policy, users) -> dict:
    """The same verdicts as one by one; callers that load users with ``only()`` (allocation)
    may leave the confirmation date out, so it is fetched for all of them in one query."""
    users = list(users)
    missing = [u for u in users if "institutional_email_verified_at" in u.get_deferred_fields()]
    if missing:
        from django.contrib.auth import get_user_model

        confirmed_at = dict(
            get_user_model()
            .objects.filter(pk__in=[u.pk for u in missing])
            .values_list("pk", "institutional_email_verified_at")
        )
        for user in missing:
            user.institutional_email_verified_at = confirmed_at.get(user.pk)
    return {u.pk: _evaluate_institutional_email(policy, u) for u in users}


def _clean_institutional_email(config: dict) -> dict:
    raw = config.get("domains")
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split()]
    if not isinstance(raw, list) or not raw:
        raise ValidationError(_("Name at least one e-mail domain, for example uni-heidelberg.de."))
    cleaned = []
    for value in raw:
        domain = str(value).strip().lower().lstrip("@").rstrip(".")
        labels = domain.split(".")
        if len(labels) < 2 or not all(
            label and all(ch.isalnum() or ch == "-" for ch in label) for label in labels
        ):
            raise ValidationError(_("“%(value)s” is not a valid domain.") % {"value": value})
        if domain not in cleaned:
            cleaned.append(domain)
    return {"domains": cleaned}


def _describe_institutional_email(policy) -> str:
    domains = _email_domains(policy)
    return _("University e-mail address required (%(domains)s)") % {
        "domains": ", ".join(domains) or "—"
    }


# -- prerequisite_campaign --------------------------------------------------------------------


def _prerequisite(policy):
    from registration.models import Campaign

    campaign_id = policy.config.get("campaign_id") if isinstance(policy.config, dict) else None
    if not isinstance(campaign_id, int):
        return None
    return Campaign.objects.filter(pk=campaign_id).first()


def _prerequisite_missing(policy) -> PolicyOutcome:
    return PolicyOutcome(
        passed=False,
        code="policy_misconfigured",
        failure=BLOCKER,
        message=_("The prerequisite campaign of this registration does not exist."),
        action=_("The course staff must fix the campaign's rules."),
    )


def _prerequisite_failed(prerequisite) -> PolicyOutcome:
    return PolicyOutcome(
        passed=False,
        code="prerequisite_missing",
        failure=AUTO_REJECT,
        message=_("You first need a confirmed place in “%(title)s”.") % {
            "title": prerequisite.title},
        action=_("Register in “%(title)s” first, then come back.") % {
            "title": prerequisite.title},
        details={"prerequisite_campaign_id": prerequisite.pk},
    )


def _evaluate_prerequisite(policy, user) -> PolicyOutcome:
    prerequisite = _prerequisite(policy)
    if prerequisite is None:
        return _prerequisite_missing(policy)
    confirmed = prerequisite.registrations.filter(user=user, status="confirmed").exists()
    return PolicyOutcome.ok() if confirmed else _prerequisite_failed(prerequisite)


def _evaluate_prerequisite_many(policy, users) -> dict:
    prerequisite = _prerequisite(policy)
    if prerequisite is None:
        return {u.pk: _prerequisite_missing(policy) for u in users}
    confirmed = set(
        prerequisite.registrations.filter(
            user_id__in=[u.pk for u in users], status="confirmed"
        ).values_list("user_id", flat=True)
    )
    failed = _prerequisite_failed(prerequisite)
    return {u.pk: PolicyOutcome.ok() if u.pk in confirmed else failed for u in users}


def _clean_prerequisite(config: dict) -> dict:
    from registration.models import Campaign

    raw = config.get("campaign_id")
    try:
        campaign_id = int(raw)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose the prerequisite campaign.")) from None
    if not Campaign.objects.filter(pk=campaign_id).exists():
        raise ValidationError(_("The prerequisite campaign does not exist."))
    return {"campaign_id": campaign_id}


def _describe_prerequisite(policy) -> str:
    prerequisite = _prerequisite(policy)
    title = prerequisite.title if prerequisite else "—"
    return _("Confirmed place in “%(title)s” required") % {"title": title}


register_policy_kind(
    PolicyKind(
        name="institutional_email",
        label=gettext_lazy("Institutional e-mail address"),
        evaluate=_evaluate_institutional_email,
        clean_config=_clean_institutional_email,
        describe=_describe_institutional_email,
        evaluate_many=_evaluate_institutional_email_many,
    )
)
register_policy_kind(
    PolicyKind(
        name="prerequisite_campaign",
        label=gettext_lazy("Prerequisite campaign"),
        evaluate=_evaluate_prerequisite,
        clean_config=_clean_prerequisite,
        describe=_describe_prerequisite,
        evaluate_many=_evaluate_prerequisite_many,
    )
)
