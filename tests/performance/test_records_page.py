"""The "recompute now" page: staff only, progress shown, a bounded number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mampf.models import Lecture
from performance.models import LectureState, Record
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    LectureFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture():
    lecture = LectureFactory()
    tutor = UserFactory()
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])
    lecture.tutor = tutor
    for student in UserFactory.create_batch(3):
        RosterEntry.objects.create(registerable=lecture, user=student)
        RosterEntry.objects.create(registerable=tutorial, user=student)
    lecture.student = student
    AssessmentFactory(lecture=lecture)
    return lecture


def page(lecture: Lecture) -> str:
    return reverse("performance:records_status", args=[lecture.pk])


def button(lecture: Lecture) -> str:
    return reverse("performance:records_recompute", args=[lecture.pk])


def test_the_teacher_recomputes_and_sees_the_result(
    client, lecture, django_capture_on_commit_callbacks
):
    client.force_login(lecture.teacher)
    response = client.get(page(lecture))
    assert response.status_code == 200
    assert "Not run yet" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(button(lecture))
    assert response.status_code == 302 and response.url == page(lecture)
    assert Record.objects.filter(lecture=lecture).count() == 3
    state = LectureState.objects.get(lecture=lecture)
    assert state.records_computed == 3 and state.recompute_requested_at is None
    html = client.get(page(lecture)).content.decode()
    assert "Finished" in html and "hx-trigger" not in html


def test_an_editor_and_site_staff_may_recompute(client, lecture):
    editor = UserFactory()
    lecture.editors.add(editor)
    for user in (editor, StaffFactory()):
        client.force_login(user)
        assert client.get(page(lecture)).status_code == 200
        assert client.post(button(lecture)).status_code == 302


def test_a_queued_recompute_polls_its_progress(client, lecture):
    from performance.recompute import request_recompute

    request_recompute(lecture_ids=[lecture.pk])  # queued after a commit that never comes here
    client.force_login(lecture.teacher)
    response = client.get(page(lecture), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Queued" in html and 'hx-trigger="every 2s"' in html
    assert "<html" not in html  # the fragment only


@pytest.mark.parametrize("who", ["tutor", "student", "other_teacher"])
def test_tutors_students_and_other_teachers_are_refused(client, lecture, who):
    user = {
        "tutor": lecture.tutor,
        "student": lecture.student,
        "other_teacher": LectureFactory().teacher,
    }[who]
    client.force_login(user)
    assert client.get(page(lecture)).status_code == 403
    assert client.post(button(lecture)).status_code == 403
    assert not LectureState.objects.filter(lecture=lecture).exists()
    assert not Record.objects.filter(lecture=lecture).exists()


def test_anonymous_visitors_are_sent_to_the_login(client, lecture):
    for response in (client.get(page(lecture)), client.post(button(lecture))):
        assert response.status_code == 302 and "login" in response.url
    assert not LectureState.objects.filter(lecture=lecture).exists()


def test_unknown_lectures_and_wrong_methods(client, lecture):
    client.force_login(lecture.teacher)
    assert client.get(reverse("performance:records_status", args=[10**12])).status_code == 404
    assert client.get(button(lecture)).status_code == 405


def test_the_page_reads_a_bounded_number_of_queries(client, lecture, django_assert_max_num_queries):
    for student in UserFactory.create_batch(200):
        RosterEntry.objects.create(registerable=lecture, user=student)
    from performance.services import compute_and_upsert_all_records

    compute_and_upsert_all_records(lecture=lecture)
    client.force_login(lecture.teacher)
    client.get(page(lecture))
    with django_assert_max_num_queries(10):
        response = client.get(page(lecture))
    assert "203" in response.content.decode()
