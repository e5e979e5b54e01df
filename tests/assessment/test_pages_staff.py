"""Staff coursework pages: assessments of a lecture, settings and tasks, the overview with
per-task statistics; refusals for students, tutors and other teachers; bounded queries."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from assessment import services
from assessment.models import Assessment, GradeChange, Participation, Task, TaskPoint
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
    assessment = AssessmentFactory(title="Sheet 1")
    lecture = assessment.lecture
    tasks = [TaskFactory(assessment=assessment, position=i, max_points=D("10")) for i in (1, 2)]
    tutor = UserFactory(name="Tina Tutor")
    tutorial = TutorialFactory(lecture=lecture, title="Tutorial Mon", tutors=[tutor])
    students = [UserFactory(name=f"Student {i}") for i in range(3)]
    rows = []
    for student in students:
        RosterEntry.objects.create(registerable=tutorial, user=student)
        rows.append(ParticipationFactory(assessment=assessment, user=student, tutorial=tutorial))
    return {
        "assessment": assessment,
        "lecture": lecture,
        "tasks": tasks,
        "tutor": tutor,
        "tutorial": tutorial,
        "students": students,
        "rows": rows,
    }


def state():
    return (
        sorted(
            Assessment.objects.values_list(
                "pk", "title", "deadline", "grace_minutes", "submission_required", "max_team_size"
            )
        ),
        sorted(Task.objects.values_list("pk", "assessment_id", "position", "title", "max_points")),
        GradeChange.objects.count(),
    )


def urls(w):
    a, lecture, task = w["assessment"], w["lecture"], w["tasks"][0]
    return {
        "list": reverse("assessment:pages_lecture_assessments", args=[lecture.pk]),
        "create": reverse("assessment:pages_assessment_create", args=[lecture.pk]),
        "overview": reverse("assessment:pages_assessment_overview", args=[a.pk]),
        "edit": reverse("assessment:pages_assessment_edit", args=[a.pk]),
        "task_add": reverse("assessment:pages_task_add", args=[a.pk]),
        "task_edit": reverse("assessment:pages_task_edit", args=[a.pk, task.pk]),
        "task_delete": reverse("assessment:pages_task_delete", args=[a.pk, task.pk]),
    }


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("who", ["student", "tutor", "other_teacher"])
def test_staff_pages_refuse_students_tutors_and_other_teachers(client, world, who):
    w = world
    user = {
        "student": w["students"][0],
        "tutor": w["tutor"],
        "other_teacher": LectureFactory().teacher,
    }[who]
    client.force_login(user)
    before = state()
    u = urls(w)
    for name in ("list", "create", "overview", "edit"):
        assert client.get(u[name]).status_code == 403, name
    assert (
        client.post(u["create"], {"title": "X", "deadline": "2030-01-01T10:00"}).status_code == 403
    )
    assert client.post(u["edit"], {"title": "Hacked"}).status_code == 403
    assert client.post(u["task_add"], {"max_points": "5"}).status_code == 403
    assert client.post(u["task_edit"], {"max_points": "1"}).status_code == 403
    assert client.post(u["task_delete"]).status_code == 403
    assert state() == before


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(urls(world)["list"])
    assert response.status_code == 302 and "login" in response["Location"]


def test_unknown_ids_are_404(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    assert (
        client.get(reverse("assessment:pages_lecture_assessments", args=[999999])).status_code
        == 404
    )
    assert client.get(reverse("assessment:pages_assessment_edit", args=[999999])).status_code == 404
    foreign = TaskFactory()  # a task of another assessment
    url = reverse("assessment:pages_task_delete", args=[w["assessment"].pk, foreign.pk])
    assert client.post(url).status_code == 404
    assert Task.objects.filter(pk=foreign.pk).exists()


def test_the_list_shows_status_per_tutorial(client, world):
    w = world
    services.enter_points(
        participation=w["rows"][0], points={t: D("10") for t in w["tasks"]}, by=w["tutor"]
    )
    client.force_login(w["lecture"].teacher)
    response = client.get(urls(w)["list"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sheet 1" in html and "Tutorial Mon" in html
    assert "1 of 3 graded" in html
    # Site staff manage every lecture.
    client.force_login(StaffFactory())
    assert client.get(urls(w)["list"]).status_code == 200


def test_create_an_assignment(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    response = client.post(
        urls(w)["create"],
        {
            "title": "Sheet 2",
            "deadline": "2030-05-04T12:00",
            "grace_minutes": "30",
            "submission_required": "on",
            "max_team_size": "3",
        },
    )
    created = Assessment.objects.get(title="Sheet 2")
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:pages_assessment_edit", args=[created.pk])
    assert created.kind == "assignment" and created.lecture == w["lecture"]
    assert (created.grace_minutes, created.submission_required, created.max_team_size) == (
        30,
        True,
        3,
    )
    assert timezone.localtime(created.deadline).strftime("%Y-%m-%d %H:%M") == "2030-05-04 12:00"
    audit = GradeChange.objects.get(assessment=created)
    assert audit.field == "settings" and audit.by == w["lecture"].teacher


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "deadline": "2030-05-04T12:00", "grace_minutes": "0", "max_team_size": "1"},
        {"title": "S", "deadline": "", "grace_minutes": "0", "max_team_size": "1"},
        {"title": "S", "deadline": "soon", "grace_minutes": "0", "max_team_size": "1"},
        {"title": "S", "deadline": "2030-05-04T12:00", "grace_minutes": "-5", "max_team_size": "1"},
        {"title": "S", "deadline": "2030-05-04T12:00", "grace_minutes": "0", "max_team_size": "0"},
    ],
)
def test_bad_settings_are_refused_with_a_message_and_change_nothing(client, world, data):
    w = world
    client.force_login(w["lecture"].teacher)
    before = state()
    response = client.post(urls(w)["create"], data)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert state() == before


def test_edit_the_settings(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    response = client.post(
        urls(w)["edit"],
        {
            "title": "Sheet 1 (corrected)",
            "deadline": "2030-01-02T08:00",
            "grace_minutes": "5",
            "max_team_size": "2",
        },
    )
    assert response.status_code == 302
    a = Assessment.objects.get(pk=w["assessment"].pk)
    assert a.title == "Sheet 1 (corrected)" and a.grace_minutes == 5
    assert a.submission_required is False  # the box was shown and left unchecked
    assert GradeChange.objects.filter(assessment=a, field="settings", by=w["lecture"].teacher)


def test_an_exam_has_only_a_title_to_edit(client, world):
    w = world
    exam = AssessmentFactory(kind="exam", lecture=w["lecture"], title="Final exam")
    client.force_login(w["lecture"].teacher)
    url = reverse("assessment:pages_assessment_edit", args=[exam.pk])
    assert "deadline" not in client.get(url).content.decode()
    client.post(url, {"title": "Final exam (resit)"})
    exam.refresh_from_db()
    assert exam.title == "Final exam (resit)" and exam.deadline is None


def test_tasks_are_added_edited_and_deleted(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    u = urls(w)
    client.post(u["task_add"], {"title": "Bonus", "max_points": "2,5"})
    added = Task.objects.get(assessment=w["assessment"], title="Bonus")
    assert (added.position, added.max_points) == (3, D("2.5"))

    client.post(u["task_edit"], {"title": "Limits", "max_points": "12"})
    first = Task.objects.get(pk=w["tasks"][0].pk)
    assert (first.title, first.max_points) == ("Limits", D("12"))
    assert GradeChange.objects.filter(task=first, field="task", reason="task changed").exists()

    url = reverse("assessment:pages_task_delete", args=[w["assessment"].pk, added.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert not Task.objects.filter(pk=added.pk).exists()


def test_bad_task_input_and_a_task_with_points_are_refused(client, world):
    w = world
    services.enter_points(participation=w["rows"][0], points={w["tasks"][0]: D("3")}, by=w["tutor"])
    client.force_login(w["lecture"].teacher)
    u = urls(w)
    before = state()
    response = client.post(u["task_add"], {"max_points": "-1"})
    assert any("negative" in t for t in texts(response))
    response = client.post(u["task_edit"], {"max_points": "abc"})
    assert texts(response)
    response = client.post(u["task_delete"])
    assert any("already has points" in t for t in texts(response))
    assert state() == before
    assert TaskPoint.objects.filter(task=w["tasks"][0]).exists()


def test_the_overview_shows_statistics_per_task(client, world):
    w = world
    t1, t2 = w["tasks"]
    by = w["tutor"]
    services.enter_points(participation=w["rows"][0], points={t1: D("10"), t2: D("4")}, by=by)
    services.enter_points(participation=w["rows"][1], points={t1: D("5"), t2: D("2")}, by=by)
    client.force_login(w["lecture"].teacher)
    response = client.get(urls(w)["overview"])
    assert response.status_code == 200
    stats = {s.task.pk: s for s in response.context["task_stats"]}
    assert (stats[t1.pk].graded, stats[t1.pk].mean, stats[t1.pk].best) == (2, D("7.50"), D("10"))
    assert stats[t1.pk].full_share == 50
    assert stats[t2.pk].full_share == 0 and stats[t2.pk].mean == D("3.00")
    status = response.context["tutorials"][0]
    assert (status.students, status.graded, status.published) == (3, 2, False)


def big_lecture(size=300, tutorials=12, tasks=5):
    assessment = AssessmentFactory()
    lecture = assessment.lecture
    task_list = [TaskFactory(assessment=assessment, position=i + 1) for i in range(tasks)]
    groups = [TutorialFactory(lecture=lecture) for _ in range(tutorials)]
    users = UserFactory.create_batch(size)
    RosterEntry.objects.bulk_create(
        [RosterEntry(registerable=groups[i % tutorials], user=u) for i, u in enumerate(users)]
    )
    rows = Participation.objects.bulk_create(
        [
            Participation(assessment=assessment, user=u, tutorial=groups[i % tutorials])
            for i, u in enumerate(users)
        ]
    )
    TaskPoint.objects.bulk_create(
        [TaskPoint(participation=r, task=t, points=D("5")) for r in rows for t in task_list]
    )
    AssessmentFactory(lecture=lecture, kind="exam")
    return assessment


def test_staff_pages_have_bounded_queries_at_300_students(client, django_assert_max_num_queries):
    assessment = big_lecture()
    client.force_login(assessment.lecture.teacher)
    with django_assert_max_num_queries(14):
        response = client.get(
            reverse("assessment:pages_lecture_assessments", args=[assessment.lecture_id])
        )
    assert response.status_code == 200
    with django_assert_max_num_queries(14):
        response = client.get(reverse("assessment:pages_assessment_overview", args=[assessment.pk]))
    assert response.status_code == 200
    assert response.context["task_stats"][0].graded == 300
    with django_assert_max_num_queries(12):
        assert (
            client.get(
                reverse("assessment:pages_assessment_edit", args=[assessment.pk])
            ).status_code
            == 200
        )


def test_the_lecture_page_links_to_coursework(client, world):
    w = world
    client.force_login(w["lecture"].teacher)
    html = client.get(reverse("lecture_detail", args=[w["lecture"].pk])).content.decode()
    assert urls(w)["list"] in html


def test_deadline_in_the_past_is_kept_as_given(client, world):
    """Editing without touching the deadline keeps it exactly."""
    w = world
    a = w["assessment"]
    a.deadline = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(days=1)
    a.save()
    client.force_login(w["lecture"].teacher)
    form = client.get(urls(w)["edit"]).context["form"]
    data = {k: form[k].value() for k in ("title", "grace_minutes", "max_team_size")}
    data["deadline"] = (
        form["deadline"].value().strftime("%Y-%m-%dT%H:%M")
        if hasattr(form["deadline"].value(), "strftime")
        else form["deadline"].value()
    )
    data["submission_required"] = "on"
    client.post(urls(w)["edit"], data)
    assert Assessment.objects.get(pk=a.pk).deadline == a.deadline
