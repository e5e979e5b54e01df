"""Staff registration pages: access, the creation wizard, settings, items, rules, lifecycle,
registrations list and CSV export, query bounds and junk input."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation

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
    counts = rows["Tutorials"].counts
    assert (counts.students, counts.placed, counts.without_place) == (3, 2, 1)
    assert rows["Interest"].counts.placed == 4
    body = response.content.decode()
    assert "Planning only; not materialized" in body
    assert "demand: 4 students" in body
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
    assert all(c.counts.placed == 5 for c in response.context["campaigns"])


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


def test_wizard_group_track_offers_groups_and_creates_chosen_items(client, lecture):
    first, second = TutorialFactory(lecture=lecture), TutorialFactory(lecture=lecture)
    talk = TalkFactory(lecture=lecture)
    CohortFactory(lecture=lecture)
    TutorialFactory()  # another lecture's tutorial is never offered
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    form = client.get(url + "?pattern=group").context["form"]
    offered = {int(pk) for pk, _label in form.fields["items"].choices}
    assert offered == {first.pk, second.pk, talk.pk}
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
    form = client.get(url, {"kind": "prerequisite_campaign"}).context["form"]
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
    response = client.post(url, {"kind": "nonsense", "phase": "sometimes"}, follow=True)
    assert response.status_code == 200
    assert any("Choose one of the offered policies" in m for m in messages_of(response))
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
    return [u.name for u in response.context["page_obj"].object_list]


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
    assert rows[0] == ["Name", "E-mail", "Matriculation number", "Status", "Place",
                       "Other attempts", "Registered at"]
    assert [r[:6] for r in rows[1:]] == [
        ["Ada Lovelace", "ada@example.org", "111", "Has a place", "Monday group", ""],
        ["Alan Turing", "alan@example.org", "222", "Has a place", "Friday group", ""],
        ["Emmy Noether", "emmy@uni.example", "333", "Without a place", "",
         "Friday group (rejected: group full)"],
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
    assert {r[4] for r in rows[1:]} == {"'@SUM(A1:A9)"}


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


# -- issue 7, item 3: a missing field never clears anything ---------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (None, None),
        ('{"capacity": null}', "application/json"),
        ("capacity=", "text/plain"),
    ],
)
def test_capacity_post_without_the_field_is_refused_and_changes_nothing(
    client, lecture, body, content_type
):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture,
                                                                       capacity=25))
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_item_capacity", args=[campaign.pk, item.pk])
    if body is None:
        response = client.post(url, {}, follow=True)
    else:
        response = client.post(url, body, content_type=content_type, follow=True)
    assert response.status_code == 200
    item.registerable.refresh_from_db()
    assert item.registerable.capacity == 25
    assert any("leave the field empty" in m for m in messages_of(response))


def test_capacity_unlimited_needs_the_field_present_and_empty(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_item_capacity", args=[campaign.pk, item.pk])
    client.post(url, {"capacity": ""})
    item.registerable.refresh_from_db()
    assert item.registerable.capacity is None


def test_settings_post_with_missing_fields_keeps_them(client, lecture):
    opens = timezone.now() + datetime.timedelta(days=1)
    campaign = CampaignFactory(
        lecture=lecture, description="Read this first", registration_opens_at=opens,
        allow_withdrawal=True, planning_only=True,
    )
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    # Only the title: description, opening time and both checkboxes are absent, not cleared.
    response = client.post(url, {"title": "Renamed"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"
    assert campaign.description == "Read this first"
    assert campaign.registration_opens_at == opens
    assert campaign.allow_withdrawal is True
    assert campaign.planning_only is True
    # A JSON or text body carries no form fields at all: nothing changes.
    for body, content_type in (('{"description": ""}', "application/json"),
                               ("description=", "text/plain")):
        response = client.post(url, body, content_type=content_type, follow=True)
        assert any("Nothing was changed" in m for m in messages_of(response))
    campaign.refresh_from_db()
    assert campaign.description == "Read this first"
    assert campaign.registration_opens_at == opens


def test_settings_page_sends_unticked_checkboxes_explicitly(client, lecture):
    campaign = CampaignFactory(lecture=lecture, allow_withdrawal=True)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    body = client.get(url).content.decode()
    assert '<input type="hidden" name="allow_withdrawal" value="false">' in body
    # The browser sends the hidden companion of an unticked box: that is an explicit "no".
    data = settings_data(campaign, allow_withdrawal="false", planning_only="false")
    assert client.post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.allow_withdrawal is False


# -- issue 7, item 4: a past deadline never ends intake silently -----------------------------------


def test_service_refuses_a_past_deadline_on_an_open_campaign(lecture):
    from registration import services
    from registration.errors import InvalidConfiguration

    deadline = timezone.now() + datetime.timedelta(days=3)
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN, registration_deadline=deadline)
    with pytest.raises(InvalidConfiguration) as caught:
        services.campaign_update(
            campaign, by=lecture.teacher,
            registration_deadline=timezone.now() - datetime.timedelta(minutes=5),
        )
    assert caught.value.code == "deadline_in_past"
    assert caught.value.details == {"field": "registration_deadline"}
    campaign.refresh_from_db()
    assert campaign.registration_deadline == deadline
    assert campaign.status == Status.OPEN
    # A draft or closed campaign may carry a past deadline (nobody can register anyway).
    draft = CampaignFactory(lecture=lecture)
    past = timezone.now() - datetime.timedelta(days=1)
    services.campaign_update(draft, by=lecture.teacher, registration_deadline=past)
    draft.refresh_from_db()
    assert draft.registration_deadline == past


def test_settings_page_refuses_a_past_deadline_on_an_open_campaign(client, lecture):
    deadline = timezone.now() + datetime.timedelta(days=3)
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN, registration_deadline=deadline)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_settings", args=[campaign.pk])
    past = timezone.localtime() - datetime.timedelta(hours=2)
    data = settings_data(campaign, registration_deadline=past.strftime("%Y-%m-%dT%H:%M"))
    del data["allocation_mode"], data["max_preferences"]
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors["registration_deadline"]
    assert any("Close registration" in e for e in errors)
    campaign.refresh_from_db()
    assert campaign.registration_deadline == deadline
    assert campaign.status == Status.OPEN
    assert campaign.open_for_registrations()


# -- issue 7, item 5: the wizard makes the teacher choose; overlaps are warned about ---------------


def test_wizard_prefills_no_title_no_deadline_and_no_groups(client, lecture):
    TutorialFactory(lecture=lecture)
    TutorialFactory(lecture=lecture)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    response = client.get(url + "?pattern=group")
    form = response.context["form"]
    assert not form.initial.get("items")
    assert not form.initial.get("title")
    assert not form.initial.get("registration_deadline")
    body = response.content.decode()
    assert 'placeholder="Group registration"' in body
    assert "checked" not in body.split('name="items"')[1].split(">")[0]
    # Submitting the page as it comes creates nothing: title and deadline are the teacher's.
    response = client.post(url, {"pattern": "group", "allocation_mode": "preference_based",
                                 "max_preferences": "3", "allow_withdrawal": "on"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"title", "registration_deadline"}
    assert not Campaign.objects.filter(lecture=lecture).exists()


def test_wizard_warns_about_groups_already_in_an_open_campaign(client, lecture):
    monday = TutorialFactory(lecture=lecture, title="Monday group")
    TutorialFactory(lecture=lecture, title="Friday group")
    running = CampaignFactory(lecture=lecture, title="Tutorials (running)", status=Status.OPEN)
    ItemFactory(campaign=running, registerable=monday)
    done = CampaignFactory(lecture=lecture, title="Old tutorials", status=Status.COMPLETED)
    ItemFactory(campaign=done, registerable=TutorialFactory(lecture=lecture, title="Old group"))
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_create", args=[lecture.pk])
    response = client.get(url + "?pattern=group")
    labels = dict(response.context["form"].fields["items"].choices)
    assert labels[str(monday.pk)].endswith("(already offered in: “Tutorials (running)”)")
    body = response.content.decode()
    assert 'id="already-offered"' in body
    assert "Old tutorials" not in body  # a completed campaign competes with nobody


def test_overview_and_index_warn_about_overlapping_open_campaigns(client, lecture):
    monday = TutorialFactory(lecture=lecture, title="Monday group")
    first = CampaignFactory(lecture=lecture, title="Tutorials A", status=Status.OPEN)
    second = CampaignFactory(lecture=lecture, title="Tutorials B")  # a draft
    closed = CampaignFactory(lecture=lecture, title="Tutorials C", status=Status.CLOSED)
    for campaign in (first, second, closed):
        ItemFactory(campaign=campaign, registerable=monday)
    alone = CampaignFactory(lecture=lecture, title="Exams")
    ItemFactory(campaign=alone, registerable=ExamFactory(lecture=lecture))
    client.force_login(lecture.teacher)
    detail = client.get(reverse("registration:staff_campaign_detail", args=[first.pk]))
    overlaps = detail.context["overlaps"]
    assert [(o.title, o.other_title) for o in overlaps] == [("Monday group", "Tutorials B")]
    assert "“Monday group” is also in “Tutorials B”" in detail.content.decode()
    assert client.get(
        reverse("registration:staff_campaign_detail", args=[alone.pk])
    ).context["overlaps"] == []
    assert client.get(
        reverse("registration:staff_campaign_detail", args=[closed.pk])
    ).context["overlaps"] == []
    index = client.get(reverse("registration:staff_campaign_index", args=[lecture.pk]))
    rows = {c.title: c.overlaps_with for c in index.context["campaigns"]}
    assert rows == {"Tutorials A": ["Tutorials B"], "Tutorials B": ["Tutorials A"],
                    "Tutorials C": [], "Exams": []}
    assert "shares groups with Tutorials B" in index.content.decode()


# -- issue 7, item 13: registrations per student, staff register and cancel by hand ---------------


PREF = Campaign.AllocationMode.PREFERENCE_BASED


@pytest.fixture
def ranked(lecture):
    """A preference campaign after its allocation: Ada got choice 1, Alan choice 2, Emmy none."""
    campaign = CampaignFactory(lecture=lecture, status=Status.PROCESSING, allocation_mode=PREF,
                               max_preferences=3)
    groups = {
        title: ItemFactory(campaign=campaign, registerable=TutorialFactory(
            lecture=lecture, title=title, capacity=2))
        for title in ("Monday group", "Tuesday group", "Friday group")
    }
    ada = UserFactory(name="Ada Lovelace")
    alan = UserFactory(name="Alan Turing")
    emmy = UserFactory(name="Emmy Noether")
    mon, tue, fri = groups.values()
    register(ada, mon, rank=1)
    register(ada, tue, status=RegStatus.PENDING, rank=2)
    register(ada, fri, status=RegStatus.PENDING, rank=3)
    register(alan, mon, status=RegStatus.PENDING, rank=1)
    register(alan, tue, rank=2)
    register(emmy, fri, status=RegStatus.PENDING, rank=1)
    return campaign, groups, {"ada": ada, "alan": alan, "emmy": emmy}


def rows_by_name(response):
    return {row.user.name: row for row in response.context["rows"]}


def test_registrations_list_one_row_per_student_with_choice_columns(client, lecture, ranked):
    campaign, groups, people = ranked
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_registrations", args=[campaign.pk])
    response = client.get(url)
    assert response.context["page_obj"].paginator.count == 3  # students, not 6 rows
    assert list(response.context["ranks"]) == [1, 2, 3]
    rows = rows_by_name(response)
    ada = rows["Ada Lovelace"]
    assert [c.title for c in ada.choices] == ["Monday group", "Tuesday group", "Friday group"]
    assert [c.state for c in ada.choices] == ["confirmed", "not_needed", "not_needed"]
    assert [c.state for c in rows["Alan Turing"].choices if c] == ["pending", "confirmed"]
    assert rows["Emmy Noether"].status == "pending"
    table = response.content.decode().split('id="student-registrations"')[1]
    assert table.count("<tr data-user=") == 3
    assert "Choice 3" in table
    # Lower choices of a placed student are hidden by default, shown with the toggle.
    hidden_row = table.split(f'data-user="{people["ada"].pk}"')[1].split("</tr>")[0]
    assert "Tuesday group" not in hidden_row
    shown = client.get(url, {"unneeded": "on"}).content.decode()
    ada_row = shown.split(f'data-user="{people["ada"].pk}"')[1].split("</tr>")[0]
    assert "Tuesday group" in ada_row
    assert "not needed (got a higher choice)" in ada_row
    # Filters work per student.
    names = lambda **params: [u.name for u in client.get(url, params).context["page_obj"]]  # noqa: E731
    assert names(status="confirmed") == ["Ada Lovelace", "Alan Turing"]
    assert names(status="pending") == ["Emmy Noether"]
    assert names(item=groups["Friday group"].pk) == ["Ada Lovelace", "Emmy Noether"]
    assert names(q="turing") == ["Alan Turing"]


def test_registrations_csv_is_per_student_with_translated_states(client, lecture, ranked):
    campaign, _groups, _people = ranked
    client.force_login(lecture.teacher)
    rows = read_csv(client.get(
        reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk])))
    assert rows[0][3:8] == ["Status", "Place", "Choice 1", "Choice 2", "Choice 3"]
    ada = next(r for r in rows if r[0] == "Ada Lovelace")
    assert ada[3:8] == ["Has a place", "Monday group", "Monday group",
                        "Tuesday group (not needed (got a higher choice))",
                        "Friday group (not needed (got a higher choice))"]
    client.cookies["django_language"] = "de"
    german = read_csv(client.get(
        reverse("registration:staff_campaign_registrations_csv", args=[campaign.pk]),
        HTTP_ACCEPT_LANGUAGE="de"))
    translation.activate("en")  # the German request leaves its language active in this thread
    german_text = "".join(";".join(r) for r in german)
    assert "not needed" not in german_text
    assert "nicht benötigt (höhere Wahl erhalten)" in german_text


def test_staff_register_respects_capacity_unless_overfill_and_is_audited(lecture):
    from registration import services
    from registration.errors import AlreadyRegistered, InvalidConfiguration, ItemFull

    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture,
                                                                       capacity=1))
    other = ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture))
    holder, late = UserFactory(), UserFactory(name="Late Student")
    register(holder, item)
    with pytest.raises(InvalidConfiguration) as caught:
        services.staff_register(campaign=campaign, item=item, user=late, by=lecture.teacher,
                                reason="  ")
    assert caught.value.code == "reason_required"
    with pytest.raises(ItemFull):
        services.staff_register(campaign=campaign, item=item, user=late, by=lecture.teacher,
                                reason="medical certificate")
    assert not UserRegistration.objects.filter(user=late).exists()
    assert not CampaignTransition.objects.filter(campaign=campaign).exists()
    with translation.override("en"):
        registration = services.staff_register(
            campaign=campaign, item=item, user=late, by=lecture.teacher,
            reason="medical certificate", allow_overfill=True,
        )
    assert registration.status == RegStatus.CONFIRMED
    audit = CampaignTransition.objects.get(campaign=campaign)
    assert audit.by == lecture.teacher
    assert audit.from_status == audit.to_status == Status.OPEN
    assert "Late Student" in audit.note and "medical certificate" in audit.note
    assert "overfilled" in audit.note
    with pytest.raises(AlreadyRegistered):
        services.staff_register(campaign=campaign, item=other, user=late, by=lecture.teacher,
                                reason="move")
    assert UserRegistration.objects.filter(user=late).count() == 1


def test_staff_register_and_cancel_refuse_a_finalized_or_draft_campaign(lecture):
    from registration import services
    from registration.errors import RegistrationError

    for status, mode in ((Status.COMPLETED, PREF), (Status.OPEN, PREF),
                         (Status.DRAFT, Campaign.AllocationMode.FIRST_COME_FIRST_SERVED)):
        campaign = CampaignFactory(lecture=lecture, status=status, allocation_mode=mode)
        item = ItemFactory(campaign=campaign)
        student = UserFactory()
        with pytest.raises(RegistrationError):
            services.staff_register(campaign=campaign, item=item, user=student,
                                    by=lecture.teacher, reason="x")
        assert not UserRegistration.objects.filter(campaign=campaign).exists()
    finalized = CampaignFactory(lecture=lecture, status=Status.COMPLETED)
    item = ItemFactory(campaign=finalized)
    student = UserFactory()
    register(student, item)
    with pytest.raises(RegistrationError) as caught:
        services.staff_cancel(campaign=finalized, user=student, by=lecture.teacher, reason="x")
    assert caught.value.code == "frozen"
    assert UserRegistration.objects.filter(campaign=finalized, user=student).exists()


def test_staff_cancel_removes_every_row_of_the_student_and_is_audited(lecture, ranked):
    from registration import services
    from registration.errors import NotRegistered

    campaign, _groups, people = ranked
    assert services.staff_cancel(campaign=campaign, user=people["ada"], by=lecture.teacher,
                                 reason="left the university") == 3
    assert not UserRegistration.objects.filter(campaign=campaign, user=people["ada"]).exists()
    audit = CampaignTransition.objects.get(campaign=campaign)
    assert audit.by == lecture.teacher
    assert "Ada Lovelace" in audit.note and "left the university" in audit.note
    with pytest.raises(NotRegistered):
        services.staff_cancel(campaign=campaign, user=people["ada"], by=lecture.teacher,
                              reason="again")
    assert CampaignTransition.objects.filter(campaign=campaign).count() == 1


def test_registrations_page_registers_and_cancels_by_hand(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=lecture, title="Monday group", capacity=1))
    register(UserFactory(), item)
    late = UserFactory(name="Late Student", email="late@example.org",
                       matriculation_number="777")
    client.force_login(lecture.teacher)
    add_url = reverse("registration:staff_registration_add", args=[campaign.pk])
    data = {"student": "777", "item": item.pk, "reason": "ill at the start",
            "query": "q=late&page=1"}
    response = client.post(add_url, data)
    assert response.status_code == 302
    assert response.url.endswith("/registrations/?q=late&page=1")
    assert not UserRegistration.objects.filter(user=late).exists()
    response = client.post(add_url, data | {"allow_overfill": "on"}, follow=True)
    assert any("Late Student was registered" in m for m in messages_of(response))
    assert UserRegistration.objects.get(user=late).status == RegStatus.CONFIRMED
    # Missing reason or an unknown student: refused with a message, nothing changes.
    for bad in ({"student": "late@example.org", "item": item.pk},
                {"student": "nobody@example.org", "item": item.pk, "reason": "x"},
                {"student": "777", "item": HUGE_ID, "reason": "x"}):
        response = client.post(add_url, bad, follow=True)
        assert response.status_code == 200
        assert messages_of(response)
    cancel_url = reverse("registration:staff_registration_cancel", args=[campaign.pk, late.pk])
    response = client.post(cancel_url, {}, follow=True)
    assert any("Reason" in m for m in messages_of(response))
    assert UserRegistration.objects.filter(user=late).exists()
    response = client.post(cancel_url, {"reason": "duplicate account"}, follow=True)
    assert any("was cancelled" in m for m in messages_of(response))
    assert not UserRegistration.objects.filter(user=late).exists()
    assert CampaignTransition.objects.filter(campaign=campaign).count() == 2
    # A student who never registered here is a 404, not a cancel.
    outsider = UserFactory()
    assert client.post(
        reverse("registration:staff_registration_cancel", args=[campaign.pk, outsider.pk]),
        {"reason": "x"},
    ).status_code == 404
    assert client.post(
        reverse("registration:staff_registration_cancel", args=[campaign.pk, HUGE_ID]),
        {"reason": "x"},
    ).status_code == 404
    assert client.get(cancel_url).status_code == 405


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_cannot_register_or_cancel_by_hand(client, users, lecture, role):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    holder = UserFactory()
    register(holder, item)
    client.force_login(users[role])
    assert client.post(
        reverse("registration:staff_registration_add", args=[campaign.pk]),
        {"student": users[role].email, "item": item.pk, "reason": "me", "allow_overfill": "on"},
    ).status_code == 403
    assert client.post(
        reverse("registration:staff_registration_cancel", args=[campaign.pk, holder.pk]),
        {"reason": "gone"},
    ).status_code == 403
    assert list(UserRegistration.objects.filter(campaign=campaign).values_list(
        "user_id", flat=True)) == [holder.pk]
    assert not CampaignTransition.objects.filter(campaign=campaign).exists()


# -- issue 7, item 14: honest numbers -------------------------------------------------------------


def test_overview_counts_students_not_rows_and_shows_demand_before_allocation(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN, allocation_mode=PREF,
                               max_preferences=3)
    items = [ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=lecture, title=f"Group {n}", capacity=25)) for n in range(3)]
    for n in range(4):  # four students, three ranks each: 12 rows
        student = UserFactory()
        for rank, item in enumerate(items[n % 3:] + items[: n % 3], start=1):
            register(student, item, status=RegStatus.PENDING, rank=rank)
    client.force_login(lecture.teacher)
    response = client.get(reverse("registration:staff_campaign_detail", args=[campaign.pk]))
    counts = response.context["overview"].counts
    assert (counts.students, counts.placed, counts.waiting, counts.without_place) == (4, 0, 4, 0)
    body = response.content.decode()
    assert '<dd id="count-students">4</dd>' in body
    assert '<dd id="count-without-place">0</dd>' in body
    assert "Students who ranked" in body
    assert response.context["overview"].shows_demand
    first = body.split(f'data-item="{items[0].pk}"')[1].split("</tr>")[0]
    assert '<td class="num">25</td>' in first  # capacity
    assert '<td class="num">4</td>' in first  # ranked by four students
    assert '<td class="num">2</td>' in first  # two of them first
    assert "meter" not in first  # no "0 of 25" fill before the allocation
    index = client.get(reverse("registration:staff_campaign_index", args=[lecture.pk]))
    row = index.context["campaigns"][0].counts
    assert (row.students, row.waiting) == (4, 4)


def test_registrations_counts_students_and_none_without_a_place(client, lecture, ranked):
    campaign, _groups, _people = ranked
    client.force_login(lecture.teacher)
    response = client.get(reverse("registration:staff_campaign_registrations",
                                  args=[campaign.pk]))
    counts = response.context["counts"]
    assert (counts.students, counts.placed, counts.waiting, counts.without_place) == (3, 2, 1, 0)
    text = " ".join(response.content.decode().split('id="student-counts"')[1]
                    .split("</p>")[0].split())
    assert "3 students ranked" in text
    assert "0 without a place" in text


# -- issue 7, item 17: policy forms per kind, locked forms look locked, plain labels ---------------


def test_policy_form_shows_only_the_chosen_kinds_fields_and_no_json(client, lecture, campaign):
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_policies", args=[campaign.pk])
    step_one = client.get(url)
    assert step_one.context["form"] is None
    body = step_one.content.decode()
    assert 'name="kind"' in body and 'type="radio"' in body
    assert "JSON" not in body and "config_json" not in body
    email = client.get(url, {"kind": "institutional_email"})
    assert set(email.context["form"].fields) == {"kind", "phase", "domains"}
    assert 'name="prerequisite_campaign"' not in email.content.decode()
    prerequisite = client.get(url, {"kind": "prerequisite_campaign"})
    assert set(prerequisite.context["form"].fields) == {"kind", "phase", "prerequisite_campaign"}
    assert 'name="domains"' not in prerequisite.content.decode()
    # A forged field of another kind is ignored; the chosen kind's field is required.
    response = client.post(url, {"kind": "institutional_email", "phase": "registration",
                                 "prerequisite_campaign": "1", "config_json": "{}"})
    assert response.status_code == 200
    assert response.context["form"].errors["domains"]
    assert not campaign.policies.exists()


def test_frozen_policies_form_is_locked_with_the_reason(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    client.force_login(lecture.teacher)
    url = reverse("registration:staff_campaign_policies", args=[campaign.pk])
    body = client.get(url).content.decode()
    section = body.split('id="add-policy"')[1].split("</section>")[0]
    assert "<fieldset disabled" in section
    assert "Rules are locked once the campaign has opened" in section
    assert "<button" not in section  # no active save button
    assert "<form" not in section


def test_processing_is_shown_as_awaiting_finalization(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.PROCESSING,
                               allocation_mode=PREF, title="Tutorials")
    client.force_login(lecture.teacher)
    for url in (reverse("registration:staff_campaign_detail", args=[campaign.pk]),
                reverse("registration:staff_campaign_index", args=[lecture.pk])):
        body = client.get(url).content.decode()
        assert "Awaiting finalization" in body, url
        assert "Processing" not in body, url
    campaign.refresh_from_db()
    assert campaign.status == "processing"


# -- issue 7, item 21: refusal rules live in the services, the views call one service --------------


def test_wizard_service_creates_campaign_items_and_parallel_enrollment_or_nothing(lecture):
    from registration import services
    from registration.errors import InvalidConfiguration

    fields = {"title": "Groups", "registration_deadline": timezone.now()
              + datetime.timedelta(days=9), "allocation_mode": PREF}
    group = TutorialFactory(lecture=lecture)
    foreign = TutorialFactory()  # another lecture's
    with pytest.raises(InvalidConfiguration):
        services.campaign_create_with_items(lecture=lecture, by=lecture.teacher, fields=fields,
                                            registerables=[group, foreign])
    assert not Campaign.objects.filter(lecture=lecture).exists()
    campaign = services.campaign_create_with_items(
        lecture=lecture, by=lecture.teacher, fields=fields, registerables=[group],
        enrollment_title="Enrollment",
    )
    assert list(campaign.items.values_list("registerable_id", flat=True)) == [group.pk]
    enrollment = Campaign.objects.get(lecture=lecture, title="Enrollment")
    assert enrollment.is_fcfs
    assert list(enrollment.items.values_list("registerable_id", flat=True)) == [lecture.pk]


def test_step_refusal_is_the_services_own_answer_and_changes_nothing(lecture):
    from registration import services

    empty = CampaignFactory(lecture=lecture)
    assert services.campaign_step_refusal(empty, action="open", by=lecture.teacher) == (
        "Add at least one item before opening the campaign."
    )
    ready = CampaignFactory(lecture=lecture)
    ItemFactory(campaign=ready)
    assert services.campaign_step_refusal(ready, action="open", by=lecture.teacher) == ""
    assert services.campaign_step_refusal(ready, action="delete", by=lecture.teacher) == ""
    ready.refresh_from_db()
    assert ready.status == Status.DRAFT  # the dry run was rolled back
    assert not CampaignTransition.objects.filter(campaign=ready).exists()
    assert services.campaign_step_refusal(ready, action="close", by=lecture.teacher) == (
        "Only an open campaign can be closed."
    )
    assert services.campaign_step_refusal(ready, action="explode", by=lecture.teacher)


def test_transition_page_shows_the_service_refusal(client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    register(UserFactory(), item)
    client.force_login(lecture.teacher)
    page = client.get(transition_url(campaign, "delete"))
    assert page.context["problems"] == [
        "Students have registered; the campaign cannot be deleted."]
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_placing_an_unassigned_student_is_refused_by_the_service_before_finalizing(lecture):
    from registration import services
    from registration.errors import InvalidTransition, ItemNotInCampaign
    from rosters.models import RosterEntry

    campaign = CampaignFactory(lecture=lecture, status=Status.PROCESSING, allocation_mode=PREF)
    item = ItemFactory(campaign=campaign)
    student = UserFactory()
    with pytest.raises(InvalidTransition) as caught:
        services.staff_place_unassigned(campaign=campaign, user=student,
                                        registerable=item.registerable, by=lecture.teacher)
    assert caught.value.code == "not_finalized"
    done = CampaignFactory(lecture=lecture, status=Status.COMPLETED, allocation_mode=PREF)
    with pytest.raises(ItemNotInCampaign):
        services.staff_place_unassigned(campaign=done, user=student,
                                        registerable=item.registerable, by=lecture.teacher)
    assert not RosterEntry.objects.filter(user=student).exists()


def test_staff_views_hold_no_transaction_and_no_restated_refusals():
    import inspect

    from registration.views import allocation as allocation_views
    from registration.views import staff as staff_views

    staff_source = inspect.getsource(staff_views)
    assert "transaction" not in staff_source
    for refusal in ("Add at least one item", "cannot be deleted", "cannot go back to draft",
                    "Extend the registration deadline"):
        assert refusal not in staff_source
    assert "Status.COMPLETED" not in inspect.getsource(allocation_views.unassigned_assign)


def test_student_page_of_a_preference_campaign_shows_capacity_not_taken_seats(client, lecture):
    """Item 14 on the student side: nobody holds a place before the allocation."""
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN, allocation_mode=PREF)
    ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture, capacity=25))
    client.force_login(UserFactory())
    body = client.get(reverse("registration:student_campaign", args=[campaign.pk])
                      ).content.decode()
    table = body.split('id="seat-table"')[1]
    assert "25 places" in table
    assert "of 25 taken" not in table
