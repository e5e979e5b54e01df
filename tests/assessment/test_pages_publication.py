"""Publishing results from the pages: per tutorial (its tutor or staff) and as a whole (staff),
with a confirm step, withdrawable; refusals; one e-mail per student, linking to their results."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessment import services
from assessment.models import Assessment, GradeChange, TutorialPublication
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
YES = {"confirm": "on"}


@pytest.fixture
def world():
    assessment = AssessmentFactory(title="Sheet 5")
    lecture = assessment.lecture
    task = TaskFactory(assessment=assessment, position=1, max_points=D("10"))
    tutor, other_tutor = UserFactory(name="Tina Tutor"), UserFactory(name="Otto Other")
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])
    other = TutorialFactory(lecture=lecture, tutors=[other_tutor])
    mine = [UserFactory() for _ in range(2)]
    theirs = UserFactory()
    rows = []
    for student in mine:
        RosterEntry.objects.create(registerable=tutorial, user=student)
        rows.append(ParticipationFactory(assessment=assessment, user=student, tutorial=tutorial))
    RosterEntry.objects.create(registerable=other, user=theirs)
    rows.append(ParticipationFactory(assessment=assessment, user=theirs, tutorial=other))
    services.enter_points(participation=rows[0], points={task: D("7")}, by=tutor)
    return locals()


def publish_url(w, tutorial=None, action="publish"):
    a = w["assessment"]
    if tutorial is None:
        return reverse(f"assessment:pages_{action}", args=[a.pk])
    return reverse(f"assessment:pages_{action}_tutorial", args=[a.pk, tutorial.pk])


def state(w):
    a = Assessment.objects.get(pk=w["assessment"].pk)
    return (
        a.results_published_at,
        sorted(TutorialPublication.objects.values_list("assessment_id", "tutorial_id")),
        GradeChange.objects.filter(field="publication").count(),
    )


def test_the_tutor_publishes_their_tutorial_after_confirming(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    client.force_login(w["tutor"])
    url = publish_url(w, w["tutorial"])
    page = client.get(url)
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    before = state(w)
    response = client.post(url, {})  # not confirmed: nothing happens
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    assert state(w) == before
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, YES)
    assert response.status_code == 302
    assert TutorialPublication.objects.filter(
        assessment=w["assessment"], tutorial=w["tutorial"], published_by=w["tutor"]
    ).exists()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in w["mine"])
    link = reverse("assessment:pages_my_results", args=[w["lecture"].pk])
    assert all(link in m.body for m in mailoutbox)
    # twice: a clear refusal, nothing changes
    before = state(w)
    response = client.post(url, YES, follow=True)
    assert "already published" in response.content.decode()
    assert state(w) == before


def test_the_tutor_withdraws_their_tutorial(client, world):
    w = world
    services.publish_results(assessment=w["assessment"], tutorial=w["tutorial"], by=w["tutor"])
    client.force_login(w["tutor"])
    response = client.post(publish_url(w, w["tutorial"], "withdraw"), YES)
    assert response.status_code == 302
    assert not TutorialPublication.objects.exists()


@pytest.mark.parametrize("who", ["student", "other_tutor", "other_teacher"])
def test_publishing_a_tutorial_is_refused_to_others(client, world, who):
    w = world
    user = {
        "student": w["mine"][0],
        "other_tutor": w["other_tutor"],
        "other_teacher": LectureFactory().teacher,
    }[who]
    client.force_login(user)
    before = state(w)
    assert client.get(publish_url(w, w["tutorial"])).status_code == 403
    assert client.post(publish_url(w, w["tutorial"]), YES).status_code == 403
    assert client.post(publish_url(w), YES).status_code == 403
    assert state(w) == before


def test_a_tutor_cannot_publish_as_a_whole(client, world):
    w = world
    client.force_login(w["tutor"])
    before = state(w)
    assert client.post(publish_url(w), YES).status_code == 403
    assert client.post(publish_url(w, action="withdraw"), YES).status_code == 403
    assert state(w) == before


def test_staff_publish_an_exam_as_a_whole_and_withdraw(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    w = world
    exam = AssessmentFactory(kind="exam", lecture=w["lecture"])
    students = [UserFactory() for _ in range(3)]
    for s in students:
        ParticipationFactory(assessment=exam, user=s)
    client.force_login(StaffFactory())
    url = reverse("assessment:pages_publish", args=[exam.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, YES).status_code == 302
    exam.refresh_from_db()
    assert exam.results_published_at is not None
    assert len(mailoutbox) == 3
    client.post(reverse("assessment:pages_withdraw", args=[exam.pk]), YES)
    exam.refresh_from_db()
    assert exam.results_published_at is None


def test_an_exam_cannot_be_published_per_tutorial(client, world):
    w = world
    exam = AssessmentFactory(kind="exam", lecture=w["lecture"])
    client.force_login(w["lecture"].teacher)
    url = reverse("assessment:pages_publish_tutorial", args=[exam.pk, w["tutorial"].pk])
    response = client.post(url, YES)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Exams and talks are published as a whole, not per tutorial."
    ]
    exam.refresh_from_db()
    assert exam.results_published_at is None and not TutorialPublication.objects.exists()


def test_a_tutorial_of_another_lecture_is_404(client, world):
    w = world
    client.force_login(StaffFactory())
    foreign = TutorialFactory()
    assert client.get(publish_url(w, foreign)).status_code == 404


def test_the_grading_table_offers_publication(client, world):
    w = world
    client.force_login(w["tutor"])
    url = reverse("assessment:grading_table", args=[w["assessment"].pk, w["tutorial"].pk])
    assert publish_url(w, w["tutorial"]) in client.get(url).content.decode()
    services.publish_results(assessment=w["assessment"], tutorial=w["tutorial"], by=w["tutor"])
    assert publish_url(w, w["tutorial"], "withdraw") in client.get(url).content.decode()


def test_the_results_mail_is_written_in_the_recipients_language(
    world, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """The mail goes through mampf.mail (the recipient's language), not the site default."""
    w = world
    monkeypatch.setattr("mampf.mail.recipient_language", lambda user: "de")
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_results(assessment=w["assessment"], tutorial=w["tutorial"], by=w["tutor"])
    assert len(mailoutbox) == 2
    assert all(m.body.startswith("Hallo") for m in mailoutbox)
