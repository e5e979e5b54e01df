"""The exam admission rule page: the form, its live sentence and the rule change preview.

Thin: 404 -> permission (``can_manage_lecture``: teacher, editors, site staff; tutors and
students get 403) -> form -> ``performance.rules`` -> message -> redirect.

Flow: "Preview" evaluates every record under the current and the proposed rule without saving.
"Save" saves at once while no certification exists; once one exists it shows the preview first,
and only "Save the rule with these changes" (a second POST carrying the preview's digest and
the rule version it was made against) saves. If the settings were edited after the preview, or
someone saved the rule in between, nothing is saved and a fresh preview is shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mampf import permissions
from mampf.models import Lecture
from mampf.selectors import lecture_or_404
from performance import errors, rules
from performance.forms import RuleForm
from performance.models import Certification, RuleChange
from performance.selectors import active_rule

PREVIEW, SAVE, CONFIRM = "preview", "save", "confirm"
HISTORY_ROWS = 10


def _lecture(request, lecture_id: int) -> Lecture:
    lecture = lecture_or_404(lecture_id)
    permissions.require(permissions.can_manage_lecture(request.user, lecture))
    return lecture


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, lecture_id: int):
    lecture = _lecture(request, lecture_id)
    rule = active_rule(lecture=lecture)
    version = rule.version if rule else 0
    context = {
        "lecture": lecture,
        "rule": rule,
        "current_sentence": rules.rule_sentence(lecture=lecture, rule=rule),
        "sentence": "",
        "sentence_error": "",
        "preview": None,
        "history": RuleChange.objects.filter(rule=rule).select_related("by")[:HISTORY_ROWS]
        if rule
        else [],
    }
    if request.method == "GET":
        form = RuleForm(
            initial=RuleForm.initial_from(rules.RuleData.from_rule(rule), version=version),
            lecture=lecture,
        )
        context["sentence"] = context["current_sentence"]
        return render(request, "performance/rule_form.html", {**context, "form": form})

    form = RuleForm(request.POST, lecture=lecture)
    context["form"] = form
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return render(request, "performance/rule_form.html", context, status=400)
    data = form.rule_data()
    action = request.POST.get("action", SAVE)
    try:
        clean = rules.clean_rule(lecture=lecture, data=data)
    except errors.RuleError as exc:
        form.add_error(None, str(exc))
        context["sentence_error"] = str(exc)
        return render(request, "performance/rule_form.html", context, status=400)
    context["sentence"] = clean.sentence

    if action == CONFIRM:
        try:
            sent_version = int(request.POST.get("confirm_version", ""))
        except ValueError:
            sent_version = None
        digest = request.POST.get("confirm_digest", "")
        if sent_version is None or digest != rules.preview_digest(
            data=clean.data, version=sent_version
        ):
            messages.warning(
                request,
                _(
                    "The settings were changed after the preview. Nothing was saved; please "
                    "check the new preview."
                ),
            )
            return _preview(request, lecture, data, context)
        return _save(request, lecture, data, form, context, expected_version=sent_version)

    needs_preview = Certification.objects.filter(lecture_id=lecture.pk).exists()
    if action == PREVIEW or needs_preview:
        return _preview(request, lecture, data, context)
    return _save(
        request, lecture, data, form, context, expected_version=form.cleaned_data["base_version"]
    )


def _preview(request, lecture, data, context):
    try:
        context["preview"] = rules.preview_rule_change(lecture=lecture, data=data)
    except errors.RuleError as exc:
        context["form"].add_error(None, str(exc))
        return render(request, "performance/rule_form.html", context, status=400)
    return render(request, "performance/rule_form.html", context)


def _save(request, lecture, data, form, context, *, expected_version):
    try:
        saved = rules.save_rule(
            lecture=lecture,
            data=data,
            by=request.user,
            note=form.cleaned_data.get("note") or "",
            expected_version=expected_version,
        )
    except errors.RuleChangedMeanwhile as exc:
        messages.error(request, str(exc))
        return _preview(request, lecture, data, context)
    except (errors.RuleError, errors.Busy) as exc:
        form.add_error(None, str(exc))
        return render(request, "performance/rule_form.html", context, status=400)
    if saved.changed:
        messages.success(
            request,
            _("The rule was saved (version %(version)s).") % {"version": saved.rule.version},
        )
    else:
        messages.info(request, _("Nothing changed: the rule already says this."))
    return redirect("performance:rule_edit", lecture.pk)


@login_required
@require_POST
def rule_sentence(request, lecture_id: int):
    """The htmx partial: the submitted (unsaved) rule as a sentence, or what is still wrong."""
    lecture = _lecture(request, lecture_id)
    form = RuleForm(request.POST, lecture=lecture)
    sentence, problem = "", ""
    if form.is_valid():
        try:
            sentence = rules.clean_rule(lecture=lecture, data=form.rule_data()).sentence
        except errors.RuleError as exc:
            problem = str(exc)
    else:
        problem = _("Some fields are not filled in correctly yet.")
    return render(
        request,
        "performance/_rule_sentence.html",
        {"sentence": sentence, "sentence_error": problem},
    )
