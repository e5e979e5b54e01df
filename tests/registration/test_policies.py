import pytest

from registration import policies, services
from registration.models import Policy
from registration.policies import AUTO_REJECT, PolicyKind, PolicyOutcome
from tests.factories import CampaignFactory, PolicyFactory, UserFactory

pytestmark = pytest.mark.django_db


def email_policy(campaign, domains, **kwargs):
    return PolicyFactory(campaign=campaign, config={"domains": domains}, **kwargs)


@pytest.mark.parametrize(
    ("address", "passes"),
    [
        ("a@uni-heidelberg.de", True),
        ("a@math.uni-heidelberg.de", True),
        ("a@stud.math.uni-heidelberg.de", True),
        ("A@UNI-HEIDELBERG.DE", True),
        ("a@fake-uni-heidelberg.de", False),
        ("a@uni-heidelberg.de.evil.org", False),
        ("a@heidelberg.de", False),
        ("a@example.org", False),
    ],
)
def test_institutional_email_matches_domain_or_subdomain_only(address, passes):
    campaign = CampaignFactory()
    email_policy(campaign, ["uni-heidelberg.de"])
    user = UserFactory(email="private@example.net", institutional_email=address)
    result = services.evaluate_policies_for(campaign, user)
    assert result.passed is passes
    if not passes:
        assert result.code == "institutional_email_required"
        assert result.failure == AUTO_REJECT
        assert "uni-heidelberg.de" in result.message
        assert result.action


def test_institutional_email_accepts_the_login_address_too():
    campaign = CampaignFactory()
    email_policy(campaign, ["uni-heidelberg.de"])
    user = UserFactory(email="x@uni-heidelberg.de", institutional_email=None)
    assert services.evaluate_policies_for(campaign, user).passed


def test_institutional_email_with_no_domains_is_a_configuration_blocker():
    campaign = CampaignFactory()
    email_policy(campaign, [])
    result = services.evaluate_policies_for(campaign, UserFactory())
    assert not result.passed
    assert result.code == "policy_misconfigured"
    assert result.is_blocker


def test_prerequisite_campaign_passes_only_when_confirmed_there():
    from tests.factories import ItemFactory

    seminar = CampaignFactory(status="open")
    item = ItemFactory(campaign=seminar)
    talks = CampaignFactory(lecture=seminar.lecture)
    PolicyFactory(campaign=talks, kind=Policy.Kind.PREREQUISITE_CAMPAIGN,
                  config={"campaign_id": seminar.pk})
    student, outsider = UserFactory(), UserFactory()
    services.register(user=student, item=item)

    assert services.evaluate_policies_for(talks, student).passed
    refused = services.evaluate_policies_for(talks, outsider)
    assert not refused.passed
    assert refused.code == "prerequisite_missing"
    assert seminar.title in refused.message


def test_prerequisite_that_points_nowhere_is_a_blocker():
    campaign = CampaignFactory()
    PolicyFactory(campaign=campaign, kind=Policy.Kind.PREREQUISITE_CAMPAIGN,
                  config={"campaign_id": 999999})
    assert services.evaluate_policies_for(campaign, UserFactory()).is_blocker


def test_engine_runs_in_position_order_and_stops_at_first_failure():
    campaign = CampaignFactory()
    second = email_policy(campaign, ["uni-heidelberg.de"], position=2)
    first = PolicyFactory(campaign=campaign, kind=Policy.Kind.PREREQUISITE_CAMPAIGN,
                          config={"campaign_id": CampaignFactory().pk}, position=1)
    result = services.evaluate_policies_for(campaign, UserFactory(email="x@example.org"))
    assert result.failed_policy == first
    assert [entry.policy_id for entry in result.trace] == [first.pk]
    first.delete()
    result = services.evaluate_policies_for(campaign, UserFactory(email="y@example.org"))
    assert result.failed_policy == second


def test_engine_is_phase_aware_and_skips_inactive_policies():
    campaign = CampaignFactory()
    policy = email_policy(campaign, ["uni-heidelberg.de"], phase=Policy.Phase.FINALIZATION)
    outsider = UserFactory(email="x@example.org")
    assert services.evaluate_policies_for(campaign, outsider, phase="registration").passed
    assert not services.evaluate_policies_for(campaign, outsider, phase="finalization").passed
    policy.phase = Policy.Phase.BOTH
    policy.save()
    assert not services.evaluate_policies_for(campaign, outsider, phase="registration").passed
    policy.active = False
    policy.save()
    assert services.evaluate_policies_for(campaign, outsider, phase="registration").passed


def test_passing_result_carries_the_full_trace():
    campaign = CampaignFactory()
    email_policy(campaign, ["uni-heidelberg.de"])
    user = UserFactory(institutional_email="x@uni-heidelberg.de")
    result = services.evaluate_policies_for(campaign, user)
    assert result.passed and result.failed_policy is None and result.code == "ok"
    assert [(e.kind, e.passed) for e in result.trace] == [("institutional_email", True)]


def test_unregistered_kind_is_a_blocker_until_a_higher_app_registers_it():
    campaign = CampaignFactory()
    PolicyFactory(campaign=campaign, kind="student_performance", config={})
    saved = policies.get_policy_kind("student_performance")
    try:
        policies._REGISTRY.pop("student_performance", None)
        result = services.evaluate_policies_for(campaign, UserFactory())
        assert result.is_blocker and result.code == "policy_kind_unavailable"

        policies.register_policy_kind(PolicyKind(
            name="student_performance", label="x",
            evaluate=lambda policy, user: PolicyOutcome(passed=False, code="certification_failed",
                                                        failure=AUTO_REJECT),
            clean_config=lambda config: config, describe=lambda policy: "x",
        ))
        result = services.evaluate_policies_for(campaign, UserFactory())
        assert result.code == "certification_failed" and not result.is_blocker
    finally:
        policies._REGISTRY.pop("student_performance", None)
        if saved:
            policies.register_policy_kind(saved)


def test_evaluate_many_agrees_with_evaluate():
    from tests.factories import ItemFactory

    prerequisite = CampaignFactory(status="open")
    item = ItemFactory(campaign=prerequisite, registerable__capacity=None)
    campaign = CampaignFactory(lecture=prerequisite.lecture)
    PolicyFactory(campaign=campaign, kind=Policy.Kind.PREREQUISITE_CAMPAIGN,
                  config={"campaign_id": prerequisite.pk}, position=1)
    email_policy(campaign, ["uni-heidelberg.de"], position=2)
    users = [
        UserFactory(institutional_email=f"s{i}@uni-heidelberg.de" if i % 2 else None)
        for i in range(8)
    ]
    for user in users[:5]:
        services.register(user=user, item=item)
    many = policies.evaluate_many(campaign, users, phase="registration")
    for user in users:
        single = services.evaluate_policies_for(campaign, user)
        assert (many[user.pk].passed, many[user.pk].code) == (single.passed, single.code)
        assert many[user.pk].trace == single.trace


@pytest.mark.parametrize(
    ("config", "ok"),
    [
        ({"domains": ["uni-heidelberg.de"]}, True),
        ({"domains": "uni-heidelberg.de, uni-mannheim.de"}, True),
        ({"domains": []}, False),
        ({"domains": ["not a domain"]}, False),
        ({"domains": ["localhost"]}, False),
        ({}, False),
    ],
)
def test_institutional_email_config_is_validated(config, ok):
    from django.core.exceptions import ValidationError

    if ok:
        cleaned = policies.clean_policy_config("institutional_email", config)
        assert cleaned["domains"]
    else:
        with pytest.raises(ValidationError):
            policies.clean_policy_config("institutional_email", config)

