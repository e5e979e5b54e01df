"""Forms of the remediation pages: a batch's corrections (variant, question, kind, options as
checkboxes; never raw JSON), the revert reason, and the CSV uploads.

The forms check the shape only; whether a question belongs to the evaluation, whether the options
exist and whether corrections contradict each other is ``services.create_batch``'s to say.
"""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from remediation.api.serializers import MAX_CORRECTIONS, MAX_REASON

KIND_CHOICES = [
    ("drop_item", _("Drop the question (out of score and maximum)")),
    ("mark_correct", _("Accept further options as correct")),
    ("replace_key", _("Replace the key")),
]


def question_choices(versions) -> list:
    """Grouped choices: one group per variant, one entry per question version."""
    groups = []
    for version in versions:
        label = _("Variant %(label)s") % {"label": str(version)}
        groups.append(
            (
                label,
                [
                    (
                        str(q.pk),
                        _("%(variant)s, question %(position)s (key %(key)s)")
                        % {
                            "variant": str(version),
                            "position": q.position,
                            "key": ", ".join(q.key),
                        },
                    )
                    for q in version.questions.all()
                ],
            )
        )
    return [("", _("Choose a question"))] + groups


def option_choices(versions) -> list[tuple[str, str]]:
    """Every option letter any question of the evaluation has, in order."""
    seen: list[str] = []
    for version in versions:
        for question in version.questions.all():
            for option in question.options:
                if option not in seen:
                    seen.append(option)
    return [(o, o) for o in seen]


class CorrectionForm(forms.Form):
    question_version = forms.ChoiceField(label=_("Question"))
    kind = forms.ChoiceField(label=_("Correction"), choices=KIND_CHOICES, widget=forms.RadioSelect)
    options = forms.MultipleChoiceField(
        label=_("Options"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Accept further options: the options to accept as well (none ticked: every option "
            "counts as correct). Replace the key: the new key. Drop: leave empty."
        ),
    )

    def __init__(self, *args, questions=(), options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question_version"].choices = questions
        self.fields["options"].choices = options

    def correction(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "question_version": int(data["question_version"]),
            "options": list(data["options"]) if data["kind"] != "drop_item" else [],
        }


CorrectionFormSet = formset_factory(
    CorrectionForm,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_CORRECTIONS,
    validate_max=True,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say why: everyone affected may ask why their score changed."),
    )


# Largest file accepted on the upload pages (bytes).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class CSVUploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
