"""The certification dashboard and its pages: access, counts, filters, search, bounded queries,
accept-all, override, re-certify, history and the eligibility export."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from performance import services
from performance.models import Certification, CertificationChange
from tests.factories import LectureFactory, StaffFactory, TutorialFactory, UserFactory
from tests.performance.certify_helpers import (
    FAILING,
    OPEN,
    PASSING,
    change_record,
    enrol,
    make_rule,
    make_students,
    set_records,
    snapshot,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"performance:{name}", args=args)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def lecture():
    return LectureFactory(title="Analysis I")


@pytest.fixture
def students(lecture):
    users = make_students(4)
    enrol(lecture, users)
    make_rule(lecture)
    set_records(lecture, dict(zip(users, (PASSING, FAILING, OPEN, PASSING), strict=True)))
    return users


@pytest.fixture
def teacher_client(client, lecture):
    client.force_login(lecture.teacher)
    return client


# -- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "editor", "site_staff"])
def test_managers_see_the_dashboard(client, lecture, students, role):
    user = {"teacher": lecture.teacher, "site_staff": StaffFactory()}.get(role) or UserFactory()
    if role == "editor":
        lecture.editors.add(user)
    client.force_login(user)
    response = client.get(url("dashboard", lecture.pk))
    assert response.status_code == 200
    assert response.context["counts"]["missing"] == 4


def test_tutors_students_and_other_teachers_are_refused_everywhere(client, lecture, students):
    tutor = UserFactory()
    TutorialFactory(lecture=lecture, tutors=[tutor])
    other_teacher = LectureFactory().teacher
    ada = students[0]
    before = snapshot()
    gets = [url("dashboard", lecture.pk), url("accept_all", lecture.pk),
            url("student", lecture.pk, ada.pk), url("export", lecture.pk, "csv"),
            url("carry_over", lecture.pk)]
    posts = [
        (url("accept_all", lecture.pk), {}),
        (url("override", lecture.pk, ada.pk), {"status": "failed", "note": "x"}),
        (url("recertify", lecture.pk, ada.pk), {"status": "failed", "note": "x"}),
        (url("carry_over", lecture.pk), {"source_lecture": LectureFactory().pk}),
    ]
    for user in (tutor, ada, other_teacher):
        client.force_login(user)
        for address in gets:
            assert client.get(address).status_code == 403, (user, address)
        for address, data in posts:
            assert client.post(address, data).status_code == 403, (user, address)
    client.logout()
    assert client.get(url("dashboard", lecture.pk)).status_code == 302
    assert client.post(url("accept_all", lecture.pk)).status_code == 302
    assert snapshot() == before


def test_unknown_ids_are_404(teacher_client, lecture, students):
    assert teacher_client.get(url("dashboard", 987654)).status_code == 404
    assert teacher_client.get(url("student", lecture.pk, 987654)).status_code == 404
    stranger = UserFactory()
    assert teacher_client.get(url("student", lecture.pk, stranger.pk)).status_code == 404
    assert teacher_client.get(url("export", lecture.pk, "pdf")).status_code == 404


# -- dashboard ------------------------------------------------------------------------------------


def test_rows_show_figures_proposal_certification_and_why_they_differ(
    teacher_client, lecture, students
):
    ada, bob, cem, dia = students
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    services.override_certification(
        lecture=lecture, user=bob, status="passed", note="Ill for two sheets", by=lecture.teacher
    )
    change_record(lecture, dia, (9, 9, 9, 9))
    response = teacher_client.get(url("dashboard", lecture.pk))
    counts = response.context["counts"]
    assert counts == {"passed": 2, "failed": 0, "pending": 1, "stale": 1, "missing": 0,
                      "inconclusive": 1}
    rows = {item["row"].user_id: item for item in response.context["rows"]}
    assert rows[ada.pk]["points"] == "32" and rows[ada.pk]["difference"] == ""
    assert "Decided by hand" in rows[bob.pk]["difference"]
    assert rows[bob.pk]["row"].proposal_status == "failed"
    assert "figures changed" in rows[dia.pk]["difference"]
    assert rows[cem.pk]["reasons"]  # the inconclusive proposal says why
    html = response.content.decode()
    assert "Accept all proposals" in html and "Re-certify 1 stale certification" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "failed"}, {1}),
        ({"state": "pending"}, {2}),
        ({"state": "inconclusive"}, {2}),
        ({"state": "manual"}, set()),
        ({"q": "S Student 0003"}, {3}),
        ({"q": "s-1"}, {1}),  # matriculation number
        ({"q": "s0@example.org"}, {0}),
        ({"state": "nonsense"}, {0, 1, 2, 3}),
    ],
)
def test_filters_and_search(teacher_client, lecture, students, query, expected):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    response = teacher_client.get(url("dashboard", lecture.pk), query)
    assert response.status_code == 200
    shown = {item["row"].user_id for item in response.context["rows"]}
    assert shown == {students[i].pk for i in expected}


def test_the_dashboard_of_1500_students_needs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    lecture = LectureFactory()
    users = make_students(1500, prefix="big")
    enrol(lecture, users)
    make_rule(lecture)
    pattern = (PASSING, FAILING, OPEN)
    set_records(lecture, {user: pattern[i % 3] for i, user in enumerate(users)})
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    change_record(lecture, users[0], (9, 9, 9, 9))
    client.force_login(lecture.teacher)
    client.get(url("dashboard", lecture.pk))  # warm-up
    with django_assert_max_num_queries(16):
        response = client.get(url("dashboard", lecture.pk), {"page": 3})
    assert response.context["counts"] == {
        "passed": 499, "failed": 500, "pending": 500, "stale": 1, "missing": 0,
        "inconclusive": 500,
    }
    assert len(response.context["rows"]) == 100
    with django_assert_max_num_queries(16):
        filtered = client.get(url("dashboard", lecture.pk), {"state": "stale"})
    assert [item["row"].user_id for item in filtered.context["rows"]] == [users[0].pk]


def test_the_rule_sentence_counts_the_sheets_and_the_page_links_records_and_students(
    teacher_client, lecture, students
):
    """The dashboard states the saved rule as the other pages do (``rules.rule_sentence``, with
    the size of the sheet set) and links to the records page and to each student's page."""
    from decimal import Decimal

    from performance.models import Rule
    from tests.factories import AssessmentFactory

    for n in (1, 2, 3):
        AssessmentFactory(lecture=lecture, title=f"Sheet {n}")
    Rule.objects.filter(lecture=lecture).update(
        sheet_min_percentage=Decimal("20"), sheet_min_count=2
    )
    response = teacher_client.get(url("dashboard", lecture.pk))
    page = response.content.decode()
    assert "at least 20 % on 2 of 3 sheets" in page
    assert f'href="{url("records_status", lecture.pk)}"' in page
    assert f'href="{url("student", lecture.pk, students[0].pk)}"' in page


def test_the_student_page_links_to_what_the_student_sees(teacher_client, lecture, students):
    response = teacher_client.get(url("student", lecture.pk, students[1].pk))
    target = url("student_performance", lecture.pk, students[1].pk)
    assert f'href="{target}"' in response.content.decode()
    assert teacher_client.get(target).status_code == 200


# -- accept all -----------------------------------------------------------------------------------


def test_accept_all_confirms_first_then_writes(teacher_client, lecture, students):
    before = snapshot()
    confirm = teacher_client.get(url("accept_all", lecture.pk))
    assert confirm.status_code == 200 and confirm.context["will_write"] == 4
    assert snapshot() == before
    response = teacher_client.post(url("accept_all", lecture.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("dashboard", lecture.pk)
    assert "4 certifications written from the proposals." in message_texts(response)
    assert Certification.objects.filter(lecture=lecture).count() == 4


def test_accept_all_without_a_rule_says_so(client):
    lecture = LectureFactory()
    users = make_students(2)
    enrol(lecture, users)
    client.force_login(lecture.teacher)
    response = client.post(url("accept_all", lecture.pk), follow=True)
    assert any("no admission rule" in text for text in message_texts(response))
    assert not Certification.objects.exists()


# -- one student ----------------------------------------------------------------------------------


def test_override_form_and_history(teacher_client, lecture, students):
    bob = students[1]
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    response = teacher_client.post(
        url("override", lecture.pk, bob.pk),
        {"status": "passed", "note": "Medical certificate"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url("student", lecture.pk, bob.pk)
    cert = Certification.objects.get(lecture=lecture, user=bob)
    assert (cert.status, cert.source, cert.note) == ("passed", "manual", "Medical certificate")
    page = teacher_client.get(url("student", lecture.pk, bob.pk))
    history = [entry["change"].action for entry in page.context["history"]]
    assert history == ["overridden", "accepted"]
    assert "Medical certificate" in page.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"status": "passed", "note": ""},
        {"status": "passed", "note": "   "},
        {"status": "passed"},
        {"status": "maybe", "note": "x"},
        {"note": "x"},
        {},
    ],
)
def test_override_bad_input_is_refused_and_changes_nothing(teacher_client, lecture, students, data):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    before = snapshot()
    response = teacher_client.post(url("override", lecture.pk, students[1].pk), data, follow=True)
    assert response.status_code == 200
    assert message_texts(response)
    assert snapshot() == before


def test_override_of_a_student_not_in_the_lecture_is_refused(teacher_client, lecture, students):
    outsider = UserFactory()
    before = snapshot()
    response = teacher_client.post(
        url("override", lecture.pk, outsider.pk), {"status": "passed", "note": "x"}
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_recertify_from_the_student_page(teacher_client, lecture, students):
    ada = students[0]
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    change_record(lecture, ada, FAILING)
    page = teacher_client.get(url("student", lecture.pk, ada.pk))
    assert page.context["is_stale"] and "Accept the current proposal" in page.content.decode()
    teacher_client.post(url("recertify", lecture.pk, ada.pk))
    assert Certification.objects.get(lecture=lecture, user=ada).status == "failed"
    again = teacher_client.post(url("recertify", lecture.pk, ada.pk), follow=True)
    assert any("current" in text for text in message_texts(again))
    assert CertificationChange.objects.filter(user_id=ada.pk, action="recertified").count() == 1


# -- export ---------------------------------------------------------------------------------------


def test_csv_export_for_a_german_excel(teacher_client, lecture, students):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    response = teacher_client.get(url("export", lecture.pk, "csv"), HTTP_ACCEPT_LANGUAGE="de")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.strip().split("\r\n")
    assert len(lines) == 5
    assert ";" in lines[0]
    assert any(students[0].matriculation_number in line for line in lines[1:])


def test_xlsx_export(teacher_client, lecture, students):
    services.accept_all_proposals(lecture=lecture, by=lecture.teacher)
    response = teacher_client.get(url("export", lecture.pk, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Name" and len(rows) == 5
    by_number = {row[2]: row for row in rows[1:]}
    assert by_number[students[0].matriculation_number][4] == "Passed"
    assert by_number[students[1].matriculation_number][4] == "Failed"
