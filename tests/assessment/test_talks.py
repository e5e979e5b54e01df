"""Talk grading page: speakers seeded from the talk's roster, grades entered by the teacher."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessment.models import GradeChange, Participation
from rosters.models import RosterEntry
from tests.factories import AssessmentFactory, TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def talk():
    assessment = AssessmentFactory(kind="talk", title="Talk on knots")
    speaker, other = UserFactory(name="Sam Speaker"), UserFactory(name="Olga Other")
    RosterEntry.objects.create(registerable=assessment.talk, user=speaker)
    tutor = UserFactory()
    TutorialFactory(lecture=assessment.lecture, tutors=[tutor])
    return {"assessment": assessment, "speaker": speaker, "other": other, "tutor": tutor}


def url(name, t, *extra):
    return reverse(f"assessment:{name}", args=[t["assessment"].pk, *extra])


def test_seed_from_speakers_and_grade(client, talk):
    teacher = talk["assessment"].lecture.teacher
    client.force_login(teacher)
    page = client.get(url("sheets_talk", talk))
    assert page.status_code == 200 and b"1 speaker has no row yet" in page.content
    client.post(url("sheets_talk_seed", talk))
    row = Participation.objects.get(assessment=talk["assessment"])
    assert row.user == talk["speaker"]
    response = client.post(url("sheets_talk_grade", talk, row.pk), {"grade": "1,3", "version": 0})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.grade_value == Decimal("1.3") and row.status == "reviewed"
    assert GradeChange.objects.filter(participation=row, field="grade", by=teacher).count() == 1
    assert b"Sam Speaker" in client.get(url("sheets_talk", talk)).content


def test_bad_grade_and_stale_version_change_nothing(client, talk):
    client.force_login(talk["assessment"].lecture.teacher)
    client.post(url("sheets_talk_seed", talk))
    row = Participation.objects.get(assessment=talk["assessment"])
    for data in ({"grade": "1,4", "version": 0}, {"grade": "2,0", "version": 7}, {"version": 0}):
        response = client.post(url("sheets_talk_grade", talk, row.pk), data, follow=True)
        assert response.status_code == 200
        row.refresh_from_db()
        assert row.grade_value is None and row.version == 0
    assert not GradeChange.objects.exists()


def test_access(client, talk):
    client.post(url("sheets_talk_seed", talk))
    for user in (talk["speaker"], talk["tutor"], UserFactory()):
        client.force_login(user)
        assert client.get(url("sheets_talk", talk)).status_code == 403
        assert client.post(url("sheets_talk_seed", talk)).status_code == 403
    assert not Participation.objects.exists()
    client.force_login(talk["assessment"].lecture.teacher)
    sheet = AssessmentFactory(lecture=talk["assessment"].lecture)
    assert client.get(reverse("assessment:sheets_talk", args=[sheet.pk])).status_code == 404
    assert client.get(reverse("assessment:sheets_talk", args=[999999])).status_code == 404
    client.post(url("sheets_talk_seed", talk))
    foreign = AssessmentFactory(kind="talk")
    row = Participation.objects.get()
    assert client.post(
        reverse("assessment:sheets_talk_grade", args=[foreign.pk, row.pk]), {"grade": "1,0"}
    ).status_code in (403, 404)
