"""Staff allocation pages: access, running an allocation, progress, failures, finalization with
its confirmation step, FCFS and planning-only campaigns, the unassigned panel with one-click
placement, junk input and query bounds."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mampf.models import User
from registration.models import AllocationRun, Campaign, UserRegistration
from rosters.models import RosterChange, RosterEntry
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
PREF = Campaign.AllocationMode.PREFERENCE_BASED
HUGE_ID = 99999999999999999999999


def url(name, *args):
    return reverse(f"registration:{name}", args=args)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def rank(campaign, user, items):
    UserRegistration.objects.bulk_create(
        UserRegistration(
            campaign=campaign, item=item, user=user, status="pending", preference_rank=position
        )
        for position, item in enumerate(items, start=1)
    )


@pytest.fixture
def lecture():
    return LectureFactory(title="Linear Algebra I")


@pytest.fixture
def campaign(lecture):
    return CampaignFactory(
        lecture=lecture, status=Status.CLOSED, allocation_mode=PREF, title="Tutorials LA I"
    )


@pytest.fixture
def items(campaign):
    """Two tutorials with one place each."""
    return [
        ItemFactory(
            campaign=campaign,
            registerable=TutorialFactory(lecture=campaign.lecture, title=title, capacity=1),
        )
        for title in ("Tutorial A", "Tutorial B")
    ]


@pytest.fixture
def students(campaign, items):
    """Three students for two places: Ada and Grace want A first, Emmy wants B."""
    ada, grace, emmy = (
        UserFactory(name="Ada Lovelace"),
        UserFactory(name="Grace Hopper"),
        UserFactory(name="Emmy Noether"),
    )
    a, b = items
    rank(campaign, ada, [a, b])
    rank(campaign, grace, [a, b])
    rank(campaign, emmy, [b])
    return ada, grace, emmy


@pytest.fixture
def users(lecture):
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


@pytest.fixture
def staff_client(client, lecture):
    client.force_login(lecture.teacher)
    return client


def allocate(client, campaign, django_capture_on_commit_callbacks, **data):
    payload = {"objective": "rank_sum", "seed": "7"} | data
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url("staff_campaign_allocate", campaign.pk), payload)


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "editor", "site_staff"])
def test_managers_open_every_page(client, campaign, items, users, role):
    client.force_login(users[role])
    for name in ("staff_campaign_allocation", "staff_campaign_finalize", "staff_unassigned"):
        assert client.get(url(name, campaign.pk)).status_code == 200
    # Without htmx the progress address sends people to the page itself.
    response = client.get(url("staff_allocation_progress", campaign.pk))
    assert response.status_code == 302
    assert response["Location"] == url("staff_campaign_allocation", campaign.pk)


@pytest.mark.parametrize("role", ["student", "tutor", "other_teacher"])
def test_everyone_else_is_refused(client, campaign, students, users, role):
    client.force_login(users[role])
    for name in (
        "staff_campaign_allocation",
        "staff_allocation_progress",
        "staff_campaign_finalize",
        "staff_unassigned",
    ):
        assert client.get(url(name, campaign.pk)).status_code == 403
    for name in ("staff_campaign_allocate", "staff_campaign_finalize"):
        assert client.post(url(name, campaign.pk), {"objective": "rank_sum"}).status_code == 403
    ada = students[0]
    assign = url("staff_unassigned_assign", campaign.pk, ada.pk)
    assert client.post(assign, {"registerable": "1"}).status_code == 403
    assert not AllocationRun.objects.exists()
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


def test_anonymous_is_sent_to_login(client, campaign):
    for name in ("staff_campaign_allocation", "staff_campaign_finalize", "staff_unassigned"):
        response = client.get(url(name, campaign.pk))
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(url("staff_campaign_allocate", campaign.pk))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not AllocationRun.objects.exists()


def test_unknown_and_huge_ids_are_404(staff_client, campaign):
    for name in ("staff_campaign_allocation", "staff_campaign_finalize", "staff_unassigned"):
        assert staff_client.get(url(name, 987654)).status_code == 404
        assert staff_client.get(url(name, HUGE_ID)).status_code == 404
    assert staff_client.post(url("staff_campaign_allocate", HUGE_ID)).status_code == 404


def test_only_post_changes_things(staff_client, campaign):
    assert staff_client.get(url("staff_campaign_allocate", campaign.pk)).status_code == 405
    assert staff_client.get(
        url("staff_unassigned_assign", campaign.pk, campaign.lecture.teacher.pk)
    ).status_code == 405


# -- running the allocation ---------------------------------------------------------------------


def test_run_allocation_through_the_page_and_see_the_statistics(
    staff_client, campaign, students, django_capture_on_commit_callbacks
):
    response = allocate(
        staff_client, campaign, django_capture_on_commit_callbacks,
        objective="generous", balanced="on", seed="42",
    )
    assert response.status_code == 302
    run = AllocationRun.objects.get()
    assert run.status == "succeeded"
    assert (run.objective, run.seed, run.balanced, run.force_assignments) == (
        "generous", 42, True, False,
    )
    assert run.requested_by == campaign.lecture.teacher
    campaign.refresh_from_db()
    assert campaign.status == Status.PROCESSING

    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    html = page.content.decode()
    assert "Preview before finalizing" in html
    stats = page.context["preview"].statistics
    assert stats["assigned"] == 2 and stats["unassigned"] == 1
    # Rank profile with counts and shares; first choice share; per-item fill.
    rows = {row.rank: (row.count, row.share_percent) for row in page.context["preview"].rank_rows}
    assert sum(count for count, _share in rows.values()) == 2
    assert rows["1"][1] == round(100 * rows["1"][0] / 3, 1)
    assert 'id="rank-profile"' in html and 'id="item-fill"' in html
    assert "Tutorial A (1)" in html and "Tutorial B (1)" in html
    assert "Without a place (1)" in html
    # The run history names the seed, the objective and who ran it.
    history = html[html.index('id="run-history"'):]
    assert "42" in history and "Fairest" in history and campaign.lecture.teacher.name in history
    assert page.context["finalize_problems"] == []


def test_a_blank_seed_draws_a_random_one(
    staff_client, campaign, students, django_capture_on_commit_callbacks
):
    allocate(staff_client, campaign, django_capture_on_commit_callbacks, seed="")
    run = AllocationRun.objects.get()
    assert run.status == "succeeded" and run.seed >= 0


def test_the_result_message_after_an_inline_run(
    staff_client, campaign, students, monkeypatch
):
    """Without a surrounding transaction (as in production) the run finishes in the request."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, *args, **kwargs: func())
    response = staff_client.post(
        url("staff_campaign_allocate", campaign.pk), {"objective": "rank_sum"}, follow=True
    )
    assert any("2 of 3 students got a place" in text for text in message_texts(response))


def test_second_run_while_one_is_active_is_refused(staff_client, campaign, students):
    AllocationRun.objects.create(campaign=campaign, status="running", seed=1)
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    assert page.context["can_allocate"] is False
    assert 'id="allocation-progress"' in page.content.decode()
    assert "Refresh" in page.content.decode()
    response = staff_client.post(
        url("staff_campaign_allocate", campaign.pk), {"objective": "rank_sum"}, follow=True
    )
    assert any("already running" in text for text in message_texts(response))
    assert AllocationRun.objects.count() == 1


def test_progress_fragment_polls_while_running_and_reloads_when_done(staff_client, campaign):
    run = AllocationRun.objects.create(campaign=campaign, status="queued", seed=1)
    progress = url("staff_allocation_progress", campaign.pk)
    response = staff_client.get(progress, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in html and "Waiting for a worker" in html
    assert "<html" not in html  # a fragment, not a page
    AllocationRun.objects.filter(pk=run.pk).update(status="succeeded")
    done = staff_client.get(progress, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"


def test_blocker_message_names_what_to_fix(
    staff_client, campaign, students, django_capture_on_commit_callbacks
):
    PolicyFactory(campaign=campaign, phase="finalization", config={"domains": []})
    allocate(staff_client, campaign, django_capture_on_commit_callbacks)
    run = AllocationRun.objects.get()
    assert run.status == "failed"
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    html = page.content.decode()
    assert "The last allocation failed." in html
    assert "Ada Lovelace" in html and "names no university domain" in html
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


@pytest.mark.parametrize(
    "data",
    [
        {"objective": "cheapest"},
        {"objective": "rank_sum", "seed": "-1"},
        {"objective": "rank_sum", "seed": "abc"},
        {"objective": "rank_sum", "seed": str(HUGE_ID)},
        {},
    ],
)
def test_junk_run_options_are_refused_with_a_message(staff_client, campaign, students, data):
    response = staff_client.post(url("staff_campaign_allocate", campaign.pk), data, follow=True)
    assert response.status_code == 200
    assert message_texts(response)
    assert not AllocationRun.objects.exists()


def test_allocation_refused_while_the_campaign_is_open(staff_client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN, allocation_mode=PREF)
    ItemFactory(campaign=campaign)
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    assert page.context["can_allocate"] is False
    assert "can run once the campaign has closed" in page.content.decode()
    response = staff_client.post(
        url("staff_campaign_allocate", campaign.pk), {"objective": "rank_sum"}, follow=True
    )
    assert any("still open" in text for text in message_texts(response))
    assert not AllocationRun.objects.exists()


# -- finalization -------------------------------------------------------------------------------


def test_finalize_through_the_confirm_step(
    staff_client, campaign, items, students, django_capture_on_commit_callbacks, mailoutbox
):
    allocate(staff_client, campaign, django_capture_on_commit_callbacks)
    confirm = staff_client.get(url("staff_campaign_finalize", campaign.pk))
    html = confirm.content.decode()
    assert "2 students are put into the rosters." in html
    assert "1 student gets no place" in html
    assert "3 e-mails with the result are sent" in html
    campaign.refresh_from_db()
    assert campaign.status == Status.PROCESSING  # the GET changed nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("staff_campaign_finalize", campaign.pk))
    assert response.status_code == 302
    assert response["Location"] == url("staff_unassigned", campaign.pk)
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED
    placed = set(
        RosterEntry.objects.filter(registerable_id__in=[i.registerable_id for i in items])
        .values_list("user_id", flat=True)
    )
    assert len(placed) == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(s.email for s in students)
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    assert "Final result" in page.content.decode()
    assert page.context["unassigned_count"] == 1
    again = staff_client.post(url("staff_campaign_finalize", campaign.pk), follow=True)
    assert any("already completed" in text for text in message_texts(again))


def test_finalize_before_allocation_is_refused(staff_client, campaign, students):
    confirm = staff_client.get(url("staff_campaign_finalize", campaign.pk))
    assert "Run the allocation before finalizing." in confirm.content.decode()
    response = staff_client.post(url("staff_campaign_finalize", campaign.pk), follow=True)
    assert any("Run the allocation" in text for text in message_texts(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED


def test_finalization_blocker_is_shown(
    staff_client, campaign, students, django_capture_on_commit_callbacks
):
    allocate(staff_client, campaign, django_capture_on_commit_callbacks)
    PolicyFactory(campaign=campaign, phase="finalization", config={"domains": []})
    response = staff_client.post(url("staff_campaign_finalize", campaign.pk), follow=True)
    assert any("Fix these first" in text for text in message_texts(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.PROCESSING
    assert not RosterEntry.objects.exists()


def test_fcfs_campaign_offers_only_finalize(staff_client, lecture, mailoutbox,
                                            django_capture_on_commit_callbacks):
    campaign = CampaignFactory(lecture=lecture, status=Status.CLOSED, title="Exam sign-up")
    item = ItemFactory(campaign=campaign)
    student = UserFactory()
    UserRegistration.objects.create(campaign=campaign, item=item, user=student,
                                    status="confirmed")
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    html = page.content.decode()
    assert "no allocation is needed" in html
    assert "Run allocation" not in html
    assert url("staff_campaign_finalize", campaign.pk) in html
    confirm = staff_client.get(url("staff_campaign_finalize", campaign.pk))
    assert "1 student is put into the rosters." in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(url("staff_campaign_finalize", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED
    assert RosterEntry.objects.filter(registerable_id=item.registerable_id, user=student).exists()
    refused = staff_client.post(
        url("staff_campaign_allocate", campaign.pk), {"objective": "rank_sum"}, follow=True
    )
    assert message_texts(refused)
    assert not AllocationRun.objects.exists()


def test_open_fcfs_campaign_must_close_first(staff_client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.OPEN)
    ItemFactory(campaign=campaign)
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    assert "Close the campaign before finalizing." in page.content.decode()
    response = staff_client.post(url("staff_campaign_finalize", campaign.pk), follow=True)
    assert any("Close the campaign" in text for text in message_texts(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.OPEN


def test_planning_only_explains_that_nothing_is_materialized(staff_client, lecture):
    campaign = CampaignFactory(lecture=lecture, status=Status.CLOSED, planning_only=True)
    item = ItemFactory(campaign=campaign)
    UserRegistration.objects.create(campaign=campaign, item=item, user=UserFactory(),
                                    status="confirmed")
    page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    assert "nothing to finalize" in page.content.decode()
    assert url("staff_campaign_finalize", campaign.pk) not in page.content.decode()
    confirm = staff_client.get(url("staff_campaign_finalize", campaign.pk))
    assert "never finalized" in confirm.content.decode()
    assert "Finalize now" not in confirm.content.decode()
    response = staff_client.post(url("staff_campaign_finalize", campaign.pk), follow=True)
    assert any("Planning-only" in text for text in message_texts(response))
    campaign.refresh_from_db()
    assert campaign.status == Status.CLOSED
    assert not RosterEntry.objects.exists()


# -- unassigned students ------------------------------------------------------------------------


@pytest.fixture
def finalized(staff_client, campaign, items, students, django_capture_on_commit_callbacks):
    """Allocated and finalized: one of the three students is left without a place."""
    allocate(staff_client, campaign, django_capture_on_commit_callbacks)
    staff_client.post(url("staff_campaign_finalize", campaign.pk))
    campaign.refresh_from_db()
    assert campaign.status == Status.COMPLETED
    placed = set(RosterEntry.objects.values_list("user_id", flat=True))
    left_out = next(s for s in students if s.pk not in placed)
    return campaign, left_out


def test_unassigned_list_before_finalization_explains_itself(staff_client, campaign, students):
    page = staff_client.get(url("staff_unassigned", campaign.pk))
    assert "available once the campaign is finalized" in page.content.decode()
    response = staff_client.post(
        url("staff_unassigned_assign", campaign.pk, students[0].pk),
        {"registerable": str(TutorialFactory(lecture=campaign.lecture).pk)},
        follow=True,
    )
    assert any("once the campaign is finalized" in t for t in message_texts(response))
    assert not RosterEntry.objects.exists()


def test_unassigned_panel_lists_top_choices_with_fill(staff_client, finalized, items):
    campaign, left_out = finalized
    page = staff_client.get(url("staff_unassigned", campaign.pk))
    html = page.content.decode()
    rows = page.context["rows"]
    assert [row.user for row in rows] == [left_out]
    expected = list(
        UserRegistration.objects.filter(user=left_out)
        .order_by("preference_rank")
        .values_list("item__registerable_id", flat=True)
    )
    assert [choice.registerable_id for choice in rows[0].choices] == expected
    assert all(choice.filled == 1 and choice.is_full for choice in rows[0].choices)
    assert left_out.matriculation_number in html
    assert "Assign to Tutorial" in html


def test_one_click_assignment_refuses_a_full_group_unless_overfilled(
    staff_client, finalized, items
):
    campaign, left_out = finalized
    target = items[0].registerable
    assign = url("staff_unassigned_assign", campaign.pk, left_out.pk)
    refused = staff_client.post(assign, {"registerable": str(target.pk)}, follow=True)
    assert any("is full" in text for text in message_texts(refused))
    assert not RosterEntry.objects.filter(registerable=target, user=left_out).exists()

    done = staff_client.post(
        assign, {"registerable": str(target.pk), "allow_overfill": "on"}, follow=True
    )
    assert any("was added to" in text for text in message_texts(done))
    assert RosterEntry.objects.filter(registerable=target, user=left_out).exists()
    # Tutorials propagate to the lecture roster; the change is audited with who did it.
    assert RosterEntry.objects.filter(registerable_id=campaign.lecture.pk, user=left_out).exists()
    assert RosterChange.objects.filter(
        registerable=target, user=left_out, action="added", by=campaign.lecture.teacher
    ).exists()
    assert done.context["rows"] == []


def test_assignment_through_the_other_group_select(staff_client, finalized, lecture, campaign):
    _campaign, left_out = finalized
    spare = TutorialFactory(lecture=lecture, title="Tutorial C", capacity=5)
    ItemFactory(campaign=campaign, registerable=spare)
    response = staff_client.post(
        url("staff_unassigned_assign", campaign.pk, left_out.pk),
        {"other": str(spare.pk)},
        follow=True,
    )
    assert any("was added to “Tutorial C”" in text for text in message_texts(response))
    assert RosterEntry.objects.filter(registerable=spare, user=left_out).exists()


@pytest.mark.parametrize("value", ["", "abc", "-3", str(HUGE_ID), "foreign"])
def test_assignment_to_a_group_outside_the_campaign_is_refused(
    staff_client, finalized, value
):
    campaign, left_out = finalized
    if value == "foreign":
        value = str(TutorialFactory(capacity=100).pk)  # another lecture's tutorial
    response = staff_client.post(
        url("staff_unassigned_assign", campaign.pk, left_out.pk),
        {"registerable": value},
        follow=True,
    )
    assert response.status_code == 200
    assert message_texts(response)
    assert not RosterEntry.objects.filter(user=left_out).exists()


def test_assignment_of_a_non_registrant_or_unknown_user_is_404(staff_client, finalized, items):
    campaign, _left_out = finalized
    stranger = UserFactory()
    data = {"registerable": str(items[0].registerable_id), "allow_overfill": "on"}
    for user_id in (stranger.pk, 987654, HUGE_ID):
        response = staff_client.post(url("staff_unassigned_assign", campaign.pk, user_id), data)
        assert response.status_code == 404
    assert not RosterEntry.objects.filter(user=stranger).exists()


# -- query bounds -------------------------------------------------------------------------------


def make_students(count, prefix="bulk"):
    User.objects.bulk_create(
        User(email=f"{prefix}{n}@example.org", name=f"{prefix.title()} {n:04d}",
             matriculation_number=f"{prefix}-{n}")
        for n in range(count)
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def test_allocation_page_queries_are_bounded(
    staff_client, lecture, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(lecture=lecture, status=Status.CLOSED, allocation_mode=PREF)
    items = [
        ItemFactory(campaign=campaign,
                    registerable=TutorialFactory(lecture=lecture, capacity=40))
        for _ in range(8)
    ]
    people = make_students(400)
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=items[(n + r) % 8], user=user,
                         status="pending", preference_rank=r + 1)
        for n, user in enumerate(people)
        for r in range(3)
    )
    allocate(staff_client, campaign, django_capture_on_commit_callbacks)
    for _ in range(3):
        AllocationRun.objects.create(campaign=campaign, status="failed", seed=1, error="x")
    with django_assert_max_num_queries(10):
        page = staff_client.get(url("staff_campaign_allocation", campaign.pk))
    assert page.context["preview"].statistics["assigned"] == 320
    with django_assert_max_num_queries(9):
        staff_client.get(url("staff_campaign_finalize", campaign.pk))


def test_unassigned_page_queries_are_bounded_with_300_students(
    staff_client, lecture, django_assert_max_num_queries
):
    campaign = CampaignFactory(lecture=lecture, status=Status.COMPLETED, allocation_mode=PREF)
    items = [
        ItemFactory(campaign=campaign, registerable=TutorialFactory(lecture=lecture, capacity=1))
        for _ in range(4)
    ]
    people = make_students(300)
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=items[(n + r) % 4], user=user,
                         status="rejected", preference_rank=r + 1,
                         rejection_reason="solver_unassigned")
        for n, user in enumerate(people)
        for r in range(3)
    )
    with django_assert_max_num_queries(12):
        page = staff_client.get(url("staff_unassigned", campaign.pk))
    assert page.context["total"] == 300
    assert len(page.context["rows"]) == 100
    assert all(len(row.choices) == 3 for row in page.context["rows"])
    with django_assert_max_num_queries(12):
        last = staff_client.get(url("staff_unassigned", campaign.pk) + "?page=3")
    assert len(last.context["rows"]) == 100
