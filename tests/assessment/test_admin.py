"""Assessment admin: every page opens; tasks and status marks go through the services."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from assessment import services
from assessment.models import (
    AchievementValue,
    DeadlineExtension,
    GradeChange,
    Participation,
    Submission,
    SubmissionEvent,
    SubmissionMember,
    Task,
    TaskPoint,
    TeamInvitation,
    TutorialPublication,
)
from tests.factories import (
    AchievementFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def graded():
    task = TaskFactory()
    assessment = task.assessment
    row = ParticipationFactory(assessment=assessment)
    services.enter_points(participation=row, points={task: Decimal("3")}, by=None)
    submission = Submission.objects.create(assessment=assessment)
    SubmissionMember.objects.create(submission=submission, assessment=assessment, user=row.user)
    achievement = AchievementFactory(lecture=assessment.lecture)
    tutorial = TutorialFactory(lecture=assessment.lecture)
    return {
        "assessment": assessment,
        "task": task,
        "participation": row,
        "taskpoint": TaskPoint.objects.get(participation=row),
        "submission": submission,
        "achievement": achievement,
        "achievementvalue": AchievementValue.objects.create(
            achievement=achievement, user=row.user, passed=True
        ),
        "tutorialpublication": TutorialPublication.objects.create(
            assessment=assessment, tutorial=tutorial
        ),
        "gradechange": GradeChange.objects.filter(participation=row).first(),
        "teaminvitation": TeamInvitation.objects.create(
            submission=submission, invitee=UserFactory(), invited_by=row.user,
            expires_at=assessment.deadline,
        ),
        "deadlineextension": DeadlineExtension.objects.create(
            assessment=assessment, user=row.user, deadline=assessment.deadline, reason="ill"
        ),
        "submissionevent": SubmissionEvent.objects.create(
            assessment=assessment, submission_ref=submission.pk, user=row.user,
            action=SubmissionEvent.Action.choices[0][0], by=row.user,
        ),
    }


MODELS = [
    "assessment",
    "task",
    "participation",
    "taskpoint",
    "submission",
    "achievement",
    "achievementvalue",
    "tutorialpublication",
    "gradechange",
    "teaminvitation",
    "deadlineextension",
    "submissionevent",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_list_and_detail_page_opens(admin_client, graded, model):
    obj = graded[model]
    assert admin_client.get(reverse(f"admin:assessment_{model}_changelist")).status_code == 200
    assert (
        admin_client.get(reverse(f"admin:assessment_{model}_change", args=[obj.pk])).status_code
        == 200
    )


def test_the_audit_and_grading_rows_cannot_be_edited_in_the_admin(admin_client, graded):
    row = graded["participation"]
    response = admin_client.post(
        reverse("admin:assessment_participation_change", args=[row.pk]),
        {"points_total": "99"},
    )
    assert response.status_code == 403
    assert Participation.objects.get(pk=row.pk).points_total == Decimal("3")
    assert admin_client.get(reverse("admin:assessment_gradechange_add")).status_code == 403


def test_adding_a_task_in_the_admin_reopens_reviewed_rows(admin_client, graded):
    assessment, row = graded["assessment"], graded["participation"]
    assert Participation.objects.get(pk=row.pk).status == "reviewed"
    response = admin_client.post(
        reverse("admin:assessment_task_add"),
        {"assessment": assessment.pk, "position": 7, "title": "Bonus", "max_points": "4.5"},
    )
    assert response.status_code == 302
    assert Task.objects.filter(assessment=assessment, position=7).exists()
    assert Participation.objects.get(pk=row.pk).status == "pending"
    assert GradeChange.objects.filter(participation=row, new="pending").exists()


def test_deleting_a_task_with_points_in_the_admin_is_refused(admin_client, graded):
    task = graded["task"]
    response = admin_client.post(
        reverse("admin:assessment_task_delete", args=[task.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200  # Django's "protected objects" page (points exist)
    assert Task.objects.filter(pk=task.pk).exists()
    # The bulk action goes through delete_task, which refuses with a message.
    response = admin_client.post(
        reverse("admin:assessment_task_changelist"),
        {"action": "delete_selected", "_selected_action": [task.pk], "post": "yes"},
        follow=True,
    )
    assert Task.objects.filter(pk=task.pk).exists()


def test_status_actions_go_through_the_services(admin_client, graded):
    reviewed = graded["participation"]
    pending = ParticipationFactory(assessment=graded["assessment"], user=UserFactory())
    response = admin_client.post(
        reverse("admin:assessment_participation_changelist"),
        {"action": "mark_absent", "_selected_action": [reviewed.pk, pending.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Participation.objects.get(pk=pending.pk).status == "absent"
    assert Participation.objects.get(pk=reviewed.pk).status == "reviewed"
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("reviewed" in text for text in texts), texts


def test_publish_action(admin_client, graded):
    assessment = graded["assessment"]
    admin_client.post(
        reverse("admin:assessment_assessment_changelist"),
        {"action": "publish", "_selected_action": [assessment.pk]},
    )
    assessment.refresh_from_db()
    assert assessment.results_published_at is not None
    assert GradeChange.objects.filter(assessment=assessment, field="publication").exists()


def test_deleting_a_task_without_points_in_the_admin_is_audited(admin_client, graded):
    spare = TaskFactory(assessment=graded["assessment"])
    admin_client.post(reverse("admin:assessment_task_delete", args=[spare.pk]), {"post": "yes"})
    assert not Task.objects.filter(pk=spare.pk).exists()
    assert GradeChange.objects.filter(
        assessment=graded["assessment"], reason="task deleted"
    ).exists()
