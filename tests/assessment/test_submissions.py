"""Submissions services: uploads, teams, extensions, corrections (issue 8 items 3 and 6)."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from assessment import errors as grading_errors
from assessment import services as grading
from assessment import submissions as subs
from assessment.models import (
    DeadlineExtension,
    Submission,
    SubmissionEvent,
    SubmissionMember,
    TeamInvitation,
)
from rosters.models import RosterEntry
from tests.factories import (
    AssessmentFactory,
    ParticipationFactory,
    StaffFactory,
    TaskFactory,
    TutorialFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"startxref\n0\n%%EOF\n"
)


def pdf(name="solution.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUBMISSION_MAX_BYTES = 10_000
    return settings.MEDIA_ROOT


@pytest.fixture
def world():
    now = timezone.now()
    assessment = AssessmentFactory(
        title="Sheet 1", deadline=now + datetime.timedelta(days=1), max_team_size=2
    )
    lecture = assessment.lecture
    tutor = UserFactory(name="Tutor T")
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor], title="Group A")
    other = TutorialFactory(lecture=lecture, title="Group B")
    alice, bob, carol, dave, eve = (
        UserFactory(name=n) for n in ("Alice A", "Bob B", "Carol C", "Dave D", "Eve E")
    )
    for student in (alice, bob, carol):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    RosterEntry.objects.create(registerable=other, user=dave)
    return locals()


def files_in(media):
    return sorted(p.name for p in media.rglob("*.pdf")) if media.exists() else []


def team(w, *members):
    submission = Submission.objects.create(assessment=w["assessment"], join_code="ABCD2345")
    for member in members:
        SubmissionMember.objects.create(
            submission=submission, assessment=w["assessment"], user=member
        )
    return submission


# -- the file check ---------------------------------------------------------------------------


def test_upload_stores_a_pdf_and_audits(world, media):
    submission = subs.upload_submission(
        assessment=world["assessment"], user=world["alice"], upload=pdf()
    )
    submission.refresh_from_db()
    assert submission.uploaded_at and not submission.late
    assert list(submission.memberships.values_list("user", flat=True)) == [world["alice"].pk]
    assert default_storage.open(submission.file.name).read() == PDF
    assert len(files_in(media)) == 1
    assert SubmissionEvent.objects.filter(action="upload", by=world["alice"]).count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"PK\x03\x04 this is a zip renamed to pdf" * 10, "not a PDF"),
        (b"%PDF-1.4\n1 0 obj\n<<>>\n", "damaged"),
        (b"%PDF-1.4\n" + b"x" * 20_000 + b"startxref\n0\n%%EOF", "larger than"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(world, media, data, message):
    with pytest.raises(subs.InvalidFile, match=message):
        subs.upload_submission(
            assessment=world["assessment"], user=world["alice"], upload=pdf(data=data)
        )
    assert not Submission.objects.exists()
    assert files_in(media) == []


def test_upload_after_deadline_and_grace_is_refused(world, media):
    a = world["assessment"]
    a.deadline = timezone.now() - datetime.timedelta(hours=1)
    a.grace_minutes = 30
    a.save()
    with pytest.raises(subs.UploadClosed):
        subs.upload_submission(assessment=a, user=world["alice"], upload=pdf())
    assert not Submission.objects.exists() and files_in(media) == []


def test_upload_in_grace_period_is_marked_late(world):
    a = world["assessment"]
    a.deadline = timezone.now() - datetime.timedelta(minutes=5)
    a.grace_minutes = 30
    a.save()
    submission = subs.upload_submission(assessment=a, user=world["alice"], upload=pdf())
    assert submission.late is True


def test_student_outside_every_tutorial_cannot_upload(world):
    with pytest.raises(subs.NotSubmitting):
        subs.upload_submission(assessment=world["assessment"], user=world["eve"], upload=pdf())
    assert not Submission.objects.exists()


def test_replacing_deletes_the_old_file(world, media):
    first = subs.upload_submission(
        assessment=world["assessment"], user=world["alice"], upload=pdf()
    )
    old = first.file.name
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = subs.upload_submission(
            assessment=world["assessment"], user=world["alice"], upload=pdf(data=PDF + b"\n")
        )
    assert second.pk == first.pk
    assert not default_storage.exists(old)
    assert len(files_in(media)) == 1


# -- teams ------------------------------------------------------------------------------------


def test_team_member_upload_replaces_the_team_file(world):
    shared = team(world, world["alice"], world["bob"])
    subs.upload_submission(assessment=world["assessment"], user=world["alice"], upload=pdf())
    subs.upload_submission(
        assessment=world["assessment"], user=world["bob"], upload=pdf(data=PDF + b" ")
    )
    assert Submission.objects.count() == 1
    shared.refresh_from_db()
    assert default_storage.open(shared.file.name).read() == PDF + b" "


def test_invite_and_accept(world):
    a, alice, bob = world["assessment"], world["alice"], world["bob"]
    invitation = subs.invite(assessment=a, inviter=alice, identifier=bob.matriculation_number)
    submission = subs.accept_invitation(invitation=invitation, user=bob)
    assert set(submission.memberships.values_list("user", flat=True)) == {alice.pk, bob.pk}
    invitation.refresh_from_db()
    assert invitation.status == "accepted"


def test_invitation_mails_the_invitee(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subs.invite(
            assessment=world["assessment"],
            inviter=world["alice"],
            identifier=world["bob"].matriculation_number,
        )
    assert [m.to for m in mailoutbox] == [[world["bob"].email]]
    assert "Alice A" in mailoutbox[0].body


def test_invite_by_email(world):
    inv = subs.invite(
        assessment=world["assessment"],
        inviter=world["alice"],
        identifier=world["bob"].email.upper(),
    )
    assert inv.invitee == world["bob"]


def test_invite_yourself_is_refused(world):
    with pytest.raises(subs.TeamRefused, match="yourself"):
        subs.invite(
            assessment=world["assessment"],
            inviter=world["alice"],
            identifier=world["alice"].matriculation_number,
        )
    assert not TeamInvitation.objects.exists()


def test_invite_student_of_another_tutorial_is_refused(world):
    with pytest.raises(subs.TeamRefused, match="same tutorial"):
        subs.invite(
            assessment=world["assessment"],
            inviter=world["alice"],
            identifier=world["dave"].matriculation_number,
        )
    assert not TeamInvitation.objects.exists()


def test_team_beyond_max_size_is_refused(world):
    a = world["assessment"]
    team(world, world["alice"], world["bob"])
    with pytest.raises(subs.TeamRefused, match="at most 2"):
        subs.invite(assessment=a, inviter=world["alice"], identifier=world["carol"].email)
    assert not TeamInvitation.objects.exists()


def test_join_code_beyond_max_size_is_refused(world):
    a = world["assessment"]
    full = team(world, world["alice"], world["bob"])
    with pytest.raises(subs.TeamRefused, match="at most 2"):
        subs.join_with_code(assessment=a, user=world["carol"], code=full.join_code)
    assert full.memberships.count() == 2


def test_join_code_from_another_tutorial_is_refused(world):
    mine = team(world, world["alice"])
    with pytest.raises(subs.TeamRefused, match="same tutorial"):
        subs.join_with_code(assessment=world["assessment"], user=world["dave"], code=mine.join_code)
    assert mine.memberships.count() == 1


def test_join_code_works_and_replaces_an_empty_own_submission(world):
    mine = team(world, world["alice"])
    own = Submission.objects.create(assessment=world["assessment"])
    SubmissionMember.objects.create(
        submission=own, assessment=world["assessment"], user=world["bob"]
    )
    subs.join_with_code(
        assessment=world["assessment"], user=world["bob"], code=mine.join_code.lower()
    )
    assert not Submission.objects.filter(pk=own.pk).exists()
    assert mine.memberships.count() == 2


def test_joining_with_an_uploaded_own_file_is_refused(world):
    mine = team(world, world["alice"])
    subs.upload_submission(assessment=world["assessment"], user=world["bob"], upload=pdf())
    with pytest.raises(subs.TeamRefused, match="leave it"):
        subs.join_with_code(assessment=world["assessment"], user=world["bob"], code=mine.join_code)
    assert mine.memberships.count() == 1
    assert Submission.objects.count() == 2


@pytest.mark.parametrize("state", ["withdrawn", "declined", "expired"])
def test_accepting_a_closed_invitation_is_refused(world, state):
    a, alice, bob = world["assessment"], world["alice"], world["bob"]
    invitation = subs.invite(assessment=a, inviter=alice, identifier=bob.email)
    if state == "withdrawn":
        subs.answer_invitation(invitation=invitation, user=alice, decline=False)
    elif state == "declined":
        subs.answer_invitation(invitation=invitation, user=bob, decline=True)
    else:
        TeamInvitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
    with pytest.raises(subs.TeamRefused):
        subs.accept_invitation(invitation=invitation, user=bob)
    assert not SubmissionMember.objects.filter(user=bob).exists()


def test_only_the_invitee_accepts(world):
    invitation = subs.invite(
        assessment=world["assessment"], inviter=world["alice"], identifier=world["bob"].email
    )
    with pytest.raises(subs.TeamRefused):
        subs.accept_invitation(invitation=invitation, user=world["carol"])
    assert not SubmissionMember.objects.filter(user=world["carol"]).exists()


def test_leave_team_keeps_the_file_with_the_others(world):
    shared = team(world, world["alice"], world["bob"])
    subs.upload_submission(assessment=world["assessment"], user=world["alice"], upload=pdf())
    subs.leave_team(assessment=world["assessment"], user=world["bob"])
    shared.refresh_from_db()
    assert list(shared.memberships.values_list("user", flat=True)) == [world["alice"].pk]
    assert shared.file
    with pytest.raises(subs.TeamRefused):
        subs.leave_team(assessment=world["assessment"], user=world["alice"])


def test_team_changes_after_the_deadline_are_refused(world):
    a = world["assessment"]
    shared = team(world, world["alice"], world["bob"])
    a.deadline = timezone.now() - datetime.timedelta(days=1)
    a.save()
    with pytest.raises(subs.UploadClosed):
        subs.leave_team(assessment=a, user=world["bob"])
    assert shared.memberships.count() == 2


# -- extensions -------------------------------------------------------------------------------


def test_extension_lets_the_student_upload_after_the_deadline(world):
    a = world["assessment"]
    a.deadline = timezone.now() - datetime.timedelta(hours=2)
    a.grace_minutes = 0
    a.save()
    staff = StaffFactory()
    subs.grant_extension(
        assessment=a,
        user=world["alice"],
        deadline=timezone.now() + datetime.timedelta(hours=1),
        by=staff,
    )
    submission = subs.upload_submission(assessment=a, user=world["alice"], upload=pdf())
    assert submission.late is False
    with pytest.raises(subs.UploadClosed):
        subs.upload_submission(assessment=a, user=world["bob"], upload=pdf())
    assert SubmissionEvent.objects.filter(action="extension", by=staff).count() == 1


def test_extension_for_a_team_covers_every_member(world):
    team(world, world["alice"], world["bob"])
    later = world["assessment"].deadline + datetime.timedelta(days=3)
    rows = subs.grant_extension(
        assessment=world["assessment"], user=world["bob"], deadline=later, by=StaffFactory()
    )
    assert {r.user_id for r in rows} == {world["alice"].pk, world["bob"].pk}


def test_extension_before_the_deadline_is_refused(world):
    with pytest.raises(subs.SubmissionError):
        subs.grant_extension(
            assessment=world["assessment"],
            user=world["alice"],
            deadline=world["assessment"].deadline - datetime.timedelta(hours=1),
            by=StaffFactory(),
        )
    assert not DeadlineExtension.objects.exists()


def test_grading_waits_for_a_personal_deadline(world):
    """assessment.services._require_grading_open considers extensions (named edit)."""
    a = world["assessment"]
    a.deadline = timezone.now() - datetime.timedelta(days=1)
    a.save()
    task = TaskFactory(assessment=a, max_points=Decimal("10"))
    late_row = ParticipationFactory(assessment=a, user=world["alice"], tutorial=world["tutorial"])
    on_time = ParticipationFactory(assessment=a, user=world["bob"], tutorial=world["tutorial"])
    DeadlineExtension.objects.create(
        assessment=a, user=world["alice"], deadline=timezone.now() + datetime.timedelta(days=1)
    )
    with pytest.raises(grading_errors.GradingNotOpen):
        grading.enter_points(participation=late_row, points={task: "5"}, by=world["tutor"])
    grading.enter_points(participation=on_time, points={task: "5"}, by=world["tutor"])
    late_row.refresh_from_db()
    assert late_row.points_total == 0
    shared = team(world, world["alice"], world["bob"])
    with pytest.raises(grading_errors.GradingNotOpen):
        grading.grade_submission(submission=shared, points={task: "5"}, by=world["tutor"])


# -- corrections ------------------------------------------------------------------------------


def name_for(submission, w):
    numbers = [m.user.matriculation_number for m in submission.memberships.all()]
    return subs.download_name(
        submission, tutorial_title=w["tutorial"].title, matriculation_numbers=numbers
    )


def test_download_name_round_trips(world):
    shared = team(world, world["alice"], world["bob"])
    name = name_for(shared, world)
    assert name.startswith("sheet-1_group-a_") and name.endswith(".pdf")
    assert subs.submission_id_from_name(name) == shared.pk
    assert subs.submission_id_from_name("folder/" + name) == shared.pk
    assert subs.submission_id_from_name("random.pdf") is None


def zip_of(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return SimpleUploadedFile("corrections.zip", buffer.getvalue(), content_type="application/zip")


def test_corrections_from_a_zip_are_all_applied(world):
    one = team(world, world["alice"])
    two = Submission.objects.create(assessment=world["assessment"])
    SubmissionMember.objects.create(
        submission=two, assessment=world["assessment"], user=world["bob"]
    )
    files = subs.expand_uploads(
        [zip_of([(name_for(one, world), PDF), (name_for(two, world), PDF)])]
    )
    report = subs.return_corrections(
        assessment=world["assessment"],
        submission_ids={one.pk, two.pk},
        files=files,
        by=world["tutor"],
    )
    assert report.applied and not report.unmatched
    for s in (one, two):
        s.refresh_from_db()
        assert default_storage.open(s.correction.name).read() == PDF


def test_one_bad_correction_applies_nothing(world, media):
    one = team(world, world["alice"])
    files = subs.expand_uploads(
        [pdf(name_for(one, world)), pdf("unknown.pdf"), pdf("x_y_999999_z.pdf")]
    )
    report = subs.return_corrections(
        assessment=world["assessment"], submission_ids={one.pk}, files=files, by=world["tutor"]
    )
    assert not report.applied
    assert [n for n, _pk in report.matched] == [name_for(one, world)]
    assert {n for n, _why in report.unmatched} == {"unknown.pdf", "x_y_999999_z.pdf"}
    one.refresh_from_db()
    assert not one.correction
    assert files_in(media) == []


def test_a_non_pdf_correction_applies_nothing(world):
    one = team(world, world["alice"])
    files = subs.expand_uploads([pdf(name_for(one, world), data=b"GIF89a not a pdf")])
    report = subs.return_corrections(
        assessment=world["assessment"], submission_ids={one.pk}, files=files, by=world["tutor"]
    )
    assert not report.applied and report.unmatched
    one.refresh_from_db()
    assert not one.correction


def test_a_broken_zip_is_refused():
    with pytest.raises(subs.InvalidFile):
        subs.expand_uploads([SimpleUploadedFile("c.zip", b"PK\x03\x04 garbage")])
