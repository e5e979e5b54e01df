"""The examinations office grade list (issue 10 item 8): content exactly (codes, x 100 column,
decimal comma, draft mark), the exempt reasons behind the codes, refusals, bounded queries."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from assessment import exam_office, exams
from assessment.models import ExamCorrector, GradeChange, Participation
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import (
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")
    yield
    translation.activate("en")


def make_exam(candidates):
    lecture = LectureFactory(title="Analysis I")
    exam = ExamFactory(lecture=lecture, title="Final exam")
    ItemFactory(
        campaign=CampaignFactory(lecture=lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    users = UserFactory.create_batch(len(candidates))
    for user, (name, matriculation) in zip(users, candidates, strict=True):
        user.name, user.matriculation_number = name, matriculation
        user.save(update_fields=["name", "matriculation_number"])
    RosterEntry.objects.bulk_create(RosterEntry(registerable=exam, user=u) for u in users)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    TaskFactory(assessment=assessment, position=1)
    rows = {r.user_id: r for r in Participation.objects.filter(assessment=assessment)}
    return assessment, [rows[u.pk] for u in users]


@pytest.fixture
def w():
    assessment, rows = make_exam(
        [
            ("Anna Graded", "1000001"),
            ("Ben Absent", "1000002"),
            ("Cleo Medical", "1000003"),
            ("Dan Withdrawn", "1000004"),
            ("Eva Pending", "1000005"),
            ("Finn Failed", "1000006"),
            ("Gus Other", "1000007"),
        ]
    )
    graded, absent, medical, withdrawn, _pending, failed, other = rows
    Participation.objects.filter(pk=graded.pk).update(
        grade_value=Decimal("1.3"), grade_source="computed"
    )
    Participation.objects.filter(pk=failed.pk).update(
        grade_value=Decimal("5.0"), grade_source="computed"
    )
    exams.mark_candidate(participation=absent, mark="absent", by=None)
    exams.mark_candidate(
        participation=medical, mark="exempt", note="Attest", exempt_reason="medical_certificate",
        by=None,
    )
    exams.mark_candidate(
        participation=withdrawn, mark="exempt", exempt_reason="withdrawn", by=None
    )
    exams.mark_candidate(participation=other, mark="exempt", note="Nachteilsausgleich", by=None)
    corrector, tutor = UserFactory(), UserFactory()
    ExamCorrector.objects.create(assessment=assessment, user=corrector)
    TutorialFactory(lecture=assessment.lecture, tutors=[tutor])
    return {"assessment": assessment, "rows": rows, "corrector": corrector, "tutor": tutor,
            "teacher": assessment.lecture.teacher}


def publish(assessment):
    assessment.results_published_at = timezone.now()
    assessment.save(update_fields=["results_published_at"])


def url(assessment, fmt, draft=False):
    base = reverse("assessment:exams_grade_list", args=[assessment.pk, fmt])
    return base + ("?draft=1" if draft else "")


def csv_text(response):
    return b"".join(response.streaming_content).decode("utf-8")


EXPECTED = [
    # matriculation, name, grade, x100, code, status
    ["1000001", "Anna Graded", "1,3", "130", "", "benotet"],
    ["1000002", "Ben Absent", "", "", "NE", "nicht erschienen"],
    ["1000003", "Cleo Medical", "", "", "RT", "Rücktritt mit ärztlichem Attest"],
    ["1000004", "Dan Withdrawn", "", "", "AB", "zurückgetreten"],
    ["1000005", "Eva Pending", "", "", "AN", "noch keine Note"],
    ["1000006", "Finn Failed", "5,0", "500", "", "benotet"],
    ["1000007", "Gus Other", "", "", "RT", "befreit"],
]


def test_exempt_reasons_are_stored_audited_and_cleared_with_the_mark(w):
    medical = Participation.objects.get(pk=w["rows"][2].pk)
    assert (medical.status, medical.exempt_reason) == ("exempt", "medical_certificate")
    assert GradeChange.objects.filter(
        participation=medical, new="exempt (medical_certificate)"
    ).exists()
    medical = exams.mark_candidate(participation=medical, mark="clear", by=None)
    assert (medical.status, medical.exempt_reason) == ("pending", "")


def test_published_csv_in_german_has_codes_x100_and_decimal_comma(client, w):
    publish(w["assessment"])
    client.force_login(w["teacher"])
    response = client.get(url(w["assessment"], "csv"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    raw = csv_text(response)
    assert raw.startswith("\ufeff")
    lines = raw.lstrip("\ufeff").split("\r\n")
    assert lines[0] == "Matrikelnummer;Name;Note;Note x 100;Statuscode;Status"
    assert [line.split(";") for line in lines[1:-1]] == EXPECTED
    assert "ENTWURF" not in raw and "Entwurf" not in response["Content-Disposition"]


def test_absent_with_a_scheme_grade_keeps_grade_500_and_the_code(client, w):
    absent = w["rows"][1]
    Participation.objects.filter(pk=absent.pk).update(grade_value=Decimal("5.0"))
    publish(w["assessment"])
    listing = exam_office.grade_list(assessment=w["assessment"])
    row = next(r for r in listing.rows if r.name == "Ben Absent")
    assert (row.grade, row.grade_x100, row.code) == (Decimal("5.0"), 500, "NE")


def test_every_row_without_a_grade_has_a_code(w):
    listing = exam_office.grade_list(assessment=w["assessment"])
    assert all(r.code for r in listing.rows if r.grade is None)


def test_xlsx_is_typed_and_published(client, w):
    publish(w["assessment"])
    client.force_login(w["teacher"])
    response = client.get(url(w["assessment"], "xlsx"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["Matriculation number", "Name", "Grade", "Grade x 100", "Status code",
                         "Status"]
    assert values[1] == ["1000001", "Anna Graded", 1.3, 130, None, "graded"]
    assert values[2][4] == "NE" and values[7][4] == "RT"


def test_configurable_codes(client, w, settings):
    settings.EXAM_OFFICE_STATUS_CODES = {"medical_certificate": "GR", "absent": "X"}
    listing = exam_office.grade_list(assessment=w["assessment"])
    codes = {r.name: r.code for r in listing.rows}
    assert codes["Cleo Medical"] == "GR" and codes["Ben Absent"] == "X"
    assert codes["Dan Withdrawn"] == "AB"  # a key left out keeps its default


def test_before_publication_only_an_explicit_draft(client, w):
    client.force_login(w["teacher"])
    refused = client.get(url(w["assessment"], "csv"))
    assert refused.status_code == 302
    assert refused["Location"] == reverse("assessment:exams_overview", args=[w["assessment"].pk])
    response = client.get(url(w["assessment"], "csv", draft=True), HTTP_ACCEPT_LANGUAGE="de")
    assert "ENTWURF" in response["Content-Disposition"]
    lines = csv_text(response).lstrip("\ufeff").split("\r\n")
    assert lines[0].startswith("ENTWURF")
    assert lines[1] == "Matrikelnummer;Name;Note;Note x 100;Statuscode;Status"
    assert lines[2].split(";") == EXPECTED[0]
    xlsx = client.get(url(w["assessment"], "xlsx", draft=True))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    first = next(sheet.iter_rows(values_only=True))
    assert first[0].startswith("DRAFT") and "DRAFT" in xlsx["Content-Disposition"]


@pytest.mark.parametrize("who", ["corrector", "tutor", "student", "other_teacher"])
def test_refusals(client, w, who):
    publish(w["assessment"])
    user = {
        "corrector": w["corrector"],
        "tutor": w["tutor"],
        "student": w["rows"][0].user,
        "other_teacher": LectureFactory().teacher,
    }[who]
    client.force_login(user)
    for fmt in ("csv", "xlsx"):
        assert client.get(url(w["assessment"], fmt)).status_code == 403


def test_anonymous_unknown_and_bad_format(client, w):
    publish(w["assessment"])
    response = client.get(url(w["assessment"], "csv"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(w["teacher"])
    assert client.get(url(w["assessment"], "pdf")).status_code == 404
    assert client.get(reverse("assessment:exams_grade_list", args=[999999, "csv"])).status_code \
        == 404


def test_export_queries_bounded_for_300_candidates(client, django_assert_max_num_queries):
    assessment, rows = make_exam([(f"Cand {i:04d}", f"2{i:06d}") for i in range(300)])
    Participation.objects.filter(pk__in=[r.pk for r in rows[:200]]).update(
        grade_value=Decimal("2.7")
    )
    publish(assessment)
    client.force_login(assessment.lecture.teacher)
    client.get(url(assessment, "csv"))
    with django_assert_max_num_queries(12):
        response = client.get(url(assessment, "csv"))
        lines = csv_text(response).split("\r\n")
    assert len(lines) == 302 and lines[1].endswith(";270;;graded")
    with django_assert_max_num_queries(12):
        assert client.get(url(assessment, "xlsx")).status_code == 200


def test_exam_table_buttons_store_the_reason(client, w):
    client.force_login(w["corrector"])
    pending = w["rows"][4]
    client.post(
        reverse("assessment:exams_row_mark", args=[w["assessment"].pk, pending.pk]),
        {"mark": "withdrawn", "version": pending.version},
    )
    pending.refresh_from_db()
    assert (pending.status, pending.exempt_reason) == ("exempt", "withdrawn")
