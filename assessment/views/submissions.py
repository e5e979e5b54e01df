"""Submission pages. Thin: 404 -> permission -> form -> one service call -> message -> redirect.

Students hand in on their assignment page (only members of a tutorial of the lecture; others
get a 404); downloads check ``mampf.permissions.can_view_submission`` and answer 404 to anyone
else, so another student's submission id reveals nothing. Tutors download their tutorial's
submissions (one, or all as a ZIP) and return corrections in bulk (``can_grade``); the
lecture's managers grant personal deadlines (``can_manage_assessment``).
"""

from __future__ import annotations

import tempfile
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment import selectors_submissions as selectors
from assessment import submissions as services
from assessment.errors import AssessmentError
from assessment.forms_submissions import (
    CorrectionsForm,
    ExtensionForm,
    InviteForm,
    JoinForm,
    UploadForm,
)
from assessment.models import Assessment, Submission, TeamInvitation
from assessment.selectors import tutorial_of_lecture
from mampf import permissions
from mampf.models import Tutorial
from mampf.selectors import is_valid_id

# -- student ------------------------------------------------------------------------------------


def _assignment(assessment_id: int) -> Assessment:
    try:
        return selectors.assignment(assessment_id=assessment_id)
    except Assessment.DoesNotExist as exc:
        raise Http404 from exc


def _student_url(assessment: Assessment) -> str:
    return reverse("assessment:submissions_student", args=[assessment.pk])


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_GET
def student_page(request, assessment_id: int):
    assessment = _assignment(assessment_id)
    page = selectors.student_page(assessment=assessment, user=request.user)
    if page is None:
        raise Http404
    return render(
        request,
        "assessment/submissions/student.html",
        {
            "page": page,
            "assessment": assessment,
            "upload_form": UploadForm(),
            "invite_form": InviteForm(),
            "join_form": JoinForm(),
        },
    )


def _student_action(request, assessment_id: int, form_class, call, success: str):
    assessment = _assignment(assessment_id)
    if selectors.student_page(assessment=assessment, user=request.user) is None:
        raise Http404
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is not None and not form.is_valid():
        _form_errors(request, form)
        return redirect(_student_url(assessment))
    try:
        call(assessment, form.cleaned_data if form is not None else {})
    except AssessmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(_student_url(assessment))


@login_required
@require_POST
def upload(request, assessment_id: int):
    return _student_action(
        request,
        assessment_id,
        UploadForm,
        lambda a, data: services.upload_submission(
            assessment=a, user=request.user, upload=data["file"]
        ),
        _("Your file was uploaded."),
    )


@login_required
@require_POST
def invite(request, assessment_id: int):
    return _student_action(
        request,
        assessment_id,
        InviteForm,
        lambda a, data: services.invite(
            assessment=a, inviter=request.user, identifier=data["identifier"]
        ),
        _("The invitation was sent."),
    )


@login_required
@require_POST
def join(request, assessment_id: int):
    return _student_action(
        request,
        assessment_id,
        JoinForm,
        lambda a, data: services.join_with_code(assessment=a, user=request.user, code=data["code"]),
        _("You joined the team."),
    )


@login_required
@require_POST
def leave(request, assessment_id: int):
    return _student_action(
        request,
        assessment_id,
        None,
        lambda a, data: services.leave_team(assessment=a, user=request.user),
        _("You left the team."),
    )


@login_required
@require_POST
def invitation_action(request, invitation_id: int, action: str):
    try:
        invitation = selectors.invitation(invitation_id=invitation_id)
    except TeamInvitation.DoesNotExist as exc:
        raise Http404 from exc
    submission = invitation.submission
    is_member = submission.memberships.filter(user_id=request.user.pk).exists()
    if action not in ("accept", "decline", "withdraw"):
        raise Http404
    if (action == "withdraw" and not is_member) or (
        action != "withdraw" and invitation.invitee_id != request.user.pk
    ):
        raise Http404
    try:
        if action == "accept":
            services.accept_invitation(invitation=invitation, user=request.user)
            messages.success(request, _("You joined the team."))
        else:
            services.answer_invitation(
                invitation=invitation, user=request.user, decline=action == "decline"
            )
            messages.success(request, _("The invitation is closed."))
    except AssessmentError as exc:
        messages.error(request, str(exc))
    return redirect(_student_url(submission.assessment))


# -- downloads ----------------------------------------------------------------------------------


def _viewable(request, submission_id: int) -> Submission:
    try:
        submission = selectors.submission_for_download(submission_id=submission_id)
    except Submission.DoesNotExist as exc:
        raise Http404 from exc
    if not permissions.can_view_submission(request.user, submission):
        raise Http404
    return submission


def _pdf_response(name: str, filename: str) -> FileResponse:
    if not name or not default_storage.exists(name):
        raise Http404
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )


def _file_name(submission: Submission, *, prefix: str = "") -> str:
    numbers = [m.user.matriculation_number for m in submission.memberships.select_related("user")]
    tutorial = (
        Tutorial.objects.filter(
            lecture_id=submission.assessment.lecture_id,
            roster_entries__user__submission_memberships__submission=submission,
        )
        .values_list("title", flat=True)
        .first()
    )
    name = services.download_name(
        submission, tutorial_title=tutorial or "", matriculation_numbers=numbers
    )
    return prefix + name


@login_required
@require_GET
def download(request, submission_id: int):
    submission = _viewable(request, submission_id)
    return _pdf_response(submission.file.name, _file_name(submission))


@login_required
@require_GET
def download_correction(request, submission_id: int):
    submission = _viewable(request, submission_id)
    return _pdf_response(submission.correction.name, _file_name(submission, prefix="correction_"))


# -- tutors -------------------------------------------------------------------------------------


def _tutor_scope(request, assessment_id: int, tutorial_id: int) -> tuple[Assessment, Tutorial]:
    assessment = _assignment(assessment_id)
    if not is_valid_id(tutorial_id):
        raise Http404
    try:
        tutorial = tutorial_of_lecture(tutorial_id=tutorial_id, lecture_id=assessment.lecture_id)
    except Tutorial.DoesNotExist as exc:
        raise Http404 from exc
    permissions.require(permissions.can_grade(request.user, tutorial))
    return assessment, tutorial


def _tutor_url(assessment, tutorial) -> str:
    return reverse("assessment:submissions_tutorial", args=[assessment.pk, tutorial.pk])


@login_required
@require_http_methods(["GET", "POST"])
def tutorial_page(request, assessment_id: int, tutorial_id: int):
    """The tutorial's submissions, downloads, and the bulk return of corrections."""
    assessment, tutorial = _tutor_scope(request, assessment_id, tutorial_id)
    submissions = selectors.tutorial_submissions(assessment=assessment, tutorial=tutorial)
    report = None
    form = CorrectionsForm()
    if request.method == "POST":
        form = CorrectionsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.return_corrections(
                    assessment=assessment,
                    submission_ids={s.pk for s in submissions},
                    files=services.expand_uploads(form.cleaned_data["files"]),
                    by=request.user,
                )
            except AssessmentError as exc:
                messages.error(request, str(exc))
            else:
                if report.applied:
                    messages.success(
                        request,
                        _("%(count)s corrections were returned.") % {"count": len(report.matched)},
                    )
                    return redirect(_tutor_url(assessment, tutorial))
                messages.error(
                    request, _("Nothing was stored: fix the files listed below and upload again.")
                )
    return render(
        request,
        "assessment/submissions/tutorial.html",
        {
            "assessment": assessment,
            "tutorial": tutorial,
            "submissions": submissions,
            "form": form,
            "report": report,
            "can_manage": permissions.can_manage_assessment(request.user, assessment),
        },
        status=200 if report is None or report.applied else 422,
    )


@login_required
@require_GET
def tutorial_zip(request, assessment_id: int, tutorial_id: int):
    """Every uploaded file of the tutorial in one ZIP, named like the single downloads."""
    assessment, tutorial = _tutor_scope(request, assessment_id, tutorial_id)
    submissions = selectors.tutorial_submissions(assessment=assessment, tutorial=tutorial)
    buffer = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for submission in submissions:
            if not submission.file.name or not default_storage.exists(submission.file.name):
                continue
            name = services.download_name(
                submission,
                tutorial_title=tutorial.title,
                matriculation_numbers=[
                    m.user.matriculation_number for m in submission.memberships.all()
                ],
            )
            with default_storage.open(submission.file.name, "rb") as handle:
                archive.writestr(name, handle.read())
    buffer.seek(0)
    filename = services.safe_name(f"{assessment.title} {tutorial.title}")
    return FileResponse(
        buffer, as_attachment=True, filename=f"{filename}.zip", content_type="application/zip"
    )


# -- staff: personal deadlines ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def extensions_page(request, assessment_id: int):
    assessment = _assignment(assessment_id)
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        student = services.find_student(form.cleaned_data["student"])
        try:
            if student is None:
                raise services.SubmissionError(
                    _("No student with this matriculation number or e-mail address.")
                )
            services.grant_extension(
                assessment=assessment,
                user=student,
                deadline=form.cleaned_data["deadline"],
                by=request.user,
                whole_team=form.cleaned_data["whole_team"],
                reason=form.cleaned_data["reason"],
            )
        except AssessmentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The personal deadline was saved."))
            return redirect(reverse("assessment:submissions_extensions", args=[assessment.pk]))
    return render(
        request,
        "assessment/submissions/extensions.html",
        {
            "assessment": assessment,
            "form": form,
            "extensions": selectors.extensions_of(assessment=assessment),
        },
        status=422 if form.is_bound and form.errors else 200,
    )
