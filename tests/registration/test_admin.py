"""Registration admin: status changes and edits go through the services and obey freezing."""

import datetime

import pytest
from django.contrib.admin.widgets import AdminSplitDateTime
from django.urls import reverse
from django.utils import timezone

from registration.models import Campaign, CampaignTransition, Item, Policy, UserRegistration
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Campaign.Status


@pytest.fixture
def admin_user():
    return StaffFactory(is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def register(user, item, *, status=UserRegistration.Status.CONFIRMED):
    return UserRegistration.objects.create(
        campaign=item.campaign, item=item, user=user, status=status, exclusive=item.exclusive
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def changelist_action(client, action, campaigns):
    return client.post(
        reverse("admin:registration_campaign_changelist"),
        {"action": action, "_selected_action": [c.pk for c in campaigns]},
        follow=True,
    )


def change_form_data(response):
    """What a browser would post back from an admin change page, inlines included."""
    data = {}

    def put(form, name):
        field = form.fields[name]
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(field.widget, AdminSplitDateTime):
            if value:
                local = timezone.localtime(value)
                data[f"{key}_0"] = local.strftime("%Y-%m-%d")
                data[f"{key}_1"] = local.strftime("%H:%M:%S")
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            put(formset.management_form, name)
        for inline_form in formset.forms:
            for name in inline_form.fields:
                put(inline_form, name)
    return data


def change_url(campaign):
    return reverse("admin:registration_campaign_change", args=[campaign.pk])


# -- actions ------------------------------------------------------------------------------------


def test_open_action_opens_a_ready_draft_and_refuses_one_without_items(admin_client,
                                                                        admin_user):
    ready = CampaignFactory(title="Ready")
    ItemFactory(campaign=ready)
    empty = CampaignFactory(title="Empty")
    response = changelist_action(admin_client, "open_selected", [ready, empty])
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert ready.status == Status.OPEN
    assert empty.status == Status.DRAFT
    audit = CampaignTransition.objects.get()
    assert (audit.campaign, audit.from_status, audit.to_status, audit.by) == (
        ready, "draft", "open", admin_user)
    texts = messages_of(response)
    assert any(t.startswith("Empty:") and "Add at least one item" in t for t in texts)
    assert "1 campaign opened." in texts


def test_close_and_reopen_actions_use_the_services(admin_client):
    campaign = CampaignFactory(status=Status.OPEN)
    past = CampaignFactory(
        status=Status.CLOSED, title="Past",
        registration_deadline=timezone.now() - datetime.timedelta(days=1),
    )
    changelist_action(admin_client, "close_selected", [campaign])
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    response = changelist_action(admin_client, "reopen_selected", [campaign, past])
    campaign.refresh_from_db()
    past.refresh_from_db()
    assert campaign.status == Status.OPEN
    assert past.status == Status.CLOSED
    assert any(t.startswith("Past:") and "Extend the registration deadline" in t
               for t in messages_of(response))
    assert list(campaign.transitions.order_by("id").values_list("to_status", flat=True)) == [
        "closed", "open"]


def test_delete_action_spares_campaigns_with_registrations(admin_client):
    empty = CampaignFactory()
    # Audit rows go with the campaign; they must not block the service's decision.
    CampaignTransition.objects.create(campaign=empty, from_status="open", to_status="draft")
    single = CampaignFactory()
    busy = CampaignFactory(title="Busy", status=Status.OPEN)
    register(UserFactory(), ItemFactory(campaign=busy))
    response = admin_client.post(
        reverse("admin:registration_campaign_changelist"),
        {"action": "delete_selected", "_selected_action": [empty.pk, busy.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert not Campaign.objects.filter(pk=empty.pk).exists()
    assert Campaign.objects.filter(pk=busy.pk).exists()
    assert any(t.startswith("Busy:") and "cannot be deleted" in t for t in messages_of(response))
    delete_page = admin_client.get(reverse("admin:registration_campaign_delete", args=[busy.pk]))
    assert delete_page.status_code == 403
    admin_client.post(reverse("admin:registration_campaign_delete", args=[single.pk]),
                      {"post": "yes"})
    assert not Campaign.objects.filter(pk=single.pk).exists()


# -- the change page ----------------------------------------------------------------------------


def test_change_page_buttons_run_the_open_service(admin_client, admin_user):
    campaign = CampaignFactory()
    ItemFactory(campaign=campaign)
    page = admin_client.get(change_url(campaign))
    body = page.content.decode()
    assert 'name="_fsm_transition_to" value="mark_open"' in body
    assert "mark_processing" not in body and "mark_completed" not in body
    data = change_form_data(page) | {"_fsm_transition_to": "mark_open"}
    response = admin_client.post(change_url(campaign), data, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == Status.OPEN
    assert CampaignTransition.objects.get(campaign=campaign).by == admin_user
    assert any("Open registration: done." in t for t in messages_of(response))


def test_change_page_refuses_transitions_the_services_refuse(admin_client):
    campaign = CampaignFactory(status=Status.OPEN)
    register(UserFactory(), ItemFactory(campaign=campaign))
    page = admin_client.get(change_url(campaign))
    data = change_form_data(page)
    for name in ("mark_draft", "mark_completed", "no_such_method", "delete"):
        response = admin_client.post(change_url(campaign), data | {"_fsm_transition_to": name},
                                     follow=True)
        assert response.status_code == 200
        campaign.refresh_from_db()
        assert campaign.status == Status.OPEN
    assert not CampaignTransition.objects.exists()
    hand_typed = admin_client.get(
        reverse("admin:registration_campaign_transition", args=[campaign.pk, "mark_closed"]),
        follow=True,
    )
    assert hand_typed.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == Status.OPEN


def test_frozen_settings_are_read_only_after_opening(admin_client):
    campaign = CampaignFactory(status=Status.OPEN, title="Tutorials")
    page = admin_client.get(change_url(campaign))
    form = page.context["adminform"].form
    assert "allocation_mode" not in form.fields
    assert "max_preferences" not in form.fields
    assert "title" in form.fields
    data = change_form_data(page) | {
        "title": "Renamed", "allocation_mode": "preference_based", "max_preferences": "9",
    }
    admin_client.post(change_url(campaign), data)
    campaign.refresh_from_db()
    assert campaign.title == "Renamed"
    assert campaign.is_fcfs
    assert campaign.max_preferences == 3


def test_admin_add_creates_a_draft_and_validates_times(admin_client, admin_user):
    lecture = LectureFactory()
    url = reverse("admin:registration_campaign_add")
    data = {
        "lecture": lecture.pk, "title": "Exam registration", "description": "",
        "allocation_mode": "first_come_first_served",
        "registration_deadline_0": "2099-02-01", "registration_deadline_1": "12:00:00",
        "registration_opens_at_0": "2099-03-01", "registration_opens_at_1": "12:00:00",
        "max_preferences": "3", "allow_withdrawal": "on",
        "items-TOTAL_FORMS": "0", "items-INITIAL_FORMS": "0",
        "policies-TOTAL_FORMS": "0", "policies-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Campaign.objects.exists()
    data["registration_opens_at_0"] = data["registration_opens_at_1"] = ""
    response = admin_client.post(url, data)
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.title, campaign.status, campaign.created_by) == (
        "Exam registration", Status.DRAFT, admin_user)


def test_campaign_changelist_queries_are_bounded(admin_client, django_assert_max_num_queries):
    lecture = LectureFactory()
    for _ in range(30):
        CampaignFactory(lecture=lecture)
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:registration_campaign_changelist"))
    assert response.status_code == 200


# -- items and policies -------------------------------------------------------------------------


def test_item_admin_adds_through_the_service_and_guards_removal(admin_client):
    campaign = CampaignFactory()
    own = TutorialFactory(lecture=campaign.lecture)
    foreign = TutorialFactory()
    url = reverse("admin:registration_item_add")
    response = admin_client.post(url, {"campaign": campaign.pk, "registerable": foreign.pk})
    assert response.status_code == 200
    assert not campaign.items.exists()
    admin_client.post(url, {"campaign": campaign.pk, "registerable": own.pk})
    item = campaign.items.get()
    assert item.registerable_id == own.pk and item.position == 1
    register(UserFactory(), item)
    delete = admin_client.post(reverse("admin:registration_item_delete", args=[item.pk]),
                               {"post": "yes"})
    assert delete.status_code == 403
    assert Item.objects.filter(pk=item.pk).exists()


def test_policy_admin_respects_freezing_and_validates_config(admin_client):
    draft = CampaignFactory()
    opened = CampaignFactory(status=Status.OPEN)
    url = reverse("admin:registration_policy_add")
    base = {"kind": "institutional_email", "phase": "registration", "active": "on",
            "position": "0"}
    response = admin_client.post(url, base | {"campaign": opened.pk,
                                              "config": '{"domains": ["uni.de"]}'})
    assert response.status_code == 200
    assert not opened.policies.exists()
    response = admin_client.post(url, base | {"campaign": draft.pk,
                                              "config": '{"domains": ["not a domain"]}'})
    assert response.status_code == 200
    assert "is not a valid domain" in response.content.decode()
    admin_client.post(url, base | {"campaign": draft.pk, "config": '{"domains": ["Uni.DE"]}'})
    assert draft.policies.get().config == {"domains": ["uni.de"]}
    frozen = PolicyFactory(campaign=opened)
    change = admin_client.post(
        reverse("admin:registration_policy_change", args=[frozen.pk]),
        base | {"config": '{"domains": ["other.de"]}'},
    )
    assert change.status_code == 403
    assert admin_client.post(reverse("admin:registration_policy_delete", args=[frozen.pk]),
                             {"post": "yes"}).status_code == 403
    frozen.refresh_from_db()
    assert frozen.config == {"domains": ["uni-heidelberg.de"]}


# -- read-only models ---------------------------------------------------------------------------


def test_registrations_and_audit_are_read_only(admin_client, django_assert_max_num_queries):
    campaign = CampaignFactory(status=Status.OPEN)
    item = ItemFactory(campaign=campaign)
    registrations = [register(UserFactory(), item) for _ in range(40)]
    transition = CampaignTransition.objects.create(campaign=campaign, from_status="draft",
                                                   to_status="open")
    with django_assert_max_num_queries(12):
        listing = admin_client.get(reverse("admin:registration_userregistration_changelist"))
    assert listing.status_code == 200
    assert admin_client.get(reverse("admin:registration_userregistration_add")).status_code == 403
    detail = admin_client.post(
        reverse("admin:registration_userregistration_change", args=[registrations[0].pk]),
        {"status": "rejected"},
    )
    assert detail.status_code == 403
    registrations[0].refresh_from_db()
    assert registrations[0].status == "confirmed"
    assert admin_client.get(
        reverse("admin:registration_campaigntransition_add")).status_code == 403
    assert admin_client.post(
        reverse("admin:registration_campaigntransition_delete", args=[transition.pk]),
        {"post": "yes"}).status_code == 403
    assert CampaignTransition.objects.filter(pk=transition.pk).exists()
    assert Policy.objects.count() == 0
