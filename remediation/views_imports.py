"""Upload pages for an evaluation's question list and the scanner's answer sheets.

Two steps: the upload is checked as a whole (``imports.check_*``, nothing written) and its
summary shown; the file waits in the cache (30 minutes, under a random key bound to the user
and the evaluation) until staff confirm, then ``imports.import_*`` writes it in one transaction.
A refused file shows every problem with its line; nothing is changed.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mampf.errors import DomainError
from remediation.forms import CSVUploadForm
from remediation.views import _context, _evaluation

PENDING_SECONDS = 30 * 60
KINDS = {
    "questions": {
        "check": "check_questions",
        "apply": "import_questions",
        "title": _("Import the question list"),
    },
    "sheets": {
        "check": "check_sheets",
        "apply": "import_sheets",
        "title": _("Import answer sheets"),
    },
}


def _key(request, evaluation, kind: str, token: str) -> str:
    return f"remediation-import:{kind}:{evaluation.pk}:{request.user.pk}:{token}"


def _problems(exc: DomainError) -> list[dict]:
    return [dict(p) for p in exc.details.get("problems", [])]


def _upload(request, evaluation_id: int, kind: str):
    from remediation import imports  # noqa: PLC0415 - remed's module

    evaluation = _evaluation(request, evaluation_id)
    spec = KINDS[kind]
    form = CSVUploadForm()
    summary = problems = error = token = None
    if request.method == "POST":
        token = request.POST.get("token", "")
        if token:
            text = cache.get(_key(request, evaluation, kind, token)) if token.isalnum() else None
            if text is None:
                messages.error(request, _("The upload has expired; please upload the file again."))
                return redirect(f"remediation:import_{kind}", evaluation.pk)
            try:
                result = getattr(imports, spec["apply"])(
                    evaluation=evaluation, text=text, by=request.user
                )
            except DomainError as exc:
                error, problems = str(exc), _problems(exc)
            else:
                cache.delete(_key(request, evaluation, kind, token))
                messages.success(request, imports.describe(result))
                return redirect("remediation:evaluation", evaluation.pk)
        else:
            form = CSVUploadForm(request.POST, request.FILES)
            if form.is_valid():
                text = form.cleaned_data["file"]
                try:
                    summary = getattr(imports, spec["check"])(evaluation=evaluation, text=text)
                except DomainError as exc:
                    error, problems = str(exc), _problems(exc)
                else:
                    token = secrets.token_hex(16)
                    cache.set(_key(request, evaluation, kind, token), text, PENDING_SECONDS)
    return render(
        request,
        "remediation/import.html",
        _context(
            evaluation,
            kind=kind,
            page_title=spec["title"],
            form=form,
            summary=summary,
            summary_lines=imports.describe_check(summary) if summary is not None else [],
            problems=problems,
            error=error,
            token=token if summary is not None else None,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_questions(request, evaluation_id: int):
    return _upload(request, evaluation_id, "questions")


@login_required
@require_http_methods(["GET", "POST"])
def import_sheets(request, evaluation_id: int):
    return _upload(request, evaluation_id, "sheets")
