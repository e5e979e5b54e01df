"""The tutor's grading table: access, saving rows (plain and htmx), refusals, query bound."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from assessment.models import GradeChange, Participation, Submission, SubmissionMember, TaskPoint
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
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world():
    assessment = AssessmentFactory(title="Sheet 3")
    lecture = assessment.lecture
    tasks = [TaskFactory(assessment=assessment, position=i, max_points=D("10")) for i in (1, 2)]
    tutor, other_tutor = UserFactory.create_batch(2)
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])
    other = TutorialFactory(lecture=lecture, tutors=[other_tutor])
    alice, bob, carol, dave = (
        UserFactory(name=n) for n in ("Alice A", "Bob B", "Carol C", "Dave D")
    )
    for student in (alice, bob, carol):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    RosterEntry.objects.create(registerable=other, user=dave)
    rows = {
        s.name: ParticipationFactory(assessment=assessment, user=s, tutorial=tutorial)
        for s in (alice, bob, carol)
    }
    rows["Dave D"] = ParticipationFactory(assessment=assessment, user=dave, tutorial=other)
    team = Submission.objects.create(assessment=assessment, uploaded_at=timezone.now())
    for member in (alice, bob):
        SubmissionMember.objects.create(submission=team, assessment=assessment, user=member)
    return locals()


def table_url(w, tutorial=None):
    return reverse(
        "assessment:grading_table", args=[w["assessment"].pk, (tutorial or w["tutorial"]).pk]
    )


def row_url(w, key, tutorial=None):
    return reverse(
        "assessment:grade_row", args=[w["assessment"].pk, (tutorial or w["tutorial"]).pk, key]
    )


def cells(w, *values, versions=None):
    data = {f"task_{t.pk}": v for t, v in zip(w["tasks"], values, strict=False)}
    for pk, version in (versions or {}).items():
        data[f"version_{pk}"] = version
    return data


def state(w):
    return (
        sorted(
            Participation.objects.filter(assessment=w["assessment"]).values_list(
                "pk", "status", "points_total", "version"
            )
        ),
        sorted(TaskPoint.objects.values_list("participation_id", "task_id", "points")),
        GradeChange.objects.count(),
    )


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- access -----------------------------------------------------------------------------------


def test_the_tutor_sees_their_table_with_teams_and_single_rows(client, world):
    w = world
    client.force_login(w["tutor"])
    response = client.get(table_url(w))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="row-s{w["team"].pk}"' in html
    assert f'id="row-p{w["rows"]["Carol C"].pk}"' in html
    assert "Dave D" not in html
    assert "0 of 3 graded" in html


@pytest.mark.parametrize("who", ["student", "other_tutor", "other_teacher"])
def test_others_are_refused(client, world, who):
    w = world
    user = {
        "student": w["alice"],
        "other_tutor": w["other_tutor"],
        "other_teacher": LectureFactory().teacher,
    }[who]
    client.force_login(user)
    before = state(w)
    assert client.get(table_url(w)).status_code == 403
    key = f"p{w['rows']['Carol C'].pk}"
    assert client.post(row_url(w, key), cells(w, "5", "5")).status_code == 403
    assert state(w) == before


def test_managers_grade_every_tutorial(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    assert client.get(table_url(w, w["other"])).status_code == 200
    client.force_login(StaffFactory())
    assert client.get(table_url(w)).status_code == 200


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(table_url(world))
    assert response.status_code == 302 and "login" in response["Location"]


def test_unknown_or_foreign_ids_are_404(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    foreign_tutorial = TutorialFactory()
    for url in (
        reverse("assessment:grading_table", args=[999999, w["tutorial"].pk]),
        reverse("assessment:grading_table", args=[w["assessment"].pk, foreign_tutorial.pk]),
        reverse("assessment:grading_table", args=[2**70, w["tutorial"].pk]),
    ):
        assert client.get(url).status_code == 404


def test_a_student_of_another_tutorial_cannot_be_graded_here(client, world):
    w = world
    client.force_login(w["tutor"])
    before = state(w)
    for key in (f"p{w['rows']['Dave D'].pk}", "p999999", "x1", "p" + "9" * 40, "s999999"):
        assert client.post(row_url(w, key), cells(w, "1", "1")).status_code == 404, key
    assert state(w) == before


# -- saving -----------------------------------------------------------------------------------


def test_saving_a_row_without_javascript(client, world):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    response = client.post(row_url(w, f"p{carol.pk}"), cells(w, "4,5", "10"))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#row-p{carol.pk}")
    carol.refresh_from_db()
    assert carol.points_total == D("14.50") and carol.status == "reviewed"
    assert GradeChange.objects.filter(participation=carol, by=w["tutor"]).count() == 3


def test_a_cell_that_is_not_sent_is_left_alone(client, world):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    client.post(row_url(w, f"p{carol.pk}"), cells(w, "4", "6"))
    client.post(row_url(w, f"p{carol.pk}"), {f"task_{w['tasks'][0].pk}": "5"})
    carol.refresh_from_db()
    assert carol.points_total == D("11") and carol.status == "reviewed"
    client.post(row_url(w, f"p{carol.pk}"), {f"task_{w['tasks'][1].pk}": ""})
    carol.refresh_from_db()
    assert carol.points_total == D("5") and carol.status == "pending"


def test_saving_a_team_row_grades_both_members(client, world):
    w = world
    client.force_login(w["tutor"])
    versions = {w["rows"]["Alice A"].pk: 0, w["rows"]["Bob B"].pk: 0}
    client.post(row_url(w, f"s{w['team'].pk}"), cells(w, "7", "8", versions=versions))
    for name in ("Alice A", "Bob B"):
        row = Participation.objects.get(pk=w["rows"][name].pk)
        assert row.points_total == D("15") and row.status == "reviewed"
        assert set(row.task_points.values_list("submission_id", flat=True)) == {w["team"].pk}


def test_saving_with_htmx_swaps_the_row(client, world):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    response = client.post(row_url(w, f"p{carol.pk}"), cells(w, "3", ""), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="row-p{carol.pk}"')
    assert "Saved." in html and 'value="1"' in html  # the new version travels with the row
    assert Participation.objects.get(pk=carol.pk).points_total == D("3")


@pytest.mark.parametrize("bad", ["abc", "-1", "1" * 40, "1.234", "1e5"])
def test_bad_cells_are_refused_with_a_clear_message(client, world, bad):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    before = state(w)
    response = client.post(row_url(w, f"p{carol.pk}"), cells(w, "2", bad), follow=True)
    assert response.status_code == 200
    assert any("Task 2" in text for text in texts(response)), texts(response)
    assert state(w) == before
    response = client.post(row_url(w, f"p{carol.pk}"), cells(w, "2", bad), **HTMX)
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert f'value="{bad}"' in response.content.decode()  # what the tutor typed stays
    assert state(w) == before


def test_a_second_tutor_with_a_stale_row_gets_changed_meanwhile(client, world):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    client.post(row_url(w, f"p{carol.pk}"), cells(w, "4", versions={carol.pk: 0}))
    client.force_login(w["lecture"].teacher)
    before = state(w)
    response = client.post(
        row_url(w, f"p{carol.pk}"), cells(w, "9", versions={carol.pk: 0}), follow=True
    )
    assert any("changed these points meanwhile" in text for text in texts(response))
    assert state(w) == before
    response = client.post(
        row_url(w, f"p{carol.pk}"), cells(w, "9", versions={carol.pk: 0}), **HTMX
    )
    html = response.content.decode()
    assert 'role="alert"' in html and 'value="4.00"' in html  # the current value is shown
    assert state(w) == before


def test_grading_before_the_deadline_is_refused(client, world):
    w = world
    w["assessment"].__class__.objects.filter(pk=w["assessment"].pk).update(
        deadline=timezone.now() + datetime.timedelta(days=1)
    )
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    before = state(w)
    response = client.post(row_url(w, f"p{carol.pk}"), cells(w, "1", "1"), follow=True)
    assert any("Grading opens" in text for text in texts(response))
    assert state(w) == before


# -- marks and rows ---------------------------------------------------------------------------


def mark_url(w, participation):
    return reverse(
        "assessment:mark_row", args=[w["assessment"].pk, w["tutorial"].pk, participation.pk]
    )


def test_marking_absent_and_clearing(client, world):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    client.post(mark_url(w, carol), {"mark": "absent", "version": 0})
    assert Participation.objects.get(pk=carol.pk).status == "absent"
    response = client.post(mark_url(w, carol), {"mark": "clear", "version": 1}, **HTMX)
    assert response.status_code == 200
    assert Participation.objects.get(pk=carol.pk).status == "pending"


def test_absent_on_a_reviewed_row_is_refused(client, world):
    w = world
    carol = w["rows"]["Carol C"]
    client.force_login(w["tutor"])
    client.post(row_url(w, f"p{carol.pk}"), cells(w, "1", "1"))
    before = state(w)
    response = client.post(mark_url(w, carol), {"mark": "absent"}, follow=True)
    assert any("reviewed" in text for text in texts(response))
    response = client.post(mark_url(w, carol), {"mark": "nonsense"}, follow=True)
    assert response.status_code == 200
    assert state(w) == before
    assert client.post(mark_url(w, w["rows"]["Dave D"]), {"mark": "absent"}).status_code == 404


def test_creating_rows_for_tutorial_members(client, world):
    w = world
    newcomer = UserFactory()
    RosterEntry.objects.create(registerable=w["tutorial"], user=newcomer)
    client.force_login(w["tutor"])
    assert "1 member of this tutorial has no row yet" in client.get(table_url(w)).content.decode()
    url = reverse("assessment:create_rows", args=[w["assessment"].pk, w["tutorial"].pk])
    client.post(url)
    row = Participation.objects.get(assessment=w["assessment"], user=newcomer)
    assert row.tutorial_id == w["tutorial"].pk and row.status == "pending"
    client.force_login(w["alice"])
    assert client.post(url).status_code == 403


# -- speed ------------------------------------------------------------------------------------


def test_the_table_for_30_students_and_8_tasks_has_a_query_bound(
    client, django_assert_max_num_queries
):
    assessment = AssessmentFactory()
    tasks = [TaskFactory(assessment=assessment, position=i) for i in range(1, 9)]
    tutor = UserFactory()
    tutorial = TutorialFactory(lecture=assessment.lecture, tutors=[tutor])
    students = UserFactory.create_batch(30)
    rows = [
        ParticipationFactory(assessment=assessment, user=s, tutorial=tutorial) for s in students
    ]
    for index in range(0, 10, 2):  # five teams of two
        submission = Submission.objects.create(assessment=assessment)
        for student in students[index : index + 2]:
            SubmissionMember.objects.create(
                submission=submission, assessment=assessment, user=student
            )
    TaskPoint.objects.bulk_create(
        TaskPoint(participation=row, task=task, points=D("1")) for row in rows for task in tasks
    )
    client.force_login(tutor)
    url = reverse("assessment:grading_table", args=[assessment.pk, tutorial.pk])
    client.get(url)  # warm-up
    # 13 today: session, user, the page's nav context, the assessment, the tutorial, the
    # permission check, and the table's six reads; none of them grows with the rows.
    with django_assert_max_num_queries(15):
        response = client.get(url)
    html = response.content.decode()
    assert html.count('<tr id="row-') == 25  # 5 teams + 20 single rows
    assert html.count('name="task_') == 25 * 8
    assert students[29].name in html
