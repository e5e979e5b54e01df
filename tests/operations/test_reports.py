"""Staff reports (issue 12 item 4): participation per assessment and per tutorial, exam
admission export, registration audit. Content exactly, German Excel CSV, refusals, bounded
queries with hundreds of students."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from assessment.models import (
    Participation,
    Submission,
    SubmissionMember,
    TaskPoint,
)
from registration import services as registration_services
from registration.models import (
    AllocationRun,
    CampaignTransition,
    RegistrationEvent,
    UserRegistration,
)
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
from tests.performance.examgate_data import certify, change_figures, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")
    yield
    translation.activate("en")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert "\r\n" in body
    return list(csv.reader(io.StringIO(body[1:], newline=""), delimiter=";"))


def xlsx_rows(response) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


@pytest.fixture
def course():
    lecture = LectureFactory(title="Analysis I")
    group_a = TutorialFactory(lecture=lecture, title="Group A")
    group_b = TutorialFactory(lecture=lecture, title="Group B")
    tutor_a, tutor_b = UserFactory(name="Tutor A"), UserFactory(name="Tutor B")
    group_a.tutors.add(tutor_a)
    group_b.tutors.add(tutor_b)
    sheet = AssessmentFactory(lecture=lecture, title="Sheet 1")
    t1 = TaskFactory(assessment=sheet, position=1, title="Limits")
    t2 = TaskFactory(assessment=sheet, position=2, title="")
    anna = UserFactory(name="Anna Adler", matriculation_number="1000001")
    ben = UserFactory(name="Ben Berg", matriculation_number="1000002")
    cleo = UserFactory(name="Cleo Cruz", matriculation_number="1000003")
    dora = UserFactory(name="Dora Dunn", matriculation_number="1000004")
    for user, group in ((anna, group_a), (ben, group_a), (cleo, group_a), (dora, group_b)):
        RosterEntry.objects.create(registerable=group, user=user)
    p_anna = ParticipationFactory(
        assessment=sheet,
        user=anna,
        tutorial=group_a,
        status="reviewed",
        points_total=Decimal("7.5"),
    )
    TaskPoint.objects.create(participation=p_anna, task=t1, points=Decimal("5.5"))
    TaskPoint.objects.create(participation=p_anna, task=t2, points=Decimal("2"))
    submission = Submission.objects.create(assessment=sheet, uploaded_at=timezone.now(), late=True)
    SubmissionMember.objects.create(submission=submission, assessment=sheet, user=anna)
    ParticipationFactory(assessment=sheet, user=ben, tutorial=group_a, status="absent")
    p_cleo = ParticipationFactory(assessment=sheet, user=cleo, tutorial=group_a, status="exempt")
    Participation.objects.filter(pk=p_cleo.pk).update(exempt_reason="medical_certificate")
    ParticipationFactory(assessment=sheet, user=dora, tutorial=group_b)
    return {
        "lecture": lecture,
        "a": group_a,
        "b": group_b,
        "tutor_a": tutor_a,
        "tutor_b": tutor_b,
        "sheet": sheet,
        "anna": anna,
        "ben": ben,
        "cleo": cleo,
        "dora": dora,
    }


def url_of(name, *args, query=""):
    return reverse(f"reports:{name}", args=args) + (f"?{query}" if query else "")


# -- participation per assessment -----------------------------------------------------------


def test_assessment_report_lists_status_points_and_hand_in(client, course):
    client.force_login(course["lecture"].teacher)
    response = client.get(url_of("assessment", course["sheet"].pk, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response)
    assert rows[0] == [
        "Name",
        "Matriculation number",
        "E-mail address",
        "Tutorial",
        "Status",
        "Reason for the exemption",
        "Handed in",
        "Handed in at",
        "Late",
        "Task 1: Limits",
        "Task 2",
        "Total points",
        "Grade",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == ["Anna Adler", "Ben Berg", "Cleo Cruz", "Dora Dunn"]
    anna = by_name["Anna Adler"]
    assert anna[3:7] == ["Group A", "Reviewed", "", "yes"]
    assert anna[8:12] == ["yes", "5.50", "2.00", "7.50"]
    assert by_name["Ben Berg"][4] == "Absent"
    assert by_name["Ben Berg"][6] == "no"
    assert by_name["Cleo Cruz"][4:6] == ["Exempt", "Medical certificate"]
    assert by_name["Dora Dunn"][3:5] == ["Group B", "Pending"]


def test_assessment_report_in_german_excel(client, course):
    """A German user gets the decimal comma and German titles, with BOM and ';'."""
    teacher = course["lecture"].teacher
    client.force_login(teacher)
    response = client.get(
        url_of("assessment", course["sheet"].pk, "csv"), HTTP_ACCEPT_LANGUAGE="de"
    )
    with translation.override("de"):
        rows = csv_rows(response)
    anna = next(row for row in rows if row[0] == "Anna Adler")
    assert anna[9:12] == ["5,50", "2,00", "7,50"]
    assert rows[0][0] == "Name" and rows[0][1] == "Matrikelnummer"
    assert rows[0][5:8] == ["Grund der Befreiung", "Abgegeben", "Abgegeben am"]


def test_assessment_report_xlsx_is_typed(client, course):
    client.force_login(course["lecture"].teacher)
    response = client.get(url_of("assessment", course["sheet"].pk, "xlsx"))
    rows = xlsx_rows(response)
    anna = next(row for row in rows if row[0] == "Anna Adler")
    assert anna[9:12] == [5.5, 2, 7.5]
    assert isinstance(anna[7], datetime.datetime)


def test_tutor_sees_only_their_tutorials_rows(client, course):
    client.force_login(course["tutor_b"])
    rows = csv_rows(client.get(url_of("assessment", course["sheet"].pk, "csv")))
    assert [row[0] for row in rows[1:]] == ["Dora Dunn"]
    refused = client.get(
        url_of("assessment", course["sheet"].pk, "csv", query=f"tutorial={course['a'].pk}")
    )
    assert refused.status_code == 403


def test_assessment_report_refusals(client, course):
    sheet_url = url_of("assessment", course["sheet"].pk, "csv")
    assert client.get(sheet_url).status_code == 302  # anonymous: to the login page
    client.force_login(course["anna"])
    assert client.get(sheet_url).status_code == 403
    client.force_login(LectureFactory().teacher)  # another lecture's teacher
    assert client.get(sheet_url).status_code == 403
    exam = AssessmentFactory(lecture=course["lecture"], kind="exam")
    client.force_login(course["tutor_a"])  # tutors do not read exam rows
    assert client.get(url_of("assessment", exam.pk, "csv")).status_code == 403
    assert client.get(url_of("assessment", course["sheet"].pk, "pdf")).status_code == 404
    assert client.get(url_of("assessment", 2**70, "csv")).status_code == 404
    bad = client.get(url_of("assessment", course["sheet"].pk, "csv", query="tutorial=x"))
    assert bad.status_code == 404


# -- participation per tutorial ---------------------------------------------------------------


def test_tutorial_report(client, course):
    later = AssessmentFactory(
        lecture=course["lecture"],
        title="Sheet 2",
        deadline=timezone.now() - datetime.timedelta(days=1),
    )
    ParticipationFactory(
        assessment=later,
        user=course["anna"],
        tutorial=course["a"],
        status="reviewed",
        points_total=Decimal("3"),
    )
    client.force_login(course["tutor_a"])
    rows = csv_rows(client.get(url_of("tutorial", course["a"].pk, "csv")))
    assert rows[0] == [
        "Name",
        "Matriculation number",
        "E-mail address",
        "On the tutorial's roster",
        "Sheet 1",
        "Sheet 2",
        "Reviewed points",
        "Sheets handed in",
        "Absent",
        "Exempt",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == ["Anna Adler", "Ben Berg", "Cleo Cruz"]
    assert by_name["Anna Adler"][3:] == ["yes", "7.50", "3.00", "10.50", "1", "0", "0"]
    assert by_name["Ben Berg"][4:] == ["Absent", "", "0", "0", "1", "0"]
    assert by_name["Cleo Cruz"][4:] == ["Exempt", "", "0", "0", "0", "1"]


def test_tutorial_report_refusals(client, course):
    client.force_login(course["tutor_b"])  # tutor of another group
    assert client.get(url_of("tutorial", course["a"].pk, "csv")).status_code == 403
    client.force_login(course["anna"])
    assert client.get(url_of("tutorial", course["a"].pk, "xlsx")).status_code == 403
    client.force_login(LectureFactory().teacher)
    assert client.get(url_of("tutorial", course["a"].pk, "csv")).status_code == 403
    client.force_login(course["lecture"].teacher)
    assert client.get(url_of("tutorial", course["a"].pk, "xlsx")).status_code == 200


# -- exam admission ------------------------------------------------------------------------------


def test_eligibility_export(client, course):
    lecture = course["lecture"]
    make_record(lecture, course["anna"])
    make_record(lecture, course["ben"])
    make_record(lecture, course["dora"])
    certify(lecture, course["anna"], "passed")
    certify(lecture, course["ben"], "failed", source="manual", note="missed two sheets")
    change_figures(lecture, [course["ben"]])
    client.force_login(lecture.teacher)
    rows = csv_rows(client.get(url_of("eligibility", lecture.pk, "csv")))
    assert rows[0][:9] == [
        "Name",
        "Matriculation number",
        "E-mail address",
        "Admission",
        "Decided as",
        "Decided at",
        "Decided by",
        "Rule version",
        "Out of date",
    ]
    by_name = {row[0]: row for row in rows[1:]}
    assert list(by_name) == ["Anna Adler", "Ben Berg", "Dora Dunn"]
    assert by_name["Anna Adler"][3:5] == ["Passed", "Accepted proposal"]
    assert by_name["Anna Adler"][8] == "no"
    assert by_name["Ben Berg"][3:5] == ["Failed", "Manual decision"]
    assert by_name["Ben Berg"][8] == "yes"
    assert by_name["Ben Berg"][-1] == "missed two sheets"
    assert by_name["Dora Dunn"][3] == "not decided"


def test_eligibility_is_for_managers_only(client, course):
    target = url_of("eligibility", course["lecture"].pk, "xlsx")
    for user in (course["tutor_a"], course["anna"], LectureFactory().teacher):
        client.force_login(user)
        assert client.get(target).status_code == 403
    client.force_login(StaffFactory())
    assert client.get(target).status_code == 200


# -- registration audit ------------------------------------------------------------------------


@pytest.fixture
def audited(course):
    lecture = course["lecture"]
    campaign = CampaignFactory(lecture=lecture, title="Tutorials")
    item_a = ItemFactory(campaign=campaign, registerable=course["a"])
    teacher = lecture.teacher
    reg = UserRegistration.objects.create(
        campaign=campaign, item=item_a, user=course["anna"], status="confirmed", preference_rank=1
    )
    UserRegistration.objects.filter(pk=reg.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3),
        updated_at=timezone.now() - datetime.timedelta(days=2),
    )
    UserRegistration.objects.create(
        campaign=campaign, item=item_a, user=course["ben"], status="pending", preference_rank=1
    )
    CampaignTransition.objects.create(
        campaign=campaign, from_status="draft", to_status="open", by=teacher
    )
    CampaignTransition.objects.create(
        campaign=campaign,
        from_status="open",
        to_status="open",
        by=teacher,
        note="registration of Dora Dunn cancelled by hand: duplicate",
    )
    AllocationRun.objects.create(
        campaign=campaign,
        seed=7,
        requested_by=teacher,
        status="succeeded",
        statistics={"assigned": 1, "unassigned": 0},
    )
    RosterChange.objects.create(
        action="moved",
        user=course["cleo"],
        registerable=course["a"],
        from_registerable=course["b"],
        source_campaign=campaign,
        by=teacher,
        reason="swap",
    )
    other = LectureFactory()
    RosterChange.objects.create(action="added", user=course["anna"], registerable=other)
    return campaign


def test_audit_lists_every_kind_newest_first(client, course, audited):
    client.force_login(course["lecture"].teacher)
    response = client.get(url_of("audit_export", course["lecture"].pk, "csv"))
    rows = csv_rows(response)
    assert rows[0] == [
        "When",
        "Event",
        "Student",
        "Matriculation number",
        "Group",
        "Campaign",
        "Details",
        "By",
    ]
    events = [row[1] for row in rows[1:]]
    assert sorted(events) == sorted(
        [
            "registered",
            "registered",
            "place confirmed",
            "campaign Draft → Open",
            "changed by staff",
            "allocation run",
            "roster: moved",
        ]
    )
    times = [row[0] for row in rows[1:]]
    assert times == sorted(times, reverse=True)
    moved = next(row for row in rows if row[1] == "roster: moved")
    assert moved[2:8] == [
        "Cleo Cruz",
        "1000003",
        "Group A",
        "Tutorials",
        "from Group B; swap",
        course["lecture"].teacher.name,
    ]
    run = next(row for row in rows if row[1] == "allocation run")
    assert run[6] == "Succeeded; 1 placed, 0 not placed"
    # the other lecture's roster change is not in this audit
    assert [row for row in rows if row[2] == "Anna Adler"] and all(
        row[1] != "roster: added" for row in rows
    )


def test_audit_filters_by_student_and_day(client, course, audited):
    client.force_login(course["lecture"].teacher)
    rows = csv_rows(
        client.get(url_of("audit_export", course["lecture"].pk, "csv", query="student=adler"))
    )
    assert sorted(row[1] for row in rows[1:]) == ["place confirmed", "registered"]
    rows = csv_rows(
        client.get(url_of("audit_export", course["lecture"].pk, "csv", query="student=Dora"))
    )
    assert [row[1] for row in rows[1:]] == ["changed by staff"]
    rows = csv_rows(
        client.get(url_of("audit_export", course["lecture"].pk, "csv", query="student=1000003"))
    )
    assert [row[1] for row in rows[1:]] == ["roster: moved"]
    today = timezone.localdate().isoformat()
    rows = csv_rows(
        client.get(url_of("audit_export", course["lecture"].pk, "csv", query=f"since={today}"))
    )
    assert "place confirmed" not in [row[1] for row in rows[1:]]
    assert len(rows) == 1 + 5  # Anna registered three days ago, decided two days ago


def test_audit_page_and_bad_filter(client, course, audited):
    client.force_login(course["lecture"].teacher)
    page = client.get(url_of("audit", course["lecture"].pk))
    assert page.status_code == 200
    assert "Cleo Cruz" in page.content.decode()
    bad = client.get(url_of("audit", course["lecture"].pk, query="since=yesterday"))
    assert bad.status_code == 400
    assert "a date must look like" in bad.content.decode()
    bad = client.get(
        url_of(
            "audit_export", course["lecture"].pk, "csv", query="since=2026-02-01&until=2026-01-01"
        )
    )
    assert bad.status_code == 400


def test_audit_shows_withdrawals_and_cancellations_by_name_and_date(client, course, audited):
    lecture = course["lecture"]
    # An enrolment campaign: both students already sit in a tutorial.
    open_campaign = CampaignFactory(lecture=lecture, title="Enrolment", status="open")
    item_b = ItemFactory(campaign=open_campaign, registerable=lecture)
    registration_services.register(user=course["dora"], item=item_b)
    registration_services.withdraw(user=course["dora"], item=item_b)
    registration_services.register(user=course["ben"], item=item_b)
    registration_services.staff_cancel(
        campaign=open_campaign, user=course["ben"], by=lecture.teacher, reason="duplicate"
    )
    client.force_login(lecture.teacher)
    rows = csv_rows(client.get(url_of("audit_export", lecture.pk, "csv", query="student=Dora")))
    withdrawn = [row for row in rows[1:] if row[1] == "withdrawn"]
    assert len(withdrawn) == 1
    when = timezone.localtime(RegistrationEvent.objects.get(user=course["dora"]).at)
    assert withdrawn[0][0].startswith(when.strftime("%Y-%m-%d"))
    assert withdrawn[0][2:8] == [
        "Dora Dunn",
        "1000004",
        "Analysis I",
        "Enrolment",
        "was: Confirmed",
        "Dora Dunn",
    ]
    assert "cancelled by staff" not in [row[1] for row in rows[1:]]  # that was Ben
    rows = xlsx_rows(client.get(url_of("audit_export", lecture.pk, "xlsx", query="student=Berg")))
    cancelled = [row for row in rows[1:] if row[1] == "cancelled by staff"]
    assert len(cancelled) == 1 and cancelled[0][2] == "Ben Berg"
    assert cancelled[0][7] == lecture.teacher.name
    page = client.get(url_of("audit", lecture.pk, query="student=1000004")).content.decode()
    assert "withdrawn" in page and "Dora Dunn" in page
    assert "leaves no audit entry" not in page
    # Another lecture's withdrawal is not in this audit.
    elsewhere = ItemFactory(campaign=CampaignFactory(status="open"))
    registration_services.register(user=course["anna"], item=elsewhere)
    registration_services.withdraw(user=course["anna"], item=elsewhere)
    rows = csv_rows(client.get(url_of("audit_export", lecture.pk, "csv", query="student=Anna")))
    assert "withdrawn" not in [row[1] for row in rows[1:]]


def test_audit_refusals(client, course, audited):
    target = url_of("audit", course["lecture"].pk)
    assert client.get(target).status_code == 302
    for user in (course["anna"], course["tutor_a"], LectureFactory().teacher):
        client.force_login(user)
        assert client.get(target).status_code == 403
        assert client.get(url_of("audit_export", course["lecture"].pk, "csv")).status_code == 403


# -- the lecture's reports page -----------------------------------------------------------------


def test_reports_page_for_manager_and_tutor(client, course):
    exam = AssessmentFactory(lecture=course["lecture"], kind="exam", title="Final exam")
    client.force_login(course["lecture"].teacher)
    page = client.get(url_of("lecture", course["lecture"].pk)).content.decode()
    assert "Final exam" in page and "Registration audit" in page and "Group B" in page
    client.force_login(course["tutor_a"])
    page = client.get(url_of("lecture", course["lecture"].pk)).content.decode()
    assert "Final exam" not in page and "Registration audit" not in page
    assert "Group A" in page and "Group B" not in page
    client.force_login(course["anna"])
    assert client.get(url_of("lecture", course["lecture"].pk)).status_code == 403
    assert exam.pk
    detail = client.get(reverse("lecture_detail", args=[course["lecture"].pk]))
    client.force_login(course["lecture"].teacher)
    detail = client.get(reverse("lecture_detail", args=[course["lecture"].pk]))
    assert url_of("lecture", course["lecture"].pk) in detail.content.decode()


# -- bounded queries with hundreds of students --------------------------------------------------


@pytest.fixture
def big_course():
    lecture = LectureFactory(title="Big")
    groups = [TutorialFactory(lecture=lecture, title=f"G{n}") for n in range(4)]
    users = UserFactory.create_batch(300)
    sheets = [AssessmentFactory(lecture=lecture, title=f"S{n}") for n in range(3)]
    tasks = [TaskFactory(assessment=sheet, position=p) for sheet in sheets for p in (1, 2)]
    RosterEntry.objects.bulk_create(
        RosterEntry(registerable=groups[n % 4], user=u) for n, u in enumerate(users)
    )
    parts = Participation.objects.bulk_create(
        Participation(assessment=sheet, user=u, tutorial=groups[n % 4], points_total=Decimal("4"))
        for sheet in sheets
        for n, u in enumerate(users)
    )
    TaskPoint.objects.bulk_create(
        TaskPoint(participation=p, task=t, points=Decimal("2"))
        for p in parts
        for t in tasks
        if t.assessment_id == p.assessment_id
    )
    campaign = CampaignFactory(lecture=lecture)
    item = ItemFactory(campaign=campaign, registerable=groups[0])
    UserRegistration.objects.bulk_create(
        UserRegistration(campaign=campaign, item=item, user=u, status="confirmed") for u in users
    )
    RosterChange.objects.bulk_create(
        RosterChange(action="added", user=u, registerable=groups[n % 4])
        for n, u in enumerate(users)
    )
    RegistrationEvent.objects.bulk_create(
        RegistrationEvent(
            campaign=campaign,
            user=u,
            item=item,
            registerable=groups[0],
            action="withdrawn",
            status="confirmed",
            by=u,
        )
        for u in users[:100]
    )
    for u in users[:200]:
        make_record(lecture, u)
        certify(lecture, u)
    return {"lecture": lecture, "groups": groups, "sheets": sheets, "users": users}


def test_reports_run_bounded_queries(client, big_course, django_assert_max_num_queries):
    lecture = big_course["lecture"]
    client.force_login(lecture.teacher)
    with django_assert_max_num_queries(12):
        rows = csv_rows(client.get(url_of("assessment", big_course["sheets"][0].pk, "csv")))
    assert len(rows) == 301
    with django_assert_max_num_queries(12):
        rows = csv_rows(client.get(url_of("tutorial", big_course["groups"][1].pk, "csv")))
    assert len(rows) == 76
    with django_assert_max_num_queries(12):
        rows = xlsx_rows(client.get(url_of("eligibility", lecture.pk, "xlsx")))
    assert len(rows) == 201
    with django_assert_max_num_queries(14):
        rows = csv_rows(client.get(url_of("audit_export", lecture.pk, "csv")))
    assert len(rows) == 701  # 300 registrations, 300 roster changes, 100 withdrawals
    with django_assert_max_num_queries(16):
        page = client.get(url_of("audit", lecture.pk))
    assert page.context["more"] is True
