"""Everything we store about you (issue 12 item 4, GDPR Art. 15): the student's own page and
downloads, nothing about others, unpublished results withheld; the site staff's audited export
for a named person; teachers cannot look accounts up."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone, translation

from assessment.models import (
    GradeChange,
    Submission,
    SubmissionMember,
    TaskPoint,
    TutorialPublication,
)
from operations.reports.personal import personal_data
from registration import services as registration_services
from registration.models import Campaign, RegistrationEvent, UserRegistration
from rosters.models import RosterChange, RosterEntry
from tests.factories import (
    AssessmentFactory,
    CampaignFactory,
    ItemFactory,
    LectureFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)
from tests.performance.examgate_data import certify, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def world():
    lecture = LectureFactory(title="Algebra")
    group = TutorialFactory(lecture=lecture, title="Group A")
    ada = UserFactory(name="Ada Lovelace", matriculation_number="1234567")
    bob = UserFactory(name="Bob Secret", matriculation_number="7654321")
    tom = UserFactory(name="Tom Teammate")
    for user in (ada, bob, tom):
        RosterEntry.objects.create(registerable=group, user=user)
    campaign = CampaignFactory(lecture=lecture, title="Tutorial registration")
    item = ItemFactory(campaign=campaign, registerable=group)
    UserRegistration.objects.create(campaign=campaign, item=item, user=ada, status="confirmed")
    UserRegistration.objects.create(campaign=campaign, item=item, user=bob, status="confirmed")
    RosterChange.objects.create(
        action="added", user=ada, registerable=group, source_campaign=campaign, by=lecture.teacher
    )
    RosterChange.objects.create(action="added", user=bob, registerable=group)
    published = AssessmentFactory(lecture=lecture, title="Sheet published")
    hidden = AssessmentFactory(lecture=lecture, title="Sheet unpublished")
    TutorialPublication.objects.create(assessment=published, tutorial=group)
    task_p = TaskFactory(assessment=published, position=1)
    task_h = TaskFactory(assessment=hidden, position=1)
    p1 = ParticipationFactory(
        assessment=published,
        user=ada,
        tutorial=group,
        status="reviewed",
        points_total=Decimal("8.5"),
        note="talked a lot",
    )
    p2 = ParticipationFactory(
        assessment=hidden, user=ada, tutorial=group, status="reviewed", points_total=Decimal("3.25")
    )
    TaskPoint.objects.create(participation=p1, task=task_p, points=Decimal("8.5"))
    TaskPoint.objects.create(participation=p2, task=task_h, points=Decimal("3.25"))
    GradeChange.objects.create(
        assessment=hidden, participation=p2, field="points", old="0", new="3.25"
    )
    GradeChange.objects.create(
        assessment=published,
        participation=p1,
        field="points",
        old="0",
        new="8.5",
        by=lecture.teacher,
    )
    pb = ParticipationFactory(
        assessment=published,
        user=bob,
        tutorial=group,
        status="reviewed",
        points_total=Decimal("1.75"),
    )
    TaskPoint.objects.create(participation=pb, task=task_p, points=Decimal("1.75"))
    submission = Submission.objects.create(
        assessment=published, uploaded_at=timezone.now(), file="submissions/2026/10/ada.pdf"
    )
    for user in (ada, tom):
        SubmissionMember.objects.create(submission=submission, assessment=published, user=user)
    alone = Submission.objects.create(assessment=published)
    SubmissionMember.objects.create(submission=alone, assessment=published, user=bob)
    make_record(lecture, ada)
    certify(lecture, ada, "passed", source="manual", note="internal remark")
    make_record(lecture, bob)
    return {"lecture": lecture, "ada": ada, "bob": bob, "tom": tom, "group": group}


def section(sections, key):
    return next(s for s in sections if s.key == key).as_dicts()


def test_student_sees_their_own_data_only(client, world):
    client.force_login(world["ada"])
    response = client.get(reverse("reports:my_data"))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Ada Lovelace",
        "1234567",
        "Tutorial registration",
        "Group A",
        "Sheet published",
        "Tom Teammate",
        "ada.pdf",
        "Algebra",
    ):
        assert text in page
    for text in (
        "Bob Secret",
        "7654321",
        "1.75",
        "internal remark",
        "talked a lot",
        "3.25",
        str(world["lecture"].teacher.name),
    ):
        assert text not in page


def test_unpublished_results_are_withheld_from_the_student(world):
    sections = personal_data(user=world["ada"])
    rows = {row["assessment"]: row for row in section(sections, "participations")}
    assert rows["Sheet published"]["points_total"] == Decimal("8.5")
    assert rows["Sheet unpublished"]["points_total"] == "not published yet"
    assert rows["Sheet unpublished"]["status"] == "not published yet"
    assert "note" not in rows["Sheet published"]
    assert [r["assessment"] for r in section(sections, "task_points")] == ["Sheet published"]
    history = section(sections, "grade_history")
    assert [(r["assessment"], r["by"]) for r in history] == [("Sheet published", "course staff")]
    roster = section(sections, "roster_history")
    assert [(r["group"], r["by"]) for r in roster] == [("Group A", "course staff")]
    assert section(sections, "certifications")[0]["status"] == "Passed"
    assert "note" not in section(sections, "certifications")[0]


def test_full_export_has_everything(world):
    sections = personal_data(user=world["ada"], full=True)
    rows = {row["assessment"]: row for row in section(sections, "participations")}
    assert rows["Sheet unpublished"]["points_total"] == Decimal("3.25")
    assert rows["Sheet published"]["note"] == "talked a lot"
    assert section(sections, "certifications")[0]["note"] == "internal remark"
    assert len(section(sections, "task_points")) == 2


def test_downloads_in_three_formats(client, world):
    client.force_login(world["ada"])
    response = client.get(reverse("reports:my_data_export", args=["json"]))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account_id"] == world["ada"].pk
    assert data["sections"]["profile"]["rows"][0]["matriculation_number"] == "1234567"
    assert data["sections"]["submissions"]["rows"][0]["team"] == "Tom Teammate"
    assert "Bob Secret" not in response.content.decode()

    response = client.get(reverse("reports:my_data_export", args=["xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:4] == [
        "Profile",
        "Registrations",
        "Removed registrations",
        "Lists you are on",
    ]
    assert len(book.sheetnames) == len(data["sections"])

    response = client.get(
        reverse("reports:my_data_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="de"
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=";"))
    assert rows[0] == ["Abschnitt", "Zeile", "Feld", "Wert"]
    assert ["Profil", "1", "Matrikelnummer", "1234567"] in rows
    assert any(row[3] == "8,50" for row in rows)  # German decimal comma
    assert client.get(reverse("reports:my_data_export", args=["pdf"])).status_code == 404


def test_my_data_includes_my_removed_registrations(client, world):
    lecture = world["lecture"]
    enrolment = CampaignFactory(lecture=lecture, title="Enrolment", status="open")
    item = ItemFactory(campaign=enrolment, registerable=lecture)
    for user in (world["ada"], world["bob"]):
        registration_services.register(user=user, item=item)
    registration_services.withdraw(user=world["ada"], item=item)
    registration_services.staff_cancel(
        campaign=enrolment, user=world["bob"], by=lecture.teacher, reason="duplicate"
    )
    rows = section(personal_data(user=world["ada"]), "registration_history")
    assert len(rows) == 1  # Bob's cancellation is not Ada's data
    assert {k: v for k, v in rows[0].items() if k != "at"} == {
        "action": "withdrawn",
        "lecture": "Algebra",
        "campaign": "Enrolment",
        "choice": "Algebra",
        "status": "Confirmed",
        "preference_rank": None,
        "by": "you",
    }
    bob_rows = section(personal_data(user=world["bob"]), "registration_history")
    assert [(r["action"], r["by"]) for r in bob_rows] == [("cancelled by staff", "course staff")]
    # The record outlives the campaign.
    Campaign.objects.filter(pk=enrolment.pk).delete()
    rows = section(personal_data(user=world["ada"]), "registration_history")
    assert rows[0]["campaign"] == f"deleted campaign #{enrolment.pk}"
    client.force_login(world["ada"])
    page = client.get(reverse("reports:my_data")).content.decode()
    assert "Removed registrations" in page and "withdrawn" in page


def test_my_data_needs_login(client):
    response = client.get(reverse("reports:my_data"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(reverse("reports:my_data_export", args=["json"])).status_code == 302


def test_my_data_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    """About twenty queries whatever the history (one per section)."""
    ada = world["ada"]
    lecture = world["lecture"]
    for n in range(30):
        sheet = AssessmentFactory(lecture=lecture, title=f"Extra {n}")
        task = TaskFactory(assessment=sheet, position=1)
        part = ParticipationFactory(assessment=sheet, user=ada, tutorial=world["group"])
        TaskPoint.objects.create(participation=part, task=task, points=Decimal("1"))
        RosterChange.objects.create(action="added", user=ada, registerable=world["group"])
        RegistrationEvent.objects.create(
            campaign=CampaignFactory(lecture=lecture), user=ada, action="withdrawn", by=ada
        )
    client.force_login(ada)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("reports:my_data"))
    assert response.status_code == 200
    with django_assert_max_num_queries(30):
        client.get(reverse("reports:my_data_export", args=["xlsx"]))


# -- the site staff side ----------------------------------------------------------------------


def test_site_staff_export_is_audited_and_shown_to_the_person(client, world):
    staff = StaffFactory()
    client.force_login(staff)
    page = client.get(reverse("reports:person_lookup"), {"q": "1234567"})
    assert page.context["person"] == world["ada"]
    url = reverse("reports:person_export", args=[world["ada"].pk, "json"])
    assert client.get(url).status_code == 405  # an export writes an audit row: POST only
    data = json.loads(client.post(url).content)
    rows = {r["assessment"]: r for r in data["sections"]["participations"]["rows"]}
    assert rows["Sheet unpublished"]["points_total"] == "3.25"
    entry = LogEntry.objects.get(object_id=str(world["ada"].pk))
    assert entry.user == staff and entry.change_message.endswith(":json")
    client.force_login(world["ada"])
    mine = personal_data(user=world["ada"])
    assert [r["what"] for r in section(mine, "staff_access")] == [
        "Your data was exported by site staff (data protection request)."
    ]


def test_lookup_is_exact_and_for_site_staff_only(client, world):
    staff = StaffFactory()
    client.force_login(staff)
    miss = client.get(reverse("reports:person_lookup"), {"q": "Ada"})
    assert miss.context["person"] is None
    assert "No account has exactly" in miss.content.decode()
    found = client.get(reverse("reports:person_lookup"), {"q": world["ada"].email.upper()})
    assert found.context["person"] == world["ada"]
    export = reverse("reports:person_export", args=[world["ada"].pk, "csv"])
    for user in (world["lecture"].teacher, world["bob"]):
        client.force_login(user)
        assert client.get(reverse("reports:person_lookup"), {"q": "1234567"}).status_code == 403
        assert client.post(export).status_code == 403
    assert not LogEntry.objects.exists()


def test_profile_and_start_page_link_my_data(client, world):
    client.force_login(world["ada"])
    target = reverse("reports:my_data")
    assert target in client.get(reverse("profile")).content.decode()
    assert target in client.get(reverse("home")).content.decode()
