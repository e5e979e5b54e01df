"""Grading predicates in mampf.permissions: tutors their tutorials, managers the lecture."""

import pytest
from django.contrib.auth.models import AnonymousUser

from assessment.models import Submission, SubmissionMember
from mampf import permissions
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    assessment = AssessmentFactory()
    lecture = assessment.lecture
    tutor, other_tutor, editor = UserFactory.create_batch(3)
    lecture.editors.add(editor)
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor])
    other = TutorialFactory(lecture=lecture, tutors=[other_tutor])
    student, teammate, stranger = UserFactory.create_batch(3)
    RosterEntry.objects.create(registerable=tutorial, user=student)
    row = ParticipationFactory(assessment=assessment, user=student, tutorial=tutorial)
    submission = Submission.objects.create(assessment=assessment)
    for member in (student, teammate):
        SubmissionMember.objects.create(submission=submission, assessment=assessment, user=member)
    return locals()


def test_can_grade(world):
    w = world
    assert permissions.can_grade(w["tutor"], w["tutorial"])
    assert not permissions.can_grade(w["tutor"], w["other"])
    assert permissions.can_grade(w["editor"], w["other"])
    assert permissions.can_grade(w["lecture"].teacher, w["tutorial"])
    assert permissions.can_grade(StaffFactory(), w["tutorial"])
    assert not permissions.can_grade(w["student"], w["tutorial"])
    assert not permissions.can_grade(AnonymousUser(), w["tutorial"])
    other_teacher = TutorialFactory().lecture.teacher
    assert not permissions.can_grade(other_teacher, w["tutorial"])


def test_can_grade_participation_and_manage_assessment(world):
    w = world
    assert permissions.can_grade_participation(w["tutor"], w["row"])
    assert not permissions.can_grade_participation(w["other_tutor"], w["row"])
    assert not permissions.can_grade_participation(w["student"], w["row"])
    assert permissions.can_grade_participation(w["editor"], w["row"])
    assert permissions.can_manage_assessment(w["lecture"].teacher, w["assessment"])
    assert not permissions.can_manage_assessment(w["tutor"], w["assessment"])


def test_can_view_submission(world):
    w = world
    for allowed in ("student", "teammate", "tutor", "editor"):
        assert permissions.can_view_submission(w[allowed], w["submission"]), allowed
    for refused in ("stranger", "other_tutor"):
        assert not permissions.can_view_submission(w[refused], w["submission"]), refused
    assert not permissions.can_view_submission(AnonymousUser(), w["submission"])
