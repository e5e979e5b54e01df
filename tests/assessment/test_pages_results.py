"""Student "my results" (published only; tasks, totals, team, grader), the tutor's sheets with
progress, and the audit page of a participation; refusals and query bounds."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment import services
from assessment.models import Participation, Submission, SubmissionMember, TaskPoint
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    LectureFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world():
    sheet = AssessmentFactory(title="Sheet 7")
    hidden = AssessmentFactory(title="Sheet 8", lecture=sheet.lecture)
    lecture = sheet.lecture
    tasks = [TaskFactory(assessment=sheet, position=i, max_points=D("10")) for i in (1, 2)]
    hidden_task = TaskFactory(assessment=hidden, position=1)
    tutor = UserFactory(name="Tina Tutor")
    other_tutor = UserFactory(name="Otto Other")
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor], title="Tutorial Tue")
    other = TutorialFactory(lecture=lecture, tutors=[other_tutor])
    alice, bob = UserFactory(name="Alice A"), UserFactory(name="Bob B")
    for s in (alice, bob):
        RosterEntry.objects.create(registerable=tutorial, user=s)
    rows = {
        s.name: ParticipationFactory(assessment=sheet, user=s, tutorial=tutorial)
        for s in (alice, bob)
    }
    hidden_row = ParticipationFactory(assessment=hidden, user=alice, tutorial=tutorial)
    team = Submission.objects.create(assessment=sheet, uploaded_at=timezone.now())
    for s in (alice, bob):
        SubmissionMember.objects.create(submission=team, assessment=sheet, user=s)
    services.grade_submission(
        submission=team, points={tasks[0]: "8,5", tasks[1]: D("3")}, by=tutor
    )
    services.enter_points(participation=hidden_row, points={hidden_task: D("9")}, by=tutor)
    return locals()


def results_url(w):
    return reverse("assessment:pages_my_results", args=[w["lecture"].pk])


def test_a_student_sees_only_published_results(client, world):
    w = world
    client.force_login(w["alice"])
    html = client.get(results_url(w)).content.decode()
    assert "Sheet 7" not in html and "Sheet 8" not in html
    services.publish_results(assessment=w["sheet"], tutorial=w["tutorial"], by=w["tutor"])
    response = client.get(results_url(w))
    html = response.content.decode()
    assert "Sheet 7" in html and "Sheet 8" not in html
    (result,) = response.context["results"]
    assert [c.points for c in result.tasks] == [D("8.5"), D("3")]
    assert result.participation.points_total == D("11.5") and result.max_total == D("20")
    assert result.team == ["Bob B"]
    assert [c.grader for c in result.tasks] == ["Tina Tutor", "Tina Tutor"]
    assert "Tina Tutor" in html and "Bob B" in html


def test_results_published_as_a_whole_are_seen_too(client, world):
    w = world
    exam = AssessmentFactory(kind="exam", lecture=w["lecture"], title="Final exam")
    ParticipationFactory(assessment=exam, user=w["alice"])
    client.force_login(w["alice"])
    assert "Final exam" not in client.get(results_url(w)).content.decode()
    services.publish_results(assessment=exam, by=w["lecture"].teacher)
    assert "Final exam" in client.get(results_url(w)).content.decode()


def test_a_student_sees_only_their_own_results(client, world):
    w = world
    services.publish_results(assessment=w["sheet"], tutorial=w["tutorial"], by=w["tutor"])
    stranger = UserFactory()
    client.force_login(stranger)
    response = client.get(results_url(w))
    assert response.status_code == 200 and response.context["results"] == []
    assert "8.5" not in response.content.decode()
    assert client.get(reverse("assessment:pages_my_results", args=[999999])).status_code == 404


def test_the_results_index_links_the_lectures(client, world):
    w = world
    client.force_login(w["alice"])
    html = client.get(reverse("assessment:pages_results_index")).content.decode()
    assert results_url(w) in html
    assert reverse("assessment:pages_results_index") in client.get(reverse("home")).content.decode()


def test_my_results_has_bounded_queries(client, world, django_assert_max_num_queries):
    w = world
    lecture = w["lecture"]
    for i in range(10):
        extra = AssessmentFactory(lecture=lecture, title=f"Extra {i}")
        tasks = [TaskFactory(assessment=extra, position=p) for p in (1, 2, 3)]
        row = ParticipationFactory(assessment=extra, user=w["alice"], tutorial=w["tutorial"])
        TaskPoint.objects.bulk_create(
            [TaskPoint(participation=row, task=t, points=D("1"), grader=w["tutor"]) for t in tasks]
        )
        services.publish_results(assessment=extra, by=lecture.teacher)
    client.force_login(w["alice"])
    with django_assert_max_num_queries(10):
        response = client.get(results_url(w))
    assert len(response.context["results"]) == 10


def test_the_tutor_sees_their_sheets_with_progress(client, world):
    w = world
    client.force_login(w["tutor"])
    response = client.get(reverse("assessment:pages_my_sheets"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 of 2 graded" in html  # Sheet 7: the team is graded
    assert "1 of 1 graded" in html  # Sheet 8
    assert reverse("assessment:grading_table", args=[w["sheet"].pk, w["tutorial"].pk]) in html
    assert reverse("assessment:pages_my_sheets") in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("who", ["student", "other_teacher"])
def test_the_sheets_page_is_for_tutors(client, world, who):
    w = world
    user = {"student": w["alice"], "other_teacher": LectureFactory().teacher}[who]
    client.force_login(user)
    assert client.get(reverse("assessment:pages_my_sheets")).status_code == 403


def test_the_sheets_page_has_bounded_queries(client, django_assert_max_num_queries):
    tutor = UserFactory()
    lecture = LectureFactory()
    groups = [TutorialFactory(lecture=lecture, tutors=[tutor]) for _ in range(3)]
    users = UserFactory.create_batch(300)
    RosterEntry.objects.bulk_create(
        [RosterEntry(registerable=groups[i % 3], user=u) for i, u in enumerate(users)]
    )
    for n in range(8):
        a = AssessmentFactory(lecture=lecture, title=f"Sheet {n}")
        Participation.objects.bulk_create(
            [
                Participation(assessment=a, user=u, tutorial=groups[i % 3])
                for i, u in enumerate(users)
            ]
        )
    client.force_login(tutor)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("assessment:pages_my_sheets"))
    assert len(response.context["sheets"]) == 24
    assert "100 of 100" not in response.content.decode()
    assert "0 of 100 graded" in response.content.decode()


# -- audit ------------------------------------------------------------------------------------


def history_url(participation):
    return reverse("assessment:pages_history", args=[participation.pk])


def test_the_history_shows_who_when_old_and_new(client, world):
    w = world
    alice_row = w["rows"]["Alice A"]
    services.enter_points(participation=alice_row, points={w["tasks"][0]: D("9")}, by=w["tutor"])
    client.force_login(w["tutor"])
    response = client.get(history_url(alice_row))
    assert response.status_code == 200
    changes = response.context["changes"]
    latest = changes[0]
    assert (latest.field, latest.old, latest.new, latest.by) == (
        "points",
        "8.50",
        "9.00",
        w["tutor"],
    )
    html = response.content.decode()
    assert "Tina Tutor" in html and "8.50" in html and "9.00" in html
    # reachable from the grading table
    table = reverse("assessment:grading_table", args=[w["sheet"].pk, w["tutorial"].pk])
    assert history_url(alice_row) in client.get(table).content.decode()
    # managers see it too
    client.force_login(w["lecture"].teacher)
    assert client.get(history_url(alice_row)).status_code == 200
    client.force_login(StaffFactory())
    assert client.get(history_url(alice_row)).status_code == 200


@pytest.mark.parametrize("who", ["student", "other_tutor", "other_teacher"])
def test_the_history_is_refused_to_others(client, world, who):
    w = world
    user = {
        "student": w["alice"],
        "other_tutor": w["other_tutor"],
        "other_teacher": LectureFactory().teacher,
    }[who]
    client.force_login(user)
    assert client.get(history_url(w["rows"]["Alice A"])).status_code == 403


def test_the_history_of_an_unknown_row_is_404(client, world):
    client.force_login(StaffFactory())
    assert client.get(reverse("assessment:pages_history", args=[999999])).status_code == 404


def test_the_history_has_bounded_queries(client, world, django_assert_max_num_queries):
    w = world
    row = w["rows"]["Alice A"]
    for i in range(40):
        services.enter_points(participation=row, points={w["tasks"][0]: D(i)}, by=w["tutor"])
    client.force_login(w["tutor"])
    with django_assert_max_num_queries(8):
        response = client.get(history_url(row))
    assert len(response.context["changes"]) > 40


def test_students_see_what_they_can_still_hand_in_with_their_own_deadline(client):
    import datetime

    from assessment.models import DeadlineExtension

    lecture = LectureFactory()
    student, outsider = UserFactory(), UserFactory()
    RosterEntry.objects.create(registerable=lecture, user=student)
    now = timezone.now()
    open_sheet = AssessmentFactory(lecture=lecture, title="Open sheet",
                                   deadline=now + datetime.timedelta(days=3))
    AssessmentFactory(lecture=lecture, title="Closed sheet")  # deadline + grace passed
    extended = AssessmentFactory(lecture=lecture, title="Extended sheet")
    DeadlineExtension.objects.create(assessment=extended, user=student,
                                     deadline=now + datetime.timedelta(days=1))
    AssessmentFactory(lecture=lecture, title="Paper sheet", submission_required=False,
                      deadline=now + datetime.timedelta(days=3))
    team = Submission.objects.create(assessment=open_sheet, uploaded_at=now)
    SubmissionMember.objects.create(submission=team, assessment=open_sheet, user=student)

    client.force_login(student)
    html = client.get(reverse("assessment:pages_results_index")).content.decode()
    assert "To hand in" in html
    assert "Extended sheet" in html and "Open sheet" in html
    assert "Closed sheet" not in html and "Paper sheet" not in html
    assert html.index("Extended sheet") < html.index("Open sheet")  # soonest first
    assert reverse("assessment:submissions_student", args=[open_sheet.pk]) in html
    assert "handed in" in html

    client.force_login(outsider)  # not on the lecture's roster
    html = client.get(reverse("assessment:pages_results_index")).content.decode()
    assert "To hand in" not in html and "Open sheet" not in html
