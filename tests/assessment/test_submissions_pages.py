"""Submission pages: the student page, downloads and their refusals, tutors' ZIP and corrections,
the staff's personal deadlines."""

import datetime
import io
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment import submissions as subs
from assessment.models import DeadlineExtension, Submission, SubmissionMember, TeamInvitation
from rosters.models import RosterEntry
from tests.factories import AssessmentFactory, StaffFactory, TutorialFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    b"startxref\n0\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUBMISSION_MAX_BYTES = 10_000


@pytest.fixture
def world():
    assessment = AssessmentFactory(
        title="Sheet 1", deadline=timezone.now() + datetime.timedelta(days=1), max_team_size=2
    )
    lecture = assessment.lecture
    tutor, other_tutor = UserFactory(name="Tutor T"), UserFactory(name="Tutor U")
    tutorial = TutorialFactory(lecture=lecture, tutors=[tutor], title="Group A")
    other = TutorialFactory(lecture=lecture, tutors=[other_tutor], title="Group B")
    alice, bob, carol, dave = (
        UserFactory(name=n) for n in ("Alice A", "Bob B", "Carol C", "Dave D")
    )
    for student in (alice, bob, carol):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    RosterEntry.objects.create(registerable=other, user=dave)
    shared = subs.upload_submission(
        assessment=assessment, user=alice, upload=SimpleUploadedFile("a.pdf", PDF)
    )
    SubmissionMember.objects.create(submission=shared, assessment=assessment, user=bob)
    return locals()


def student_url(w):
    return reverse("assessment:submissions_student", args=[w["assessment"].pk])


def msgs(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- student page -------------------------------------------------------------------------------


def test_student_page_shows_deadline_file_team_and_code(client, world):
    client.force_login(world["alice"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(student_url(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Bob B" in body and "Download the uploaded PDF" in body
    assert len(queries) <= 20


def test_student_page_is_404_outside_the_tutorials(client, world):
    client.force_login(UserFactory())
    assert client.get(student_url(world)).status_code == 404
    client.force_login(world["alice"])
    assert client.get(reverse("assessment:submissions_student", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(student_url(world))
    assert response.status_code == 302 and "login" in response["Location"]


def test_upload_through_the_page_replaces_the_team_file(client, world):
    client.force_login(world["bob"])
    response = client.post(
        reverse("assessment:submissions_upload", args=[world["assessment"].pk]),
        {"file": SimpleUploadedFile("b.pdf", PDF + b"%bob\n")},
    )
    assert response.status_code == 302
    assert Submission.objects.count() == 1
    shared = Submission.objects.get()
    assert default_storage.open(shared.file.name).read() == PDF + b"%bob\n"


@pytest.mark.parametrize(
    "data", [b"GIF89a renamed", b"%PDF-1.4\n" + b"x" * 20_000 + b"startxref\n%%EOF"]
)
def test_bad_upload_through_the_page_shows_a_message_and_changes_nothing(client, world, data):
    before = Submission.objects.get().file.name
    client.force_login(world["carol"])
    response = client.post(
        reverse("assessment:submissions_upload", args=[world["assessment"].pk]),
        {"file": SimpleUploadedFile("fake.pdf", data)},
        follow=True,
    )
    assert response.status_code == 200
    assert any("nothing was changed" in m for m in msgs(response))
    assert Submission.objects.count() == 1 and Submission.objects.get().file.name == before


def test_invite_page_flow_and_refusal_of_other_tutorial(client, world):
    client.force_login(world["carol"])
    url = reverse("assessment:submissions_invite", args=[world["assessment"].pk])
    response = client.post(url, {"identifier": world["dave"].email}, follow=True)
    assert any("same tutorial" in m for m in msgs(response))
    assert not TeamInvitation.objects.exists()


def test_invitation_actions_of_strangers_are_404(client, world):
    carol_sub = Submission.objects.create(assessment=world["assessment"], join_code="CODE2345")
    SubmissionMember.objects.create(
        submission=carol_sub, assessment=world["assessment"], user=world["carol"]
    )
    invitation = TeamInvitation.objects.create(
        submission=carol_sub,
        invitee=world["dave"],
        invited_by=world["carol"],
        expires_at=timezone.now() + datetime.timedelta(days=1),
    )
    client.force_login(world["alice"])
    for action in ("accept", "decline", "withdraw"):
        url = reverse("assessment:submissions_invitation", args=[invitation.pk, action])
        assert client.post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


# -- downloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("alice", 200),
        ("bob", 200),
        ("tutor", 200),
        ("carol", 404),
        ("dave", 404),
        ("other_tutor", 404),
    ],
)
def test_download_access(client, world, who, status):
    client.force_login(world[who])
    response = client.get(reverse("assessment:submissions_download", args=[world["shared"].pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF
        assert "sheet-1_group-a_" in response["Content-Disposition"]


def test_download_of_unknown_ids_is_404(client, world):
    client.force_login(world["alice"])
    for pk in (999999, 2**63):
        url = f"/submissions/{pk}/file/"
        assert client.get(url).status_code == 404


def test_lecture_staff_may_download(client, world):
    client.force_login(StaffFactory(is_superuser=True))
    url = reverse("assessment:submissions_download", args=[world["shared"].pk])
    assert client.get(url).status_code == 200


# -- tutors -----------------------------------------------------------------------------------


def tutorial_url(w, name="submissions_tutorial", tutorial=None):
    return reverse(f"assessment:{name}", args=[w["assessment"].pk, (tutorial or w["tutorial"]).pk])


@pytest.mark.parametrize("who", ["alice", "other_tutor"])
def test_tutor_pages_refuse_students_and_other_tutors(client, world, who):
    client.force_login(world[who])
    assert client.get(tutorial_url(world)).status_code == 403
    assert client.get(tutorial_url(world, "submissions_zip")).status_code == 403


def test_zip_holds_the_tutorial_files_with_pattern_names(client, world):
    client.force_login(world["tutor"])
    response = client.get(tutorial_url(world, "submissions_zip"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    shared = world["shared"]
    numbers = f"{world['alice'].matriculation_number}-{world['bob'].matriculation_number}"
    assert archive.namelist() == [f"sheet-1_group-a_{shared.pk}_{numbers}.pdf"]
    assert archive.read(archive.namelist()[0]) == PDF


def test_returning_corrections_through_the_page(client, world):
    client.force_login(world["tutor"])
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(client.get(tutorial_url(world, "submissions_zip")).streaming_content))
    )
    name = archive.namelist()[0]
    response = client.post(
        tutorial_url(world), {"files": [SimpleUploadedFile(name, PDF + b"%c\n")]}
    )
    assert response.status_code == 302
    shared = Submission.objects.get()
    assert default_storage.open(shared.correction.name).read() == PDF + b"%c\n"
    client.force_login(world["bob"])
    response = client.get(reverse("assessment:submissions_correction", args=[shared.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF + b"%c\n"
    client.force_login(world["carol"])
    assert (
        client.get(reverse("assessment:submissions_correction", args=[shared.pk])).status_code
        == 404
    )


def test_unmatched_corrections_are_listed_and_nothing_is_stored(client, world):
    client.force_login(world["tutor"])
    response = client.post(
        tutorial_url(world),
        {
            "files": [
                SimpleUploadedFile(f"s_g_{world['shared'].pk}_x.pdf", PDF),
                SimpleUploadedFile("mystery.pdf", PDF),
            ]
        },
    )
    assert response.status_code == 422
    assert "mystery.pdf" in response.content.decode()
    assert not Submission.objects.get().correction


def test_a_tutor_cannot_correct_another_tutorials_submission(client, world):
    client.force_login(world["other_tutor"])
    response = client.post(
        tutorial_url(world, tutorial=world["other"]),
        {"files": [SimpleUploadedFile(f"s_g_{world['shared'].pk}_x.pdf", PDF)]},
    )
    assert response.status_code == 422
    assert not Submission.objects.get().correction


# -- staff: extensions ------------------------------------------------------------------------


def ext_url(w):
    return reverse("assessment:submissions_extensions", args=[w["assessment"].pk])


@pytest.mark.parametrize("who", ["alice", "tutor"])
def test_extensions_page_refuses_students_and_tutors(client, world, who):
    client.force_login(world[who])
    assert client.get(ext_url(world)).status_code == 403
    later = (world["assessment"].deadline + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(ext_url(world), {"student": world["alice"].email, "deadline": later})
    assert response.status_code == 403
    assert not DeadlineExtension.objects.exists()


def test_staff_grants_a_team_extension_shown_to_the_student(client, world):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    later = timezone.localtime(world["assessment"].deadline + datetime.timedelta(days=2))
    response = client.post(
        ext_url(world),
        {
            "student": world["bob"].matriculation_number,
            "deadline": later.strftime("%Y-%m-%dT%H:%M"),
            "whole_team": "on",
        },
    )
    assert response.status_code == 302
    assert set(DeadlineExtension.objects.values_list("user", flat=True)) == {
        world["alice"].pk,
        world["bob"].pk,
    }
    client.force_login(world["alice"])
    assert "Your personal deadline" in client.get(student_url(world)).content.decode()


def test_bad_extension_input_is_refused_clearly(client, world):
    client.force_login(StaffFactory(is_superuser=True))
    earlier = timezone.localtime(world["assessment"].deadline - datetime.timedelta(days=2))
    response = client.post(
        ext_url(world),
        {"student": world["alice"].email, "deadline": earlier.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 422 and "later than" in response.content.decode()
    response = client.post(ext_url(world), {"student": "nobody@example.org", "deadline": "garbage"})
    assert response.status_code == 422
    assert not DeadlineExtension.objects.exists()
