"""Writes of an exam's multiple-choice configuration (issue 10 item 6).

- ``configure_mc`` creates or changes the MC part: which task, its weight, the pass mark rule
  (a preset or custom clauses), the points per question, how the MC grade is found and "no
  disadvantage". Every field is checked and a refusal names each bad field
  (``InvalidMcConfig.details["fields"]``); nothing is stored then. A change is audited
  (``McConfigChange``, old and new settings) and leaves the grades *not applied*: the active
  scheme must be applied again after a preview, as after editing its bands;
- ``remove_mc`` takes the MC part away (its outcomes go, the grades wait for a new apply);
- ``set_first_attempt`` corrects whether a row is a first attempt (the ÄApprO reference group);
  audited as an ``assessment.GradeChange`` of field ``settings``.
Lock order as everywhere in grading: the assessment row first.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from assessment.models import Assessment, GradeChange, Participation, Task
from grade_schemes import bands as band_rules
from grade_schemes import errors
from grade_schemes.models import GradeScheme, McConfig, McConfigChange, McOutcome
from mampf.db import actor_or_none, lock_rows, translate_db_errors

Rule, Relative = McConfig.Rule, McConfig.Relative
SETTINGS = (
    "task_id", "weight", "rule", "absolute_percent", "relative", "relative_value",
    "floor_percent", "reference", "step", "mc_grading", "no_disadvantage",
)  # fmt: skip


def _number(value, fields: dict, name: str, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            fields[name] = _("Please enter a number.")
        return None
    number = band_rules.to_decimal(value)
    if number is None:
        fields[name] = _("Please enter a number.")
    return number


def _percent(value, fields: dict, name: str, *, required: bool = False) -> Decimal | None:
    number = _number(value, fields, name, required=required)
    if number is not None and not (0 <= number <= 100):
        fields[name] = _("Please enter a percentage between 0 and 100.")
    return number


def clean_settings(*, assessment: Assessment, task, values: dict) -> dict:
    """The checked settings, or ``InvalidMcConfig`` naming every bad field."""
    fields: dict[str, str] = {}
    if task is None or task.assessment_id != assessment.pk:
        fields["task"] = _("Please choose a task of this exam.")
    elif task.max_points <= 0:
        fields["task"] = _("The multiple-choice task needs a maximum above 0 points.")
    weight = _number(values.get("weight"), fields, "weight", required=True)
    if weight is not None and not (0 < weight <= 1):
        fields["weight"] = _("The weight must lie above 0 and at most 1.")
    rule = values.get("rule") or ""
    if rule not in Rule.values:
        fields["rule"] = _("Please choose a pass mark rule.")
    step = _number(values.get("step", 1), fields, "step", required=True)
    if step is not None and step <= 0:
        fields["step"] = _("The points per question must be above 0.")
    elif step is not None and task is not None and "task" not in fields and step > task.max_points:
        fields["step"] = _("The points per question cannot exceed the task's maximum.")
    mc_grading = values.get("mc_grading") or McConfig.McGrading.SHARE
    if mc_grading not in McConfig.McGrading.values:
        fields["mc_grading"] = _("Please choose how the MC grade is found.")
    cleaned = {
        "weight": weight,
        "rule": rule,
        "step": step,
        "mc_grading": mc_grading,
        "no_disadvantage": bool(values.get("no_disadvantage", True)),
        "absolute_percent": None,
        "relative": "",
        "relative_value": None,
        "floor_percent": None,
        "reference": McConfig.Reference.ALL,
    }
    if rule == Rule.CUSTOM:
        absolute = _percent(values.get("absolute_percent"), fields, "absolute_percent")
        relative = values.get("relative") or ""
        if relative not in Relative.values:
            fields["relative"] = _("Please choose a relative clause.")
        relative_value = None
        if relative:
            relative_value = _number(
                values.get("relative_value"), fields, "relative_value", required=True
            )
            if relative_value is not None:
                if relative == Relative.FACTOR and not (0 < relative_value <= 1):
                    fields["relative_value"] = _("The factor must lie above 0 and at most 1.")
                elif relative == Relative.MINUS and relative_value < 0:
                    fields["relative_value"] = _("The points below the mean cannot be negative.")
        floor = _percent(values.get("floor_percent"), fields, "floor_percent")
        reference = values.get("reference") or McConfig.Reference.ALL
        if reference not in McConfig.Reference.values:
            fields["reference"] = _("Please choose a reference group.")
        if absolute is None and not relative and "absolute_percent" not in fields:
            fields["absolute_percent"] = _(
                "A custom rule needs an absolute pass mark, a relative clause, or both."
            )
        cleaned.update(
            absolute_percent=absolute,
            relative=relative,
            relative_value=relative_value,
            floor_percent=floor,
            reference=reference,
        )
    elif rule == Rule.AEAPPRO:
        cleaned["reference"] = McConfig.Reference.FIRST_ATTEMPTS
    if fields:
        raise errors.InvalidMcConfig(details={"fields": fields})
    return cleaned


def _snapshot(config: McConfig | None) -> dict:
    if config is None:
        return {}
    return {
        name: (format(value.normalize(), "f") if isinstance(value, Decimal) else value)
        for name in SETTINGS
        for value in [getattr(config, name)]
    }


def _unapply(assessment_id: int) -> None:
    """The grades must be applied again (after a preview) under the changed settings."""
    GradeScheme.objects.filter(assessment_id=assessment_id, is_active=True).update(applied_at=None)


@translate_db_errors(error=errors.Busy)
def configure_mc(*, assessment: Assessment, task: Task | None, by, **values) -> McConfig:
    """Create or change the exam's MC part (see the module rules). No change, no audit row."""
    if assessment.kind != Assessment.Kind.EXAM:
        raise errors.WrongKind()
    cleaned = clean_settings(assessment=assessment, task=task, values=values)
    with transaction.atomic():
        lock_rows(Assessment, [assessment.pk])
        config = McConfig.objects.filter(assessment=assessment).first()
        old = _snapshot(config)
        if config is None:
            config = McConfig(assessment=assessment)
        config.task = task
        for name, value in cleaned.items():
            setattr(config, name, value)
        new = _snapshot(config)
        if old == new:
            return config
        config.applied_pass_mark, config.applied_derivation = None, {}
        config.updated_by = actor_or_none(by)
        config.save()
        McConfigChange.objects.create(assessment=assessment, old=old, new=new, by=actor_or_none(by))
        _unapply(assessment.pk)
    return config


@translate_db_errors(error=errors.Busy)
def remove_mc(*, assessment: Assessment, by) -> None:
    """The exam has no MC part any more: the task is graded by the scheme like the others."""
    with transaction.atomic():
        lock_rows(Assessment, [assessment.pk])
        config = McConfig.objects.filter(assessment=assessment).first()
        if config is None:
            return
        McConfigChange.objects.create(
            assessment=assessment, old=_snapshot(config), new={}, by=actor_or_none(by)
        )
        McOutcome.objects.filter(participation__assessment=assessment).delete()
        config.delete()
        _unapply(assessment.pk)


@translate_db_errors(error=errors.Busy)
def set_first_attempt(*, participation: Participation, first_attempt: bool, by) -> Participation:
    """Whether this row is a first attempt; audited. The pass mark moves only at the next
    apply (the page says so)."""
    with transaction.atomic():
        lock_rows(Assessment, [participation.assessment_id], shared=True)
        rows = lock_rows(Participation, [participation.pk])
        if not rows:
            raise errors.GradeSchemeError(_("This participation no longer exists."), code="gone")
        row = rows[0]
        if row.first_attempt == bool(first_attempt):
            return row
        GradeChange.objects.create(
            assessment_id=row.assessment_id,
            participation=row,
            field=GradeChange.Field.SETTINGS,
            old="first attempt" if row.first_attempt else "repeat attempt",
            new="first attempt" if first_attempt else "repeat attempt",
            reason="attempt corrected",
            by=actor_or_none(by),
        )
        row.first_attempt = bool(first_attempt)
        row.version += 1
        row.save(update_fields=["first_attempt", "version", "updated_at"])
    return row
