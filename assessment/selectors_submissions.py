"""Reads of the submissions area; query counts are fixed (stated per function)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from assessment.models import (
    Assessment,
    DeadlineExtension,
    Submission,
    SubmissionMember,
    TeamInvitation,
)
from assessment.selectors import tutorial_ids_of
from mampf.models import Tutorial
from mampf.selectors import is_valid_id
from rosters.models import RosterEntry


def assignment(*, assessment_id: int) -> Assessment:
    """An assignment with its lecture; ``Assessment.DoesNotExist`` otherwise. One query."""
    if not is_valid_id(assessment_id):
        raise Assessment.DoesNotExist
    return Assessment.objects.select_related("lecture").get(
        pk=assessment_id, kind=Assessment.Kind.ASSIGNMENT
    )


def _members_prefetch():
    return Prefetch(
        "memberships",
        queryset=SubmissionMember.objects.select_related("user").order_by("joined_at", "pk"),
    )


@dataclass
class StudentPage:
    assessment: Assessment
    tutorial: Tutorial
    deadline: object
    extended: bool
    closes_at: object
    open: bool
    late_now: bool
    submission: Submission | None
    members: list = field(default_factory=list)
    team_invitations: list = field(default_factory=list)
    my_invitations: list = field(default_factory=list)
    room: int = 0


def student_page(*, assessment: Assessment, user) -> StudentPage | None:
    """What the student's upload page shows; None when they are in no tutorial. Seven queries."""
    tutorial_id = tutorial_ids_of(lecture_id=assessment.lecture_id, user_ids=[user.pk]).get(user.pk)
    if tutorial_id is None:
        return None
    tutorial = Tutorial.objects.get(pk=tutorial_id)
    extension = (
        DeadlineExtension.objects.filter(assessment=assessment, user=user)
        .values_list("deadline", flat=True)
        .first()
    )
    extended = extension is not None and extension > assessment.deadline
    deadline = extension if extended else assessment.deadline
    closes_at = deadline + timedelta(minutes=assessment.grace_minutes)
    now = timezone.now()
    submission = (
        Submission.objects.filter(assessment=assessment, memberships__user=user)
        .prefetch_related(_members_prefetch())
        .first()
    )
    members = list(submission.memberships.all()) if submission else []
    team_invitations = (
        list(
            submission.invitations.filter(
                status=TeamInvitation.Status.PENDING, expires_at__gt=now
            ).select_related("invitee")
        )
        if submission
        else []
    )
    my_invitations = list(
        TeamInvitation.objects.filter(
            submission__assessment=assessment,
            invitee=user,
            status=TeamInvitation.Status.PENDING,
            expires_at__gt=now,
        )
        .exclude(submission=submission)
        .select_related("invited_by")
    )
    return StudentPage(
        assessment=assessment,
        tutorial=tutorial,
        deadline=deadline,
        extended=extended,
        closes_at=closes_at,
        open=now <= closes_at,
        late_now=now > deadline,
        submission=submission,
        members=members,
        team_invitations=team_invitations,
        my_invitations=my_invitations,
        room=max(0, assessment.max_team_size - len(members or [None]) - len(team_invitations)),
    )


def tutorial_submissions(*, assessment: Assessment, tutorial: Tutorial) -> list[Submission]:
    """The submissions with a member on the tutorial's roster, members prefetched. Two queries."""
    on_roster = RosterEntry.objects.filter(registerable_id=tutorial.pk).values("user_id")
    return list(
        Submission.objects.filter(assessment=assessment, memberships__user_id__in=on_roster)
        .distinct()
        .prefetch_related(_members_prefetch())
        .order_by("pk")
    )


def submission_for_download(*, submission_id: int) -> Submission:
    """A submission with its assessment and lecture; ``Submission.DoesNotExist`` otherwise."""
    if not is_valid_id(submission_id):
        raise Submission.DoesNotExist
    return Submission.objects.select_related("assessment__lecture").get(pk=submission_id)


def extensions_of(*, assessment: Assessment) -> list[DeadlineExtension]:
    """The personal deadlines of an assignment, with students. One query."""
    return list(
        DeadlineExtension.objects.filter(assessment=assessment)
        .select_related("user", "granted_by")
        .order_by("user__name", "user__email")
    )


def invitation(*, invitation_id: int) -> TeamInvitation:
    if not is_valid_id(invitation_id):
        raise TeamInvitation.DoesNotExist
    return TeamInvitation.objects.select_related("submission__assessment").get(pk=invitation_id)
