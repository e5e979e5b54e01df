"""Roster maintenance in a real (headless) browser, without JavaScript: select several students,
move them all to another tutorial, remove some after a confirmation, see a refused bulk move
change nothing, move a student found in another group here, and open the e-mail list."""

import pytest
from playwright.sync_api import expect

from rosters.models import RosterEntry
from tests.factories import LectureFactory, TutorialFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def members(tutorial):
    return set(RosterEntry.objects.filter(registerable=tutorial).values_list("user__name",
                                                                             flat=True))


def seat(tutorial, *names):
    people = [UserFactory(name=name) for name in names]
    for person in people:
        RosterEntry.objects.create(registerable=tutorial, user=person)
        RosterEntry.objects.get_or_create(registerable=tutorial.lecture, user=person)
    return people


def test_teacher_moves_and_removes_several_students_without_javascript(new_page, log_in,
                                                                       screenshot):
    lecture = LectureFactory(title="Analysis I")
    monday = TutorialFactory(lecture=lecture, title="Monday", capacity=10)
    friday = TutorialFactory(lecture=lecture, title="Friday", capacity=3)
    tiny = TutorialFactory(lecture=lecture, title="Tiny", capacity=1)
    seat(monday, "Ada", "Bea", "Carl", "Dora")
    [emil] = seat(friday, "Emil")
    page = new_page(javascript=False)
    log_in(page, lecture.teacher)

    page.goto(f"/staff/rosters/{monday.pk}/")
    bulk = page.locator("#bulk-form")
    expect(bulk.get_by_label("Move selected to")).to_have_value("")  # no silent default
    page.get_by_label("Select Ada").check()
    page.get_by_label("Select Bea").check()
    bulk.get_by_label("Move selected to").select_option(str(tiny.pk))
    bulk.get_by_role("button", name="Move selected", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Nothing was changed: 1 of 2")
    expect(page.locator(".messages")).to_contain_text("Bea: “Tiny” is full")
    assert members(monday) == {"Ada", "Bea", "Carl", "Dora"} and members(tiny) == set()

    page.get_by_label("Select Ada").check()
    page.get_by_label("Select Bea").check()
    bulk.get_by_label("Move selected to").select_option(str(friday.pk))
    bulk.get_by_role("button", name="Move selected", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(
        "2 students were moved from “Monday” to “Friday”."
    )
    assert members(friday) == {"Ada", "Bea", "Emil"}
    screenshot(page, "roster_bulk_1_moved")

    page.get_by_label("Select Carl").check()
    page.get_by_label("Select Dora").check()
    bulk.get_by_role("button", name="Remove selected").click()
    expect(page.locator("#bulk-remove-students")).to_contain_text("Carl")
    expect(page.locator("#bulk-remove-students")).to_contain_text("Dora")
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("2 students were removed from “Monday”.")
    assert members(monday) == set()

    # Emil sits in Friday; found from Monday's search, he is moved here in one click.
    page.get_by_label("Name, e-mail or matriculation number").fill("Emil")
    page.get_by_role("button", name="Search").click()
    candidates = page.locator("#candidates")
    expect(candidates).to_contain_text("already in Friday")
    candidates.get_by_role("button", name="Move here").click()
    expect(page.locator(".messages")).to_contain_text(
        "Emil was moved from “Friday” to “Monday”."
    )
    assert members(monday) == {"Emil"}

    page.get_by_text("Copy the e-mail address (1)").click()
    expect(page.get_by_label("E-mail addresses of this group")).to_have_value(emil.email)
    screenshot(page, "roster_bulk_2_after_move_here")
