"""Roster pages: the lecture overview and CSV, one roster with add / move / remove, the tutors'
read-only view and "my groups"; refusals, junk input and query bounds at realistic sizes."""

import csv
import datetime
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mampf.models import Registerable, User
from registration.models import Campaign, UserRegistration
from rosters.models import RosterChange, RosterEntry
from tests.factories import (
    CampaignFactory,
    CohortFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    StaffFactory,
    TalkFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HUGE_ID = 99999999999999999999999


def url(name, *args):
    return reverse(f"rosters:{name}", args=args)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def put_on(registerable, *users, campaign=None):
    """Seat users directly (the lecture roster too, as the services would)."""
    for user in users:
        RosterEntry.objects.create(registerable=registerable, user=user, source_campaign=campaign)
        lecture = registerable.parent_lecture
        if registerable.pk != lecture.pk:
            RosterEntry.objects.get_or_create(registerable=lecture, user=user)


def members(registerable):
    return set(
        RosterEntry.objects.filter(registerable=registerable).values_list("user_id", flat=True)
    )


@pytest.fixture
def lecture():
    return LectureFactory(title="Analysis II")


@pytest.fixture
def tutor():
    return UserFactory(name="Tina Tutor")


@pytest.fixture
def tutorial_a(lecture, tutor):
    return TutorialFactory(lecture=lecture, title="Tutorial A", capacity=2, tutors=[tutor],
                           room="SR 1")


@pytest.fixture
def tutorial_b(lecture):
    return TutorialFactory(lecture=lecture, title="Tutorial B", capacity=1, room="SR 2")


@pytest.fixture
def ada(tutorial_a, lecture):
    student = UserFactory(name="Ada Lovelace")
    campaign = CampaignFactory(lecture=lecture, title="Tutorial registration")
    put_on(tutorial_a, student, campaign=campaign)
    return student


@pytest.fixture
def users(lecture, tutor, tutorial_a):
    editor = UserFactory()
    lecture.editors.add(editor)
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


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "editor", "site_staff"])
def test_managers_see_and_export_every_roster(client, users, lecture, tutorial_a, tutorial_b,
                                              ada, role):
    client.force_login(users[role])
    assert client.get(url("lecture_rosters", lecture.pk)).status_code == 200
    assert client.get(url("lecture_rosters_csv", lecture.pk)).status_code == 200
    for group in (lecture, tutorial_a, tutorial_b):
        page = client.get(url("roster_detail", group.pk))
        assert page.status_code == 200 and page.context["can_edit"] is True
        assert client.get(url("roster_csv", group.pk)).status_code == 200


@pytest.mark.parametrize("role", ["student", "tutor", "other_teacher"])
def test_others_may_not_see_the_lecture_rosters(client, users, lecture, tutorial_b, ada, role):
    client.force_login(users[role])
    assert client.get(url("lecture_rosters", lecture.pk)).status_code == 403
    assert client.get(url("lecture_rosters_csv", lecture.pk)).status_code == 403
    for group in (lecture, tutorial_b):  # the tutor tutors neither of these
        assert client.get(url("roster_detail", group.pk)).status_code == 403
        assert client.get(url("roster_csv", group.pk)).status_code == 403
    for name in ("roster_add", "roster_remove", "roster_move"):
        response = client.post(url(name, tutorial_b.pk), {"user": ada.pk,
                                                          "target": tutorial_b.pk})
        assert response.status_code == 403
    assert members(tutorial_b) == set()


def test_tutor_sees_own_tutorial_read_only(client, tutor, tutorial_a, tutorial_b, ada):
    client.force_login(tutor)
    page = client.get(url("roster_detail", tutorial_a.pk))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["can_edit"] is False
    assert "Ada Lovelace" in html and "read only" in html
    for name in ("roster_add", "roster_remove", "roster_move"):
        assert url(name, tutorial_a.pk) not in html
    main = html.split('<main', 1)[1].split("</main>", 1)[0]
    assert "<select" not in main and 'method="post"' not in main
    assert client.get(url("roster_csv", tutorial_a.pk)).status_code == 200
    # Every change is refused, also the confirmation page of a removal.
    assert client.post(url("roster_add", tutorial_a.pk),
                       {"user": UserFactory().pk}).status_code == 403
    assert client.post(url("roster_remove", tutorial_a.pk), {"user": ada.pk}).status_code == 403
    assert client.get(url("roster_remove", tutorial_a.pk), {"user": ada.pk}).status_code == 403
    assert client.post(url("roster_move", tutorial_a.pk),
                       {"user": ada.pk, "target": tutorial_b.pk}).status_code == 403
    assert members(tutorial_a) == {ada.pk}
    assert client.get(url("roster_detail", tutorial_b.pk)).status_code == 403


def test_anonymous_is_sent_to_login(client, lecture, tutorial_a):
    for address in (url("lecture_rosters", lecture.pk), url("roster_detail", tutorial_a.pk),
                    url("my_groups"), url("roster_csv", tutorial_a.pk)):
        response = client.get(address)
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(url("roster_add", tutorial_a.pk), {"user": 1})
    assert response.status_code == 302 and not RosterEntry.objects.exists()


def test_unknown_huge_and_bare_ids_are_404(staff_client):
    bare = Registerable.objects.create(title="Not a real group")
    for registerable_id in (987654, HUGE_ID, bare.pk):
        assert staff_client.get(url("roster_detail", registerable_id)).status_code == 404
        assert staff_client.post(url("roster_add", registerable_id)).status_code == 404
    for lecture_id in (987654, HUGE_ID):
        assert staff_client.get(url("lecture_rosters", lecture_id)).status_code == 404
        assert staff_client.get(url("lecture_rosters_csv", lecture_id)).status_code == 404


def test_changes_only_by_post(staff_client, tutorial_a):
    assert staff_client.get(url("roster_add", tutorial_a.pk)).status_code == 405
    assert staff_client.get(url("roster_move", tutorial_a.pk)).status_code == 405


# -- overview and CSV ---------------------------------------------------------------------------


def test_overview_lists_every_group_with_fill(staff_client, lecture, tutorial_a, tutorial_b, ada):
    TalkFactory(lecture=lecture, title="Compactness", capacity=1)
    CohortFactory(lecture=lecture, title="Repeaters")
    ExamFactory(lecture=lecture, title="Final exam", capacity=200, location="HS 1")
    put_on(tutorial_b, UserFactory())
    page = staff_client.get(url("lecture_rosters", lecture.pk))
    html = page.content.decode()
    groups = page.context["groups"]
    assert [g.kind for g in groups] == ["Lecture", "Tutorial", "Tutorial", "Talk", "Cohort",
                                        "Exam"]
    assert groups[0].filled == 2  # the lecture roster holds both tutorial members
    fills = {g.registerable.title: (g.filled, g.capacity, g.utilization_percent) for g in groups}
    assert fills["Tutorial A"] == (1, 2, 50)
    assert fills["Tutorial B"] == (1, 1, 100)
    assert "Tina Tutor" in html and "SR 1" in html and "HS 1" in html
    assert url("roster_detail", tutorial_a.pk) in html
    assert url("lecture_rosters_csv", lecture.pk) in html


def test_every_kind_of_roster_has_a_detail_page(staff_client, lecture):
    talks = [TalkFactory(lecture=lecture, title=f"Talk {n}") for n in (1, 2)]
    cohorts = [CohortFactory(lecture=lecture, title=f"Cohort {n}") for n in (1, 2)]
    exams = [ExamFactory(lecture=lecture, title=f"Exam {n}", location="HS 2") for n in (1, 2)]
    for first, second in (talks, cohorts, exams):
        page = staff_client.get(url("roster_detail", first.pk))
        assert page.status_code == 200
        assert [s.pk for s in page.context["siblings"]] == [second.pk]
    assert page.context["group"].where == "HS 2" and page.context["group"].when


def read_csv(response):
    """The rows of a CSV download, checking the German-Excel format on the way."""
    raw = b"".join(response.streaming_content if response.streaming else [response.content])
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_xlsx(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return workbook.active


def test_lecture_csv_has_every_roster_with_source_and_no_formulas(
    staff_client, lecture, tutorial_a, tutorial_b, ada
):
    sneaky = UserFactory(name="=HYPERLINK(\"http://evil\")", matriculation_number="+4711")
    put_on(tutorial_b, sneaky)
    response = staff_client.get(url("lecture_rosters_csv", lecture.pk))
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0] == ["Kind", "Group", "Tutors", "Name", "E-mail", "Matriculation number",
                       "Source", "Added at"]
    body = [row[:7] for row in rows[1:]]
    assert ["Tutorial", "Tutorial A", "Tina Tutor", "Ada Lovelace", ada.email,
            ada.matriculation_number, "Tutorial registration"] in body
    assert ["Tutorial", "Tutorial B", "", "'=HYPERLINK(\"http://evil\")", sneaky.email,
            "'+4711", "manual"] in body
    lecture_rows = [row for row in body if row[0] == "Lecture"]
    assert {row[3] for row in lecture_rows} == {"Ada Lovelace", "'=HYPERLINK(\"http://evil\")"}
    assert len(body) == 4


def test_roster_csv_holds_only_that_roster(staff_client, tutorial_a, tutorial_b, ada):
    put_on(tutorial_b, UserFactory(name="Bob"))
    rows = read_csv(staff_client.get(url("roster_csv", tutorial_a.pk)))
    assert [row[3] for row in rows[1:]] == ["Ada Lovelace"]


def test_roster_csv_speaks_german_and_names_lecture_and_group(client, lecture, tutorial_a, ada):
    lecture.title = "Übungen zur Analysis II"
    lecture.save()
    client.force_login(lecture.teacher)
    client.cookies.load({"django_language": "de"})
    response = client.get(url("roster_csv", tutorial_a.pk))
    rows = read_csv(response)
    assert rows[0][:6] == ["Art", "Gruppe", "Tutor/innen", "Name", "E-Mail", "Matrikelnummer"]
    assert rows[1][0] == "Tutorium" and rows[1][3] == "Ada Lovelace"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="ubungen-zur-analysis-ii-tutorial-a-teilnehmerliste.csv"' in disposition
    encoded = disposition.split("filename*=UTF-8''")[1]
    assert unquote(encoded) == "Übungen zur Analysis II - Tutorial A - Teilnehmerliste.csv"


def test_exports_offer_xlsx_with_typed_cells(staff_client, lecture, tutorial_a, ada):
    sneaky = UserFactory(name="=1+1", matriculation_number="@A1")
    put_on(tutorial_a, sneaky)
    page = staff_client.get(url("roster_detail", tutorial_a.pk)).content.decode()
    assert url("roster_xlsx", tutorial_a.pk) in page
    overview = staff_client.get(url("lecture_rosters", lecture.pk)).content.decode()
    assert url("lecture_rosters_xlsx", lecture.pk) in overview
    response = staff_client.get(url("roster_xlsx", tutorial_a.pk))
    assert 'filename="analysis-ii-tutorial-a-roster.xlsx"' in response["Content-Disposition"]
    sheet = read_xlsx(response)
    assert sheet.freeze_panes == "A2"
    header = [cell for cell in next(sheet.iter_rows(max_row=1))]
    assert [c.value for c in header][:4] == ["Kind", "Group", "Tutors", "Name"]
    assert all(c.font.b for c in header)
    rows = {row[3].value: row for row in sheet.iter_rows(min_row=2)}
    assert isinstance(rows["Ada Lovelace"][7].value, datetime.datetime)
    # Text that looks like a formula stays text: no formula cell, nothing evaluated.
    assert rows["=1+1"][3].data_type == "s" and rows["=1+1"][4].value == sneaky.email
    assert rows["=1+1"][5].value == "@A1" and rows["=1+1"][5].data_type == "s"
    lecture_sheet = read_xlsx(staff_client.get(url("lecture_rosters_xlsx", lecture.pk)))
    assert lecture_sheet.max_row == 1 + 4  # header, two on the tutorial, two on the lecture


def test_xlsx_exports_refuse_like_the_csv(client, users, lecture, tutorial_a):
    client.force_login(users["student"])
    assert client.get(url("roster_xlsx", tutorial_a.pk)).status_code == 403
    assert client.get(url("lecture_rosters_xlsx", lecture.pk)).status_code == 403


# -- one roster: add ----------------------------------------------------------------------------


def test_detail_shows_members_source_and_search_results(
    staff_client, lecture, tutorial_a, tutorial_b
):
    campaign = CampaignFactory(lecture=lecture, title="Tutorial registration")
    ada = UserFactory(name="Ada Lovelace")
    put_on(tutorial_a, ada, campaign=campaign)
    bea = UserFactory(name="Ada Byron")
    put_on(tutorial_b, bea)
    page = staff_client.get(url("roster_detail", tutorial_a.pk), {"find": "ada"})
    html = page.content.decode()
    assert "Tutorial registration" in html  # the member's source
    candidates = {c.user.pk: c for c in page.context["candidates"]}
    assert candidates[ada.pk].on_this_roster
    assert candidates[bea.pk].other_tutorial == "Tutorial B"
    assert "already in Tutorial B" in html
    by_matriculation = staff_client.get(
        url("roster_detail", tutorial_a.pk), {"find": bea.matriculation_number}
    )
    assert [c.user for c in by_matriculation.context["candidates"]] == [bea]
    # The move select offers the other tutorial with its fill.
    assert [(s.title, s.filled) for s in page.context["siblings"]] == [("Tutorial B", 1)]


def test_add_student_through_the_page(staff_client, lecture, tutorial_a):
    student = UserFactory(name="Grace Hopper")
    response = staff_client.post(url("roster_add", tutorial_a.pk),
                                 {"user": student.pk, "find": "grace"})
    assert response.status_code == 302
    assert response["Location"] == url("roster_detail", tutorial_a.pk) + "?find=grace"
    assert student.pk in members(tutorial_a) and student.pk in members(lecture)
    change = RosterChange.objects.get(registerable=tutorial_a, user=student)
    assert change.action == "added" and change.by == lecture.teacher
    page = staff_client.get(url("roster_detail", tutorial_a.pk))
    assert "Grace Hopper" in page.content.decode()
    assert page.context["changes"][0].user == student


def test_add_to_a_full_group_needs_overfill(staff_client, tutorial_b):
    put_on(tutorial_b, UserFactory())
    student = UserFactory()
    refused = staff_client.post(url("roster_add", tutorial_b.pk), {"user": student.pk},
                                follow=True)
    assert any("is full" in text for text in message_texts(refused))
    assert student.pk not in members(tutorial_b)
    staff_client.post(url("roster_add", tutorial_b.pk),
                      {"user": student.pk, "allow_overfill": "on"})
    assert student.pk in members(tutorial_b)


def test_add_refusals(staff_client, tutorial_a, tutorial_b, ada):
    refused = staff_client.post(url("roster_add", tutorial_b.pk), {"user": ada.pk}, follow=True)
    assert any("move them instead" in text for text in message_texts(refused))
    again = staff_client.post(url("roster_add", tutorial_a.pk), {"user": ada.pk}, follow=True)
    assert any("already on this roster" in text for text in message_texts(again))
    for junk in ("abc", "", "-1", str(HUGE_ID)):
        response = staff_client.post(url("roster_add", tutorial_b.pk), {"user": junk},
                                     follow=True)
        assert response.status_code == 200 and message_texts(response)
    assert staff_client.post(url("roster_add", tutorial_b.pk),
                             {"user": 987654}).status_code == 404
    assert members(tutorial_b) == set()


# -- one roster: remove -------------------------------------------------------------------------


def test_remove_with_confirmation(staff_client, lecture, tutorial_a, ada):
    confirm = staff_client.get(url("roster_remove", tutorial_a.pk), {"user": ada.pk})
    assert confirm.status_code == 200
    assert "Remove Ada Lovelace from “Tutorial A”?" in confirm.content.decode()
    assert ada.pk in members(tutorial_a)  # the confirmation page changes nothing
    response = staff_client.post(url("roster_remove", tutorial_a.pk), {"user": ada.pk},
                                 follow=True)
    assert any("was removed" in text for text in message_texts(response))
    assert ada.pk not in members(tutorial_a)
    assert ada.pk in members(lecture)  # leaving a group keeps the lecture


def test_removing_from_the_lecture_removes_from_its_groups(staff_client, lecture, tutorial_a,
                                                           ada):
    confirm = staff_client.get(url("roster_remove", lecture.pk), {"user": ada.pk})
    assert "also removes them from its tutorials" in confirm.content.decode()
    staff_client.post(url("roster_remove", lecture.pk), {"user": ada.pk})
    assert ada.pk not in members(lecture) and ada.pk not in members(tutorial_a)


def test_remove_refusals(staff_client, tutorial_a, tutorial_b, ada):
    response = staff_client.post(url("roster_remove", tutorial_b.pk), {"user": ada.pk},
                                 follow=True)
    assert any("not on this roster" in text for text in message_texts(response))
    assert staff_client.get(url("roster_remove", tutorial_b.pk),
                            {"user": ada.pk}).status_code == 404
    for junk in ("abc", "", str(HUGE_ID)):
        response = staff_client.post(url("roster_remove", tutorial_a.pk), {"user": junk},
                                     follow=True)
        assert response.status_code == 200 and message_texts(response)
        assert staff_client.get(url("roster_remove", tutorial_a.pk),
                                {"user": junk}).status_code in (200, 302)
    assert staff_client.post(url("roster_remove", tutorial_a.pk),
                             {"user": 987654}).status_code == 404
    assert members(tutorial_a) == {ada.pk}


# -- one roster: move ---------------------------------------------------------------------------


def test_move_through_the_page(staff_client, lecture, tutorial_a, tutorial_b, ada):
    response = staff_client.post(url("roster_move", tutorial_a.pk),
                                 {"user": ada.pk, "target": tutorial_b.pk}, follow=True)
    assert any("was moved from “Tutorial A” to “Tutorial B”" in text
               for text in message_texts(response))
    assert members(tutorial_a) == set() and members(tutorial_b) == {ada.pk}
    change = RosterChange.objects.get(action="moved")
    assert (change.from_registerable_id, change.registerable_id) == (tutorial_a.pk,
                                                                     tutorial_b.pk)
    assert "moved from Tutorial A to Tutorial B" in staff_client.get(
        url("roster_detail", tutorial_a.pk)).content.decode()


def test_move_into_a_full_group_needs_overfill(staff_client, tutorial_a, tutorial_b, ada):
    put_on(tutorial_b, UserFactory())
    refused = staff_client.post(url("roster_move", tutorial_a.pk),
                                {"user": ada.pk, "target": tutorial_b.pk}, follow=True)
    assert any("is full" in text for text in message_texts(refused))
    assert members(tutorial_a) == {ada.pk}
    staff_client.post(url("roster_move", tutorial_a.pk),
                      {"user": ada.pk, "target": tutorial_b.pk, "allow_overfill": "on"})
    assert ada.pk in members(tutorial_b) and members(tutorial_a) == set()


def test_move_refusals_change_nothing(staff_client, lecture, tutorial_a, tutorial_b, ada):
    elsewhere = TutorialFactory(capacity=50)  # a tutorial of another lecture
    cohort = CohortFactory(lecture=lecture)
    outsider = UserFactory()
    cases = [
        {"user": ada.pk, "target": elsewhere.pk},  # target in another lecture
        {"user": ada.pk, "target": cohort.pk},  # another kind
        {"user": ada.pk, "target": tutorial_a.pk},  # the same group
        {"user": ada.pk, "target": "abc"},
        {"user": ada.pk, "target": str(HUGE_ID)},
        {"user": ada.pk},
        {"user": "abc", "target": tutorial_b.pk},
        {"user": outsider.pk, "target": tutorial_b.pk},  # not on this roster
    ]
    before = sorted(RosterEntry.objects.values_list("registerable_id", "user_id"))
    for data in cases:
        response = staff_client.post(url("roster_move", tutorial_a.pk), data, follow=True)
        assert response.status_code == 200, data
        assert message_texts(response), data
    not_here = staff_client.post(url("roster_move", tutorial_a.pk),
                                 {"user": outsider.pk, "target": tutorial_b.pk}, follow=True)
    assert any("is not in “Tutorial A”" in text for text in message_texts(not_here))
    assert staff_client.post(url("roster_move", tutorial_a.pk),
                             {"user": 987654, "target": tutorial_b.pk}).status_code == 404
    assert sorted(RosterEntry.objects.values_list("registerable_id", "user_id")) == before
    assert not RosterChange.objects.filter(action="moved").exists()


def test_lecture_roster_offers_no_move(staff_client, lecture, ada):
    page = staff_client.get(url("roster_detail", lecture.pk))
    assert page.context["siblings"] == []
    assert url("roster_move", lecture.pk) not in page.content.decode()
    response = staff_client.post(url("roster_move", lecture.pk),
                                 {"user": ada.pk, "target": LectureFactory().pk}, follow=True)
    assert message_texts(response)


# -- one roster: several at once, "move here", e-mail list ---------------------------------------


def roster_state():
    return sorted(RosterEntry.objects.values_list("registerable_id", "user_id"))


@pytest.fixture
def bea(tutorial_a):
    student = UserFactory(name="Bea Bauer")
    put_on(tutorial_a, student)
    return student


def test_move_select_starts_with_a_placeholder(staff_client, tutorial_a, tutorial_b, ada):
    html = staff_client.get(url("roster_detail", tutorial_a.pk)).content.decode()
    row_select = html.split(f'id="move-{ada.pk}" required>')[1].split("</select>")[0]
    assert row_select.strip().startswith('<option value="">Choose a group …</option>')
    bulk_select = html.split('id="bulk-target">')[1].split("</select>")[0]
    assert bulk_select.strip().startswith('<option value="">Choose a group …</option>')
    refused = staff_client.post(url("roster_move", tutorial_a.pk),
                                {"user": ada.pk, "target": ""}, follow=True)
    assert "Choose the group to move to." in message_texts(refused)
    assert members(tutorial_a) == {ada.pk}


def test_bulk_move_moves_everyone_and_tells_students_and_both_tutors(
    staff_client, lecture, tutor, tutorial_a, ada, bea, mailoutbox,
    django_capture_on_commit_callbacks, settings,
):
    settings.SITE_URL = "https://mampf.example.org"
    other_tutor = UserFactory(name="Otto Tutor")
    roomy = TutorialFactory(lecture=lecture, title="Tutorial C", capacity=5, tutors=[other_tutor])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("roster_bulk", tutorial_a.pk),
            {"user": [ada.pk, bea.pk], "action": "move", "target": roomy.pk}, follow=True,
        )
    assert "2 students were moved from “Tutorial A” to “Tutorial C”." in message_texts(response)
    assert members(tutorial_a) == set() and members(roomy) == {ada.pk, bea.pk}
    assert RosterChange.objects.filter(action="moved", registerable=roomy).count() == 2
    by_address = {m.to[0]: m for m in mailoutbox}
    assert set(by_address) == {ada.email, bea.email, tutor.email, other_tutor.email}
    assert len(mailoutbox) == 4  # the tutors get one e-mail for the whole move
    student_mail = by_address[ada.email]
    assert student_mail.subject == "Your group changed: Tutorial C"
    assert "Hello Ada Lovelace," in student_mail.body
    assert "from Tutorial A (" in student_mail.body and "SR 1" in student_mail.body
    assert "https://mampf.example.org/" in student_mail.body
    tutor_mail = by_address[tutor.email]
    assert "Ada Lovelace, Bea Bauer" in tutor_mail.body
    assert "https://mampf.example.org" + url("my_groups") in tutor_mail.body


def test_bulk_move_is_all_or_nothing_and_names_who_and_why(
    staff_client, tutorial_a, tutorial_b, ada, bea, mailoutbox, django_capture_on_commit_callbacks
):
    before = roster_state()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url("roster_bulk", tutorial_a.pk),
            {"user": [ada.pk, bea.pk], "action": "move", "target": tutorial_b.pk}, follow=True,
        )
    [text] = message_texts(response)
    assert text.startswith("Nothing was changed: 1 of 2 could not be changed.")
    assert "Bea Bauer: “Tutorial B” is full (1 places)." in text
    assert roster_state() == before
    assert not RosterChange.objects.filter(action="moved").exists()
    assert mailoutbox == []
    staff_client.post(url("roster_bulk", tutorial_a.pk), {
        "user": [ada.pk, bea.pk], "action": "move", "target": tutorial_b.pk,
        "allow_overfill": "on"})
    assert members(tutorial_b) == {ada.pk, bea.pk}


def test_bulk_remove_asks_first_then_removes_all(staff_client, lecture, tutorial_a, ada, bea):
    confirm = staff_client.post(url("roster_bulk", tutorial_a.pk),
                                {"user": [ada.pk, bea.pk], "action": "remove"})
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Remove these 2 students from “Tutorial A”?" in html
    assert "Ada Lovelace" in html and "Bea Bauer" in html
    assert members(tutorial_a) == {ada.pk, bea.pk}
    done = staff_client.post(url("roster_bulk", tutorial_a.pk),
                             {"user": [ada.pk, bea.pk], "action": "remove", "confirm": "1"},
                             follow=True)
    assert "2 students were removed from “Tutorial A”." in message_texts(done)
    assert members(tutorial_a) == set()
    assert {ada.pk, bea.pk} <= members(lecture)  # they stay on the lecture roster


def test_bulk_refusals_change_nothing(staff_client, lecture, tutorial_a, tutorial_b, ada, bea):
    outsider = UserFactory()
    before = roster_state()
    cases = [
        {"action": "move", "target": tutorial_b.pk},  # nobody selected
        {"user": [ada.pk], "action": "move"},  # no target
        {"user": [ada.pk], "action": "move", "target": str(HUGE_ID)},
        {"user": [ada.pk], "action": "explode", "target": tutorial_b.pk},
        {"user": ["abc"], "action": "remove", "confirm": "1"},
        {"user": [str(HUGE_ID)], "action": "remove", "confirm": "1"},
        {"user": [ada.pk, outsider.pk], "action": "remove", "confirm": "1"},  # stale selection
        {"user": [str(n) for n in range(1, 600)], "action": "remove", "confirm": "1"},
    ]
    for data in cases:
        response = staff_client.post(url("roster_bulk", tutorial_a.pk), data, follow=True)
        assert response.status_code == 200, data
        assert message_texts(response), data
    assert roster_state() == before


def test_move_here_takes_a_student_from_another_group(staff_client, tutorial_a, tutorial_b):
    carl = UserFactory(name="Carl Gauss")
    put_on(tutorial_b, carl)
    page = staff_client.get(url("roster_detail", tutorial_a.pk), {"find": "Carl"})
    html = page.content.decode()
    assert "already in Tutorial B" in html and url("roster_move_here", tutorial_a.pk) in html
    response = staff_client.post(url("roster_move_here", tutorial_a.pk),
                                 {"user": carl.pk, "find": "Carl"}, follow=True)
    assert "Carl Gauss was moved from “Tutorial B” to “Tutorial A”." in message_texts(response)
    assert members(tutorial_b) == set() and members(tutorial_a) == {carl.pk}
    change = RosterChange.objects.get(action="moved")
    assert (change.from_registerable_id, change.registerable_id) == (tutorial_b.pk,
                                                                     tutorial_a.pk)


def test_move_here_refusals_change_nothing(staff_client, tutorial_a, tutorial_b, ada):
    loner = UserFactory(name="Lone Wolf")
    full = TutorialFactory(lecture=tutorial_a.lecture, title="Tutorial F", capacity=1)
    put_on(full, UserFactory())
    before = roster_state()
    nowhere = staff_client.post(url("roster_move_here", tutorial_a.pk), {"user": loner.pk},
                                follow=True)
    assert any("is in no other group" in text for text in message_texts(nowhere))
    into_full = staff_client.post(url("roster_move_here", full.pk), {"user": ada.pk}, follow=True)
    assert any("is full" in text for text in message_texts(into_full))
    for junk in ("abc", "", str(HUGE_ID)):
        response = staff_client.post(url("roster_move_here", tutorial_a.pk), {"user": junk},
                                     follow=True)
        assert response.status_code == 200 and message_texts(response)
    assert staff_client.post(url("roster_move_here", tutorial_a.pk),
                             {"user": 987654}).status_code == 404
    assert roster_state() == before


@pytest.mark.parametrize("role", ["student", "tutor", "other_teacher"])
def test_others_may_not_bulk_change_or_move_here(client, users, tutorial_a, tutorial_b, ada,
                                                 role):
    client.force_login(users[role])
    before = roster_state()
    bulk = client.post(url("roster_bulk", tutorial_a.pk),
                       {"user": [ada.pk], "action": "remove", "confirm": "1"})
    here = client.post(url("roster_move_here", tutorial_b.pk), {"user": ada.pk})
    assert bulk.status_code == 403 and here.status_code == 403
    assert roster_state() == before


def test_email_addresses_can_be_copied_without_javascript(client, staff_client, tutor,
                                                          tutorial_a, ada, bea):
    html = staff_client.get(url("roster_detail", tutorial_a.pk)).content.decode()
    area = html.split('<textarea id="roster-email-list" readonly rows="4">')[1].split("<")[0]
    assert area == f"{ada.email}, {bea.email}"
    assert f"mailto:?bcc={ada.email},{bea.email}" in html
    client.force_login(tutor)  # the group's tutor reads it too
    assert ada.email in client.get(url("roster_detail", tutorial_a.pk)).content.decode()


def test_move_mail_is_in_the_recipients_language_not_the_staff_members(
    staff_client, tutorial_a, tutorial_b, ada, mailoutbox, django_capture_on_commit_callbacks,
    settings,
):
    settings.LANGUAGE_CODE = "de"  # the students' language (no language stored per user yet)
    settings.SITE_URL = "https://mampf.example.org/"
    staff_client.cookies.load({"django_language": "en"})  # the teacher works in English
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url("roster_move", tutorial_a.pk),
                                     {"user": ada.pk, "target": tutorial_b.pk}, follow=True)
    assert "Ada Lovelace was moved from “Tutorial A” to “Tutorial B”." in message_texts(response)
    by_address = {m.to[0]: m for m in mailoutbox}
    mail = by_address[ada.email]
    assert mail.subject == "Ihre Gruppe hat sich geändert: Tutorial B"
    assert mail.body.startswith("Hallo Ada Lovelace,")
    assert "Tutorial A (Montag 10:00" in mail.body  # the weekday in German too
    assert "https://mampf.example.org/\n" in mail.body
    tutor_mail = next(m for m in mailoutbox if m.to[0] != ada.email)
    assert "Ada Lovelace" in tutor_mail.body and tutor_mail.body.startswith("Hallo ")


def test_recipient_language_prefers_the_users_own(settings):
    from types import SimpleNamespace

    from mampf.mail import recipient_language

    settings.LANGUAGE_CODE = "en"
    assert recipient_language(SimpleNamespace(language="de")) == "de"
    assert recipient_language(SimpleNamespace(language="de-AT")) == "de"
    assert recipient_language(SimpleNamespace(language="xx")) == "en"
    assert recipient_language(SimpleNamespace()) == "en"


def confirm(campaign, registerable, user, *, status="confirmed"):
    item = campaign.items.filter(registerable=registerable).first() or ItemFactory(
        campaign=campaign, registerable=registerable)
    return UserRegistration.objects.create(campaign=campaign, item=item, user=user,
                                           status=status, exclusive=item.exclusive)


def test_roster_page_counts_confirmed_places_not_yet_in_the_list(
    client, staff_client, tutor, lecture, tutorial_a, tutorial_b, ada
):
    fcfs = CampaignFactory(lecture=lecture, status=Campaign.Status.OPEN,
                           allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED)
    confirm(fcfs, tutorial_a, UserFactory())
    confirm(fcfs, tutorial_a, UserFactory())
    confirm(fcfs, tutorial_a, ada)  # already on the roster: not counted twice
    confirm(fcfs, tutorial_a, UserFactory(), status="rejected")
    confirm(fcfs, tutorial_b, UserFactory())  # another group
    done = CampaignFactory(lecture=lecture, status=Campaign.Status.COMPLETED,
                           allocation_mode=Campaign.AllocationMode.FIRST_COME_FIRST_SERVED)
    confirm(done, tutorial_a, UserFactory())  # finalized: its people are on the roster
    ranked = CampaignFactory(lecture=lecture, status=Campaign.Status.PROCESSING,
                             allocation_mode=Campaign.AllocationMode.PREFERENCE_BASED)
    confirm(ranked, tutorial_a, UserFactory())  # a proposal, not a place yet
    page = staff_client.get(url("roster_detail", tutorial_a.pk))
    assert page.context["confirmed_not_listed"] == 2
    assert "2 confirmed, not yet in the list" in page.content.decode()
    client.force_login(tutor)  # the tutor sees it too
    assert "2 confirmed, not yet in the list" in client.get(
        url("roster_detail", tutorial_a.pk)).content.decode()
    Campaign.objects.filter(pk=fcfs.pk).update(status=Campaign.Status.COMPLETED)
    quiet = staff_client.get(url("roster_detail", tutorial_a.pk))
    assert "not yet in the list" not in quiet.content.decode()


# -- my groups ----------------------------------------------------------------------------------


def test_my_groups_lists_the_tutors_tutorials(client, tutor, tutorial_a, ada):
    client.force_login(tutor)
    page = client.get(url("my_groups"))
    html = page.content.decode()
    assert [g.registerable for g in page.context["groups"]] == [tutorial_a]
    assert page.context["groups"][0].filled == 1
    assert url("roster_detail", tutorial_a.pk) in html and "1 / 2" in html


def test_my_groups_is_friendly_for_non_tutors(client):
    client.force_login(UserFactory())
    page = client.get(url("my_groups"))
    assert page.status_code == 200
    assert "You do not tutor any group" in page.content.decode()


# -- query bounds -------------------------------------------------------------------------------


@pytest.fixture
def big_lecture(lecture):
    """1,500 students on the lecture roster, 8 tutorials with about 190 each."""
    tutorials = [
        TutorialFactory(lecture=lecture, capacity=200, tutors=[UserFactory()]) for _ in range(8)
    ]
    campaign = CampaignFactory(lecture=lecture)
    User.objects.bulk_create(
        User(email=f"big{n}@example.org", name=f"Student {n:04d}",
             matriculation_number=f"big-{n}")
        for n in range(1500)
    )
    people = list(User.objects.filter(email__startswith="big").order_by("pk"))
    RosterEntry.objects.bulk_create(
        RosterEntry(registerable=lecture, user=user, source_campaign=campaign)
        for user in people
    )
    RosterEntry.objects.bulk_create(
        RosterEntry(registerable=tutorials[n % 8], user=user, source_campaign=campaign)
        for n, user in enumerate(people)
    )
    return lecture, tutorials


def test_roster_pages_have_bounded_queries(staff_client, big_lecture,
                                           django_assert_max_num_queries):
    lecture, tutorials = big_lecture
    staff_client.get(url("lecture_rosters", lecture.pk))  # warms the content-type cache
    with django_assert_max_num_queries(11):
        overview = staff_client.get(url("lecture_rosters", lecture.pk))
    assert [g.filled for g in overview.context["groups"][:3]] == [1500, 188, 188]
    with django_assert_max_num_queries(16):  # + e-mail list, confirmed places
        detail = staff_client.get(url("roster_detail", lecture.pk), {"find": "Student 00"})
    assert detail.context["page_obj"].paginator.count == 1500
    with django_assert_max_num_queries(16):  # + e-mail list, confirmed places
        tutorial_page = staff_client.get(url("roster_detail", tutorials[0].pk))
    assert len(tutorial_page.context["page_obj"].object_list) == 188
    assert len(tutorial_page.context["siblings"]) == 7
    with django_assert_max_num_queries(10):
        export = staff_client.get(url("lecture_rosters_csv", lecture.pk))
    assert len(read_csv(export)) == 1 + 3000
