"""Writes of the submissions area (issue 8 items 3 and 6): uploads, teams, corrections, extensions.

Rules:
- a student uploads one PDF per assignment; a team (the members of one ``Submission``) shares
  it, so a member's upload replaces the team's file; the database holds one submission per
  student and assignment (``SubmissionMember`` unique per (assessment, user));
- uploads are accepted until the student's personal deadline (an extension, or the
  assignment's deadline) plus the grace period; after the deadline they are marked late;
- a file is a real PDF (``%PDF-`` magic bytes, a trailer with ``startxref`` and ``%%EOF``) of at
  most ``settings.SUBMISSION_MAX_BYTES``; files are stored under ``MEDIA_ROOT`` with a random
  name and only served by the checked download views;
- team members are students of the same tutorial of the lecture, at most ``max_team_size``;
  a member invites (by matriculation number or e-mail) and the invitee accepts, or a student
  joins with the team's join code;
- corrections are returned in bulk, matched by the submission id in the file name the ZIP
  download gave; any unmatched or invalid file refuses the whole upload (nothing half-applied);
- lock order: the submission row (``FOR UPDATE``, ``mampf.db.lock_rows``) before its members;
- every change writes a ``SubmissionEvent`` row naming the actor.
"""

from __future__ import annotations

import re
import secrets
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from assessment.errors import AssessmentError, Busy
from assessment.hooks import assignment_changed
from assessment.models import (
    Assessment,
    DeadlineExtension,
    Submission,
    SubmissionEvent,
    SubmissionMember,
    TeamInvitation,
)
from assessment.selectors import tutorial_ids_of
from mampf.db import actor_or_none, lock_rows, translate_db_errors
from mampf.tasks import notify_users

Action = SubmissionEvent.Action
MAX_ZIP_ENTRIES = 500
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# -- refusals ---------------------------------------------------------------------------------


class SubmissionError(AssessmentError):
    code = "submission_error"
    default_message = gettext_lazy("The submission could not be changed.")


class InvalidFile(SubmissionError):
    code = "invalid_file"
    default_message = gettext_lazy("This file is not a readable PDF.")


class UploadClosed(SubmissionError):
    code = "upload_closed"
    default_message = gettext_lazy("The deadline and the grace period are over.")


class TeamRefused(SubmissionError):
    code = "team_refused"
    default_message = gettext_lazy("The team could not be changed.")


class NotSubmitting(SubmissionError):
    code = "not_submitting"
    default_message = gettext_lazy("Only members of a tutorial of this lecture hand in here.")


# -- reading the rules --------------------------------------------------------------------------


def personal_deadline(assessment: Assessment, user_id: int):
    """The student's hand-in deadline: their extension if later, else the assignment's."""
    extension = (
        DeadlineExtension.objects.filter(assessment=assessment, user_id=user_id)
        .values_list("deadline", flat=True)
        .first()
    )
    if extension is not None and (assessment.deadline is None or extension > assessment.deadline):
        return extension
    return assessment.deadline


def _hand_in_state(assessment: Assessment, user_id: int, *, now=None) -> bool:
    """Whether an upload now is late; ``UploadClosed`` after deadline + grace."""
    if assessment.kind != Assessment.Kind.ASSIGNMENT or assessment.deadline is None:
        raise NotSubmitting(_("Only assignments take uploads."))
    now = now or timezone.now()
    deadline = personal_deadline(assessment, user_id)
    closes = deadline + timedelta(minutes=assessment.grace_minutes)
    if now > closes:
        raise UploadClosed(
            _("The deadline and the grace period ended on %(when)s; nothing was changed.")
            % {"when": timezone.localtime(closes).strftime("%d.%m.%Y %H:%M")}
        )
    return now > deadline


def _tutorial_of(assessment: Assessment, user_id: int) -> int:
    tutorial_id = tutorial_ids_of(lecture_id=assessment.lecture_id, user_ids=[user_id]).get(user_id)
    if tutorial_id is None:
        raise NotSubmitting()
    return tutorial_id


def _too_large() -> InvalidFile:
    limit = settings.SUBMISSION_MAX_BYTES
    return InvalidFile(
        _("The file is larger than %(mb)s MB; nothing was changed.")
        % {"mb": f"{limit / (1024 * 1024):.1f}".rstrip("0").rstrip(".")}
    )


def check_pdf(data: bytes) -> bytes:
    """Refuse anything over the size limit or not a PDF (a renamed file, a truncated one)."""
    if len(data) > settings.SUBMISSION_MAX_BYTES:
        raise _too_large()
    if not data.startswith(b"%PDF-") or not re.match(rb"%PDF-\d\.\d", data[:8]):
        raise InvalidFile(_("This file is not a PDF; nothing was changed."))
    tail = data[-2048:]
    if b"%%EOF" not in tail or b"startxref" not in data[-4096:] or b"obj" not in data:
        raise InvalidFile(_("This PDF is damaged or incomplete; nothing was changed."))
    return data


def _read_upload(upload) -> bytes:
    """The bytes of an uploaded file, reading at most one byte beyond the limit."""
    limit = settings.SUBMISSION_MAX_BYTES
    if getattr(upload, "size", 0) and upload.size > limit:
        raise _too_large()
    upload.seek(0)
    return check_pdf(upload.read(limit + 1))


def _store(folder: str, assessment_id: int, data: bytes) -> str:
    name = f"{folder}/{assessment_id}/{uuid.uuid4().hex}.pdf"
    return default_storage.save(name, ContentFile(data))


def _discard(name: str) -> None:
    if name:
        default_storage.delete(name)


def _event(*, assessment_id, submission_id, user, action, by, detail="") -> SubmissionEvent:
    return SubmissionEvent(
        assessment_id=assessment_id,
        submission_ref=submission_id,
        user=actor_or_none(user),
        action=action,
        detail=detail[:300],
        by=actor_or_none(by),
    )


def _new_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _i in range(8))


def _membership(assessment: Assessment, user_id: int) -> SubmissionMember | None:
    return (
        SubmissionMember.objects.filter(assessment=assessment, user_id=user_id)
        .select_related("submission")
        .first()
    )


def _lock_submission(pk: int) -> Submission:
    rows = lock_rows(Submission, [pk])
    if not rows:
        raise SubmissionError(_("This submission no longer exists."))
    return rows[0]


def _create_submission(assessment: Assessment, user_id: int) -> Submission:
    """A new (still empty) submission with the user as its only member."""
    submission = Submission.objects.create(assessment=assessment, join_code=_new_code())
    try:
        with transaction.atomic():
            SubmissionMember.objects.create(
                submission=submission, assessment=assessment, user_id=user_id
            )
    except IntegrityError:
        raise Busy(
            _("Another change to your submission was saved at the same moment; try again.")
        ) from None
    return submission


# -- upload -----------------------------------------------------------------------------------


@translate_db_errors(error=Busy)
def upload_submission(*, assessment: Assessment, user, upload, by=None) -> Submission:
    """Store the student's PDF as their (team's) submission, replacing an earlier file.

    Refuses ``InvalidFile`` (size, not a PDF), ``NotSubmitting`` (not in a tutorial, not an
    assignment), ``UploadClosed`` (after the personal deadline + grace). Nothing changes on a
    refusal; the replaced file is deleted after the commit.
    """
    data = _read_upload(upload)
    _tutorial_of(assessment, user.pk)
    late = _hand_in_state(assessment, user.pk)
    name = _store("submissions", assessment.pk, data)
    try:
        with transaction.atomic():
            membership = _membership(assessment, user.pk)
            if membership is None:
                submission = _create_submission(assessment, user.pk)
            else:
                submission = _lock_submission(membership.submission_id)
            old = submission.file.name
            submission.file.name = name
            submission.uploaded_at = timezone.now()
            submission.late = late
            submission.save(update_fields=["file", "uploaded_at", "late"])
            SubmissionEvent.objects.bulk_create(
                [
                    _event(
                        assessment_id=assessment.pk,
                        submission_id=submission.pk,
                        user=user,
                        action=Action.UPLOAD,
                        by=by or user,
                        detail=_("late") if late else "",
                    )
                ]
            )
            if old:
                transaction.on_commit(lambda: _discard(old))
            assignment_changed(assessment)
    except BaseException:
        _discard(name)
        raise
    return submission


# -- teams ------------------------------------------------------------------------------------


def find_student(identifier: str):
    text = (identifier or "").strip()
    if not text or len(text) > 254:
        return None
    User = get_user_model()
    return User.objects.filter(
        Q(matriculation_number=text) | Q(email__iexact=text) | Q(institutional_email__iexact=text),
        is_active=True,
    ).first()


def _check_room(submission: Submission, assessment: Assessment, *, extra: int = 1) -> None:
    members = submission.memberships.count()
    if members + extra > assessment.max_team_size:
        raise TeamRefused(
            _("A team has at most %(max)s members; nothing was changed.")
            % {"max": assessment.max_team_size}
        )


def _check_same_tutorial(assessment: Assessment, submission: Submission, user_id: int) -> None:
    member_ids = list(submission.memberships.values_list("user_id", flat=True))
    tutorials = tutorial_ids_of(lecture_id=assessment.lecture_id, user_ids=[*member_ids, user_id])
    wanted = tutorials.get(user_id)
    if wanted is None or any(tutorials.get(pk) != wanted for pk in member_ids):
        raise TeamRefused(_("Team members must belong to the same tutorial; nothing was changed."))


@translate_db_errors(error=Busy)
def invite(*, assessment: Assessment, inviter, identifier: str) -> TeamInvitation:
    """Invite a student of the inviter's tutorial (matriculation number or e-mail)."""
    _tutorial_of(assessment, inviter.pk)
    _hand_in_state(assessment, inviter.pk)
    invitee = find_student(identifier)
    if invitee is None:
        raise TeamRefused(_("No student with this matriculation number or e-mail address."))
    if invitee.pk == inviter.pk:
        raise TeamRefused(_("You cannot invite yourself."))
    with transaction.atomic():
        membership = _membership(assessment, inviter.pk)
        if membership is None:
            submission = _create_submission(assessment, inviter.pk)
        else:
            submission = _lock_submission(membership.submission_id)
        if submission.memberships.filter(user=invitee).exists():
            raise TeamRefused(_("This student is already in your team."))
        _check_same_tutorial(assessment, submission, invitee.pk)
        pending = submission.invitations.filter(
            status=TeamInvitation.Status.PENDING, expires_at__gt=timezone.now()
        )
        if pending.filter(invitee=invitee).exists():
            raise TeamRefused(_("This student is already invited."))
        _check_room(submission, assessment, extra=1 + pending.count())
        closes = personal_deadline(assessment, inviter.pk) + timedelta(
            minutes=assessment.grace_minutes
        )
        # An older, expired pending invitation of the same student is closed first.
        submission.invitations.filter(status=TeamInvitation.Status.PENDING, invitee=invitee).update(
            status=TeamInvitation.Status.WITHDRAWN
        )
        invitation = TeamInvitation.objects.create(
            submission=submission, invitee=invitee, invited_by=inviter, expires_at=closes
        )
        SubmissionEvent.objects.bulk_create(
            [
                _event(
                    assessment_id=assessment.pk,
                    submission_id=submission.pk,
                    user=invitee,
                    action=Action.INVITE,
                    by=inviter,
                )
            ]
        )
        notify_users(
            users=[invitee],
            subject=gettext_noop("Team invitation for %(assessment)s"),
            body=gettext_noop(
                "%(inviter)s invites you into their team for %(assessment)s (%(lecture)s). "
                "Accept or decline on the assignment's page."
            ),
            params={
                "assessment": assessment.title,
                "inviter": str(inviter),
                "lecture": assessment.lecture.title,
            },
            path=reverse("assessment:submissions_student", args=[assessment.pk]),
        )
    return invitation


def _join(submission: Submission, assessment: Assessment, user, *, by, detail: str) -> None:
    """Inside a transaction with ``submission`` locked: move ``user`` into the team."""
    _check_same_tutorial(assessment, submission, user.pk)
    current = _membership(assessment, user.pk)
    if current is not None:
        if current.submission_id == submission.pk:
            raise TeamRefused(_("You are already in this team."))
        own = current.submission
        if own.file or own.memberships.count() > 1:
            raise TeamRefused(
                _(
                    "You already have a submission or a team for this assignment; leave it "
                    "first. Nothing was changed."
                )
            )
        own.delete()  # an empty submission of one's own is replaced by the team
    _check_room(submission, assessment)
    SubmissionMember.objects.create(submission=submission, assessment=assessment, user=user)
    submission.invitations.filter(invitee=user, status=TeamInvitation.Status.PENDING).update(
        status=TeamInvitation.Status.ACCEPTED
    )
    SubmissionEvent.objects.bulk_create(
        [
            _event(
                assessment_id=assessment.pk,
                submission_id=submission.pk,
                user=user,
                action=Action.JOIN,
                by=by,
                detail=detail,
            )
        ]
    )
    assignment_changed(assessment)


@translate_db_errors(error=Busy)
def accept_invitation(*, invitation: TeamInvitation, user) -> Submission:
    """The invitee joins the team; refused when expired, withdrawn, full or too late."""
    if invitation.invitee_id != user.pk:
        raise TeamRefused(_("This invitation is not addressed to you."))
    assessment = invitation.submission.assessment
    _hand_in_state(assessment, user.pk)
    with transaction.atomic():
        submission = _lock_submission(invitation.submission_id)
        fresh = TeamInvitation.objects.get(pk=invitation.pk)
        if fresh.status != TeamInvitation.Status.PENDING:
            raise TeamRefused(
                _("This invitation was %(status)s; nothing was changed.")
                % {"status": fresh.get_status_display().lower()}
            )
        if fresh.expires_at <= timezone.now():
            raise TeamRefused(_("This invitation has expired; nothing was changed."))
        _join(submission, assessment, user, by=user, detail=_("invitation"))
    return submission


@translate_db_errors(error=Busy)
def join_with_code(*, assessment: Assessment, user, code: str) -> Submission:
    """Join the team whose join code this is (same tutorial, room left, before the deadline)."""
    text = (code or "").strip().upper()
    _tutorial_of(assessment, user.pk)
    _hand_in_state(assessment, user.pk)
    target = (
        Submission.objects.filter(assessment=assessment, join_code=text).first()
        if re.fullmatch(r"[A-Z0-9]{4,12}", text)
        else None
    )
    if target is None:
        raise TeamRefused(_("No team of this assignment has this join code."))
    with transaction.atomic():
        submission = _lock_submission(target.pk)
        _join(submission, assessment, user, by=user, detail=_("join code"))
    return submission


@translate_db_errors(error=Busy)
def answer_invitation(*, invitation: TeamInvitation, user, decline: bool = True) -> None:
    """The invitee declines, or a team member withdraws, a pending invitation."""
    with transaction.atomic():
        _lock_submission(invitation.submission_id)
        fresh = TeamInvitation.objects.select_related("submission").get(pk=invitation.pk)
        if fresh.status != TeamInvitation.Status.PENDING:
            raise TeamRefused(_("This invitation is no longer pending."))
        if decline:
            if fresh.invitee_id != user.pk:
                raise TeamRefused(_("This invitation is not addressed to you."))
            fresh.status, action = TeamInvitation.Status.DECLINED, Action.DECLINE
        else:
            if not fresh.submission.memberships.filter(user_id=user.pk).exists():
                raise TeamRefused(_("Only team members withdraw an invitation."))
            fresh.status, action = TeamInvitation.Status.WITHDRAWN, Action.WITHDRAW
        fresh.save(update_fields=["status"])
        SubmissionEvent.objects.bulk_create(
            [
                _event(
                    assessment_id=fresh.submission.assessment_id,
                    submission_id=fresh.submission_id,
                    user=fresh.invitee,
                    action=action,
                    by=user,
                )
            ]
        )


@translate_db_errors(error=Busy)
def leave_team(*, assessment: Assessment, user) -> None:
    """Leave one's team before the deadline; the file stays with the others."""
    _hand_in_state(assessment, user.pk)
    with transaction.atomic():
        membership = _membership(assessment, user.pk)
        if membership is None:
            raise TeamRefused(_("You are not in a team for this assignment."))
        submission = _lock_submission(membership.submission_id)
        if submission.memberships.count() < 2:
            raise TeamRefused(
                _("You are the only member of this submission; there is no team to leave.")
            )
        SubmissionMember.objects.filter(pk=membership.pk).delete()
        SubmissionEvent.objects.bulk_create(
            [
                _event(
                    assessment_id=assessment.pk,
                    submission_id=submission.pk,
                    user=user,
                    action=Action.LEAVE,
                    by=user,
                )
            ]
        )
        assignment_changed(assessment)


# -- extensions -------------------------------------------------------------------------------


@translate_db_errors(error=Busy)
def grant_extension(
    *, assessment: Assessment, user, deadline, by, whole_team: bool = True, reason: str = ""
) -> list[DeadlineExtension]:
    """Give the student (and, by default, every member of their team) a personal deadline.

    The new deadline must be later than the assignment's; granting again replaces it.
    """
    if assessment.kind != Assessment.Kind.ASSIGNMENT or assessment.deadline is None:
        raise SubmissionError(_("Only assignments have hand-in deadlines."))
    if deadline is None or deadline <= assessment.deadline:
        raise SubmissionError(
            _("A personal deadline must be later than the assignment's deadline.")
        )
    _tutorial_of(assessment, user.pk)
    user_ids = [user.pk]
    with transaction.atomic():
        membership = _membership(assessment, user.pk)
        if whole_team and membership is not None:
            user_ids = sorted(
                SubmissionMember.objects.filter(submission_id=membership.submission_id).values_list(
                    "user_id", flat=True
                )
            )
        rows = []
        for pk in user_ids:
            row, _created = DeadlineExtension.objects.update_or_create(
                assessment=assessment,
                user_id=pk,
                defaults={
                    "deadline": deadline,
                    "reason": reason[:300],
                    "granted_by": actor_or_none(by),
                },
            )
            rows.append(row)
        SubmissionEvent.objects.bulk_create(
            [
                _event(
                    assessment_id=assessment.pk,
                    submission_id=membership.submission_id if membership else None,
                    user=row.user,
                    action=Action.EXTENSION,
                    by=by,
                    detail=timezone.localtime(deadline).strftime("%d.%m.%Y %H:%M"),
                )
                for row in rows
            ]
        )
    return rows


# -- downloads and corrections ----------------------------------------------------------------


def safe_name(text: str) -> str:
    return slugify(str(text)).replace("_", "-") or "x"


def download_name(submission: Submission, *, tutorial_title: str, matriculation_numbers) -> str:
    """``<assessment>_<tutorial>_<submission id>_<matriculation numbers>.pdf``; the id is what
    the correction upload matches on."""
    numbers = "-".join(safe_name(n) for n in matriculation_numbers if n) or "x"
    title = safe_name(submission.assessment.title)
    return f"{title}_{safe_name(tutorial_title)}_{submission.pk}_{numbers}.pdf"


def submission_id_from_name(name: str) -> int | None:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    parts = base.split("_")
    if len(parts) < 3 or not base.lower().endswith(".pdf"):
        return None
    raw = parts[2].removesuffix(".pdf").removesuffix(".PDF")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


def expand_uploads(uploads) -> list[tuple[str, bytes]]:
    """The (name, bytes) of every uploaded PDF; ZIP archives are opened (one level)."""
    limit = settings.SUBMISSION_MAX_BYTES
    files: list[tuple[str, bytes]] = []
    for upload in uploads:
        name = upload.name or ""
        if name.lower().endswith(".zip"):
            upload.seek(0)
            try:
                archive = zipfile.ZipFile(upload)  # read from the spooled upload, not memory
                infos = [
                    i
                    for i in archive.infolist()
                    if not i.is_dir() and not i.filename.startswith("__MACOSX/")
                ]
                if len(infos) > MAX_ZIP_ENTRIES:
                    raise InvalidFile(_("The ZIP file holds too many files."))
                for info in infos:
                    too_big = info.file_size > limit
                    files.append(
                        (info.filename, None if too_big else archive.read(info)[: limit + 1])
                    )
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
                raise InvalidFile(
                    _("The ZIP file could not be read; nothing was changed.")
                ) from None
        else:
            upload.seek(0)
            data = upload.read(limit + 1)
            files.append((name, data if len(data) <= limit else None))
    return files


@dataclass
class CorrectionReport:
    matched: list[tuple[str, int]] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)
    applied: bool = False


@translate_db_errors(error=Busy)
def return_corrections(
    *, assessment: Assessment, submission_ids: set[int], files: list[tuple[str, bytes]], by
) -> CorrectionReport:
    """Attach corrected PDFs to the submissions their names point to, all or nothing.

    ``submission_ids`` are the submissions the tutor may correct (their tutorial's). A file
    whose name names no such submission, a second file for one submission, or a file that is
    no PDF goes to ``unmatched`` and then nothing is stored.
    """
    report = CorrectionReport()
    seen: set[int] = set()
    for name, data in files:
        pk = submission_id_from_name(name)
        if pk is None or pk not in submission_ids:
            report.unmatched.append((name, _("The name matches no submission of this tutorial.")))
            continue
        if pk in seen:
            report.unmatched.append((name, _("A second file for the same submission.")))
            continue
        try:
            if data is None:
                raise InvalidFile(_("The file is too large."))
            check_pdf(data)
        except InvalidFile as exc:
            report.unmatched.append((name, str(exc)))
            continue
        seen.add(pk)
        report.matched.append((name, pk))
    if report.unmatched or not report.matched:
        return report
    data_of = {pk: data for (_name, pk), (_n, data) in zip(report.matched, files, strict=True)}
    stored: list[str] = []
    try:
        for pk in sorted(data_of):
            stored.append(_store("corrections", assessment.pk, data_of[pk]))
        with transaction.atomic():
            rows = lock_rows(Submission.objects.filter(assessment=assessment), sorted(data_of))
            if len(rows) != len(data_of):
                raise SubmissionError(_("A submission was removed meanwhile; nothing was changed."))
            now, old_names, events = timezone.now(), [], []
            for row, name in zip(rows, stored, strict=True):
                old_names.append(row.correction.name)
                row.correction.name = name
                row.correction_uploaded_at = now
                events.append(
                    _event(
                        assessment_id=assessment.pk,
                        submission_id=row.pk,
                        user=None,
                        action=Action.CORRECTION,
                        by=by,
                    )
                )
            Submission.objects.bulk_update(rows, ["correction", "correction_uploaded_at"])
            SubmissionEvent.objects.bulk_create(events)
            transaction.on_commit(lambda: [_discard(n) for n in old_names])
    except BaseException:
        for name in stored:
            _discard(name)
        raise
    report.applied = True
    return report
