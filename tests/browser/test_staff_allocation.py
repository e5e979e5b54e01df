"""Staff journey in a real (headless) browser: run the allocation of a closed preference
campaign, read the preview, finalize, open the rosters, place an unassigned student and move a
student to another tutorial. The progress panel's htmx polling is checked on its own."""

import re

import pytest
from playwright.sync_api import expect

from mampf.models import User
from registration.models import AllocationRun, Campaign, UserRegistration
from rosters.models import RosterEntry
from tests.factories import CampaignFactory, ItemFactory, LectureFactory, TutorialFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PREF = Campaign.AllocationMode.PREFERENCE_BASED


def ranked_campaign():
    """30 students for 34 places in four tutorials, ranked so that exactly one is left out.

    20 students want A or B (20 places), 7 want C first (6 places) and A second, 3 want D:
    one of the 21 who end up competing for A and B gets nothing, while D keeps free places.
    """
    lecture = LectureFactory(title="Linear Algebra I")
    campaign = CampaignFactory(
        lecture=lecture, title="Tutorials Linear Algebra I", status=Campaign.Status.CLOSED,
        allocation_mode=PREF,
    )
    tutorials = {}
    for title, capacity in (("A", 10), ("B", 10), ("C", 6), ("D", 8)):
        tutorial = TutorialFactory(lecture=lecture, title=f"Tutorial {title}", capacity=capacity)
        ItemFactory(campaign=campaign, registerable=tutorial)
        tutorials[title] = tutorial
    items = {key: campaign.items.get(registerable=tutorial) for key, tutorial in tutorials.items()}
    User.objects.bulk_create(
        User(email=f"la{n}@example.org", name=f"Student {n:02d}",
             matriculation_number=f"{4100000 + n}")
        for n in range(1, 31)
    )
    students = list(User.objects.filter(email__startswith="la").order_by("name"))
    rankings = [["A", "B"]] * 20 + [["C", "A"]] * 7 + [["D", "C"]] * 3
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=items[key], user=student, status="pending",
                         preference_rank=rank)
        for student, ranking in zip(students, rankings, strict=True)
        for rank, key in enumerate(ranking, start=1)
    )
    return campaign, tutorials


def test_staff_allocates_finalizes_and_maintains_rosters(page, log_in, screenshot):
    campaign, tutorials = ranked_campaign()
    teacher = campaign.lecture.teacher

    log_in(page, teacher)
    page.goto(f"/staff/campaigns/{campaign.pk}/allocation/")
    expect(page.get_by_role("heading", name="Run the allocation")).to_be_visible()
    page.get_by_label(re.compile("Fairest")).check()
    page.get_by_label("Lottery seed").fill("7")
    page.get_by_role("button", name="Run allocation").click()

    expect(page.locator(".messages")).to_contain_text(
        "The allocation is done: 29 of 30 students got a place, 1 did not."
    )
    expect(page.get_by_role("heading", name="Preview before finalizing")).to_be_visible()
    statistics = page.locator("#allocation-statistics")
    expect(statistics).to_contain_text("Without a place")
    expect(page.locator("#rank-profile")).to_contain_text("Choice 1")
    expect(page.locator("#item-fill")).to_contain_text("Tutorial D")
    expect(page.locator("#run-history")).to_contain_text("Fairest")
    page.get_by_text("Tutorial C (6)").click()  # the collapsible list of the group's students
    expect(page.locator("details[open]")).to_contain_text("Student")
    screenshot(page, "staff_allocation_1_preview")

    page.get_by_role("link", name="Finalize", exact=True).click()
    effects = page.locator("#finalize-effects")
    expect(effects).to_contain_text("29 students are put into the rosters.")
    expect(effects).to_contain_text("1 student gets no place")
    expect(effects).to_contain_text("30 e-mails with the result are sent")
    page.get_by_role("button", name="Finalize now").click()

    expect(page.locator(".messages")).to_contain_text("Finalized: 29 added to rosters")
    expect(page.get_by_role("heading", name="Students without a place")).to_be_visible()
    rows = page.locator("#unassigned-table tbody tr")
    expect(rows).to_have_count(1)
    left_out = User.objects.get(pk=int(rows.first.get_attribute("data-user")))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED

    # The rosters now hold the result.
    page.get_by_role("link", name="Rosters of the lecture").click()
    overview = page.locator("#roster-overview")
    expect(overview.locator(f"tr[data-group='{tutorials['A'].pk}']")).to_contain_text("10 / 10")
    expect(overview.locator(f"tr[data-group='{campaign.lecture.pk}']")).to_contain_text("29 / ∞")
    page.go_back()

    # One click places the student; their first choice is full, so overfilling is needed.
    row = page.locator(f"#unassigned-table tr[data-user='{left_out.pk}']")
    row.get_by_role("button", name=re.compile(r"^Assign to Tutorial A")).click()
    expect(page.locator(".messages")).to_contain_text("“Tutorial A” is full")
    row = page.locator(f"#unassigned-table tr[data-user='{left_out.pk}']")
    row.get_by_label("allow overfilling").check()
    row.get_by_role("button", name=re.compile(r"^Assign to Tutorial A")).click()
    expect(page.locator(".messages")).to_contain_text(
        f"{left_out.name} was added to “Tutorial A”."
    )
    expect(page.get_by_text("Every registrant has a place.")).to_be_visible()
    assert RosterEntry.objects.filter(registerable=tutorials["A"], user=left_out).exists()

    # Move someone from the overfilled tutorial to one with room.
    page.goto(f"/staff/rosters/{tutorials['A'].pk}/")
    expect(page.locator("#roster-fill")).to_contain_text("11 / 10")
    member = page.locator(f"#members tr[data-user='{left_out.pk}']")
    member.get_by_label(f"Move {left_out.name} to").select_option(str(tutorials["D"].pk))
    member.get_by_role("button", name=re.compile("^Move")).click()
    expect(page.locator(".messages")).to_contain_text(
        f"{left_out.name} was moved from “Tutorial A” to “Tutorial D”."
    )
    expect(page.locator("#roster-fill")).to_contain_text("10 / 10")
    expect(page.locator("#changes")).to_contain_text("moved from Tutorial A to Tutorial D")
    screenshot(page, "staff_allocation_2_roster_after_move")
    assert RosterEntry.objects.filter(registerable=tutorials["D"], user=left_out).exists()
    assert not RosterEntry.objects.filter(registerable=tutorials["A"], user=left_out).exists()


def test_progress_panel_polls_and_reloads_when_the_run_ends(page, log_in):
    campaign, _tutorials = ranked_campaign()
    run = AllocationRun.objects.create(campaign=campaign, status="running", seed=3)
    log_in(page, campaign.lecture.teacher)
    page.goto(f"/staff/campaigns/{campaign.pk}/allocation/")
    progress = page.locator("#allocation-progress")
    expect(progress).to_contain_text("Allocation in progress")
    expect(page.get_by_role("button", name="Run allocation")).to_have_count(0)

    AllocationRun.objects.filter(pk=run.pk).update(status="failed", error="Solver crashed")
    expect(progress).to_have_count(0, timeout=10000)  # the next poll reloads the page
    expect(page.locator(".alert-error")).to_contain_text("Solver crashed")
    expect(page.get_by_role("button", name="Run allocation")).to_be_visible()


def test_allocation_works_without_javascript(new_page, log_in):
    campaign, _tutorials = ranked_campaign()
    page = new_page(javascript=False)
    log_in(page, campaign.lecture.teacher)
    page.goto(f"/staff/campaigns/{campaign.pk}/allocation/")
    page.get_by_role("button", name="Run allocation").click()
    expect(page.get_by_role("heading", name="Preview before finalizing")).to_be_visible()
    assert AllocationRun.objects.get().status == "succeeded"
