"""The students' registration pages: happy paths, refusals (nothing changes) and query bounds."""

import datetime
import html

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from mampf.models import Tutorial, User
from registration.models import Campaign, Item, UserRegistration
from tests.factories import (
    CampaignFactory,
    CohortFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    PolicyFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PREFERENCE = Campaign.AllocationMode.PREFERENCE_BASED
FCFS = Campaign.AllocationMode.FIRST_COME_FIRST_SERVED
CONFIRMED = UserRegistration.Status.CONFIRMED
PENDING = UserRegistration.Status.PENDING
REJECTED = UserRegistration.Status.REJECTED


def text(response) -> str:
    return html.unescape(response.content.decode())


def url(name, *args):
    return reverse(f"registration:{name}", args=args)


def rows_of(user, campaign=None):
    queryset = UserRegistration.objects.filter(user=user)
    if campaign is not None:
        queryset = queryset.filter(campaign=campaign)
    return list(queryset.order_by("preference_rank", "id").values_list("item_id", "status"))


@pytest.fixture
def student():
    return UserFactory(name="Ada Student")


@pytest.fixture
def client_for(student):
    client = Client()
    client.force_login(student)
    return client


@pytest.fixture
def fcfs():
    campaign = CampaignFactory(status="open", title="Tutorials Analysis I")
    items = [
        ItemFactory(
            campaign=campaign,
            registerable=TutorialFactory(lecture=campaign.lecture, title=f"Tutorial {letter}"),
        )
        for letter in "ABC"
    ]
    return campaign, items


@pytest.fixture
def pref():
    campaign = CampaignFactory(
        status="open", allocation_mode=PREFERENCE, max_preferences=3, title="Tutorials Algebra"
    )
    items = [
        ItemFactory(
            campaign=campaign,
            registerable=TutorialFactory(lecture=campaign.lecture, title=f"Group {n}"),
        )
        for n in range(1, 5)
    ]
    return campaign, items


def ranking_data(*items):
    return {f"rank_{rank}": str(item.pk) for rank, item in enumerate(items, start=1)}


# -- FCFS ---------------------------------------------------------------------------------------


def test_register_confirms_a_place_and_the_page_shows_it(client_for, student, fcfs):
    campaign, items = fcfs
    response = client_for.post(url("register", campaign.pk, items[1].pk))
    assert response.status_code == 302
    assert response["Location"] == url("student_campaign", campaign.pk)
    assert rows_of(student) == [(items[1].pk, CONFIRMED)]

    page = text(client_for.get(response["Location"]))
    assert "You are registered for “Tutorial B”." in page  # the success message
    assert "You are registered for Tutorial B, Monday 10:00–12:00" in page
    assert "1 of 25 taken" in page
    assert "Your place" in page
    # Another group cannot be taken while I hold an exclusive place: no register button.
    assert url("register", campaign.pk, items[0].pk) not in page
    assert url("withdraw", campaign.pk, items[1].pk) in page


def test_double_submit_creates_one_registration(client_for, student, fcfs):
    campaign, items = fcfs
    client_for.post(url("register", campaign.pk, items[0].pk))
    client_for.post(url("register", campaign.pk, items[0].pk))
    assert rows_of(student) == [(items[0].pk, CONFIRMED)]


def test_withdraw_gives_the_place_back(client_for, student, fcfs):
    campaign, items = fcfs
    client_for.post(url("register", campaign.pk, items[0].pk))
    response = client_for.post(url("withdraw", campaign.pk, items[0].pk), follow=True)
    assert rows_of(student) == []
    page = text(response)
    assert "You withdrew from “Tutorial A”." in page
    assert "0 of 25 taken" in page
    assert url("register", campaign.pk, items[0].pk) in page


def test_full_group_is_shown_full_and_refused(client_for, student, fcfs):
    campaign, items = fcfs
    Tutorial.objects.filter(pk=items[0].registerable_id).update(capacity=1)
    UserRegistration.objects.create(
        campaign=campaign, item=items[0], user=UserFactory(), status=CONFIRMED
    )
    page = text(client_for.get(url("student_campaign", campaign.pk)))
    assert "full" in page and "1 of 1 taken" in page
    assert url("register", campaign.pk, items[0].pk) not in page

    response = client_for.post(url("register", campaign.pk, items[0].pk), follow=True)
    assert "Sorry, this group is full." in text(response)
    assert not UserRegistration.objects.filter(user=student, status=CONFIRMED).exists()


def test_seat_partial_polls_while_open_and_shows_live_counts(client_for, fcfs):
    campaign, items = fcfs
    UserRegistration.objects.create(
        campaign=campaign, item=items[2], user=UserFactory(), status=CONFIRMED
    )
    response = client_for.get(url("student_campaign_seats", campaign.pk), HTTP_HX_REQUEST="true")
    body = text(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert f'hx-get="{url("student_campaign_seats", campaign.pk)}"' in body
    assert 'hx-trigger="every 15s' in body
    assert "1 of 25 taken" in body

    campaign_page = text(client_for.get(url("student_campaign", campaign.pk)))
    assert 'hx-trigger="every 15s' in campaign_page

    Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    assert "hx-trigger" not in text(client_for.get(url("student_campaign_seats", campaign.pk)))


# -- preference-based -----------------------------------------------------------------------------


def test_ranking_form_has_one_labelled_select_per_rank(client_for, pref):
    campaign, items = pref
    page = text(client_for.get(url("student_campaign", campaign.pk)))
    for rank, label in enumerate(["1st choice", "2nd choice", "3rd choice"], start=1):
        assert f'<label for="id_rank_{rank}">{label}</label>' in page
    assert 'id="id_rank_4"' not in page  # max_preferences = 3
    assert "Group 4" in page
    assert "preferences.js" in page


def test_rank_preferences_saves_the_ranking_and_shows_the_confirmation(client_for, student, pref):
    campaign, items = pref
    response = client_for.post(
        url("submit_preferences", campaign.pk), ranking_data(items[2], items[0], items[3])
    )
    assert response.status_code == 302
    assert response["Location"] == url("student_result", campaign.pk)
    assert list(
        UserRegistration.objects.filter(user=student).order_by("preference_rank").values_list(
            "item_id", "preference_rank", "status"
        )
    ) == [(items[2].pk, 1, PENDING), (items[0].pk, 2, PENDING), (items[3].pk, 3, PENDING)]

    page = text(client_for.get(response["Location"]))
    assert "Your ranking was saved." in page  # the message
    assert "The allocation runs after the deadline" in page
    ranking = page.split('<ol class="ranking">')[1].split("</ol>")[0]
    assert ranking.index("Group 3") < ranking.index("Group 1") < ranking.index("Group 4")


def test_campaign_page_prefills_my_current_ranking(client_for, pref):
    campaign, items = pref
    client_for.post(url("submit_preferences", campaign.pk), ranking_data(items[1], items[3]))
    response = client_for.get(url("student_campaign", campaign.pk))
    form = response.context["preference_form"]
    assert form.initial == {"rank_1": str(items[1].pk), "rank_2": str(items[3].pk)}
    assert url("withdraw_preferences", campaign.pk) in text(response)


def test_reranking_replaces_the_whole_ranking(client_for, student, pref):
    campaign, items = pref
    client_for.post(url("submit_preferences", campaign.pk), ranking_data(*items[:3]))
    client_for.post(url("submit_preferences", campaign.pk), ranking_data(items[3], items[1]))
    assert rows_of(student) == [(items[3].pk, PENDING), (items[1].pk, PENDING)]


def test_withdraw_ranking_removes_every_choice(client_for, student, pref):
    campaign, items = pref
    client_for.post(url("submit_preferences", campaign.pk), ranking_data(*items[:2]))
    response = client_for.post(url("withdraw_preferences", campaign.pk), follow=True)
    assert rows_of(student) == []
    assert "Your ranking was withdrawn." in text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rank_1": "", "rank_2": "ITEM0"}, "Choose at least your 1st choice."),
        ({"rank_1": "ITEM0", "rank_2": "", "rank_3": "ITEM1"},
         "Fill in your 2nd choice before your 3rd choice."),
        ({"rank_1": "ITEM0", "rank_2": "ITEM0"}, "is already your 1st choice"),
        ({"rank_1": "ITEM0", "rank_2": "ITEM1", "rank_3": "ITEM2", "rank_4": "ITEM3"},
         "You may rank at most 3 items."),
        ({"rank_1": "OTHER"}, "That choice is not part of this campaign"),
        ({"rank_1": "abc"}, "That choice is not part of this campaign"),
        ({"rank_1": "99999999999999999999999999"}, "That choice is not part of this campaign"),
        ({"rank_1": "-1"}, "That choice is not part of this campaign"),
    ],
    ids=["empty-first", "gap", "same-item-twice", "too-many", "other-campaign", "non-numeric",
         "huge", "negative"],
)
def test_invalid_rankings_are_refused_and_change_nothing(client_for, student, pref, data, message):
    campaign, items = pref
    client_for.post(url("submit_preferences", campaign.pk), ranking_data(items[3]))
    before = rows_of(student)
    other_item = ItemFactory(campaign=CampaignFactory(status="open", allocation_mode=PREFERENCE))
    values = {f"ITEM{n}": str(item.pk) for n, item in enumerate(items)} | {
        "OTHER": str(other_item.pk)
    }
    posted = {key: values.get(value, value) for key, value in data.items()}

    response = client_for.post(url("submit_preferences", campaign.pk), posted)

    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "Your ranking was not saved." in page
    assert rows_of(student) == before


def test_ranking_a_deleted_item_is_refused(client_for, student, pref):
    campaign, items = pref
    gone = items[0].pk
    items[0].delete()
    response = client_for.post(url("submit_preferences", campaign.pk), {"rank_1": str(gone)})
    assert "That choice is not part of this campaign" in text(response)
    assert rows_of(student) == []


# -- result view ------------------------------------------------------------------------------


def test_result_view_names_the_assigned_group_with_time_and_room(client_for, student):
    campaign = CampaignFactory(status="completed", allocation_mode=PREFERENCE)
    tutorial_c = TutorialFactory(
        lecture=campaign.lecture, title="Tutorial C", weekday=Tutorial.Weekday.THURSDAY,
        starts_at=datetime.time(14, 0), ends_at=datetime.time(16, 0), room="INF 205 SR 3",
    )
    first = ItemFactory(campaign=campaign)
    second = ItemFactory(campaign=campaign, registerable=tutorial_c)
    UserRegistration.objects.create(
        campaign=campaign, item=first, user=student, status=REJECTED, preference_rank=1,
        rejection_reason="capacity",
    )
    UserRegistration.objects.create(
        campaign=campaign, item=second, user=student, status=CONFIRMED, preference_rank=2
    )
    for page_url in (url("student_result", campaign.pk), url("student_campaign", campaign.pk)):
        page = text(client_for.get(page_url))
        assert "You were assigned to Tutorial C, Thursday 14:00–16:00, room INF 205 SR 3." in page
        assert "Your choices" in page


@pytest.mark.parametrize("status", ["closed", "processing"])
def test_result_view_waits_for_the_allocation_until_completed(client_for, student, status):
    campaign = CampaignFactory(status=status, allocation_mode=PREFERENCE)
    item = ItemFactory(campaign=campaign)
    # Even a computed (unpublished) assignment is not shown before completion.
    UserRegistration.objects.create(
        campaign=campaign, item=item, user=student,
        status=CONFIRMED if status == "processing" else PENDING, preference_rank=1,
    )
    page = text(client_for.get(url("student_result", campaign.pk)))
    assert "You are waiting for the allocation." in page
    assert "You were assigned" not in page


@pytest.mark.parametrize(
    ("reason", "readable"),
    [
        ("item_full", "The group was full when you tried to register."),
        ("capacity", "All groups you ranked were full."),
        ("solver_unassigned", "The allocation could not place you in any of your choices."),
        ("policy:institutional_email",
         "You did not meet a requirement of this registration: Institutional e-mail address."),
        ("manual", "The course staff decided this by hand"),
        ("", "You were not given a place."),
    ],
)
def test_result_view_explains_a_rejection(client_for, student, reason, readable):
    campaign = CampaignFactory(status="completed", allocation_mode=PREFERENCE)
    item = ItemFactory(campaign=campaign)
    UserRegistration.objects.create(
        campaign=campaign, item=item, user=student, status=REJECTED, preference_rank=1,
        rejection_reason=reason,
    )
    page = text(client_for.get(url("student_result", campaign.pk)))
    assert "You were not assigned to a group." in page
    assert readable in page
    assert reason not in page.split('id="result"')[1] or reason == ""


def test_result_view_without_registration(client_for):
    campaign = CampaignFactory(status="closed")
    ItemFactory(campaign=campaign)
    assert "You did not register in this campaign." in text(
        client_for.get(url("student_result", campaign.pk))
    )


# -- index ----------------------------------------------------------------------------------------


def test_index_sections_and_tabs(client_for, student):
    open_fcfs = CampaignFactory(status="open", title="Open tutorials")
    ItemFactory(campaign=open_fcfs)
    open_mine = CampaignFactory(status="open", title="Open and ranked", allocation_mode=PREFERENCE)
    ranked = ItemFactory(campaign=open_mine)
    UserRegistration.objects.create(
        campaign=open_mine, item=ranked, user=student, status=PENDING, preference_rank=1
    )
    expired = CampaignFactory(
        status="open", title="Deadline just passed",
        registration_deadline=timezone.now() - datetime.timedelta(seconds=1),
    )
    ItemFactory(campaign=expired)
    done_mine = CampaignFactory(status="completed", title="Seminar talks")
    got = ItemFactory(campaign=done_mine)
    UserRegistration.objects.create(campaign=done_mine, item=got, user=student, status=CONFIRMED)
    rejected_in = CampaignFactory(status="completed", title="Lost lottery",
                                  allocation_mode=PREFERENCE)
    lost = ItemFactory(campaign=rejected_in)
    UserRegistration.objects.create(
        campaign=rejected_in, item=lost, user=student, status=REJECTED, preference_rank=1,
        rejection_reason="solver_unassigned",
    )
    interest = CampaignFactory(status="open", title="Interest in Topology", planning_only=True)
    ItemFactory(campaign=interest, registerable=interest.lecture)
    CampaignFactory(status="draft", title="Secret draft")
    exam_campaign = CampaignFactory(status="open", title="Exam registration Analysis")
    ItemFactory(campaign=exam_campaign, registerable=ExamFactory(lecture=exam_campaign.lecture))
    other_student_only = CampaignFactory(status="closed", title="Someone else's")
    ItemFactory(campaign=other_student_only)

    page = text(client_for.get(url("student_index")))
    open_part, rest = page.split('id="mine-heading"')
    mine_part, others_part = rest.split('id="others-heading"')
    assert "Open tutorials" in open_part and "Open and ranked" in open_part
    assert "1 choice ranked" in open_part
    assert "Interest in Topology" in open_part and "Interest registration" in open_part
    assert "Seminar talks" in mine_part and "Assigned" in mine_part
    assert "Lost lottery" in mine_part
    assert "The allocation could not place you in any of your choices." in mine_part
    assert "Deadline just passed" in others_part and "Someone else's" in others_part
    assert "Secret draft" not in page
    assert "Exam registration Analysis" not in page
    assert 'href="?tab=courses" aria-current="page"' in page

    exams = text(client_for.get(url("student_index"), {"tab": "exams"}))
    assert "Exam registration Analysis" in exams
    assert "Open tutorials" not in exams
    assert 'href="?tab=exams" aria-current="page"' in exams

    # An unknown tab falls back to courses instead of failing.
    assert "Open tutorials" in text(client_for.get(url("student_index"), {"tab": "<x>"}))


def test_index_shows_only_my_own_results(client_for, student):
    campaign = CampaignFactory(status="completed", title="Their campaign")
    item = ItemFactory(campaign=campaign)
    UserRegistration.objects.create(campaign=campaign, item=item, user=UserFactory(),
                                    status=CONFIRMED)
    page = text(client_for.get(url("student_index")))
    others = page.split('id="others-heading"')[1]
    assert "Their campaign" in others
    assert "Assigned" not in page


# -- refusals ---------------------------------------------------------------------------------


def test_closed_campaign_refuses_registration_and_ranking(client_for, student, fcfs, pref):
    campaign, items = fcfs
    Campaign.objects.filter(pk__in=[campaign.pk, pref[0].pk]).update(status="closed")
    response = client_for.post(url("register", campaign.pk, items[0].pk), follow=True)
    assert "This campaign is not open for registrations." in text(response)
    response = client_for.post(url("submit_preferences", pref[0].pk), ranking_data(pref[1][0]))
    assert response.status_code == 302
    assert "This campaign is not open for registrations." in text(client_for.get(
        response["Location"]))
    assert rows_of(student) == []


def test_deadline_passed_a_second_ago_is_closed_although_status_is_open(client_for, student):
    past = timezone.now() - datetime.timedelta(seconds=1)
    fcfs_campaign = CampaignFactory(status="open", registration_deadline=past)
    item = ItemFactory(campaign=fcfs_campaign)
    pref_campaign = CampaignFactory(status="open", registration_deadline=past,
                                    allocation_mode=PREFERENCE)
    ranked = ItemFactory(campaign=pref_campaign)

    page = text(client_for.get(url("student_campaign", fcfs_campaign.pk)))
    assert url("register", fcfs_campaign.pk, item.pk) not in page
    assert "Closed" in page

    response = client_for.post(url("register", fcfs_campaign.pk, item.pk), follow=True)
    assert "The registration deadline has passed." in text(response)
    response = client_for.post(
        url("submit_preferences", pref_campaign.pk), {"rank_1": str(ranked.pk)}, follow=True
    )
    assert "The registration deadline has passed." in text(response)
    assert rows_of(student) == []


def test_draft_and_unknown_campaigns_are_404(client_for, student):
    draft = CampaignFactory(status="draft")
    item = ItemFactory(campaign=draft)
    for response in (
        client_for.get(url("student_campaign", draft.pk)),
        client_for.get(url("student_result", draft.pk)),
        client_for.get(url("student_campaign_seats", draft.pk)),
        client_for.post(url("register", draft.pk, item.pk)),
        client_for.post(url("withdraw", draft.pk, item.pk)),
        client_for.post(url("submit_preferences", draft.pk), {"rank_1": str(item.pk)}),
        client_for.post(url("withdraw_preferences", draft.pk)),
        client_for.get(url("student_campaign", 987654)),
        client_for.get(url("student_campaign", 99999999999999999999999)),
    ):
        assert response.status_code == 404
    assert rows_of(student) == []


def test_item_of_another_campaign_in_the_url_is_404(client_for, student, fcfs):
    campaign, items = fcfs
    foreign = ItemFactory(campaign=CampaignFactory(status="open"))
    assert client_for.post(url("register", campaign.pk, foreign.pk)).status_code == 404
    assert client_for.post(url("withdraw", campaign.pk, foreign.pk)).status_code == 404
    assert client_for.post(url("register", campaign.pk, 99999999999999999999)).status_code == 404
    assert rows_of(student) == []


def test_deleted_item_in_the_url_is_404(client_for, student, fcfs):
    campaign, items = fcfs
    gone = items[0].pk
    items[0].delete()
    assert client_for.post(url("register", campaign.pk, gone)).status_code == 404
    assert rows_of(student) == []


def test_withdrawing_another_students_place_changes_nothing(client_for, student, fcfs):
    campaign, items = fcfs
    other = UserFactory()
    theirs = UserRegistration.objects.create(
        campaign=campaign, item=items[0], user=other, status=CONFIRMED
    )
    response = client_for.post(
        url("withdraw", campaign.pk, items[0].pk), {"user": other.pk, "user_id": other.pk},
        follow=True,
    )
    assert "You are not registered for this item." in text(response)
    assert UserRegistration.objects.filter(pk=theirs.pk, status=CONFIRMED).exists()


def test_forged_user_id_in_the_post_is_ignored(client_for, student, fcfs, pref):
    campaign, items = fcfs
    other = UserFactory()
    forged = {"user": other.pk, "user_id": other.pk}
    client_for.post(url("register", campaign.pk, items[0].pk), forged)
    client_for.post(url("submit_preferences", pref[0].pk), ranking_data(pref[1][0]) | forged)
    assert rows_of(student, campaign) == [(items[0].pk, CONFIRMED)]
    assert rows_of(student, pref[0]) == [(pref[1][0].pk, PENDING)]
    assert rows_of(other) == []


def test_missing_csrf_token_is_403(student, fcfs, pref):
    campaign, items = fcfs
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert client.post(url("register", campaign.pk, items[0].pk)).status_code == 403
    assert client.post(
        url("submit_preferences", pref[0].pk), ranking_data(pref[1][0])
    ).status_code == 403
    assert client.post(url("withdraw_preferences", pref[0].pk)).status_code == 403
    assert rows_of(student) == []


def test_get_on_post_only_urls_is_405(client_for, student, fcfs, pref):
    campaign, items = fcfs
    for post_only in (
        url("register", campaign.pk, items[0].pk),
        url("withdraw", campaign.pk, items[0].pk),
        url("submit_preferences", pref[0].pk),
        url("withdraw_preferences", pref[0].pk),
    ):
        assert client_for.get(post_only).status_code == 405
    assert rows_of(student) == []


def test_anonymous_users_are_sent_to_the_login_page(fcfs, pref):
    campaign, items = fcfs
    client = Client()
    login = reverse("login")
    for method, target in (
        ("get", url("student_index")),
        ("get", url("student_campaign", campaign.pk)),
        ("get", url("student_campaign_seats", campaign.pk)),
        ("get", url("student_result", campaign.pk)),
        ("post", url("register", campaign.pk, items[0].pk)),
        ("post", url("withdraw", campaign.pk, items[0].pk)),
        ("post", url("submit_preferences", pref[0].pk)),
        ("post", url("withdraw_preferences", pref[0].pk)),
    ):
        response = getattr(client, method)(target)
        assert response.status_code == 302
        assert response["Location"].startswith(login)
    assert not UserRegistration.objects.exists()


def test_wrong_mode_actions_are_refused_with_a_message(client_for, student, fcfs, pref):
    campaign, items = fcfs
    response = client_for.post(
        url("submit_preferences", campaign.pk), ranking_data(items[0]), follow=True
    )
    assert "This campaign is first come, first served." in text(response)
    response = client_for.post(url("register", pref[0].pk, pref[1][0].pk), follow=True)
    assert "Rank your preferences instead" in text(response)
    assert rows_of(student) == []


def test_ineligible_student_sees_the_reason_and_cannot_register(client_for, student, fcfs, pref):
    campaign, items = fcfs
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})
    PolicyFactory(campaign=pref[0], config={"domains": ["uni-heidelberg.de"]})

    page = text(client_for.get(url("student_campaign", campaign.pk)))
    assert "You cannot register" in page
    assert "only open to holders of a university e-mail address (uni-heidelberg.de)" in page
    assert "Add your university e-mail address to your profile" in page
    try:
        assert f'href="{reverse("profile")}"' in page
    except NoReverseMatch:
        pass  # no profile page in this build: the action text alone tells what to do
    assert url("register", campaign.pk, items[0].pk) not in page
    assert 'name="rank_1"' not in text(client_for.get(url("student_campaign", pref[0].pk)))

    response = client_for.post(url("register", campaign.pk, items[0].pk), follow=True)
    assert "only open to holders of a university e-mail address" in text(response)
    client_for.post(url("submit_preferences", pref[0].pk), ranking_data(pref[1][0]))
    assert rows_of(student) == []


def test_eligible_student_with_institutional_address_can_register(fcfs):
    campaign, items = fcfs
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})
    student = UserFactory(institutional_email="ada@stud.uni-heidelberg.de")
    client = Client()
    client.force_login(student)
    page = text(client.get(url("student_campaign", campaign.pk)))
    assert "You meet the requirements of this registration." in page
    client.post(url("register", campaign.pk, items[0].pk))
    assert rows_of(student) == [(items[0].pk, CONFIRMED)]


# -- query bounds -------------------------------------------------------------------------------


def test_index_query_count_is_bounded(client_for, student, django_assert_max_num_queries):
    lectures = [LectureFactory() for _ in range(6)]
    for n in range(30):
        lecture = lectures[n % len(lectures)]
        campaign = CampaignFactory(
            lecture=lecture,
            status=["open", "closed", "completed"][n % 3],
            allocation_mode=PREFERENCE if n % 2 else FCFS,
        )
        if n % 10 == 0:
            items = [ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture))]
        else:
            items = [ItemFactory(campaign=campaign) for _ in range(4)]
        if n % 4 == 0 and campaign.is_preference_based:
            for rank, item in enumerate(items[:2], start=1):
                UserRegistration.objects.create(campaign=campaign, item=item, user=student,
                                                status=PENDING, preference_rank=rank)
        elif n % 4 == 0:
            UserRegistration.objects.create(campaign=campaign, item=items[0], user=student,
                                            status=CONFIRMED)
    assert 100 <= Item.objects.count() <= 115

    with django_assert_max_num_queries(8):
        response = client_for.get(url("student_index"))
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        client_for.get(url("student_index"), {"tab": "exams"})


def test_campaign_page_query_count_is_bounded(client_for, student, django_assert_max_num_queries):
    campaign = CampaignFactory(status="open")
    PolicyFactory(campaign=campaign, config={"domains": ["example.org"]})
    items = [
        ItemFactory(campaign=campaign,
                    registerable=TutorialFactory(lecture=campaign.lecture, capacity=30))
        for _ in range(8)
    ]
    others = [UserFactory() for _ in range(200)]
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=items[n % 8], user=user, status=CONFIRMED)
        for n, user in enumerate(others)
    )
    UserRegistration.objects.create(campaign=campaign, item=items[0], user=student,
                                    status=CONFIRMED)

    with django_assert_max_num_queries(12):
        response = client_for.get(url("student_campaign", campaign.pk))
    assert "26 of 30 taken" in text(response)
    with django_assert_max_num_queries(12):
        client_for.get(url("student_campaign_seats", campaign.pk))

    pref_campaign = CampaignFactory(status="open", allocation_mode=PREFERENCE, max_preferences=5)
    pref_items = [ItemFactory(campaign=pref_campaign) for _ in range(8)]
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=pref_campaign, item=pref_items[(n + rank) % 8], user=user,
                         status=PENDING, preference_rank=rank)
        for n, user in enumerate(others[:40]) for rank in range(1, 6)
    )
    with django_assert_max_num_queries(12):
        response = client_for.get(url("student_campaign", pref_campaign.pk))
    assert 'id="id_rank_5"' in text(response)


# -- every student page, realistic sizes, tight query bounds (issue 7, item 19) ------------------
#
# With database sessions (the test settings) every logged-in request pays 2 queries (session,
# user). A campaign page, its result page and "My registrations" send their reads -- the
# campaign with its lecture, term and policies, its items with the places taken and my rows,
# and the layout's "My groups" flag -- in one round trip (``mampf.db.fetch_together``; on
# SQLite one after the other); the counts below are round trips, as measured after the pages
# were made lighter. A new query per row, per group kind or per include fails here.


@pytest.fixture
def busy_world(student):
    """A lecture with 8 tutorials, a talk, an exam and a cohort in one FCFS campaign (200 other
    students hold seats), a preference campaign of 10 tutorials with 300 rankings, and the
    student on three rosters with a seat and a ranking."""
    from rosters.services import add_user

    lecture = LectureFactory(title="Analysis I")
    teacher = lecture.teacher
    groups = [TutorialFactory(lecture=lecture, capacity=30) for _ in range(8)]
    groups += [TalkFactory(lecture=lecture), ExamFactory(lecture=lecture),
               CohortFactory(lecture=lecture)]
    fcfs_campaign = CampaignFactory(lecture=lecture, status="open", title="Tutorials Analysis I")
    PolicyFactory(campaign=fcfs_campaign, config={"domains": ["example.org"]})
    fcfs_items = [ItemFactory(campaign=fcfs_campaign, registerable=g, exclusive=False)
                  for g in groups]
    others = User.objects.bulk_create(
        User(email=f"other{n}@example.org", name=f"Other {n}") for n in range(300)
    )
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=fcfs_campaign, item=fcfs_items[n % 8], user=user,
                         status=CONFIRMED, exclusive=False)
        for n, user in enumerate(others[:200])
    )
    UserRegistration.objects.create(campaign=fcfs_campaign, item=fcfs_items[1], user=student,
                                    status=CONFIRMED, exclusive=False)
    pref_campaign = CampaignFactory(lecture=lecture, status="open", title="Tutorials Algebra",
                                    allocation_mode=PREFERENCE, max_preferences=3)
    pref_items = [
        ItemFactory(campaign=pref_campaign,
                    registerable=TutorialFactory(lecture=lecture, capacity=30))
        for _ in range(10)
    ]
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=pref_campaign, item=pref_items[(n + rank) % 10], user=user,
                         status=PENDING, preference_rank=rank)
        for n, user in enumerate(others) for rank in range(1, 4)
    )
    for rank, item in enumerate(pref_items[2:5], start=1):
        UserRegistration.objects.create(campaign=pref_campaign, item=item, user=student,
                                        status=PENDING, preference_rank=rank)
    for n in range(12):  # more campaigns on the index: closed and completed ones
        CampaignFactory(status=["closed", "completed"][n % 2])
    for registerable in (lecture, groups[0], groups[8]):
        add_user(registerable=registerable, user=student, by=teacher, notify=False)
    return {"fcfs": fcfs_campaign, "fcfs_items": fcfs_items, "pref": pref_campaign,
            "pref_items": pref_items}


@pytest.mark.parametrize(
    ("page", "bounds", "expected"),
    [  # (PostgreSQL: reads sent together, elsewhere: one after the other)
        ("home", (5, 6), "Analysis I"),
        ("index", (3, 5), "Tutorials Algebra"),
        ("fcfs", (3, 5), "26 of 30 taken"),
        ("seats", (3, 4), "26 of 30 taken"),
        ("pref", (3, 5), 'id="id_rank_3"'),
        ("result", (3, 5), "Your choices"),
        ("profile", (3, 3), "Ada Student"),
    ],
)
def test_student_page_query_bounds(client_for, busy_world, django_assert_max_num_queries,
                                   page, bounds, expected):
    from mampf.db import batches_statements

    bound = bounds[0] if batches_statements() else bounds[1]
    fcfs, pref = busy_world["fcfs"], busy_world["pref"]
    paths = {
        "home": (reverse("home"), {}),
        "index": (url("student_index"), {}),
        "fcfs": (url("student_campaign", fcfs.pk), {}),
        "seats": (url("student_campaign_seats", fcfs.pk), {"HTTP_HX_REQUEST": "true"}),
        "pref": (url("student_campaign", pref.pk), {}),
        "result": (url("student_result", pref.pk), {}),
        "profile": (reverse("profile"), {}),
    }
    path, extra = paths[page]
    client_for.get(path, **extra)  # warm-up (content types, translations)
    with django_assert_max_num_queries(bound):
        response = client_for.get(path, **extra)
    assert response.status_code == 200
    assert expected in text(response)


def test_seat_table_shows_every_group_kind_with_its_schedule_in_one_query(client_for, busy_world):
    """Tutorials, a talk, an exam and a cohort in one campaign: each row shows its own kind's
    details (room, date, place), fetched by the item query itself."""
    page = text(client_for.get(url("student_campaign", busy_world["fcfs"].pk)))
    items = busy_world["fcfs_items"]
    tutorial, talk, exam, cohort = (items[0].registerable, items[8].registerable,
                                    items[9].registerable, items[10].registerable)
    assert f"room {tutorial.room}" in page and "Monday 10:00–12:00" in page
    assert talk.title in page and exam.title in page and "Hörsaal 1" in page
    assert cohort.title in page
    assert page.count('class="badge badge-confirmed">Your place') == 1


def test_ranking_form_preselects_my_ranking_and_marks_errors(client_for, busy_world):
    pref, pref_items = busy_world["pref"], busy_world["pref_items"]
    page = text(client_for.get(url("student_campaign", pref.pk)))
    for rank, item in enumerate(pref_items[2:5], start=1):
        select = page.split(f'id="id_rank_{rank}"', 1)[1].split("</select>", 1)[0]
        assert f'<option value="{item.pk}" selected>' in select
        assert select.count(" selected") == 1
    assert 'name="rank_1" id="id_rank_1" data-rank="1" required' in page

    response = client_for.post(url("submit_preferences", pref.pk),
                               {"rank_1": "", "rank_2": str(pref_items[0].pk)})
    page = text(response)
    assert response.status_code == 200
    assert 'aria-invalid="true" aria-describedby="id_rank_1_error"' in page
    assert 'id="id_rank_1_error"' in page and "Choose at least your 1st choice." in page
    second = page.split('id="id_rank_2"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{pref_items[0].pk}" selected>' in second


def test_layout_navigation_flags_follow_the_user(client, busy_world):
    """The flags still show "My groups" to tutors and "Admin" to site staff, also on the pages
    that read them in the same round trip as their own rows (``Navigation.along_with_page``)."""
    from tests.factories import StaffFactory

    paths = [url("student_index"), url("student_campaign", busy_world["fcfs"].pk),
             url("student_campaign", busy_world["pref"].pk),
             url("student_result", busy_world["pref"].pk)]
    tutor = UserFactory()
    busy_world["fcfs_items"][0].registerable.tutorial.tutors.add(tutor)
    for path in paths:
        client.force_login(tutor)
        page = text(client.get(path))
        assert "My groups" in page and ">Admin<" not in page, path
        client.force_login(StaffFactory())
        page = text(client.get(path))
        assert ">Admin<" in page and "My groups" not in page, path
        client.force_login(UserFactory())
        page = text(client.get(path))
        assert "My groups" not in page and ">Admin<" not in page, path


def test_start_page_shows_every_membership_from_one_query(client_for, busy_world):
    """The start page's one roster query still shows each kind's details, the tutors' names, the
    lecture's term and the confirmed place not yet in the list; a student sees no staff card."""
    tutorial = busy_world["fcfs_items"][0].registerable.tutorial
    talk = busy_world["fcfs_items"][8].registerable.talk
    tutorial.tutors.add(UserFactory(name="Tom Tutor"), UserFactory(name="Ann Tutor"))
    page = text(client_for.get(reverse("home")))
    assert f"<strong>{tutorial.title}</strong> · Analysis I · {tutorial.schedule}" in page
    assert "Tutors: Ann Tutor, Tom Tutor" in page
    assert f"<strong>{talk.position}. {talk.title}</strong> · Analysis I" in page
    lecture = busy_world["fcfs"].lecture
    assert f'Analysis I <span class="muted">{lecture.term}</span>' in page
    item = busy_world["fcfs_items"][1].registerable
    assert f"<strong>{item.title}</strong> · Analysis I" in page
    assert "confirmed, not yet in the list" in page
    assert "Lectures you manage" not in page and "Tutorials I teach" not in page
    assert "My groups</a>" not in page


def test_start_page_shows_staff_sections_to_a_tutor_and_teacher(client, busy_world):
    teacher = busy_world["fcfs"].lecture.teacher
    busy_world["fcfs_items"][0].registerable.tutorial.tutors.add(teacher)
    client.force_login(teacher)
    page = text(client.get(reverse("home")))
    assert "Lectures you manage" in page and "Tutorials I teach" in page
    assert "My groups</a>" in page


def test_seat_table_counts_what_the_capacity_decision_counts(client_for, student, fcfs):
    """Roster members added by hand and confirmed places of another campaign take places: the
    page shows rosters.selectors.seats_taken, the number the register service decides on."""
    from rosters.selectors import seats_taken
    from rosters.services import add_user

    campaign, items = fcfs
    group = items[0].registerable
    for _n in range(3):
        add_user(registerable=group, user=UserFactory(), by=campaign.lecture.teacher,
                 notify=False)
    other = CampaignFactory(lecture=campaign.lecture, status="open")
    other_item = ItemFactory(campaign=other, registerable=group)
    UserRegistration.objects.create(campaign=other, item=other_item, user=UserFactory(),
                                    status=CONFIRMED)
    UserRegistration.objects.create(campaign=campaign, item=items[0], user=UserFactory(),
                                    status=CONFIRMED)
    assert seats_taken([group.pk])[group.pk] == 5
    page = text(client_for.get(url("student_campaign", campaign.pk)))
    assert "5 of 25 taken" in page
    seats = text(client_for.get(url("student_campaign_seats", campaign.pk),
                                HTTP_HX_REQUEST="true"))
    assert "5 of 25 taken" in seats and 'data-seats="5"' in seats


def test_layout_reverses_and_hashes_nothing_per_request(client_for, busy_world, monkeypatch):
    """The layout's URLs, static files and language names are per-process constants: a page
    after the first reverses no URL and looks up no static file for the layout (the same
    markup as before: the navigation links, the icons and the language form)."""
    import django.urls
    from django.templatetags import static as static_tags

    from mampf.context_processors import Layout

    client_for.get(reverse("profile"))
    calls = []
    original_reverse = django.urls.reverse
    monkeypatch.setattr(django.urls, "reverse",
                        lambda viewname, *a, **k: calls.append(viewname)
                        or original_reverse(viewname, *a, **k))
    original_static = static_tags.StaticNode.handle_simple
    monkeypatch.setattr(static_tags.StaticNode, "handle_simple",
                        classmethod(lambda cls, path: calls.append(path)
                                    or original_static(path)))
    page = text(client_for.get(url("student_result", busy_world["pref"].pk)))
    # The result page's own content links "My registrations"; nothing else here is reversed.
    layout_names = {*Layout.NAV_ROUTES.values(), *Layout.STATIC_FILES.values()}
    assert not (layout_names - {"registration:student_index"}) & set(calls)
    for href in (reverse("home"), url("student_index"), reverse("profile")):
        assert f'<li><a href="{href}">' in page
    assert f'<form action="{reverse("set_language")}" method="post"' in page
    assert f'<form action="{reverse("logout")}" method="post"' in page
    assert '<option value="en" selected>English</option>' in page
    assert '<option value="de">German</option>' in page
    assert 'rel="stylesheet" href="/static/css/app' in page
    assert '<script src="/static/js/app' in page and "htmx" in page


def test_decorated_items_keep_their_group_id(fcfs):
    """The stand-in groups of the seat table keep ``item.registerable_id`` (it was None)."""
    from registration.selectors.student import campaign_items

    campaign, items = fcfs
    decorated = campaign_items(campaign)
    assert [item.registerable_id for item in decorated] == [i.registerable_id for i in items]
    assert [item.registerable.pk for item in decorated] == [i.registerable_id for i in items]


def test_register_post_reads_and_decides_in_a_fixed_small_number_of_queries(
    client_for, student, django_assert_max_num_queries
):
    """The rush's hot path: session, user, item with its campaign (one query), the campaign's
    rules, the three locks, one statement for the seat count + tutorial check + my rows, the
    write (and the savepoint around it in tests) -- whatever the size of the group."""
    campaign = CampaignFactory(status="open")
    PolicyFactory(campaign=campaign, config={"domains": ["example.org"]})
    items = [ItemFactory(campaign=campaign,
                         registerable=TutorialFactory(lecture=campaign.lecture, capacity=300))
             for _ in range(3)]
    others = User.objects.bulk_create(
        User(email=f"taken{n}@example.org", name=f"Taken {n}") for n in range(200)
    )
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=items[0], user=user, status=CONFIRMED)
        for user in others
    )
    with django_assert_max_num_queries(11):
        response = client_for.post(url("register", campaign.pk, items[0].pk))
    assert response.status_code == 302
    assert rows_of(student) == [(items[0].pk, CONFIRMED)]
    with django_assert_max_num_queries(11):  # a double click: the place it already has
        client_for.post(url("register", campaign.pk, items[0].pk))
    assert rows_of(student) == [(items[0].pk, CONFIRMED)]


def test_seat_rows_escape_titles_and_mark_mine_full_and_actions(client_for, student):
    """The seat table is written in Python (``{% seat_table %}``): a group title is
    escaped everywhere it appears, my row says "Your place" with a Withdraw form, a full group
    says "full" and offers no Register button, the others a Register form with the CSRF token."""
    campaign = CampaignFactory(status="open", allow_withdrawal=True)
    evil, full, free = (
        ItemFactory(campaign=campaign, registerable=TutorialFactory(
            lecture=campaign.lecture, title=title, capacity=capacity, weekday=0, room="E.07"))
        for title, capacity in (('<b>"Mine"</b>', 5), ("Full", 1), ("Free", 3))
    )
    UserRegistration.objects.create(campaign=campaign, item=evil, user=student,
                                    status=CONFIRMED, exclusive=False)
    UserRegistration.objects.create(campaign=campaign, item=full, user=UserFactory(),
                                    status=CONFIRMED)
    body = client_for.get(url("student_campaign_seats", campaign.pk),
                          HTTP_HX_REQUEST="true").content.decode()
    assert "<b>" not in body and "&lt;b&gt;&quot;Mine&quot;&lt;/b&gt;" in body
    mine = body[body.index(f'data-item="{evil.pk}"'):body.index(f'data-item="{full.pk}"')]
    assert 'class="row-mine"' in body and "Your place" in mine and "room E.07" in mine
    assert url("withdraw", campaign.pk, evil.pk) in mine and "csrfmiddlewaretoken" in mine
    assert "1 of 5 taken" in mine and 'data-label="Seats" data-seats="1"' in mine
    full_row = body[body.index(f'data-item="{full.pk}"'):body.index(f'data-item="{free.pk}"')]
    assert 'badge-rejected">full</span>' in full_row and "1 of 1 taken" in full_row
    assert url("register", campaign.pk, full.pk) not in full_row
    free_row = body[body.index(f'data-item="{free.pk}"'):]
    assert url("register", campaign.pk, free.pk) in free_row
    assert f'id="seat-action-{free.pk}"' in free_row and "Register" in free_row


def test_index_rows_escape_titles_and_speak_the_students_language(client_for, student):
    """The index's rows are written in Python (``registration/templatetags/student_index.py``):
    titles are escaped, and the badges, the time left and the next step are in German for a
    German page."""
    evil = CampaignFactory(status="open", title='<i>"Open"</i> & co', allocation_mode=PREFERENCE,
                           registration_deadline=timezone.now() + datetime.timedelta(days=3))
    ranked = ItemFactory(campaign=evil)
    UserRegistration.objects.create(campaign=evil, item=ranked, user=student, status=PENDING,
                                    preference_rank=1)
    fresh = CampaignFactory(status="open", title="Fresh FCFS")
    ItemFactory(campaign=fresh)
    done = CampaignFactory(status="completed", title="<b>Done</b>")
    UserRegistration.objects.create(campaign=done, item=ItemFactory(campaign=done), user=student,
                                    status=CONFIRMED)
    body = client_for.get(url("student_index"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<i>" not in body and "<b>Done" not in body
    assert "&lt;i&gt;&quot;Open&quot;&lt;/i&gt; &amp; co" in body and "&lt;b&gt;Done" in body
    assert "1 Wunsch angegeben" in body and "noch 2\xa0Tage" in body
    assert "Zugeteilt" in body
    open_rows = body[body.index('id="open-heading"'):body.index('id="mine-heading"')]
    assert f'data-campaign="{fresh.pk}"' in open_rows and "btn btn-small btn-primary" in open_rows
    assert ">Anmelden<" in open_rows


def test_a_campaigns_prefetched_policies_filter_afresh_like_a_real_prefetch(student):
    """``campaign_for_student`` hands over the policies as if prefetched: ``all()`` reads no
    query, and a further ``filter()`` queries this campaign's policies only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from registration.selectors.student import campaign_for_student

    campaign = CampaignFactory(status="open")
    mine = PolicyFactory(campaign=campaign, config={"domains": ["example.org"]})
    PolicyFactory(campaign=CampaignFactory(status="open"), config={"domains": ["example.org"]})
    found = campaign_for_student(campaign.pk)
    with CaptureQueriesContext(connection) as queries:
        assert list(found.policies.all()) == [mine]
    assert len(queries.captured_queries) == 0
    assert list(found.policies.filter(active=True)) == [mine]
    assert list(found.policies.exclude(pk=mine.pk)) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_ranking_offer_writes_what_the_unbound_form_writes(pref, student, language):
    """A GET shows ``RankingOffer`` (no Django form built); a POST with errors re-shows the
    ``PreferenceForm``: both write the same rows for the same ranking."""
    from django.utils import translation

    from registration.forms.student import PreferenceForm, RankingOffer
    from registration.selectors.student import campaign_for_student, campaign_page

    campaign, items = pref
    with translation.override(language):
        for ranked in ([], items[:1], [items[2], items[0]], items[:3]):
            UserRegistration.objects.filter(user=student).delete()
            for rank, item in enumerate(ranked, start=1):
                UserRegistration.objects.create(campaign=campaign, item=item, user=student,
                                                status=PENDING, preference_rank=rank)
            page = campaign_page(campaign_for_student(campaign.pk), user=student)
            form = PreferenceForm(items=page.items, rank_count=3,
                                  initial=PreferenceForm.initial_from(page.outcome.ranking))
            offer = RankingOffer(items=page.items, rank_count=3, ranking=page.outcome.ranking)
            assert offer.rank_rows() == form.rank_rows()
            assert offer.non_field_errors() == list(form.non_field_errors()) == []
            assert offer.rank_rows().count(" selected>") == len(ranked) + (3 - len(ranked))


def test_facts_card_escapes_and_speaks_the_students_language(client_for):
    """The facts card is written in Python (``{% campaign_facts %}``): the title, lecture and
    description are escaped (line breaks kept), an exam without a date says so, the time left
    shows only while the campaign is open, and all of it is German on a German page."""
    lecture = LectureFactory(title="<i>Lineare</i> Algebra")
    campaign = CampaignFactory(
        lecture=lecture, status="open", title="<b>Klausur</b>",
        description="Erste Zeile\n<script>alert(1)</script>",
        registration_deadline=timezone.now() + datetime.timedelta(days=3, hours=1),
    )
    ItemFactory(campaign=campaign, registerable=ExamFactory(lecture=lecture, date=None,
                                                            location="", title="Klausur 1"))
    body = client_for.get(url("student_campaign", campaign.pk),
                          HTTP_ACCEPT_LANGUAGE="de").content.decode()
    facts = body[body.index('<dl class="facts">'):body.index("</section>", body.index("facts"))]
    assert "<i>" not in body and "<script>" not in body and "<b>Klausur" not in body
    assert "&lt;i&gt;Lineare&lt;/i&gt; Algebra" in facts
    assert "Erste Zeile<br>&lt;script&gt;alert(1)&lt;/script&gt;" in facts
    assert '<dd class="exam-fact">Klausur 1</dd>' in facts
    assert facts.count("noch nicht festgelegt") == 2  # date and place
    assert "Anmeldeschluss" in facts and "noch 3\xa0Tage" in facts
    assert "Nach Anmeldereihenfolge" in facts and 'badge-open">Offen<' in facts

    Campaign.objects.filter(pk=campaign.pk).update(status="completed")
    body = client_for.get(url("student_campaign", campaign.pk)).content.decode()
    facts = body[body.index('<dl class="facts">'):]
    assert " left)" not in facts and 'badge-completed">Completed<' in facts


def test_eligibility_notice_and_campaign_notices_escape_what_they_show(client_for, student):
    """The eligibility notice (``{% eligibility_notice %}``) and the higher apps' notices
    (``{% campaign_notices %}``) are written in Python: what a policy or a provider says is
    escaped, a notice's link text defaults to "More", and the ids stay unique."""
    from registration.notices import (
        CampaignNotice,
        register_campaign_notice,
        unregister_campaign_notice,
    )

    campaign = CampaignFactory(status="open")
    ItemFactory(campaign=campaign)
    PolicyFactory(campaign=campaign, config={"domains": ["uni-heidelberg.de"]})

    def provider(campaign, user):
        return [CampaignNotice(level="info", title="<b>First</b>", lines=("a < b", "c & d"),
                               link_url="/x?a=1&b=2", code="first"),
                CampaignNotice(level="warning", title="Second", code="second")]

    register_campaign_notice(provider, name="tests.escaping")
    try:
        body = client_for.get(url("student_campaign", campaign.pk)).content.decode()
    finally:
        unregister_campaign_notice("tests.escaping")
    assert '<h2 id="notice-1" class="notice-title">&lt;b&gt;First&lt;/b&gt;</h2>' in body
    assert "<p>a &lt; b</p><p>c &amp; d</p>" in body
    assert '<a href="/x?a=1&amp;b=2">More</a>' in body
    assert 'aria-labelledby="notice-2" data-notice="second"' in body
    second = body[body.index('data-notice="second"'):]
    assert "<a " not in second[:second.index("</section>")]  # no link without a URL
    warning = body[body.index('id="eligibility"') - 120:]
    assert 'role="alert"' in warning and "You cannot register" in warning
    assert "uni-heidelberg.de" in warning and "What to do:" in warning
    assert f'href="{reverse("profile")}">Go to my profile</a>' in warning


def test_seat_table_frame_polls_only_an_open_first_come_campaign(client_for):
    """The seat table (``{% seat_table %}``) polls itself and has an action column on an open
    FCFS campaign's page; the preference campaign's table of places does neither."""
    fcfs = CampaignFactory(status="open")
    ItemFactory(campaign=fcfs)
    pref = CampaignFactory(status="open", allocation_mode=PREFERENCE)
    ItemFactory(campaign=pref)
    seats_url = url("student_campaign_seats", fcfs.pk)
    body = client_for.get(url("student_campaign", fcfs.pk)).content.decode()
    assert f'<div id="seat-table" hx-get="{seats_url}" hx-trigger="every 15s' in body
    assert '<span class="visually-hidden">Action</span>' in body and "update by themselves" in body
    partial = client_for.get(seats_url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith(f'<div id="seat-table" hx-get="{seats_url}"')
    assert "<html" not in partial and partial.count("<table") == 1
    body = client_for.get(url("student_campaign", pref.pk)).content.decode()
    assert '<div id="seat-table">' in body and "hx-get" not in body
    assert ">Action<" not in body and "update by themselves" not in body


def test_seat_table_speaks_german_down_to_the_room(client_for):
    """Every word of a tutorial's row is translated, also those looked up once per page
    (``_Words``): weekday and "room" (a message makemessages must still find)."""
    campaign = CampaignFactory(status="open")
    ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=campaign.lecture, weekday=0, room="E.07", capacity=5))
    body = client_for.get(url("student_campaign_seats", campaign.pk), HTTP_HX_REQUEST="true",
                          HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Raum E.07" in body and "Montag" in body and "0 von 5 belegt" in body


def test_my_result_escapes_the_group_and_speaks_german(client_for, student):
    """"Your registration" (``{% my_result %}``) puts the group's summary into the translated
    sentence escaped, as ``blocktranslate`` did, on the campaign page and the result page."""
    campaign = CampaignFactory(status="open", allow_withdrawal=True)
    item = ItemFactory(campaign=campaign, registerable=TutorialFactory(
        lecture=campaign.lecture, title='<b>"Mine"</b> & co', weekday=1, room="E.07"))
    UserRegistration.objects.create(campaign=campaign, item=item, user=student,
                                    status=CONFIRMED)
    for name in ("student_campaign", "student_result"):
        body = client_for.get(url(name, campaign.pk), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        result = body[body.index('id="result"'):]
        result = result[:result.index("</section>")]
        assert "<b>" not in result
        assert ("Sie sind angemeldet für &lt;b&gt;&quot;Mine&quot;&lt;/b&gt; &amp; co, Dienstag"
                in result), result
        assert "Raum E.07." in result and "Ihre Anmeldung" in result
