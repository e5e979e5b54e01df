"""Publication of exam results (issue 10 item 5): withdrawal and republication, the student's
exam result page (content, refusals, bounded queries) and the e-mails: one per candidate on
publication, another only when a published grade changes afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from assessment import errors as assessment_errors
from assessment import services as assessment_services
from assessment.models import Assessment, GradeChange, Participation, ResultNotice, TaskPoint
from grade_schemes import services
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TWO_POINT = services.generate_bands(passing_points=24, excellence_points=54)


@pytest.fixture
def world():
    assessment = AssessmentFactory(kind="exam", title="Final exam")
    tasks = [TaskFactory(assessment=assessment, position=i, max_points=D(20)) for i in (1, 2, 3)]
    teacher = assessment.lecture.teacher
    rows = []
    for name, points in (("Ada", 54), ("Ben", 30), ("Cem", 10)):
        row = ParticipationFactory(assessment=assessment, user=UserFactory(name=name))
        values = {tasks[0]: D(min(points, 20)), tasks[1]: D(min(max(points - 20, 0), 20))}
        values[tasks[2]] = D(points) - values[tasks[0]] - values[tasks[1]]
        rows.append(assessment_services.enter_points(participation=row, points=values, by=teacher))
    scheme = services.create_scheme(assessment=assessment, bands=TWO_POINT, by=teacher)
    services.apply_scheme(scheme=scheme, by=teacher)
    return {
        "assessment": assessment,
        "tasks": tasks,
        "teacher": teacher,
        "rows": rows,
        "scheme": scheme,
    }


def page_url(w):
    return reverse("grade_schemes:my_exam_result", args=[w["assessment"].pk])


def publish(w, capture):
    with capture(execute=True):
        assessment_services.publish_results(assessment=w["assessment"], by=w["teacher"])


def fresh(row):
    return Participation.objects.get(pk=row.pk)


# -- withdrawal -------------------------------------------------------------------------------


def test_withdraw_is_audited_and_hides_the_page_again(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    client.force_login(w["rows"][0].user)
    assert client.get(page_url(w)).status_code == 200
    assessment_services.withdraw_results(assessment=w["assessment"], by=w["teacher"])
    response = client.get(page_url(w))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The results of this exam are not published." in html
    assert 'id="my-problems"' not in html and 'id="histogram"' not in html
    assert "points" not in html.split("<main", 1)[-1]
    my_results = reverse("assessment:pages_my_results", args=[w["assessment"].lecture_id])
    assert "Final exam" not in client.get(my_results).content.decode()
    audit = list(
        GradeChange.objects.filter(assessment=w["assessment"], field="publication")
        .order_by("pk")
        .values_list("old", "new", "by_id")
    )
    assert audit == [
        ("", "published", w["teacher"].pk),
        ("published", "withdrawn", w["teacher"].pk),
    ]
    with pytest.raises(assessment_errors.NotPublished) as refusal:
        assessment_services.withdraw_results(assessment=w["assessment"], by=w["teacher"])
    assert refusal.value.code == "not_published"


def test_withdrawal_is_for_staff_only(client, world):
    w = world
    assessment_services.publish_results(assessment=w["assessment"], by=w["teacher"])
    url = reverse("assessment:pages_withdraw", args=[w["assessment"].pk])
    client.force_login(w["rows"][0].user)
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert Assessment.objects.get(pk=w["assessment"].pk).results_published_at is not None
    client.force_login(w["teacher"])
    assert client.post(url, {"confirm": "on"}).status_code == 302
    assert Assessment.objects.get(pk=w["assessment"].pk).results_published_at is None


def test_republishing_mails_only_those_whose_grade_changed_meanwhile(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 3
    assessment_services.withdraw_results(assessment=w["assessment"], by=w["teacher"])
    with django_capture_on_commit_callbacks(execute=True):
        services.override_grade(
            participation=w["rows"][1], grade="2.0", note="Oral exam", by=w["teacher"]
        )
    assert len(mailoutbox) == 3  # not published: no notice
    publish(w, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox[3:]] == [[w["rows"][1].user.email]]
    assert "/my-result/" in mailoutbox[3].body


# -- the page ---------------------------------------------------------------------------------


def test_the_candidate_sees_points_grade_bands_and_distribution(
    client, world, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    services.override_grade(participation=w["rows"][2], grade="4.0", note="Kulanz", by=None)
    client.force_login(w["rows"][1].user)
    response = client.get(page_url(w))
    assert response.status_code == 200
    html = response.content.decode()
    row = fresh(w["rows"][1])
    assert row.grade_value is not None
    assert f"<strong>{row.grade_value}</strong>" in html
    assert "30.00 of 60.00 points" in html
    assert [(t.position, p) for t, p in response.context["problems"]] == [
        (1, D(20)),
        (2, D(10)),
        (3, D(0)),
    ]
    assert 'id="scheme-bands"' in html and 'id="histogram"' in html and 'id="bins"' in html
    assert 'id="grade-counts"' in html
    assert response.context["stats"]["count"] == 3
    assert response.context["graded"] == 3
    for hidden in ("Ada", "Cem", "Kulanz", "computed", "manual", "Computed", "Entered by hand"):
        assert hidden not in html, hidden
    # "My results" links to it
    my_results = reverse("assessment:pages_my_results", args=[w["assessment"].lecture_id])
    assert page_url(w) in client.get(my_results).content.decode()


def test_percentage_bands_are_shown_as_percentages(
    client, world, django_capture_on_commit_callbacks
):
    w = world
    services.update_scheme(
        scheme=w["scheme"],
        kind="percentage",
        by=None,
        bands=[(D(50), D("4.0")), (D(90), D("1.0"))],
    )
    publish(w, django_capture_on_commit_callbacks)
    client.force_login(w["rows"][0].user)
    html = client.get(page_url(w)).content.decode()
    assert "From (percent)" in html and "90 %" in html


def test_refusals(client, world, django_capture_on_commit_callbacks):
    w = world
    url = page_url(w)
    assert client.get(url).status_code == 302  # anonymous: the login page
    assert "/login/" in client.get(url)["Location"]
    client.force_login(w["rows"][0].user)
    response = client.get(url)  # not published: says so, shows nothing
    assert response.status_code == 200 and not response.context["published"]
    assert 'id="my-grade"' not in response.content.decode()
    publish(w, django_capture_on_commit_callbacks)
    for user in (UserFactory(), StaffFactory(), w["teacher"]):
        client.force_login(user)
        assert client.get(url).status_code == 404, user  # not a candidate
    client.force_login(w["rows"][0].user)
    sheet = AssessmentFactory(lecture=w["assessment"].lecture)
    ParticipationFactory(assessment=sheet, user=w["rows"][0].user)
    assessment_services.publish_results(assessment=sheet, by=None)
    assert client.get(reverse("grade_schemes:my_exam_result", args=[sheet.pk])).status_code == 404
    assert client.get("/exams/99999999999999/my-result/").status_code == 404
    assert client.post(url).status_code == 405


def test_the_page_has_bounded_queries(client, world, django_assert_max_num_queries):
    w = world
    users = UserFactory.create_batch(200)
    rows = Participation.objects.bulk_create(
        Participation(assessment=w["assessment"], user=u, points_total=D(i % 61), status="reviewed")
        for i, u in enumerate(users)
    )
    TaskPoint.objects.bulk_create(
        TaskPoint(participation=r, task=w["tasks"][0], points=D(i % 21)) for i, r in enumerate(rows)
    )
    services.apply_scheme(scheme=w["scheme"], by=None)
    assessment_services.publish_results(assessment=w["assessment"], by=None)
    client.force_login(users[0])
    client.get(page_url(w))  # warm-up
    with django_assert_max_num_queries(12):
        response = client.get(page_url(w))
    assert response.status_code == 200
    assert response.context["stats"]["count"] == 203


# -- mails ------------------------------------------------------------------------------------


def test_one_mail_each_on_publication_linking_to_the_page(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.user.email for r in w["rows"])
    assert all(page_url(w) in m.body for m in mailoutbox)
    assert dict(ResultNotice.objects.values_list("participation_id", "grade")) == {
        r.pk: fresh(r).grade_value for r in w["rows"]
    }
    # a second delivery of the same job mails nobody twice
    from assessment.tasks import send_results

    with django_capture_on_commit_callbacks(execute=True):
        assert send_results(w["assessment"].pk) == 0
    assert len(mailoutbox) == 3


def test_no_grade_notice_before_publication(world, mailoutbox, django_capture_on_commit_callbacks):
    w = world
    with django_capture_on_commit_callbacks(execute=True):
        services.override_grade(participation=w["rows"][0], grade="1.3", note="x", by=None)
        assessment_services.enter_points(
            participation=fresh(w["rows"][1]), points={w["tasks"][2]: D(20)}, by=w["teacher"]
        )
    assert mailoutbox == []


def test_a_regrade_after_points_change_mails_only_that_candidate(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    ben = fresh(w["rows"][1])
    before = ben.grade_value
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.enter_points(
            participation=ben, points={w["tasks"][2]: D(20)}, by=w["teacher"]
        )
    assert fresh(ben).grade_value != before
    assert [m.to for m in mailoutbox] == [[ben.user.email]]
    assert "changed" in mailoutbox[0].subject and page_url(w) in mailoutbox[0].body


def test_points_that_keep_the_grade_mail_nobody(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    ada = fresh(w["rows"][0])  # 54 points: 1.0 already; 55 stays 1.0
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.enter_points(
            participation=ada, points={w["tasks"][2]: D(15)}, by=w["teacher"]
        )
    assert fresh(ada).grade_value == D("1.0")
    assert mailoutbox == []


def test_reapplying_an_unchanged_scheme_mails_nobody_and_an_edited_one_the_movers(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.apply_scheme(scheme=w["scheme"], by=w["teacher"]) == 0
    assert mailoutbox == []
    grades = {r.pk: fresh(r).grade_value for r in w["rows"]}
    services.update_scheme(
        scheme=w["scheme"], by=w["teacher"], bands=[(D(12), D("4.0")), (D(50), D("1.0"))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.apply_scheme(scheme=w["scheme"], by=w["teacher"])
    moved = {r.user.email for r in w["rows"] if fresh(r).grade_value != grades[r.pk]}
    assert moved and sorted(m.to[0] for m in mailoutbox) == sorted(moved)


def test_an_override_and_its_clearing_each_mail_once(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    cem = w["rows"][2]
    with django_capture_on_commit_callbacks(execute=True):
        services.override_grade(participation=cem, grade="4.0", note="Kulanz", by=w["teacher"])
    assert [m.to for m in mailoutbox] == [[cem.user.email]]
    with django_capture_on_commit_callbacks(execute=True):
        services.override_grade(participation=cem, grade="4.0", note="again", by=w["teacher"])
    assert len(mailoutbox) == 1  # the same grade: nothing
    with django_capture_on_commit_callbacks(execute=True):
        services.clear_override(participation=fresh(cem), by=w["teacher"])
    assert len(mailoutbox) == 2


def test_a_grade_that_moves_back_before_the_job_runs_mails_nobody(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    publish(w, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    from grade_schemes.tasks import send_grade_change_notices

    assert send_grade_change_notices(w["assessment"].pk, [r.pk for r in w["rows"]]) == 0
    assert mailoutbox == []


def test_the_grade_notice_is_german_for_a_german_reader(
    world, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    w = world
    monkeypatch.setattr("mampf.mail.recipient_language", lambda user: "de")
    publish(w, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.override_grade(participation=w["rows"][2], grade="4.0", note="K", by=None)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].body.startswith("Hallo")
    assert "Note" in mailoutbox[0].subject
