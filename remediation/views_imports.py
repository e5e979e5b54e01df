"""Upload pages for an evaluation's question list and the scanner's answer sheets.

Two steps: the upload is checked as a whole (``imports.check_*``, nothing written) and its
summary or every problem with its line shown; the file waits in the cache (30 minutes, under a
random key bound to the user and the evaluation) until staff confirm, then ``imports.import_*``
checks it again under the evaluation's lock and writes it in one transaction.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from mampf.errors import DomainError
from remediation import imports
from remediation.forms import CSVUploadForm
from remediation.views import _context, _evaluation

PENDING_SECONDS = 30 * 60
KINDS = {
    "questions": (
        imports.check_question_list,
        imports.import_question_list,
        gettext_lazy("Import the question list"),
    ),
    "sheets": (
        imports.check_answer_sheets,
        imports.import_answer_sheets,
        gettext_lazy("Import answer sheets"),
    ),
}


def _key(request, evaluation, kind: str, token: str) -> str:
    return f"remediation-import:{kind}:{evaluation.pk}:{request.user.pk}:{token}"


def _summary(kind: str, check) -> list[str]:
    if kind == "questions":
        lines = [
            _("Variant %(label)s: %(count)s questions") % {"label": label, "count": len(rows)}
            for label, rows in sorted(check.variants.items())
        ]
        if check.replaced:
            lines.append(
                _("The questions of these variants are replaced: %(labels)s")
                % {"labels": ", ".join(check.replaced)}
            )
        return lines
    counts = imports.summary_counts(check)
    lines = [_("%(count)s answer sheets") % {"count": counts["sheets"]}]
    lines += [
        _("Variant %(label)s: %(count)s sheets") % {"label": label, "count": count}
        for label, count in counts["by_variant"].items()
    ]
    if counts["repeat_attempts"]:
        lines.append(
            _("%(count)s students already have a sheet: these become further attempts.")
            % {"count": counts["repeat_attempts"]}
        )
    return lines


def _upload(request, evaluation_id: int, kind: str):
    evaluation = _evaluation(request, evaluation_id)
    check_file, import_file, title = KINDS[kind]
    form = CSVUploadForm()
    summary, problems, error, token = [], [], None, None
    if request.method == "POST" and request.POST.get("token"):
        token = request.POST["token"]
        pending = cache.get(_key(request, evaluation, kind, token)) if token.isalnum() else None
        if pending is None:
            messages.error(request, _("The upload has expired; please upload the file again."))
            return redirect(f"remediation:import_{kind}", evaluation.pk)
        try:
            rows = imports.read_file(name=pending[0], data=pending[1])
            import_file(evaluation=evaluation, rows=rows, by=request.user)
        except DomainError as exc:
            error, token = str(exc), None
            problems = list(exc.details.get("problems", []))
        else:
            cache.delete(_key(request, evaluation, kind, token))
            messages.success(request, _("The file was imported."))
            return redirect("remediation:evaluation", evaluation.pk)
    elif request.method == "POST":
        form = CSVUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                rows = imports.read_file(name=upload.name, data=data)
                check = check_file(evaluation=evaluation, rows=rows)
            except DomainError as exc:
                error = str(exc)
                problems = list(exc.details.get("problems", []))
            else:
                if check.problems:
                    error = _("The file was not imported: please correct these problems.")
                    problems = [p.as_dict() for p in check.problems]
                else:
                    token = secrets.token_hex(16)
                    cache.set(
                        _key(request, evaluation, kind, token),
                        (upload.name, data),
                        PENDING_SECONDS,
                    )
                    summary = _summary(kind, check)
    return render(
        request,
        "remediation/import.html",
        _context(
            evaluation,
            kind=kind,
            page_title=title,
            form=form,
            summary=summary,
            problems=problems,
            error=error,
            token=token if summary else None,
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
