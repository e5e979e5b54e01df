"""Exam grading pages: creation from the coursework page, who may correct, the entry table
(row save, conflict, marks, paging) and the per-problem mode, with bounded queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from assessment import exams
from assessment.models import Assessment, ExamCorrector, Participation, TaskPoint
from registration.models import Campaign
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    CampaignFactory,
    ExamFactory,
    ItemFactory,
    LectureFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def make_exam(candidates=3, status=Campaign.Status.COMPLETED):
    lecture = LectureFactory()
    exam = ExamFactory(lecture=lecture, title="Final exam")
    ItemFactory(campaign=CampaignFactory(lecture=lecture, status=status), registerable=exam)
    users = [UserFactory(name=f"Cand {i:04d}") for i in range(candidates)]
    RosterEntry.objects.bulk_create(RosterEntry(registerable=exam, user=u) for u in users)
    return exam, users


@pytest.fixture
def w():
    exam, users = make_exam()
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    tasks = [TaskFactory(assessment=assessment, position=i + 1) for i in range(3)]
    corrector, tutor = UserFactory(name="Cora Corrector"), UserFactory(name="Tom Tutor")
    ExamCorrector.objects.create(assessment=assessment, user=corrector)
    TutorialFactory(lecture=exam.lecture, tutors=[tutor])  # a tutor who does not correct
    rows = {r.user_id: r for r in Participation.objects.filter(assessment=assessment)}
    return {
        "exam": exam, "assessment": assessment, "tasks": tasks, "users": users,
        "rows": [rows[u.pk] for u in users], "corrector": corrector, "tutor": tutor,
        "teacher": exam.lecture.teacher,
    }


def u(name, *args):
    return reverse(f"assessment:{name}", args=args)


# -- creation from the coursework page -----------------------------------------------------------


def test_coursework_page_offers_creation_only_after_completion(client):
    exam, users = make_exam()
    pending_exam = ExamFactory(lecture=exam.lecture, title="Resit")
    ItemFactory(campaign=CampaignFactory(lecture=exam.lecture, status=Campaign.Status.OPEN),
                registerable=pending_exam)
    client.force_login(exam.lecture.teacher)
    page = client.get(u("pages_lecture_assessments", exam.lecture.pk))
    body = page.content.decode()
    assert page.status_code == 200 and "Create exam grading" in body
    assert body.count("Create exam grading") == 1
    assert "after the registration is completed" in body
    # a forged post for the resit is refused with the message, nothing created
    response = client.post(u("exams_create", exam.lecture.pk), {"exam": pending_exam.pk},
                           follow=True)
    assert "registration is not completed" in response.content.decode()
    assert not Assessment.objects.exists()
    response = client.post(u("exams_create", exam.lecture.pk), {"exam": exam.pk})
    assessment = Assessment.objects.get()
    assert response.status_code == 302 and response.url == u("exams_overview", assessment.pk)
    assert assessment.participations.count() == len(users)
    page = client.get(u("exams_overview", assessment.pk))
    assert page.status_code == 200 and "3" in page.context["overview"].candidates.__str__()


def test_creation_refusals(client):
    exam, _users = make_exam()
    other_teacher = LectureFactory().teacher
    url = u("exams_create", exam.lecture.pk)
    for user in (other_teacher, UserFactory()):
        client.force_login(user)
        assert client.post(url, {"exam": exam.pk}).status_code == 403
    client.logout()
    assert client.post(url, {"exam": exam.pk}).status_code == 302  # to the login page
    client.force_login(exam.lecture.teacher)
    assert client.post(url, {"exam": ExamFactory().pk}).status_code == 404  # another lecture's
    assert client.post(url, {"exam": "x"}).status_code == 302
    assert not Assessment.objects.exists()


# -- who may correct ----------------------------------------------------------------------------


def test_refusals_for_student_other_tutor_other_teacher_and_anonymous(client, w):
    a, row, t1 = w["assessment"], w["rows"][0], w["tasks"][0]
    candidate = w["users"][1]
    urls = [
        ("get", u("exams_overview", a.pk), {}),
        ("get", u("exams_table", a.pk), {}),
        ("get", u("exams_problem", a.pk, t1.pk), {}),
        ("post", u("exams_row_save", a.pk, row.pk), {f"task_{t1.pk}": "3"}),
        ("post", u("exams_row_mark", a.pk, row.pk), {"mark": "absent"}),
        ("post", u("exams_problem", a.pk, t1.pk), {f"p_{row.pk}": "3"}),
    ]
    # the tutorial grading table no longer opens for exams (tutors grade assignments only)
    tutorial = TutorialFactory(lecture=a.lecture, tutors=[w["tutor"]])
    for user in (candidate, w["tutor"], LectureFactory().teacher):
        client.force_login(user)
        for method, url, data in urls:
            assert getattr(client, method)(url, data).status_code == 403, (user, url)
    client.force_login(w["tutor"])
    assert client.get(u("grading_table", a.pk, tutorial.pk)).status_code == 404
    assert client.get(u("pages_my_sheets")).status_code == 200
    assert client.get(u("exams_mine")).status_code == 403
    client.logout()
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "login" in response.url
    assert not TaskPoint.objects.exists()
    assert set(Participation.objects.values_list("status", flat=True)) == {"pending"}
    # staff-only pages refuse correctors
    client.force_login(w["corrector"])
    assert client.post(u("exams_seed", a.pk)).status_code == 403
    response = client.post(u("exams_corrector_add", a.pk), {"email": "x@example.org"})
    assert response.status_code == 403


def test_corrector_and_teacher_may_enter_points(client, w):
    a, rows, (t1, t2, t3) = w["assessment"], w["rows"], w["tasks"]
    for user, row in ((w["corrector"], rows[0]), (w["teacher"], rows[1])):
        client.force_login(user)
        response = client.post(
            u("exams_row_save", a.pk, row.pk),
            {f"task_{t1.pk}": "1,5", f"task_{t2.pk}": "2", f"task_{t3.pk}": "3",
             f"version_{row.pk}": "0", "q": "Cand", "page": "1"},
        )
        assert response.status_code == 302
        assert response.url == u("exams_table", a.pk) + f"?q=Cand#row-p{row.pk}"
        row.refresh_from_db()
        assert row.points_total == Decimal("6.50") and row.status == "reviewed"
    client.force_login(w["corrector"])
    mine = client.get(u("exams_mine"))
    assert mine.status_code == 200 and a.title in mine.content.decode()
    assert a.title in client.get(u("pages_my_sheets")).content.decode()


# -- the entry table ------------------------------------------------------------------------------


def test_row_save_with_htmx_and_a_stale_version(client, w):
    a, row, (t1, _t2, _t3) = w["assessment"], w["rows"][0], w["tasks"]
    client.force_login(w["corrector"])
    url = u("exams_row_save", a.pk, row.pk)
    ok = client.post(url, {f"task_{t1.pk}": "4", f"version_{row.pk}": "0"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and b"Saved." in ok.content and b'id="row-p' in ok.content
    stale = client.post(url, {f"task_{t1.pk}": "9", f"version_{row.pk}": "0"},
                        HTTP_HX_REQUEST="true")
    assert stale.status_code == 200 and b"changed these points meanwhile" in stale.content
    assert TaskPoint.objects.get(participation=row).points == Decimal("4.00")
    bad = client.post(url, {f"task_{t1.pk}": "-1", f"version_{row.pk}": "1"},
                      HTTP_HX_REQUEST="true")
    assert b'role="alert"' in bad.content
    assert TaskPoint.objects.get(participation=row).points == Decimal("4.00")
    # without JavaScript: a message after the redirect
    stale = client.post(url, {f"task_{t1.pk}": "9", f"version_{row.pk}": "0"}, follow=True)
    assert "changed these points meanwhile" in stale.content.decode()


def test_marks_absent_and_exempt_from_the_table(client, w):
    a, (r1, r2, _r3) = w["assessment"], w["rows"]
    client.force_login(w["corrector"])
    client.post(u("exams_row_mark", a.pk, r1.pk), {"mark": "absent", "version": "0"})
    client.post(u("exams_row_mark", a.pk, r2.pk), {"mark": "exempt", "note": "ill", "version": 0})
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert (r1.status, r2.status, r2.note) == ("absent", "exempt", "ill")
    page = client.get(u("exams_table", a.pk)).content.decode()
    assert "Clear the mark" in page
    # points on an absent row are refused
    client.post(u("exams_row_save", a.pk, r1.pk), {f"task_{w['tasks'][0].pk}": "1"})
    assert not TaskPoint.objects.filter(participation=r1).exists()


def test_row_of_another_exam_is_404(client, w):
    other = AssessmentFactory(kind="exam")
    stranger = Participation.objects.create(assessment=other, user=UserFactory())
    client.force_login(w["teacher"])
    assert client.post(u("exams_row_save", w["assessment"].pk, stranger.pk), {}).status_code == 404
    assert client.get(u("exams_table", 10**12)).status_code == 404
    assert client.get(u("exams_problem", w["assessment"].pk, TaskFactory().pk)).status_code == 404
    # an assignment is not an exam grading
    assignment = AssessmentFactory(lecture=w["exam"].lecture)
    assert client.get(u("exams_table", assignment.pk)).status_code == 404


def test_candidate_removed_from_roster_is_shown_but_refused(client, w):
    a, row, t1 = w["assessment"], w["rows"][2], w["tasks"][0]
    RosterEntry.objects.filter(registerable=w["exam"], user=row.user).delete()
    client.force_login(w["corrector"])
    page = client.get(u("exams_table", a.pk)).content.decode()
    assert "not on the exam roster" in page
    response = client.post(u("exams_row_save", a.pk, row.pk), {f"task_{t1.pk}": "2"}, follow=True)
    assert "not (or no longer) a candidate" in response.content.decode()
    assert not TaskPoint.objects.exists()


def test_search_status_filter_and_junk_parameters(client, w):
    client.force_login(w["corrector"])
    url = u("exams_table", w["assessment"].pk)
    page = client.get(url, {"q": "Cand 0001"})
    assert [r.participation.user.name for r in page.context["sheet"].rows] == ["Cand 0001"]
    assert client.get(url, {"status": "absent"}).context["sheet"].total == 0
    for junk in ({"page": "x"}, {"page": "-4"}, {"status": "<b>"}, {"q": "\x00" * 3},
                 {"q": "a" * 5000}):
        assert client.get(url, junk).status_code == 200


def make_big(n):
    exam, users = make_exam(candidates=n)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    tasks = [TaskFactory(assessment=assessment, position=i + 1) for i in range(6)]
    rows = list(Participation.objects.filter(assessment=assessment).order_by("pk"))
    TaskPoint.objects.bulk_create(
        TaskPoint(participation=r, task=t, points=Decimal("1.5")) for r in rows for t in tasks[:3]
    )
    return assessment, tasks


def test_entry_table_and_problem_page_queries_are_bounded(client, django_assert_max_num_queries):
    assessment, tasks = make_big(320)
    client.force_login(assessment.lecture.teacher)
    table = u("exams_table", assessment.pk)
    problem = u("exams_problem", assessment.pk, tasks[0].pk)
    client.get(table)  # warm-up (content types, session)
    with django_assert_max_num_queries(14):
        response = client.get(table)
    sheet = response.context["sheet"]
    assert sheet.total == 320 and len(sheet.rows) == 100 and sheet.pages == 4
    assert response.content.decode().count('data-points-cell="p') == 100 * 6
    with django_assert_max_num_queries(14):
        response = client.get(table, {"page": 4})
    assert len(response.context["sheet"].rows) == 20
    with django_assert_max_num_queries(15):
        response = client.get(problem, {"page": 2})
    assert len(response.context["lines"]) == 100
    assert all(line["value"] == Decimal("1.50") for line in response.context["lines"])


# -- one problem for all candidates ------------------------------------------------------------


def test_problem_mode_saves_changed_cells_of_that_problem_only(client, w):
    a, (r1, r2, r3), (t1, t2, _t3) = w["assessment"], w["rows"], w["tasks"]
    exams.enter_exam_points(participation=r3, points={t2: 5}, by=None)  # r3 at version 1
    client.force_login(w["corrector"])
    url = u("exams_problem", a.pk, t1.pk)
    page = client.get(url)
    assert page.status_code == 200 and len(page.context["lines"]) == 3
    response = client.post(url, {
        f"p_{r1.pk}": "7,5", f"o_{r1.pk}": "", f"v_{r1.pk}": "0",
        f"p_{r2.pk}": "", f"o_{r2.pk}": "", f"v_{r2.pk}": "0",  # unchanged: not saved
        f"p_{r3.pk}": "2", f"o_{r3.pk}": "", f"v_{r3.pk}": "1",
    })
    assert response.status_code == 302
    assert dict(TaskPoint.objects.filter(task=t1).values_list("participation_id", "points")) == {
        r1.pk: Decimal("7.50"), r3.pk: Decimal("2.00")
    }
    r2.refresh_from_db()
    assert r2.version == 0
    assert TaskPoint.objects.get(participation=r3, task=t2).points == Decimal("5.00")


def test_problem_mode_conflict_shows_the_current_value(client, w):
    a, (r1, r2, _r3), (t1, _t2, _t3) = w["assessment"], w["rows"], w["tasks"]
    client.force_login(w["corrector"])
    url = u("exams_problem", a.pk, t1.pk)
    exams.enter_exam_points(participation=r2, points={t1: 3}, by=w["teacher"])  # meanwhile
    response = client.post(url, {
        f"p_{r1.pk}": "4", f"o_{r1.pk}": "", f"v_{r1.pk}": "0",
        f"p_{r2.pk}": "8", f"o_{r2.pk}": "", f"v_{r2.pk}": "0",
    })
    assert response.status_code == 422
    body = response.content.decode()
    assert "changed these points meanwhile" in body and "1 were refused" in body
    line = next(x for x in response.context["lines"] if x["row"].participation.pk == r2.pk)
    assert line["value"] == Decimal("3.00") and line["error"]
    assert dict(TaskPoint.objects.values_list("participation_id", "points")) == {
        r1.pk: Decimal("4.00"), r2.pk: Decimal("3.00")
    }


def test_problem_mode_bad_input_changes_nothing(client, w):
    a, (r1, r2, _r3), (t1, _t2, _t3) = w["assessment"], w["rows"], w["tasks"]
    client.force_login(w["corrector"])
    url = u("exams_problem", a.pk, t1.pk)
    response = client.post(url, {f"p_{r1.pk}": "4", f"v_{r1.pk}": "0",
                                 f"p_{r2.pk}": "abc", f"v_{r2.pk}": "0"})
    assert response.status_code == 422 and not TaskPoint.objects.exists()
    line = next(x for x in response.context["lines"] if x["row"].participation.pk == r2.pk)
    assert line["value"] == "abc" and line["error"]
    other = Participation.objects.create(assessment=AssessmentFactory(kind="exam"),
                                         user=UserFactory())
    assert client.post(url, {f"p_{other.pk}": "1"}).status_code == 404
    assert not TaskPoint.objects.exists()


# -- correctors and late candidates on the overview ----------------------------------------------


def test_overview_manages_correctors_and_seeds_late_candidates(client, w):
    a = w["assessment"]
    client.force_login(w["teacher"])
    UserFactory(email="helper@example.org", name="Hal Helper")
    response = client.post(u("exams_corrector_add", a.pk), {"email": "helper@example.org"},
                           follow=True)
    assert "Hal Helper now corrects this exam." in response.content.decode()
    response = client.post(u("exams_corrector_add", a.pk), {"all_tutors": "1"}, follow=True)
    assert "Correctors added: 1." in response.content.decode()
    assert ExamCorrector.objects.filter(assessment=a, user=w["tutor"]).exists()
    client.post(u("exams_corrector_remove", a.pk), {"user": w["tutor"].pk})
    assert not ExamCorrector.objects.filter(assessment=a, user=w["tutor"]).exists()
    RosterEntry.objects.create(registerable=w["exam"], user=UserFactory())
    page = client.get(u("exams_overview", a.pk))
    assert page.context["overview"].without_row == 1
    assert "Add their rows now" in page.content.decode()
    response = client.post(u("exams_seed", a.pk), follow=True)
    assert "Rows created: 1." in response.content.decode()
    assert client.get(u("exams_overview", a.pk)).context["overview"].without_row == 0


def test_settings_and_tasks_page_works_for_an_exam(client, w):
    a = w["assessment"]
    client.force_login(w["teacher"])
    page = client.get(u("pages_assessment_edit", a.pk))
    assert page.status_code == 200 and "deadline" not in page.context["form"].fields
    client.post(u("pages_task_add", a.pk), {"title": "Proof", "max_points": "12"})
    assert a.tasks.count() == 4
    client.post(u("pages_assessment_edit", a.pk), {"title": "Final exam (main)"})
    a.refresh_from_db()
    assert a.title == "Final exam (main)" and a.deadline is None


def test_history_of_an_exam_row_is_for_correctors_not_for_the_candidates_tutor(client, w):
    row = w["rows"][0]
    tutorial = TutorialFactory(lecture=w["exam"].lecture, tutors=[w["tutor"]])
    Participation.objects.filter(pk=row.pk).update(tutorial=tutorial)
    url = u("pages_history", row.pk)
    client.force_login(w["corrector"])
    assert client.get(url).status_code == 200
    for user in (w["tutor"], row.user):
        client.force_login(user)
        assert client.get(url).status_code == 403
