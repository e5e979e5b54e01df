"""The student_performance policy kind: registration looks certifications up, opening needs a
completely certified lecture, finalization rejects the failed and blocks on the undecided."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance import policy as performance_policy
from performance import services
from registration import errors
from registration import services as registration_services
from registration.models import UserRegistration
from registration.policies import AUTO_REJECT, BLOCKER, clean_policy_config, get_policy_kind
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    StaffFactory,
)
from tests.performance.certify_helpers import (
    FAILING,
    OPEN,
    PASSING,
    change_record,
    enrol,
    make_rule,
    make_students,
    set_records,
)

pytestmark = pytest.mark.django_db

KIND = "student_performance"


@pytest.fixture
def lecture():
    return LectureFactory(title="Linear Algebra")


@pytest.fixture
def students(lecture):
    users = make_students(3)
    enrol(lecture, users)
    make_rule(lecture)
    set_records(lecture, dict(zip(users, (PASSING, FAILING, OPEN), strict=True)))
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    return users  # ada passed, bob failed, cem pending


@pytest.fixture
def campaign(lecture):
    campaign = CampaignFactory(lecture=lecture, title="Exam registration")
    ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture, capacity=100))
    PolicyFactory(campaign=campaign, kind=KIND, phase="both", config={})
    return campaign


def test_registered_by_the_performance_app():
    kind = get_policy_kind(KIND)
    assert kind is performance_policy.STUDENT_PERFORMANCE
    assert kind.evaluate_many and kind.open_preflight


def test_config_is_empty_or_existing_lecture_ids(lecture):
    other = LectureFactory()
    assert clean_policy_config(KIND, {}) == {}
    assert clean_policy_config(KIND, {"lecture_ids": [lecture.pk, str(other.pk), lecture.pk]}) == {
        "lecture_ids": [lecture.pk, other.pk]
    }
    from django.core.exceptions import ValidationError

    for bad in ({"lecture_ids": [987654]}, {"lecture_ids": ["abc"]}, {"lecture_ids": 5}):
        with pytest.raises(ValidationError):
            clean_policy_config(KIND, bad)


def test_outcomes_passed_failed_pending_stale_missing(lecture, students, campaign):
    ada, bob, cem = students
    dan = make_students(1, prefix="late")[0]
    enrol(lecture, [dan])
    eve = make_students(1, prefix="eve")[0]
    enrol(lecture, [eve])
    set_records(lecture, {eve: PASSING})
    services.override_certification(
        lecture=lecture, user=eve, status="passed", note="ok", by=lecture.teacher
    )
    change_record(lecture, eve, PASSING[:3] + (9,))
    policy = campaign.policies.get()
    outcomes = performance_policy.evaluate_many(policy, [ada, bob, cem, dan, eve])
    assert outcomes[ada.pk].passed
    assert (outcomes[bob.pk].code, outcomes[bob.pk].failure) == ("not_certified", AUTO_REJECT)
    assert "Linear Algebra" in outcomes[bob.pk].message
    assert (outcomes[cem.pk].code, outcomes[cem.pk].failure) == ("certification_pending", BLOCKER)
    assert (outcomes[dan.pk].code, outcomes[dan.pk].failure) == ("certification_missing", BLOCKER)
    assert (outcomes[eve.pk].code, outcomes[eve.pk].failure) == ("certification_stale", BLOCKER)
    assert outcomes[dan.pk].details["dashboard_url"] == reverse(
        "performance:dashboard", args=[lecture.pk]
    )
    assert "not been decided" in outcomes[dan.pk].message
    # One by one gives the same answers.
    assert performance_policy.evaluate(policy, bob) == outcomes[bob.pk]


def test_several_lectures_need_a_pass_in_each(lecture, students, campaign):
    ada = students[0]
    earlier = LectureFactory(title="Linear Algebra (old)")
    enrol(earlier, [ada])
    policy = campaign.policies.get()
    policy.config = {"lecture_ids": [lecture.pk, earlier.pk]}
    policy.save()
    outcome = performance_policy.evaluate(policy, ada)
    assert outcome.code == "certification_missing" and "(old)" in outcome.message


def test_evaluate_many_costs_a_fixed_number_of_queries(
    lecture, campaign, django_assert_max_num_queries
):
    users = make_students(300, prefix="many")
    enrol(lecture, users)
    make_rule(lecture)
    set_records(lecture, {u: PASSING for u in users})
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    policy = campaign.policies.select_related("campaign").get()
    # Inside a transaction (as in finalization) it also share-locks rule, certifications and
    # records: still a fixed number, the same for 10 students as for 300.
    with CaptureQueriesContext(connection) as few:
        performance_policy.evaluate_many(policy, users[:10])
    with django_assert_max_num_queries(10):
        outcomes = performance_policy.evaluate_many(policy, users)
    with CaptureQueriesContext(connection) as many:
        performance_policy.evaluate_many(policy, users)
    assert len(few) == len(many)
    assert all(outcome.passed for outcome in outcomes.values())


# -- opening ------------------------------------------------------------------------------------


def test_opening_fails_while_the_lecture_is_incomplete(lecture, students, campaign):
    with pytest.raises(errors.PolicyBlocker) as refused:
        registration_services.campaign_open(campaign, by=lecture.teacher)
    text = str(refused.value)
    assert "1 pending" in text and "0 missing" in text and "of 3 students" in text
    assert reverse("performance:dashboard", args=[lecture.pk]) in text
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    services.override_certification(
        lecture=lecture, user=students[2], status="passed", note="Marked late", by=lecture.teacher
    )
    opened = registration_services.campaign_open(campaign, by=lecture.teacher)
    assert opened.status == "open"


def test_the_open_confirm_page_links_to_the_certification_dashboard(
    client, lecture, students, campaign
):
    client.force_login(lecture.teacher)
    page = client.get(
        reverse("registration:staff_campaign_transition", args=[campaign.pk, "open"])
    ).content.decode()
    dashboard = reverse("performance:dashboard", args=[lecture.pk])
    assert "This step will be refused as things stand" in page
    assert f'<a href="{dashboard}">{dashboard}</a>' in page


def test_a_finalization_only_policy_does_not_stop_opening(lecture, students, campaign):
    campaign.policies.update(phase="finalization")
    opened = registration_services.campaign_open(campaign, by=lecture.teacher)
    assert opened.status == "open"


def test_saving_the_policy_warns_about_the_incomplete_lecture(client, lecture, students):
    campaign = CampaignFactory(lecture=lecture)
    ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture))
    client.force_login(lecture.teacher)
    response = client.post(
        reverse("registration:staff_campaign_policies", args=[campaign.pk]),
        {"kind": KIND, "phase": "both"},
        follow=True,
    )
    texts = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    assert ("success", "The policy was added.") in texts
    assert any(level == "warning" and "1 pending" in text for level, text in texts), texts
    assert campaign.policies.filter(kind=KIND).exists()


# -- registration -------------------------------------------------------------------------------


def test_registration_looks_up_and_never_recomputes(lecture, students, campaign):
    ada, bob, cem = students
    services.override_certification(
        lecture=lecture, user=cem, status="passed", note="ok", by=lecture.teacher
    )
    registration_services.campaign_open(campaign, by=lecture.teacher)
    item = campaign.items.get()
    registration_services.register(user=ada, item=item)
    with pytest.raises(errors.NotEligible) as refused:
        registration_services.register(user=bob, item=item)
    assert refused.value.details["policy_code"] == "not_certified"
    assert "did not meet the admission rule" in str(refused.value)
    # A late grade makes cem's decision stale: registration is blocked, not decided anew.
    change_record(lecture, cem, (1, 1, 1, 1))
    with pytest.raises(errors.NotEligible) as blocked:
        registration_services.register(user=cem, item=item)
    assert blocked.value.details["policy_code"] == "certification_stale"
    assert UserRegistration.objects.filter(campaign=campaign, status="confirmed").count() == 1


# -- finalization -------------------------------------------------------------------------------


def confirmed(campaign, *users):
    item = campaign.items.get()
    for user in users:
        UserRegistration.objects.create(
            campaign=campaign, item=item, user=user, status="confirmed"
        )


def close(campaign):
    type(campaign).objects.filter(pk=campaign.pk).update(status="closed")
    campaign.refresh_from_db()


def test_finalization_rejects_the_failed_and_seats_only_the_passed(lecture, students, campaign):
    ada, bob, cem = students
    services.override_certification(
        lecture=lecture, user=cem, status="passed", note="ok", by=lecture.teacher
    )
    confirmed(campaign, ada, bob, cem)
    close(campaign)
    outcome = registration_services.campaign_finalize(campaign, by=StaffFactory())
    assert outcome.materialized
    rows = dict(
        UserRegistration.objects.filter(campaign=campaign).values_list(
            "user_id", "rejection_reason"
        )
    )
    assert rows == {ada.pk: "", bob.pk: "policy:student_performance", cem.pk: ""}
    exam = campaign.items.get().registerable
    assert set(RosterEntry.objects.filter(registerable=exam).values_list("user_id", flat=True)) == {
        ada.pk, cem.pk
    }


def test_finalization_blocks_on_pending_stale_and_missing_naming_them(
    lecture, students, campaign
):
    ada, bob, cem = students
    dan = make_students(1, prefix="dan")[0]  # registered, never certified
    enrol(lecture, [dan])
    change_record(lecture, ada, (9, 9, 9, 9))  # ada's pass turned stale
    confirmed(campaign, ada, cem, dan)
    close(campaign)
    with pytest.raises(errors.PolicyBlocker) as refused:
        registration_services.campaign_finalize(campaign, by=StaffFactory())
    text = str(refused.value)
    for student in (ada, cem, dan):
        assert student.name in text
    assert set(refused.value.details["user_ids"]) == {ada.pk, cem.pk, dan.pk}
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    exam = campaign.items.get().registerable
    assert not RosterEntry.objects.filter(registerable=exam).exists()
    assert set(
        UserRegistration.objects.filter(campaign=campaign).values_list("status", flat=True)
    ) == {"confirmed"}


def test_the_finalize_page_forecasts_the_policy_rejections_and_blockers(
    client, lecture, students, campaign
):
    """The confirmation must not promise a seat the policy will refuse: the failed registrant
    is counted without a place and named; an undecided one is named as a blocker."""
    ada, bob, cem = students
    confirmed(campaign, ada, bob)
    close(campaign)
    client.force_login(lecture.teacher)
    address = reverse("registration:staff_campaign_finalize", args=[campaign.pk])
    response = client.get(address)
    forecast = response.context["forecast"]
    assert (forecast.placed, forecast.without_place) == (1, 1)
    assert [name for name, _reason in forecast.rejected] == [bob.name]
    assert forecast.blocked == ()
    page = response.content.decode()
    assert "1 student is put into the rosters." in page
    assert bob.name in page

    confirmed(campaign, cem)  # pending: finalization would refuse, naming her
    forecast = client.get(address).context["forecast"]
    assert [name for name, _reason in forecast.blocked] == [cem.name]
    assert (forecast.placed, forecast.without_place) == (2, 1)
    assert UserRegistration.objects.filter(campaign=campaign, status="confirmed").count() == 3
