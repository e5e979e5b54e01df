"""Staff pages that define an MC test (create it for an exam's task, its variants and questions
while no answer sheet exists) and enter one answer sheet by hand.

Thin like ``views``: 404 -> permission (the lecture's teacher, editors, site staff) -> input ->
one service call -> message -> redirect; a refusal is shown translated beside its field, and
nothing is changed.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessment.models import Assessment
from mampf import permissions
from mampf.errors import DomainError
from mampf.selectors import is_valid_id
from remediation import errors, selectors_pages, services
from remediation.forms_define import EvaluationForm, SheetForm, VersionForm, add_service_errors
from remediation.models import QuestionVersion
from remediation.views import _context, _evaluation

_SPLIT = re.compile(r"[,;\s|/+]+")


def _labels(text: str) -> list[str]:
    """``A B C D`` / ``A, B, C`` / ``ABCD`` (single letters run together) as a list."""
    parts = [p for p in _SPLIT.split((text or "").strip()) if p]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha() and parts[0].isupper():
        return list(parts[0])
    return parts


@login_required
@require_http_methods(["GET", "POST"])
def exam_evaluations(request, assessment_id: int):
    """An exam's MC tests and the form to create one for a task that has none (by default the
    task the exam's MC configuration names). With one test: straight there, unless ``?all=1``
    (the overview links that, for a test of another task)."""
    if not is_valid_id(assessment_id):
        raise Http404
    assessment = Assessment.objects.select_related("lecture").filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404
    permissions.require(permissions.can_manage_assessment(request.user, assessment))
    evaluations = selectors_pages.evaluations_of_assessment(assessment=assessment)
    tasks = selectors_pages.free_tasks(assessment=assessment) if assessment.kind == "exam" else []
    if request.method == "GET" and len(evaluations) == 1 and not request.GET.get("all"):
        return redirect("remediation:evaluation", evaluations[0].pk)
    mc_task = selectors_pages.mc_task_id(assessment=assessment)
    form = EvaluationForm(
        request.POST or None,
        tasks=tasks,
        initial={"task": mc_task, "title": _("Multiple-choice test")},
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = services.create_evaluation(
                task=form.tasks[form.cleaned_data["task"]],
                title=form.cleaned_data["title"],
                by=request.user,
            )
        except errors.InvalidDefinition as exc:
            add_service_errors(form, exc.fields)
        except DomainError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The multiple-choice test was created. Add its questions."))
            return redirect("remediation:evaluation", evaluation.pk)
    return render(
        request,
        "remediation/exam_evaluations.html",
        {
            "assessment": assessment,
            "lecture": assessment.lecture,
            "evaluations": evaluations,
            "form": form if tasks else None,
            "error": error,
        },
        status=422 if request.method == "POST" else 200,
    )


def _question_rows(versions, *, posted=None, problems=None) -> None:
    """Each version gets ``rows``: its questions as the edit table shows them, then an empty
    row for the next question; the row that was posted keeps what was typed and its problems."""
    for version in versions:
        questions = list(version.questions.all())
        rows = [
            {
                "key": f"q{q.pk}",
                "question": q,
                "position": q.position,
                "options": " ".join(q.options),
                "answer_key": " ".join(q.key),
                "points": q.points,
                "problems": {},
            }
            for q in questions
        ]
        rows.append(
            {
                "key": f"new{version.pk}",
                "question": None,
                "position": len(questions) + 1,
                "options": "A B C D E",
                "answer_key": "",
                "points": "1",
                "problems": {},
            }
        )
        for row in rows:
            if posted is not None and row["key"] == posted["key"]:
                row.update(posted, problems=problems or {})
        version.rows = rows


@login_required
@require_http_methods(["GET", "POST"])
def edit_questions(request, evaluation_id: int):
    """POST one action of the overview's edit forms: add a variant, save or delete a question.
    Refusals come back on the overview beside the row (status 422)."""
    evaluation = _evaluation(request, evaluation_id)
    if request.method == "GET":
        return redirect("remediation:evaluation", evaluation.pk)
    action = request.POST.get("action", "")
    version_form = VersionForm(request.POST if action == "add_version" else None)
    posted = problems = None
    general = None
    try:
        if action == "add_version":
            if version_form.is_valid():
                version = services.add_version(
                    evaluation=evaluation, label=version_form.cleaned_data["label"], by=request.user
                )
                messages.success(
                    request, _("Variant %(label)s was added.") % {"label": version.label}
                )
                return redirect("remediation:evaluation", evaluation.pk)
        elif action in ("save_question", "delete_question"):
            version = _version(evaluation, request.POST.get("version"))
            question = _question(version, request.POST.get("question"))
            if action == "delete_question":
                if question is None:
                    raise Http404
                services.delete_question(question=question, by=request.user)
                messages.success(
                    request,
                    _("Question %(position)s of variant %(label)s was deleted.")
                    % {"position": question.position, "label": version.label},
                )
                return redirect("remediation:evaluation", evaluation.pk)
            posted = {
                "key": f"q{question.pk}" if question else f"new{version.pk}",
                "options": request.POST.get("options", "")[:400],
                "answer_key": request.POST.get("key", "")[:400],
                "points": request.POST.get("points", "")[:20],
            }
            saved = services.save_question(
                version=version,
                position=question.position if question else request.POST.get("position"),
                options=_labels(posted["options"]),
                key=_labels(posted["answer_key"]),
                points=posted["points"].replace(",", "."),
                by=request.user,
            )
            messages.success(
                request,
                _("Question %(position)s of variant %(label)s was saved.")
                % {"position": saved.position, "label": version.label},
            )
            return redirect("remediation:evaluation", evaluation.pk)
        else:
            general = _("Please choose what to do.")
    except errors.InvalidDefinition as exc:
        if action == "add_version":
            add_service_errors(version_form, exc.fields)
        else:
            problems = exc.fields
    except DomainError as exc:
        general = str(exc)
    return _overview(
        request, evaluation, version_form=version_form, posted=posted, problems=problems,
        general=general, status=422,
    )  # fmt: skip


def _version(evaluation, value):
    version = None
    if isinstance(value, str) and value.isdigit() and is_valid_id(int(value)):
        version = evaluation.versions.filter(pk=int(value)).first()
    if version is None:
        raise Http404
    return version


def _question(version, value) -> QuestionVersion | None:
    if not value:
        return None
    if not (value.isdigit() and is_valid_id(int(value))):
        raise Http404
    question = QuestionVersion.objects.filter(version=version, pk=int(value)).first()
    if question is None:
        raise Http404
    return question


def _overview(request, evaluation, *, version_form=None, posted=None, problems=None,
              general=None, status=200):  # fmt: skip
    overview = selectors_pages.evaluation_overview(evaluation=evaluation)
    editable = overview["sheet_total"] == 0
    if editable:
        _question_rows(overview["versions"], posted=posted, problems=problems)
    return render(
        request,
        "remediation/evaluation.html",
        _context(
            evaluation,
            **overview,
            editable=editable,
            version_form=version_form or VersionForm(),
            edit_error=general,
        ),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def enter_sheet(request, evaluation_id: int):
    """One answer sheet typed in: choose the variant (GET), then the candidate and the marked
    options per question; stored as the candidate's next attempt and scored."""
    evaluation = _evaluation(request, evaluation_id)
    versions = [v for v in selectors_pages.entry_versions(evaluation=evaluation)]
    wanted = request.POST.get("version") or request.GET.get("version") or ""
    version = next((v for v in versions if str(v.pk) == wanted), None)
    if version is None and versions:
        version = versions[0]
    questions = list(version.questions.all()) if version is not None else []
    form = SheetForm(request.POST if request.method == "POST" else None, questions=questions)
    error = None
    if request.method == "POST" and version is not None and form.is_valid():
        try:
            sheet = services.enter_sheet(
                evaluation=evaluation,
                matriculation_number=form.cleaned_data["matriculation_number"],
                version=version,
                answers=form.answers(),
                by=request.user,
            )
        except errors.UnknownStudent as exc:
            form.add_error("matriculation_number", str(exc))
        except DomainError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                _("The answer sheet of %(name)s (attempt %(attempt)s) was saved: %(score)s of "
                  "%(max)s points.")
                % {"name": sheet.user.name, "attempt": sheet.attempt, "score": sheet.score,
                   "max": sheet.max_score},
            )  # fmt: skip
            return redirect(f"{request.path}?version={version.pk}")
    return render(
        request,
        "remediation/sheet_enter.html",
        _context(evaluation, versions=versions, version=version, form=form, error=error),
        status=422 if request.method == "POST" else 200,
    )
