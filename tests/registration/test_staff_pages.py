"""Staff registration pages: access, the creation wizard, settings, items, rules, lifecycle,
registrations list and CSV export, query bounds and junk input."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from mampf.exports import csv_text as csv_cell
from mampf.models import User
from registration.models import Campaign, CampaignTransition, Item, Policy, UserRegistration
from tests.factories import (
    CampaignFactory,
    CohortFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Campaign.Status
RegStatus = UserRegistration.Status
HUGE_ID = 99999999999999999999999


@pytest.fixture
def lecture():
    return LectureFactory()


@pytest.fixture
def campaign(lecture):
    return CampaignFactory(lecture=lecture, title="Tutorial registration")


@pytest.fixture
def item(campaign):
    return ItemFactory(campaign=campaign)


@pytest.fixture
def policy(campaign):
    return PolicyFactory(campaign=campaign)


@pytest.fixture
def users(lecture):
    """One user per role; only the first three manage the lecture."""
    editor = UserFactory()
    lecture.editors.add(editor)
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    return {
        "teacher": lecture.teacher,
        "editor": editor,
        "site_staff": StaffFactory(),
        "student": UserFactory(),
        "tutor": tutor,
        "other_teacher": LectureFactory().teacher,
    }


MANAGERS = ("teacher", "editor", "site_staff")
OUTSIDERS = ("student", "tutor", "other_teacher")


def register(user, item, *, status=RegStatus.CONFIRMED, rank=None, reason=""):
    return UserRegistration.objects.create(
        campaign=item.campaign, item=item, user=user, status=status, preference_rank=rank,
        exclusive=item.exclusive, rejection_reason=reason,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def get_page_urls(campaign, lecture):
    return [
        reverse("registration:staff_campaign_index", args=[lecture.pk]),
        reverse("registration:staff_campaign_create", args=[lecture.pk]),
        reverse("registration:staff_campaign_create", args=[lecture.pk]) + "?pattern=group",
        reverse("registration:staff_campaign_detail", args=[campaign.pk]),
        reverse("registration:staff_campaign_settings", args=[campaign.pk]),
        reverse("registration:staff_campaign_items", args=[campaign.pk]),
        reverse("registration:staff_campaign_policies", args=[campaign.pk]),
        reverse("registration:staff_campaign_registrations", args=[campaign.pk]),
        reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk]),
        *[
            reverse("registration:staff_campaign_transition", args=[campaign.pk, action])
            for action in ("open", "close", "reopen", "draft", "delete")
        ],
    ]


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_open_every_page(client, users, lecture, campaign, item, policy, role):
    client.force_login(users[role])
    for url in get_page_urls(campaign, lecture):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", OUTSIDERS)
def test_everyone_else_is_refused_every_page(client, users, lecture, campaign, item, policy,
                                             role):
    client.force_login(users[role])
    for url in get_page_urls(campaign, lecture):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login(client, lecture, campaign):
    for url in get_page_urls(campaign, lecture):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_change_anything(client, users, lecture, campaign, item, policy, role):
    client.force_login(users[role])
    posts = [
        (reverse("registration:staff_campaign_create", args=[lecture.pk]),
         {"pattern": "enrollment", "title": "X", "allocation_mode": "first_come_first_served",
          "registration_deadline": "2099-01-01T10:00", "max_preferences": "3"}),
        (reverse("registration:staff_campaign_settings", args=[campaign.pk]),
         {"title": "Hacked", "allocation_mode": "first_come_first_served",
          "registration_deadline": "2099-01-01T10:00", "max_preferences": "3"}),
        (reverse("registration:staff_item_remove", args=[campaign.pk, item.pk]), {}),
        (reverse("registration:staff_item_capacity", args=[campaign.pk, item.pk]),
         {"capacity": "1"}),
        (reverse("registration:staff_policy_remove", args=[campaign.pk, policy.pk]), {}),
        (reverse("registration:staff_campaign_transition", args=[campaign.pk, "open"]), {}),
        (reverse("registration:staff_campaign_transition", args=[campaign.pk, "delete"]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    campaign.refresh_from_db()
    item.registerable.refresh_from_db()
    assert campaign.title == "Tutorial registration"
    assert campaign.status == Status.DRAFT
    assert Campaign.objects.filter(lecture=lecture).count() == 1
    assert Item.objects.filter(pk=item.pk).exists()
    assert item.registerable.capacity == 25
    assert Policy.objects.filter(pk=policy.pk).exists()


def test_unknown_and_huge_ids_are_404(client, lecture, campaign, item, policy):
    client.force_login(lecture.teacher)
    other_item = ItemFactory()
    urls_get = [
        reverse("registration:staff_campaign_index", args=[HUGE_ID]),
        reverse("registration:staff_campaign_create", args=[HUGE_ID]),
        reverse("registration:staff_campaign_detail", args=[HUGE_ID]),
        reverse("registration:staff_campaign_detail", args=[campaign.pk + 1000]),
        reverse("registration:staff_campaign_registrations", args=[HUGE_ID]),
        reverse("registration:staff_campaign_registrations_csv", args=[HUGE_ID]),
        reverse("registration:staff_campaign_transition", args=[campaign.pk, "explode"]),
    ]
    for url in urls_get:
        assert client.get(url).status_code == 404, url
    urls_post = [
        reverse("registration:staff_item_remove", args=[campaign.pk, HUGE_ID]),
        reverse("registration:staff_item_remove", args=[campaign.pk, other_item.pk]),
        reverse("registration:staff_item_capacity", args=[campaign.pk, HUGE_ID]),
        reverse("registration:staff_policy_remove", args=[campaign.pk, HUGE_ID]),
        reverse("registration:staff_campaign_transition", args=[campaign.pk, "explode"]),
    ]
    for url in urls_post:
        assert client.post(url).status_code == 404, url
    assert Item.objects.filter(pk=other_item.pk).exists()


def test_changing_pages_refuse_get(client, lecture, campaign, item, policy):
    client.force_login(lecture.teacher)
    for url in (
        reverse("registration:staff_item_remove", args=[campaign.pk, item.pk]),
        reverse("registration:staff_item_capacity", args=[campaign.pk, item.pk]),
        reverse("registration:staff_policy_remove", args=[campaign.pk, policy.pk]),
    ):
        assert client.get(url).status_code == 405
    assert Item.objects.filter(pk=item.pk).exists()
    assert Policy.objects.filter(pk=policy.pk).exists()


# -- index --------------------------------------------------------------------------------------


def test_index_lists_counts_and_marks_planning_only(client, lecture):
    regular = CampaignFactory(lecture=lecture, title="Tutorials", status=Status.OPEN)
    first, second = ItemFactory(campaign=regular), ItemFactory(campaign=regular)
    register(UserFactory(), first)
    register(UserFactory(), second)
    register(UserFactory(), second, status=RegStatus.REJECTED, reason="item_full")
    interest = CampaignFactory(lecture=lecture, title="Interest", planning_only=True)
    interest_item = ItemFactory(campaign=interest, registerable=lecture)
    for _ in range(4):
        register(UserFactory(), interest_item)
    CampaignFactory(title="Someone else's campaign")
    client.force_login(lecture.teacher)
    response = client.get(reverse("registration:staff_campaign_index", args=[lecture.pk]))
    rows = {c.title: c for c in response.context["campaigns"]}
    assert set(rows) == {"Tutorials", "Interest"}
    assert rows["Tutorials"].item_count == 2
    assert (rows["Tutorials"].counts.confirmed, rows["Tutorials"].counts.rejected) == (2, 1)
    assert rows["Interest"].counts.confirmed == 4
    body = response.content.decode()
    assert "Planning only; not materialized" in body
    assert "demand: 4 confirmed, 0 rejected" in body
    assert "New campaign" in body


def test_index_queries_stay_bounded_with_twenty_campaigns(client, lecture,
                                                          django_assert_max_num_queries):
    tutorial = TutorialFactory(lecture=lecture)
    students = UserFactory.create_batch(5)
    for n in range(20):
        campaign = CampaignFactory(lecture=lecture, title=f"Campaign {n:02d}")
        item = ItemFactory(campaign=campaign, registerable=tutorial)
        for student in students:
            register(student, item)
    client.force_login(lecture.teacher)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("registration:staff_campaign_index", args=[lecture.pk]))
    assert response.status_code == 200
    assert len(response.context["campaigns"]) == 20
    assert all(c.counts.confirmed == 5 for c in response.context["campaigns"])


# -- creation wizard ----------------------------------------------------------------------------


def wizard_data(pattern, **extra):
    return {
        "pattern": pattern,
        "title": "New campaign",
        "description": "",
        "allocation_mode": "preference_based",
        "registration_deadline": "2099-03-01T12:00",
        "registration_opens_at": "",
        "max_preferences": "3",
        "allow_withdrawal": "on",
        **extra,
    }


def test_wizard_step_one_offers_the_patterns(client, lecture):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    body = client.get(url).content.decode()
    for label in ("Group track", "Enrollment track", "Special groups", "Mixed track"):
        assert label in body
    response = client.get(url + "?pattern=nonsense")
    assert response.status_code == 200
    assert response.context["step"] == 1
    assert response.context["pattern_form"].errors


def test_wizard_group_track_preselects_groups_and_creates_items(client, lecture):
    first, second = TutorialFactory(lecture=lecture), TutorialFactory(lecture=lecture)
    talk = TalkFactory(lecture=lecture)
    CohortFactory(lecture=lecture)
    TutorialFactory()  # another lecture's tutorial is never offered
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    form = client.get(url + "?pattern=group").context["form"]
    offered = {int(pk) for pk, _label in form.fields["items"].choices}
    assert offered == {first.pk, second.pk, talk.pk}
    assert {int(pk) for pk in form.initial["items"]} == offered
    response = client.post(url, wizard_data("group", items=[first.pk, talk.pk]))
    campaign = Campaign.objects.get(lecture=lecture)
    assert response.status_code == 302
    assert response.url == reverse("registration:staff_campaign_detail", args=[campaign.pk])
    assert campaign.status == Status.DRAFT
    assert campaign.allocation_mode == Campaign.AllocationMode.PREFERENCE_BASED
    assert campaign.created_by == lecture.teacher
    assert set(campaign.items.values_list("registerable_id", flat=True)) == {first.pk, talk.pk}


def test_wizard_enrollment_track_makes_the_lecture_the_item(client, lecture):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    client.post(url, wizard_data("enrollment", allocation_mode="first_come_first_served",
                                 items=[lecture.pk]))
    campaign = Campaign.objects.get(lecture=lecture)
    assert list(campaign.items.values_list("registerable_id", flat=True)) == [lecture.pk]
    assert campaign.is_fcfs


def test_wizard_special_groups_offers_cohorts(client, lecture):
    repeaters = CohortFactory(lecture=lecture, title="Repeaters")
    TutorialFactory(lecture=lecture)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    form = client.get(url + "?pattern=special").context["form"]
    assert [int(pk) for pk, _label in form.fields["items"].choices] == [repeaters.pk]
    client.post(url, wizard_data("special", items=[repeaters.pk]))
    campaign = Campaign.objects.get(lecture=lecture)
    item = campaign.items.get()
    assert item.registerable_id == repeaters.pk
    assert item.exclusive is False


def test_wizard_refuses_items_it_did_not_offer(client, lecture):
    foreign = TutorialFactory()
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    response = client.post(url, wizard_data("group", items=[foreign.pk]))
    assert response.status_code == 200
    assert response.context["form"].errors["items"]
    assert not Campaign.objects.filter(lecture=lecture).exists()


def test_wizard_requires_acknowledgement_for_a_parallel_enrollment(client, lecture):
    group = CampaignFactory(lecture=lecture, title="Tutorial registration")
    ItemFactory(campaign=group)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    page = client.get(url + "?pattern=enrollment").content.decode()
    assert "two parallel rosters" in page
    assert "Tutorial registration" in page
    data = wizard_data("enrollment", allocation_mode="first_come_first_served",
                       items=[lecture.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["acknowledge_mixed"]
    assert Campaign.objects.filter(lecture=lecture).count() == 1
    client.post(url, {**data, "acknowledge_mixed": "on"})
    assert Campaign.objects.filter(lecture=lecture).count() == 2


def test_wizard_needs_no_acknowledgement_when_the_other_track_is_completed(client, lecture):
    enrollment = CampaignFactory(lecture=lecture, status=Status.COMPLETED)
    ItemFactory(campaign=enrollment, registerable=lecture)
    tutorial = TutorialFactory(lecture=lecture)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    response = client.post(url, wizard_data("group", items=[tutorial.pk]))
    assert response.status_code == 302
    assert Campaign.objects.filter(lecture=lecture).count() == 2


def test_wizard_mixed_track_needs_acknowledgement_and_creates_both_campaigns(client, lecture):
    tutorial = TutorialFactory(lecture=lecture)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    data = wizard_data("mixed", items=[tutorial.pk], enrollment_title="Moodle enrollment")
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors["acknowledge_mixed"]
    assert not Campaign.objects.filter(lecture=lecture).exists()
    response = client.post(url, {**data, "acknowledge_mixed": "on"})
    assert response.status_code == 302
    group = Campaign.objects.get(lecture=lecture, title="New campaign")
    enrollment = Campaign.objects.get(lecture=lecture, title="Moodle enrollment")
    assert list(group.items.values_list("registerable_id", flat=True)) == [tutorial.pk]
    assert list(enrollment.items.values_list("registerable_id", flat=True)) == [lecture.pk]
    assert enrollment.is_fcfs


def test_wizard_shows_service_refusals_and_creates_nothing(client, lecture):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    response = client.post(url, wizard_data("enrollment", registration_deadline="2099-03-01T12:00",
                                            registration_opens_at="2099-04-01T12:00"))
    assert response.status_code == 200
    assert "before the deadline" in response.content.decode()
    response = client.post(url, wizard_data("enrollment", max_preferences="abc", title=""))
    assert response.status_code == 200
    assert not Campaign.objects.filter(lecture=lecture).exists()


# -- settings -----------------------------------------------------------------------------------


def settings_data(campaign, **changes):
    local = timezone.localtime(campaign.registration_deadline)
    return {
        "title": campaign.title,
        "description": campaign.description,
        "allocation_mode": campaign.allocation_mode,
        "registration_deadline": local.strftime("%Y-%m-%dT%H:%M"),
        "registration_opens_at": "",
        "max_preferences": str(campaign.max_preferences),
        "allow_withdrawal": "on",
        **changes,
    }


def test_settings_in_draft_warn_and_save(client, lecture, campaign):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    assert "Settings will be locked after opening" in client.get(url).content.decode()
    response = client.post(url, settings_data(campaign, title="Group registration",
                                              allocation_mode="preference_based"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Group registration"
    assert campaign.is_preference_based


def test_settings_after_opening_lock_frozen_fields_even_when_forged(client, lecture):
    campaign = CampaignFactory(lecture=lecture, title="Tutorials", status=Status.OPEN)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    response = client.get(url)
    form = response.context["form"]
    assert form.fields["allocation_mode"].disabled
    assert form.fields["max_preferences"].disabled
    assert not form.fields["registration_deadline"].disabled
    assert "Locked since the campaign opened" in response.content.decode()
    response = client.post(url, settings_data(campaign, title="Renamed",
                                              allocation_mode="preference_based"))
    assert response.status_code == 200
    assert "can no longer be changed" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.is_fcfs
    assert campaign.title == "Tutorials"
    # The same edit without the forged field goes through: the deadline can always move.
    later = campaign.registration_deadline + datetime.timedelta(days=3)
    data = settings_data(campaign, title="Renamed")
    del data["allocation_mode"], data["max_preferences"]
    data["registration_deadline"] = timezone.localtime(later).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"
    assert campaign.registration_deadline.date() == later.date()


def test_settings_saved_unchanged_keep_the_exact_deadline(client, lecture):
    deadline = timezone.now().replace(second=42) + datetime.timedelta(days=5)
    campaign = CampaignFactory(lecture=lecture, registration_deadline=deadline)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    response = client.post(url, settings_data(campaign), follow=True)
    assert any("Nothing was changed" in m for m in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.registration_deadline == deadline


def test_settings_refuse_an_opening_time_after_the_deadline(client, lecture, campaign):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    response = client.post(url, settings_data(campaign, registration_opens_at="2199-01-01T00:00"))
    assert response.status_code == 200
    assert response.context["form"].errors["registration_opens_at"]
    campaign.refresh_from_db()
    assert campaign.registration_opens_at is None


# -- items --------------------------------------------------------------------------------------


def test_items_add_only_registerables_of_the_lecture(client, lecture, campaign, item):
    cohort = CohortFactory(lecture=lecture)
    foreign = TutorialFactory()
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_items", args=[campaign.pk])
    offered = {pk for pk, _label in client.get(url).context["add_form"].fields[
        "registerable"].choices}
    assert cohort.pk in offered and lecture.pk in offered
    assert item.registerable_id not in offered and foreign.pk not in offered
    assert client.post(url, {"registerable": cohort.pk}).status_code == 302
    assert campaign.items.filter(registerable=cohort).exists()
    response = client.post(url, {"registerable": foreign.pk})
    assert response.status_code == 200
    assert response.context["add_form"].errors
    assert not campaign.items.filter(registerable=foreign).exists()
    assert client.post(url, {"registerable": "junk"}).status_code == 200


def test_items_can_be_added_to_an_open_campaign(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    exam = ExamFactory(lecture=lecture)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_items", args=[campaign.pk])
    client.post(url, {"registerable": exam.pk})
    assert campaign.items.filter(registerable=exam).exists()


def test_item_remove_works_until_someone_registers(client, lecture, campaign, item):
    kept = ItemFactory(campaign=campaign)
    register(UserFactory(), kept)
    client.force_login(lecture.teacher)
    response = client.post(
        reverse("registration:staff_item_remove", args=[campaign.pk, item.pk]), follow=True
    )
    assert not Item.objects.filter(pk=item.pk).exists()
    assert any("was removed" in m for m in messages_of(response))
    response = client.post(
        reverse("registration:staff_item_remove", args=[campaign.pk, kept.pk]), follow=True
    )
    assert Item.objects.filter(pk=kept.pk).exists()
    assert any("cannot be removed" in m for m in messages_of(response))


def test_capacity_below_confirmed_is_refused_for_fcfs(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    register(UserFactory(), item)
    register(UserFactory(), item)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_item_capacity", args=[campaign.pk, item.pk])
    response = client.post(url, {"capacity": "1"}, follow=True)
    item.registerable.refresh_from_db()
    assert item.registerable.capacity == 25
    assert any("2 students already hold a place" in m for m in messages_of(response))
    client.post(url, {"capacity": "2"})
    item.registerable.refresh_from_db()
    assert item.registerable.capacity == 2
    client.post(url, {"capacity": ""})
    item.registerable.refresh_from_db()
    assert item.registerable.capacity is None
    for junk in ("abc", "-3", "1e99"):
        response = client.post(url, {"capacity": junk}, follow=True)
        assert response.status_code == 200
        item.registerable.refresh_from_db()
        assert item.registerable.capacity is None


def test_capacity_below_demand_is_fine_while_preference_based_is_open(client, lecture):
    campaign = CampaignFactory(
        lecture=lecture, status=Status.OPEN,
        allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
    )
    item = ItemFactory(campaign=campaign)
    register(UserFactory(), item, status=RegStatus.PENDING, rank=1)
    register(UserFactory(), item, status=RegStatus.PENDING, rank=1)
    client.force_login(lecture.teacher)
    client.post(reverse("registration:staff_item_capacity", args=[campaign.pk, item.pk]),
                {"capacity": "1"})
    item.registerable.refresh_from_db()
    assert item.registerable.capacity == 1


# -- policies -----------------------------------------------------------------------------------


def test_policy_add_with_domains_and_prerequisite(client, lecture, campaign):
    prerequisite = CampaignFactory(lecture=lecture, title="Seminar enrollment")
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_policies", args=[campaign.pk])
    form = client.get(url).context["form"]
    assert [pk for pk, _t in form.fields["prerequisite_campaign"].choices] == ["", prerequisite.pk]
    client.post(url, {"kind": "institutional_email", "phase": "registration",
                      "domains": "uni-heidelberg.de, @Math.Uni-Heidelberg.de"})
    client.post(url, {"kind": "prerequisite_campaign", "phase": "both",
                      "prerequisite_campaign": str(prerequisite.pk)})
    rows = list(campaign.policies.order_by("position"))
    assert [p.kind for p in rows] == ["institutional_email", "prerequisite_campaign"]
    assert rows[0].config == {"domains": ["uni-heidelberg.de", "math.uni-heidelberg.de"]}
    assert rows[1].config == {"campaign_id": prerequisite.pk}
    assert rows[1].phase == "both"
    body = client.get(url).content.decode()
    assert "University e-mail address required (uni-heidelberg.de, math.uni-heidelberg.de)" in body
    assert "Seminar enrollment" in body


def test_policy_add_refuses_a_bad_domain_with_a_message(client, lecture, campaign):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_policies", args=[campaign.pk])
    response = client.post(url, {"kind": "institutional_email", "phase": "registration",
                                 "domains": "not_a domain!"})
    assert response.status_code == 200
    assert "is not a valid domain" in response.content.decode()
    response = client.post(url, {"kind": "prerequisite_campaign", "phase": "registration",
                                 "prerequisite_campaign": str(HUGE_ID)})
    assert response.status_code == 200
    response = client.post(url, {"kind": "nonsense", "phase": "sometimes"})
    assert response.status_code == 200
    assert not campaign.policies.exists()


def test_policy_remove_in_draft(client, lecture, campaign, policy):
    client.force_login(lecture.teacher)
    client.post(reverse("registration:staff_policy_remove", args=[campaign.pk, policy.pk]))
    assert not Policy.objects.filter(pk=policy.pk).exists()


def test_policies_are_frozen_after_draft(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    policy = PolicyFactory(campaign=campaign)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_policies", args=[campaign.pk])
    page = client.get(url)
    assert "Rules are locked once the campaign has opened" in page.content.decode()
    assert page.context["can_add"] is False
    response = client.post(
        reverse("registration:staff_policy_remove", args=[campaign.pk, policy.pk]), follow=True
    )
    assert Policy.objects.filter(pk=policy.pk).exists()
    assert any("Rules are locked" in m for m in messages_of(response))
    policy.delete()
    response = client.post(url, {"kind": "institutional_email", "phase": "registration",
                                 "domains": "uni-heidelberg.de"}, follow=True)
    assert not campaign.policies.exists()
    assert any("Rules are locked" in m for m in messages_of(response))


# -- lifecycle ----------------------------------------------------------------------------------


def transition_url(campaign, action):
    return reverse("registration:staff_campaign_transition", args=[campaign.pk, action])


def test_open_confirms_then_opens_and_is_audited(client, lecture, campaign, item):
    client.force_login(lecture.teacher)
    page = client.get(transition_url(campaign, "open")).content.decode()
    assert "Settings will be locked after opening" in page
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT  # the confirmation step changes nothing
    response = client.post(transition_url(campaign, "open"))
    assert response.url == reverse("registration:staff_campaign_detail", args=[campaign.pk])
    campaign.refresh_from_db()
    assert campaign.status == Status.OPEN
    audit = CampaignTransition.objects.get(campaign=campaign)
    assert (audit.from_status, audit.to_status, audit.by) == ("draft", "open", lecture.teacher)
    detail = client.get(reverse("registration:staff_campaign_detail", args=[campaign.pk]))
    assert "Draft → Open" in detail.content.decode()


def test_open_is_refused_without_items(client, lecture, campaign):
    client.force_login(lecture.teacher)
    page = client.get(transition_url(campaign, "open")).content.decode()
    assert "Add at least one item" in page
    response = client.post(transition_url(campaign, "open"), follow=True)
    assert any("Add at least one item before opening" in m for m in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT
    assert not CampaignTransition.objects.exists()


def test_open_is_refused_with_a_past_deadline(client, lecture):
    campaign = CampaignFactory(
        lecture=lecture, registration_deadline=timezone.now() - datetime.timedelta(hours=1)
    )
    ItemFactory(campaign=campaign)
    client.force_login(lecture.teacher)
    response = client.post(transition_url(campaign, "open"), follow=True)
    assert any("deadline must be in the future" in m for m in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


def test_close_and_reopen_put_preferences_back_to_pending(client, lecture):
    campaign = CampaignFactory(
        lecture=lecture, status=Status.OPEN,
        allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
    )
    item = ItemFactory(campaign=campaign)
    register(UserFactory(), item, status=RegStatus.CONFIRMED, rank=1)
    register(UserFactory(), item, status=RegStatus.REJECTED, rank=1, reason="capacity")
    register(UserFactory(), item, status=RegStatus.PENDING, rank=1)
    client.force_login(lecture.teacher)
    client.post(transition_url(campaign, "close"))
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    page = client.get(transition_url(campaign, "reopen")).content.decode()
    assert "2 registrations will go back to pending" in page
    client.post(transition_url(campaign, "reopen"))
    campaign.refresh_from_db()
    assert campaign.status == Status.OPEN
    assert set(campaign.registrations.values_list("status", flat=True)) == {RegStatus.PENDING}
    assert list(campaign.transitions.order_by("id").values_list("to_status", flat=True)) == [
        "closed", "open"]


def test_close_is_refused_for_a_draft(client, lecture, campaign):
    client.force_login(lecture.teacher)
    response = client.post(transition_url(campaign, "close"), follow=True)
    assert any("Only an open campaign can be closed" in m for m in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT


def test_back_to_draft_only_without_registrations(client, lecture):
    empty = CampaignFactory(lecture=lecture, status=Status.OPEN)
    busy = CampaignFactory(lecture=lecture, status=Status.OPEN)
    register(UserFactory(), ItemFactory(campaign=busy))
    client.force_login(lecture.teacher)
    client.post(transition_url(empty, "draft"))
    empty.refresh_from_db()
    assert empty.status == Status.DRAFT
    page = client.get(transition_url(busy, "draft")).content.decode()
    assert "cannot go back to draft" in page
    response = client.post(transition_url(busy, "draft"), follow=True)
    assert any("cannot go back to draft" in m for m in messages_of(response))
    busy.refresh_from_db()
    assert busy.status == Status.OPEN


def test_delete_only_without_registrations(client, lecture, campaign, item):
    busy = CampaignFactory(lecture=lecture, status=Status.CLOSED)
    register(UserFactory(), ItemFactory(campaign=busy))
    client.force_login(lecture.teacher)
    page = client.get(transition_url(campaign, "delete")).content.decode()
    assert "deleted for good" in page
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    response = client.post(transition_url(campaign, "delete"))
    assert response.url == reverse("registration:staff_campaign_index", args=[lecture.pk])
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    response = client.post(transition_url(busy, "delete"), follow=True)
    assert Campaign.objects.filter(pk=busy.pk).exists()
    assert any("cannot be deleted" in m for m in messages_of(response))


def test_detail_offers_the_steps_of_the_current_state(client, lecture, campaign, item):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_detail", args=[campaign.pk])
    actions = [a for a, _label in client.get(url).context["actions"]]
    assert actions == ["open", "delete"]
    Campaign.objects.filter(pk=campaign.pk).update(status=Status.OPEN)
    register(UserFactory(), item)
    actions = [a for a, _label in client.get(url).context["actions"]]
    assert actions == ["close"]


def test_planning_only_detail_shows_demand_per_item(client, lecture):
    campaign = CampaignFactory(lecture=lecture, planning_only=True, status=Status.CLOSED)
    item = ItemFactory(campaign=campaign)
    for _ in range(3):
        register(UserFactory(), item)
    register(UserFactory(), item, status=RegStatus.REJECTED, reason="item_full")
    client.force_login(lecture.teacher)
    response = client.get(reverse("registration:staff_campaign_detail", args=[campaign.pk]))
    body = response.content.decode()
    assert "Demand per item" in body
    assert "Planning only; not materialized" in body
    row = response.context["overview"].items[0]
    assert (row.confirmed_count, row.rejected_count) == (3, 1)


# -- registrations list and CSV -----------------------------------------------------------------


@pytest.fixture
def filled(lecture):
    """A campaign with two items and named registrants for filtering and exporting."""
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    first = ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture,
                                                                        title="Monday group"))
    second = ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture,
                                                                         title="Friday group"))
    ada = UserFactory(name="Ada Lovelace", email="ada@example.org", matriculation_number="111")
    alan = UserFactory(name="Alan Turing", email="alan@example.org", matriculation_number="222")
    emmy = UserFactory(name="Emmy Noether", email="emmy@uni.example", matriculation_number="333")
    register(ada, first)
    register(alan, second)
    register(emmy, second, status=RegStatus.REJECTED, reason="item_full")
    return campaign, first, second


def listed_names(response):
    return [r.user.name for r in response.context["page_obj"].object_list]


def test_registrations_filter_search_and_sort(client, lecture, filled):
    campaign, first, second = filled
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_registrations", args=[campaign.pk])
    assert listed_names(client.get(url)) == ["Ada Lovelace", "Alan Turing", "Emmy Noether"]
    assert listed_names(client.get(url, {"status": "rejected"})) == ["Emmy Noether"]
    assert listed_names(client.get(url, {"item": second.pk})) == ["Alan Turing", "Emmy Noether"]
    assert listed_names(client.get(url, {"q": "turing"})) == ["Alan Turing"]
    assert listed_names(client.get(url, {"q": "uni.example"})) == ["Emmy Noether"]
    assert listed_names(client.get(url, {"q": "111"})) == ["Ada Lovelace"]
    assert listed_names(client.get(url, {"sort": "newest"})) == [
        "Emmy Noether", "Alan Turing", "Ada Lovelace"]


def test_registrations_junk_input_is_ignored(client, lecture, filled):
    campaign, *_ = filled
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_registrations", args=[campaign.pk])
    for params in ({"page": "abc"}, {"page": str(HUGE_ID)}, {"status": "exploded"},
                   {"item": "abc"}, {"item": str(HUGE_ID)}, {"sort": "password"},
                   {"q": "x" * 500}):
        response = client.get(url, params)
        assert response.status_code == 200, params
    assert len(listed_names(client.get(url, {"status": "exploded"}))) == 3
    csv_url = reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk])
    assert client.get(csv_url, {"item": str(HUGE_ID), "status": "?"}).status_code == 200


def test_registrations_paginate_fifty_per_page(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    for n in range(60):
        register(UserFactory(name=f"Person {n:02d}"), item)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_registrations", args=[campaign.pk])
    first = client.get(url)
    assert len(listed_names(first)) == 50
    assert "?page=2" in first.content.decode()
    second = listed_names(client.get(url, {"page": 2}))
    assert second == [f"Person {n}" for n in range(50, 60)]


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_csv_export_has_the_columns_and_respects_filters(client, lecture, filled):
    campaign, first, second = filled
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk])
    response = client.get(url)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == ["Name", "E-mail", "Matriculation number", "Item", "Rank", "Status",
                       "Reason", "Registered at"]
    assert [r[:7] for r in rows[1:]] == [
        ["Ada Lovelace", "ada@example.org", "111", "Monday group", "", "Confirmed", ""],
        ["Alan Turing", "alan@example.org", "222", "Friday group", "", "Confirmed", ""],
        ["Emmy Noether", "emmy@uni.example", "333", "Friday group", "", "Rejected",
         "item_full"],
    ]
    rejected = read_csv(client.get(url, {"status": "rejected"}))
    assert [r[0] for r in rejected[1:]] == ["Emmy Noether"]


def test_csv_export_neutralizes_formulas(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=lecture, title="@SUM(A1:A9)"))
    for name in ("=HYPERLINK(\"http://evil\")", "+491234", "-2+3", "Plain Name"):
        register(UserFactory(name=name, matriculation_number=None), item)
    client.force_login(lecture.teacher)
    rows = read_csv(client.get(
        reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk])))
    names = sorted(r[0] for r in rows[1:])
    assert names == ["'+491234", "'-2+3", "'=HYPERLINK(\"http://evil\")", "Plain Name"]
    assert {r[3] for r in rows[1:]} == {"'@SUM(A1:A9)"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
     ("a=b", "a=b"), (None, ""), (3, "3")],
)
def test_csv_cell_escaping(value, expected):
    assert csv_cell(value) == expected


def bulk_registrations(campaign, count):
    items = [ItemFactory(campaign=campaign) for _ in range(4)]
    people = User.objects.bulk_create(
        User(email=f"bulk{n}@example.org", name=f"Bulk {n:04d}",
             matriculation_number=f"9{n:06d}")
        for n in range(count)
    )
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=items[n % 4], user=person,
                         status=RegStatus.PENDING, preference_rank=1)
        for n, person in enumerate(people)
    )
    return items


def test_registrations_page_and_csv_queries_are_bounded_at_2000(
    client, lecture, django_assert_max_num_queries
):
    campaign = CampaignFactory(
        lecture=lecture, status=Status.OPEN,
        allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
    )
    items = bulk_registrations(campaign, 2000)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_registrations", args=[campaign.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url, {"page": 7, "item": items[1].pk, "q": "bulk"})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 500
    assert len(response.context["page_obj"].object_list) == 50
    csv_url = reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk])
    with django_assert_max_num_queries(10):
        rows = read_csv(client.get(csv_url))
    assert len(rows) == 2001


def test_detail_and_items_queries_are_bounded(client, lecture, django_assert_max_num_queries):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    items = bulk_registrations(campaign, 200)
    for _ in range(20):
        items.append(ItemFactory(campaign=campaign))
    client.force_login(lecture.teacher)
    for name in ("staff_campaign_detail", "staff_campaign_items"):
        with django_assert_max_num_queries(14):
            response = client.get(reverse(f"registration:{name}", args=[campaign.pk]))
        assert response.status_code == 200
        assert len(response.context["items"] if name == "staff_campaign_items"
                   else response.context["overview"].items) == 24


@pytest.mark.parametrize("field", ["registration_deadline", "registration_opens_at"])
@pytest.mark.parametrize("moment", ["0001-01-01T00:30", "9999-12-31T23:59"])
def test_settings_refuse_dates_out_of_range_without_a_500(client, lecture, campaign, field,
                                                          moment):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    before = campaign.registration_deadline
    response = client.post(url, settings_data(campaign, **{field: moment}))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    campaign.refresh_from_db()
    assert campaign.registration_deadline == before


def test_service_refuses_dates_out_of_range(lecture):
    import datetime as dt

    from registration import errors as registration_errors
    from registration import services as registration_services

    far = dt.datetime(2150, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(registration_errors.InvalidConfiguration):
        registration_services.campaign_create(lecture=lecture, by=None, title="T",
                                              registration_deadline=far)
