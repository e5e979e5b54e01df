"""Exam review (issue 10 item 7): the window and its boundaries, requests routed to the
corrector of each problem, answers through enter_points with audit, one e-mail, who may do
what, and bounded queries on the queue."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from assessment import errors, exam_review, exams
from assessment.models import (
    ExamCorrector,
    ExamReviewWindow,
    GradeChange,
    Participation,
    ReviewEvent,
    ReviewItem,
    ReviewRequest,
    TaskPoint,
)
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
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def english():
    translation.activate("en")
    yield
    translation.activate("en")


def make_exam(candidates=3):
    lecture = LectureFactory(title="Analysis I")
    exam = ExamFactory(lecture=lecture, title="Final exam")
    ItemFactory(
        campaign=CampaignFactory(lecture=lecture, status=Campaign.Status.COMPLETED),
        registerable=exam,
    )
    users = [UserFactory(name=f"Cand {i:04d}") for i in range(candidates)]
    RosterEntry.objects.bulk_create(RosterEntry(registerable=exam, user=u) for u in users)
    assessment = exams.create_exam_assessment(exam=exam, by=None)
    tasks = [TaskFactory(assessment=assessment, position=i + 1, title="") for i in range(2)]
    anna, ben = UserFactory(name="Anna Corrector"), UserFactory(name="Ben Corrector")
    ExamCorrector.objects.bulk_create(
        [ExamCorrector(assessment=assessment, user=anna), ExamCorrector(assessment=assessment,
                                                                          user=ben)]
    )
    rows = {r.user_id: r for r in Participation.objects.filter(assessment=assessment)}
    rows = [rows[u.pk] for u in users]
    return assessment, tasks, rows, anna, ben


def grade_all(assessment, tasks, rows, anna, ben):
    """Anna corrects problem 1, Ben problem 2 (how exams are corrected)."""
    t1, t2 = tasks
    exams.enter_problem_points(
        assessment=assessment, task=t1, entries=[(r, Decimal("6"), None) for r in rows], by=anna
    )
    exams.enter_problem_points(
        assessment=assessment, task=t2, entries=[(r, Decimal("4.5"), None) for r in rows], by=ben
    )


def publish_and_open(assessment, *, opens=None, closes=None):
    now = timezone.now()
    assessment.results_published_at = now - HOUR
    assessment.save(update_fields=["results_published_at"])
    return exam_review.set_window(
        assessment=assessment,
        opens_at=opens or now - HOUR,
        closes_at=closes or now + 24 * HOUR,
        by=assessment.lecture.teacher,
    )


@pytest.fixture
def w():
    assessment, tasks, rows, anna, ben = make_exam()
    grade_all(assessment, tasks, rows, anna, ben)
    rows = [Participation.objects.get(pk=r.pk) for r in rows]
    tutor = UserFactory(name="Tom Tutor")
    TutorialFactory(lecture=assessment.lecture, tutors=[tutor])
    return {"assessment": assessment, "tasks": tasks, "rows": rows, "anna": anna, "ben": ben,
            "tutor": tutor, "teacher": assessment.lecture.teacher}


def snapshot():
    return (
        ReviewRequest.objects.count(),
        ReviewItem.objects.count(),
        list(TaskPoint.objects.order_by("pk").values_list("pk", "points")),
        list(Participation.objects.order_by("pk").values_list("pk", "points_total", "version")),
        GradeChange.objects.count(),
    )


def ask(w, row=0, tasks=None, comment="Please look at part (b).", **kwargs):
    return exam_review.request_review(
        participation=w["rows"][row],
        task_ids=[t.pk for t in (w["tasks"] if tasks is None else tasks)],
        comment=comment,
        by=w["rows"][row].user,
        **kwargs,
    )


# -- window --------------------------------------------------------------------------------


def test_window_only_after_publication_and_ending_after_it_starts(w):
    a, now = w["assessment"], timezone.now()
    with pytest.raises(errors.NotPublished) as info:
        exam_review.set_window(assessment=a, opens_at=now, closes_at=now + HOUR, by=None)
    assert info.value.code == "not_published" and not ExamReviewWindow.objects.exists()
    a.results_published_at = now
    a.save(update_fields=["results_published_at"])
    with pytest.raises(errors.ReviewRefused) as info:
        exam_review.set_window(assessment=a, opens_at=now, closes_at=now, by=None)
    assert info.value.code == "window_invalid" and not ExamReviewWindow.objects.exists()
    window = exam_review.set_window(assessment=a, opens_at=now, closes_at=now + HOUR, by=None)
    assert window.closes_at == now + HOUR
    assert ReviewEvent.objects.filter(action="window", assessment=a).count() == 1


def test_window_boundaries_start_inclusive_end_exclusive(w):
    window = publish_and_open(w["assessment"])
    before = snapshot()
    for moment in (window.opens_at - datetime.timedelta(microseconds=1), window.closes_at):
        with pytest.raises(errors.ReviewClosed) as info:
            ask(w, now=moment)
        assert info.value.code == "review_closed"
        assert "until" in str(info.value)
    assert snapshot() == before
    request = ask(w, now=window.opens_at)
    assert request.status == "open"
    request2 = ask(w, row=1, now=window.closes_at - datetime.timedelta(microseconds=1))
    assert request2.pk


def test_no_window_or_unpublished_is_refused(w):
    with pytest.raises(errors.ReviewClosed):
        ask(w)
    publish_and_open(w["assessment"])
    w["assessment"].results_published_at = None
    w["assessment"].save(update_fields=["results_published_at"])
    with pytest.raises(errors.ReviewClosed):
        ask(w)
    assert not ReviewRequest.objects.exists()


# -- requests ------------------------------------------------------------------------------


def test_each_problem_is_routed_to_its_grader_with_fallback_to_staff(w):
    publish_and_open(w["assessment"])
    t1, t2 = w["tasks"]
    TaskPoint.objects.filter(participation=w["rows"][1], task=t2).update(grader=None)
    first, second = ask(w, row=0), ask(w, row=1)
    routed = {i.task_id: i.corrector_id for i in first.items.all()}
    assert routed == {t1.pk: w["anna"].pk, t2.pk: w["ben"].pk}
    assert {i.task_id: i.corrector_id for i in second.items.all()} == {
        t1.pk: w["anna"].pk, t2.pk: None
    }
    item = first.items.get(task=t2)
    assert item.points_before == Decimal("4.5")
    assert ReviewEvent.objects.filter(request=first, action="requested").count() == 1


def test_one_open_request_per_student_and_bad_input(w):
    publish_and_open(w["assessment"])
    ask(w, tasks=[w["tasks"][0]])
    before = snapshot()
    with pytest.raises(errors.ReviewRefused) as info:
        ask(w)
    assert info.value.code == "request_open"
    with pytest.raises(errors.ReviewRefused) as info:
        ask(w, row=1, comment="   ")
    assert info.value.code == "comment_missing"
    with pytest.raises(errors.ReviewRefused) as info:
        ask(w, row=1, tasks=[])
    assert info.value.code == "problems_missing"
    other = TaskFactory()
    with pytest.raises(errors.TaskNotInAssessment):
        exam_review.request_review(
            participation=w["rows"][1], task_ids=[other.pk], comment="x", by=None
        )
    assert snapshot() == before


def test_absent_candidate_has_nothing_to_recheck():
    assessment, tasks, rows, anna, _ben = make_exam(candidates=1)
    exams.mark_candidate(participation=rows[0], mark="absent", by=None)
    publish_and_open(assessment)
    with pytest.raises(errors.ReviewRefused) as info:
        exam_review.request_review(
            participation=rows[0], task_ids=[tasks[0].pk], comment="x", by=None
        )
    assert info.value.code == "not_reviewable"


# -- answers -------------------------------------------------------------------------------


def test_answers_change_points_through_enter_points_audit_and_mail_once(
    w, mailoutbox, django_capture_on_commit_callbacks
):
    publish_and_open(w["assessment"])
    student = w["rows"][0].user
    student.language = "de"
    student.save(update_fields=["language"])
    request = ask(w)
    t1, t2 = w["tasks"]
    item1, item2 = request.items.get(task=t1), request.items.get(task=t2)
    with django_capture_on_commit_callbacks(execute=True):
        exam_review.answer_item(item=item1, answer="Part (b) was right: +2.", points="8",
                                by=w["anna"])
    row = Participation.objects.get(pk=w["rows"][0].pk)
    assert row.points_total == Decimal("12.50")
    assert TaskPoint.objects.get(participation=row, task=t1).grader == w["anna"]
    change = GradeChange.objects.get(participation=row, field="points", reason__startswith="exam")
    assert (change.old, change.new, change.reason) == ("6.00", "8.00", f"exam review #{request.pk}")
    assert mailoutbox == []  # problem 2 is still open
    request.refresh_from_db()
    assert request.status == "open"
    with django_capture_on_commit_callbacks(execute=True):
        exam_review.answer_item(item=item2, answer="Correct as marked.", by=w["ben"])
    request.refresh_from_db()
    item2.refresh_from_db()
    assert request.status == "answered" and request.answered_at is not None
    assert item2.points_after == Decimal("4.5") and item2.answered_by == w["ben"]
    assert Participation.objects.get(pk=row.pk).points_total == Decimal("12.50")
    assert ReviewEvent.objects.filter(request=request, action="answered").count() == 2
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [student.email]
    assert reverse("assessment:review_student", args=[w["assessment"].pk]) in mail.body
    assert "Final exam" in mail.body
    # answering again is refused and sends nothing
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(
        errors.ReviewRefused
    ) as info:
        exam_review.answer_item(item=item1, answer="again", points="9", by=w["anna"])
    assert info.value.code == "already_answered" and snapshot() == before
    assert len(mailoutbox) == 1
    # a new request is possible once the first is answered
    assert ask(w, tasks=[t2]).status == "open"


def test_answer_refusals_change_nothing(w):
    publish_and_open(w["assessment"])
    item = ask(w).items.first()
    before = snapshot()
    with pytest.raises(errors.ReviewRefused) as info:
        exam_review.answer_item(item=item, answer=" ", points="3", by=w["anna"])
    assert info.value.code == "answer_missing"
    with pytest.raises(errors.InvalidPoints):
        exam_review.answer_item(item=item, answer="ok", points="-1", by=w["anna"])
    assert snapshot() == before


# -- pages and authorization ---------------------------------------------------------------


def u(name, *args):
    return reverse(f"assessment:{name}", args=args)


def test_student_page_lists_problems_and_sends_a_request(client, w):
    publish_and_open(w["assessment"])
    a, row = w["assessment"], w["rows"][0]
    client.force_login(row.user)
    page = client.get(u("review_student", a.pk)).content.decode()
    assert "6.00 of 10.00 points" in page and "4.50 of 10.00 points" in page
    response = client.post(
        u("review_student", a.pk), {"task": [str(w["tasks"][1].pk)], "comment": "Part (c)?"}
    )
    assert response.status_code == 302
    request = ReviewRequest.objects.get(participation=row)
    assert [i.task_id for i in request.items.all()] == [w["tasks"][1].pk]
    page = client.get(u("review_student", a.pk)).content.decode()
    assert "Part (c)?" in page and "not answered yet" in page and "Send the request" not in page


def test_student_outside_the_window_gets_a_clear_message(client, w):
    now = timezone.now()
    publish_and_open(w["assessment"], opens=now - 3 * HOUR, closes=now - HOUR)
    client.force_login(w["rows"][0].user)
    page = client.get(u("review_student", w["assessment"].pk)).content.decode()
    assert "The review is not open now." in page and "Send the request" not in page
    response = client.post(
        u("review_student", w["assessment"].pk), {"task": [str(w["tasks"][0].pk)],
                                                  "comment": "late"}
    )
    assert response.status_code == 422
    assert "Re-check requests are possible from" in response.content.decode()
    assert not ReviewRequest.objects.exists()


def test_student_pages_of_others_and_unpublished_are_404(client, w):
    client.force_login(w["rows"][0].user)
    assert client.get(u("review_student", w["assessment"].pk)).status_code == 404  # unpublished
    publish_and_open(w["assessment"])
    client.force_login(UserFactory())  # not a candidate
    assert client.get(u("review_student", w["assessment"].pk)).status_code == 404
    client.logout()
    assert client.get(u("review_student", w["assessment"].pk)).status_code == 302


def test_queue_shows_a_corrector_only_their_problems_and_staff_everything(client, w):
    publish_and_open(w["assessment"])
    ask(w, row=0)
    a = w["assessment"]
    client.force_login(w["anna"])
    page = client.get(u("review_queue", a.pk)).content.decode()
    assert "Problem 1" in page or "Task 1" in page
    assert page.count('class="review-item"') == 1
    client.force_login(w["teacher"])
    page = client.get(u("review_queue", a.pk)).content.decode()
    assert page.count('class="review-item"') == 2 and "Save the review window" in page
    for who in ("tutor",):
        client.force_login(w[who])
        assert client.get(u("review_queue", a.pk)).status_code == 403
    client.force_login(w["rows"][1].user)
    assert client.get(u("review_queue", a.pk)).status_code == 403


def test_answer_authorization(client, w):
    publish_and_open(w["assessment"])
    request = ask(w, row=0)
    a = w["assessment"]
    item_of_anna = request.items.get(corrector=w["anna"])
    data = {"answer": "No change.", "points": ""}
    before = snapshot()
    for user in (w["ben"], w["tutor"], w["rows"][0].user, LectureFactory().teacher):
        client.force_login(user)
        assert client.post(u("review_answer", a.pk, item_of_anna.pk), data).status_code == 403
    assert snapshot() == before
    client.force_login(w["anna"])
    response = client.post(u("review_answer", a.pk, item_of_anna.pk), {"answer": "+1",
                                                                       "points": "7"})
    assert response.status_code == 302
    assert TaskPoint.objects.get(participation=w["rows"][0], task=item_of_anna.task).points == 7
    item_of_ben = request.items.get(corrector=w["ben"])
    client.force_login(w["teacher"])  # staff answer everything of their lecture
    client.post(u("review_answer", a.pk, item_of_ben.pk), data)
    request.refresh_from_db()
    assert request.status == "answered"


def test_window_form_for_staff_only(client, w):
    a = w["assessment"]
    a.results_published_at = timezone.now()
    a.save(update_fields=["results_published_at"])
    data = {"opens_at": "2030-03-01T10:00", "closes_at": "2030-03-01T12:00"}
    client.force_login(w["anna"])
    assert client.post(u("review_window", a.pk), data).status_code == 403
    assert not ExamReviewWindow.objects.exists()
    client.force_login(w["teacher"])
    assert client.post(u("review_window", a.pk), data).status_code == 302
    window = ExamReviewWindow.objects.get(assessment=a)
    assert window.closes_at - window.opens_at == 2 * HOUR


def test_queue_queries_bounded_for_300_candidates(client, django_assert_max_num_queries):
    assessment, tasks, rows, anna, ben = make_exam(candidates=300)
    grade_all(assessment, tasks, rows, anna, ben)
    publish_and_open(assessment)
    for row in rows:
        exam_review.request_review(
            participation=row, task_ids=[t.pk for t in tasks], comment="why?", by=None
        )
    client.force_login(assessment.lecture.teacher)
    client.get(reverse("assessment:review_queue", args=[assessment.pk]))
    with django_assert_max_num_queries(15):
        page = client.get(reverse("assessment:review_queue", args=[assessment.pk]))
    assert page.content.decode().count('class="review-item"') == 600
    client.force_login(anna)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("assessment:review_queue", args=[assessment.pk]))
    assert page.content.decode().count('class="review-item"') == 300
