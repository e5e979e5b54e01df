"""Two team members uploading at once end with one submission and one file (PostgreSQL only).

The upload locks the team's submission row (``mampf.db.lock_rows``) before it reads which file
to replace. The race window is widened by a sleep right after that lock; the control switches
the row locks off (``settings.MAMPF_ROW_LOCKS = False``) and must see the lost update: both
uploads replace the same old file, so one new file is left orphaned on disk.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessment import submissions as subs
from assessment.models import Submission, SubmissionMember
from rosters.models import RosterEntry
from tests.factories import AssessmentFactory, TutorialFactory, UserFactory
from tests.registration.test_concurrency import run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\nstartxref\n0\n%%EOF\n"
RACE_WINDOW_SECONDS = 0.3


@pytest.fixture
def team(on_postgres, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(deadline=timezone.now() + datetime.timedelta(days=1))
    tutorial = TutorialFactory(lecture=assessment.lecture)
    alice, bob = UserFactory(), UserFactory()
    for student in (alice, bob):
        RosterEntry.objects.create(registerable=tutorial, user=student)
    shared = subs.upload_submission(
        assessment=assessment, user=alice, upload=SimpleUploadedFile("a.pdf", PDF)
    )
    SubmissionMember.objects.create(submission=shared, assessment=assessment, user=bob)
    real = subs._lock_submission

    def slow_lock(pk):
        row = real(pk)
        time.sleep(RACE_WINDOW_SECONDS)
        return row

    monkeypatch.setattr(subs, "_lock_submission", slow_lock)
    return assessment, alice, bob, settings.MEDIA_ROOT


def race(assessment, alice, bob):
    return run_concurrently(
        [
            lambda user=user, tag=tag: subs.upload_submission(
                assessment=assessment, user=user, upload=SimpleUploadedFile("x.pdf", PDF + tag)
            )
            for user, tag in ((alice, b"%a\n"), (bob, b"%b\n"))
        ]
    )


def test_two_members_uploading_at_once_leave_one_submission_and_one_file(team):
    assessment, alice, bob, media = team
    outcomes = race(assessment, alice, bob)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"]
    assert Submission.objects.filter(assessment=assessment).count() == 1
    stored = Submission.objects.get(assessment=assessment).file.name
    assert default_storage.open(stored).read() in (PDF + b"%a\n", PDF + b"%b\n")
    assert len(list(media.rglob("*.pdf"))) == 1


def test_control_without_row_locks_orphans_a_file(team, settings):
    settings.MAMPF_ROW_LOCKS = False
    assessment, alice, bob, media = team
    outcomes = race(assessment, alice, bob)
    assert [kind for kind, _value in outcomes] == ["ok", "ok"]
    assert Submission.objects.filter(assessment=assessment).count() == 1
    assert len(list(media.rglob("*.pdf"))) == 2  # the lost update: one upload is orphaned
