"""Phones and accessibility in a real (headless) browser.

Every page here is also checked by axe-core through tests/browser/conftest.py, at the viewport
the test uses (so at 390 px and 320 px too).
"""

import re

import pytest
from playwright.sync_api import expect

from registration.models import Campaign, UserRegistration
from tests.factories import (
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1200, "height": 900}


def student_world():
    """A student with an open FCFS campaign, an open preference campaign and a finished one."""
    student = UserFactory(
        name="Maryam Mirzakhani-Longname", email="maryam.mirzakhani.longaddress@example.org"
    )
    lecture = LectureFactory(title="Lineare Algebra und Analytische Geometrie I")
    fcfs = CampaignFactory(
        lecture=lecture, status="open", title="Übungsgruppen Lineare Algebra und Geometrie I"
    )
    fcfs_items = [
        ItemFactory(
            campaign=fcfs,
            registerable=TutorialFactory(
                lecture=lecture, title=f"Übungsgruppe {n} (Mathematikon, INF 205)", capacity=25,
                room=f"Seminarraum {n}.414 im Mathematikon",
            ),
        )
        for n in range(1, 5)
    ]
    preference = CampaignFactory(
        lecture=lecture, status="open", title="Seminarvorträge Lineare Algebra",
        allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED,
    )
    for _ in range(3):
        ItemFactory(campaign=preference, registerable=TutorialFactory(lecture=lecture))
    finished = CampaignFactory(lecture=lecture, status="completed", title="Klausur Analysis I")
    item = ItemFactory(campaign=finished, registerable=TutorialFactory(lecture=lecture))
    UserRegistration.objects.create(campaign=finished, item=item, user=student, status="confirmed")
    return student, fcfs, fcfs_items, preference, finished


def student_pages(fcfs, preference, finished):
    return [
        "/",
        "/registrations/",
        f"/registrations/{fcfs.pk}/",
        f"/registrations/{preference.pk}/",
        f"/registrations/{finished.pk}/result/",
        "/profile/",
    ]


# The elements that stick out on the right, named for a readable failure.
TOO_WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)
  .slice(0, 10)"""


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def assert_scroll_regions_reachable(page, url):
    """Every box that scrolls sideways is focusable, a region, and has a name."""
    regions = page.evaluate("""() => Array.from(document.querySelectorAll('*'))
      .filter((el) => el.scrollWidth > el.clientWidth + 1
        && ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
      .map((el) => ({tabindex: el.getAttribute('tabindex'), role: el.getAttribute('role'),
                     named: Boolean(el.getAttribute('aria-label')
                                    || el.getAttribute('aria-labelledby'))}))""")
    for region in regions:
        assert region == {"tabindex": "0", "role": "region", "named": True}, (url, region)
    return len(regions)


@pytest.mark.parametrize(
    ("viewport", "locale"),
    [(PHONE, "en-US"), (SMALL_PHONE, "en-US"), (SMALL_PHONE, "de-DE")],
    ids=["390px", "320px", "320px-german"],
)
def test_student_pages_do_not_scroll_sideways_on_a_phone(
    new_page, log_in, screenshot, viewport, locale
):
    student, fcfs, _items, preference, finished = student_world()
    page = new_page(viewport=viewport, locale=locale)
    failed = []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    log_in(page, student)
    for url in student_pages(fcfs, preference, finished):
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        assert page_width(page) <= viewport["width"], (url, page.evaluate(TOO_WIDE))
        assert_scroll_regions_reachable(page, url)
        if url == "/registrations/":
            screenshot(page, f"phone_0_my_registrations_{viewport['width']}px_{locale}")
    assert failed == []  # no missing favicon, stylesheet or script


def test_register_button_is_reachable_and_works_at_390px(new_page, log_in, screenshot):
    student, fcfs, items, _preference, _finished = student_world()
    page = new_page(viewport=PHONE)
    log_in(page, student)
    page.goto(f"/registrations/{fcfs.pk}/")
    last = items[-1]
    button = page.get_by_role("button", name=f"Register for {last.registerable.title}")
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] >= 24  # WCAG 2.5.8 target size
    screenshot(page, "phone_1_seat_table_390px")
    page.set_viewport_size(SMALL_PHONE)
    assert page_width(page) <= SMALL_PHONE["width"]
    page.set_viewport_size(PHONE)
    button.click()
    expect(page.locator(".messages")).to_contain_text(
        f"You are registered for “{last.registerable.title}”."
    )
    assert UserRegistration.objects.filter(user=student, item=last, status="confirmed").exists()
    assert page_width(page) <= PHONE["width"]


def test_seat_table_refresh_keeps_the_keyboard_focus(page, log_in):
    student, fcfs, items, _preference, _finished = student_world()
    log_in(page, student)
    page.goto(f"/registrations/{fcfs.pk}/")
    button = page.get_by_role("button", name=f"Register for {items[1].registerable.title}")
    button.focus()
    UserRegistration.objects.create(
        campaign=fcfs, item=items[0], user=UserFactory(), status="confirmed"
    )
    page.evaluate(
        "url => htmx.ajax('GET', url, {target: '#seat-table', swap: 'outerHTML'})",
        f"/registrations/{fcfs.pk}/seats/",
    )
    expect(page.locator(f"tr[data-item='{items[0].pk}']")).to_contain_text("1 of 25 taken")
    focused = page.evaluate("() => document.activeElement.id")
    assert focused == f"seat-action-{items[1].pk}"
    page.keyboard.press("Enter")  # the refocused button still works from the keyboard
    expect(page.locator(".messages")).to_contain_text("You are registered for")
    assert UserRegistration.objects.filter(user=student, item=items[1]).exists()


def test_language_changes_only_with_the_switch_button(page, log_in):
    log_in(page, UserFactory())
    page.goto("/")
    select = page.get_by_label("Language")
    select.focus()
    select.press("ArrowDown")  # moving through the options must not submit anything
    select.select_option("de")
    page.wait_for_timeout(300)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Switch language").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Willkommen")


def test_text_inputs_have_a_visible_border(page, log_in):
    """WCAG 1.4.11: the border that shows where to type has 3:1 contrast with its background."""
    log_in(page, UserFactory())
    page.goto("/profile/")
    ratio = page.evaluate("""() => {
      const rgb = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
      const lum = ([r, g, b]) => {
        const f = (c) => {
          c /= 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const input = document.querySelector('#id_name');
      let box = input.parentElement;
      while (getComputedStyle(box).backgroundColor === 'rgba(0, 0, 0, 0)') box = box.parentElement;
      const a = lum(rgb(getComputedStyle(input).borderTopColor));
      const b = lum(rgb(getComputedStyle(box).backgroundColor));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""")
    assert ratio >= 3


def test_wide_staff_table_is_a_keyboard_reachable_region_on_a_phone(new_page, log_in, screenshot):
    lecture = LectureFactory(title="Analysis I")
    for n in range(3):
        TutorialFactory(lecture=lecture, title=f"Tutorial with a rather long name {n}")
    page = new_page(viewport=SMALL_PHONE)
    log_in(page, lecture.teacher)
    page.goto(f"/staff/lectures/{lecture.pk}/rosters/")
    assert page_width(page) <= SMALL_PHONE["width"]
    assert assert_scroll_regions_reachable(page, page.url) >= 1
    page.keyboard.press("Tab")  # the region is in the tab order
    for _ in range(40):
        if page.evaluate("() => document.activeElement.getAttribute('role')") == "region":
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the scrolling table")
    screenshot(page, "phone_2_staff_rosters_320px")


def test_favicon_is_served(page):
    page.goto("/login/")
    href = page.locator("link[rel=icon]").first.get_attribute("href")
    assert re.search(r"favicon\.(svg|ico)$", href)
    assert page.request.get(href).status == 200


# -- a tour of the pages the browser journeys do not reach ------------------------------------


def visit_all(page, urls):
    """Open each page; axe checks it as it loads. Report every page's violations at once."""
    failures = []
    for url in urls:
        try:
            response = page.goto(url)
            expect(page.locator("h1").first).to_be_visible()
        except AssertionError as exc:
            failures.append(str(exc))
        else:
            assert response.status < 500, url
    assert not failures, "\n\n".join(failures)


def staff_world():
    from rosters.models import RosterEntry
    from tests.browser.test_staff_allocation import ranked_campaign
    from tests.factories import PolicyFactory

    closed, tutorials = ranked_campaign()
    lecture = closed.lecture
    open_campaign = CampaignFactory(lecture=lecture, status="open", title="Exam registration")
    item = ItemFactory(campaign=open_campaign, registerable=tutorials["D"])
    PolicyFactory(campaign=open_campaign)
    student = UserFactory(name="Registered Student")
    UserRegistration.objects.create(
        campaign=open_campaign, item=item, user=student, status="confirmed"
    )
    RosterEntry.objects.create(registerable=tutorials["A"], user=student)
    tutorials["A"].tutors.add(tutor := UserFactory(name="Tutor Person"))
    return lecture, closed, open_campaign, tutorials, student, tutor


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
def test_staff_pages_have_no_accessibility_violations(new_page, log_in, viewport):
    lecture, closed, open_campaign, tutorials, student, _tutor = staff_world()
    page = new_page(viewport=viewport)
    log_in(page, lecture.teacher)
    c, o = closed.pk, open_campaign.pk
    visit_all(page, [
        "/",
        f"/lectures/{lecture.pk}/",
        f"/staff/lectures/{lecture.pk}/campaigns/",
        f"/staff/lectures/{lecture.pk}/campaigns/new/",
        f"/staff/lectures/{lecture.pk}/campaigns/new/?pattern=group",
        f"/staff/campaigns/{o}/",
        f"/staff/campaigns/{o}/settings/",
        f"/staff/campaigns/{o}/items/",
        f"/staff/campaigns/{o}/policies/",
        f"/staff/campaigns/{o}/registrations/",
        f"/staff/campaigns/{o}/transition/close/",
        f"/staff/campaigns/{c}/",
        f"/staff/campaigns/{c}/allocation/",
        f"/staff/lectures/{lecture.pk}/rosters/",
        f"/staff/rosters/{tutorials['A'].pk}/",
        f"/staff/rosters/{tutorials['A'].pk}/remove/?user={student.pk}",
        "/this-page-does-not-exist/",
    ])
    if viewport is PHONE:
        assert page_width(page) <= PHONE["width"]


def test_tutor_student_and_error_pages_have_no_accessibility_violations(new_page, log_in):
    lecture, closed, open_campaign, tutorials, student, tutor = staff_world()
    page = new_page()
    log_in(page, tutor)
    visit_all(page, ["/", "/my-groups/", f"/staff/rosters/{tutorials['A'].pk}/"])

    page = new_page()
    log_in(page, student)
    visit_all(page, [
        "/", "/registrations/", "/registrations/?tab=exams", f"/registrations/{open_campaign.pk}/",
        f"/staff/campaigns/{open_campaign.pk}/",  # refused: the 403 or 404 page
    ])
    page.goto("/profile/")
    page.get_by_label("Name").fill("")
    page.get_by_label("Institutional e-mail address").fill("not an address")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field-error").first).to_be_visible()

    page = new_page()
    page.goto("/login/")
    page.get_by_label("E-mail address").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
