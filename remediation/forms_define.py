"""Forms of the pages that define an MC test and enter one answer sheet by hand.

They check the shape only; ``remediation.services`` says whether a title, variant, question or
sheet is acceptable (its per-field messages are put beside the fields).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from remediation.services import MAX_LABEL, MAX_TITLE


def add_service_errors(form: forms.Form, fields: dict) -> None:
    """Put ``InvalidDefinition.fields`` beside the form's fields (others above the form)."""
    for name, messages in fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class EvaluationForm(forms.Form):
    task = forms.TypedChoiceField(label=_("Task"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)

    def __init__(self, *args, tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].choices = [(t.pk, f"{t.position}. {t.title}") for t in tasks]
        self.tasks = {t.pk: t for t in tasks}


class VersionForm(forms.Form):
    label = forms.CharField(
        label=_("Label of the new variant"),
        max_length=MAX_LABEL,
        help_text=_("For example B. Its questions are added below once it exists."),
    )


class SheetForm(forms.Form):
    """The candidate and one checkbox group per question of the chosen variant."""

    matriculation_number = forms.CharField(label=_("Matriculation number"), max_length=30)

    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.position}"] = forms.MultipleChoiceField(
                label=_("Question %(position)s") % {"position": question.position},
                choices=[(o, o) for o in question.options],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def question_fields(self):
        return [self[f"q{q.position}"] for q in self.questions]

    def answers(self) -> dict:
        return {q.position: self.cleaned_data[f"q{q.position}"] for q in self.questions}
