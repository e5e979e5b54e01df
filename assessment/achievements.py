"""Achievements (issue 8 item 7): staff define them per lecture and enter every student's value
in one table. Keyword-only services, one short transaction each, audited in
``AchievementChange``.

Rules:
- boolean achievements take yes/no, numeric ones a number >= 0, percentages 0 to 100, at most
  two decimal places (decimals, never floats);
- a table save is validated as a whole (``AchievementRejected`` lists every bad cell, nothing
  is written) and applied in bulk: one upsert, one delete, one audit insert at any size;
- only the cells that were sent change: an empty cell clears the value, a missing one is left
  alone; only students of the lecture's roster can have a value;
- ``delete_achievement`` asks every registered deletion guard first (higher apps plug in at
  ``ready()``: ``performance`` refuses deleting an achievement a rule requires), inside the
  transaction that locks the achievement row, so a concurrent rule save cannot slip in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment import errors
from assessment.hooks import grading_changed
from assessment.models import Achievement, AchievementChange, AchievementValue
from mampf.db import actor_or_none, lock_rows, translate_db_errors
from rosters.models import RosterEntry

MAX_VALUE = Decimal("9999999.99")
CENT = Decimal("0.01")
YES, NO = "yes", "no"


class AchievementRejected(errors.AssessmentError):
    code = "achievement_rejected"
    default_message = gettext_lazy("Nothing was saved: please correct the marked cells.")

    def __init__(self, problems: dict[int, str], message=None):
        super().__init__(message)
        self.problems = problems  # user id -> message


class AchievementInUse(errors.AssessmentError):
    code = "achievement_in_use"
    default_message = gettext_lazy("This achievement is in use and cannot be deleted.")


# A guard receives the (locked) achievement and returns a refusal message, or None to allow.
DeletionGuard = Callable[[Achievement], "str | None"]
_deletion_guards: list[DeletionGuard] = []


def register_deletion_guard(guard: DeletionGuard) -> None:
    """Higher apps register a check at ``ready()``; registering the same one twice is a no-op."""
    if guard not in _deletion_guards:
        _deletion_guards.append(guard)


def deletion_refusal(achievement: Achievement) -> str | None:
    """The first registered guard's refusal message, or None when the achievement may go."""
    for guard in _deletion_guards:
        message = guard(achievement)
        if message:
            return message
    return None


def _decimal(text: str, *, upper: Decimal) -> Decimal:
    raw = text.strip().replace(",", ".")
    if len(raw) > 20:
        raise ValueError
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError from None
    if (
        not value.is_finite()
        or value < 0
        or value > upper
        or value != value.quantize(CENT, rounding="ROUND_DOWN")
    ):
        raise ValueError
    return value.quantize(CENT)


def clean_threshold(value_type: str, raw) -> Decimal | None:
    text = "" if raw is None else str(raw).strip()
    if value_type == Achievement.ValueType.BOOLEAN:
        if text:
            raise errors.AssessmentError(_("A pass/fail achievement has no threshold."))
        return None
    upper = Decimal("100") if value_type == Achievement.ValueType.PERCENTAGE else MAX_VALUE
    try:
        value = _decimal(text, upper=upper)
    except ValueError:
        raise errors.AssessmentError(
            _("Percentages need a threshold from 0 to 100.")
            if value_type == Achievement.ValueType.PERCENTAGE
            else _("Numbers need a threshold above 0.")
        ) from None
    if value_type == Achievement.ValueType.NUMERIC and value <= 0:
        raise errors.AssessmentError(_("Numbers need a threshold above 0."))
    return value


def clean_value(achievement: Achievement, raw) -> tuple[bool | None, Decimal | None] | None:
    """(passed, value) for one cell, ``None`` for an empty one; ``ValueError`` if bad."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    if achievement.value_type == Achievement.ValueType.BOOLEAN:
        if text not in (YES, NO):
            raise ValueError
        return text == YES, None
    upper = (
        Decimal("100") if achievement.value_type == Achievement.ValueType.PERCENTAGE else MAX_VALUE
    )
    return None, _decimal(text, upper=upper)


def value_text(passed: bool | None, value: Decimal | None) -> str:
    if passed is not None:
        return YES if passed else NO
    return "" if value is None else str(value)


@translate_db_errors(error=errors.Busy)
def create_achievement(*, lecture, title: str, value_type: str, threshold, by) -> Achievement:
    """A new achievement of the lecture; refuses a duplicate title or a threshold that does not
    fit the type."""
    title = (title or "").strip()[:200]
    if not title:
        raise errors.AssessmentError(_("Please give the achievement a title."))
    if value_type not in Achievement.ValueType.values:
        raise errors.AssessmentError(_("Please choose a value type."))
    limit = clean_threshold(value_type, threshold)
    try:
        with transaction.atomic():
            created = Achievement.objects.create(
                lecture=lecture, title=title, value_type=value_type, threshold=limit
            )
            grading_changed(lecture_ids=[created.lecture_id])
            return created
    except IntegrityError:
        raise errors.AssessmentError(
            _("This lecture already has an achievement “%(title)s”.") % {"title": title}
        ) from None


@translate_db_errors(error=errors.Busy)
def enter_achievement_values(*, achievement: Achievement, values: Mapping[int, object], by) -> int:
    """Save the sent cells (user id -> raw text; empty clears) as a whole; return how many
    changed. Refuses ``AchievementRejected`` with every bad cell; nothing half-saved."""
    problems: dict[int, str] = {}
    cleaned: dict[int, tuple | None] = {}
    for user_id, raw in values.items():
        try:
            cleaned[int(user_id)] = clean_value(achievement, raw)
        except ValueError:
            problems[int(user_id)] = (
                _("Please choose passed or not passed.")
                if achievement.value_type == Achievement.ValueType.BOOLEAN
                else _("Please enter a percentage from 0 to 100 with at most two decimal places.")
                if achievement.value_type == Achievement.ValueType.PERCENTAGE
                else _("Please enter a number of at least 0 with at most two decimal places.")
            )
    with transaction.atomic():
        locked = lock_rows(Achievement, [achievement.pk])
        if not locked:
            raise errors.AssessmentError(_("This achievement no longer exists."))
        achievement = locked[0]
        students = set(
            RosterEntry.objects.filter(
                registerable_id=achievement.lecture_id, user_id__in=list(cleaned)
            ).values_list("user_id", flat=True)
        )
        for user_id in cleaned:
            if user_id not in students:
                problems.setdefault(user_id, _("Not a student of this lecture."))
        if problems:
            raise AchievementRejected(problems)
        existing = {
            v.user_id: v
            for v in AchievementValue.objects.select_for_update().filter(
                achievement=achievement, user_id__in=list(cleaned)
            )
        }
        actor = actor_or_none(by)
        upsert, delete, audits = [], [], []
        for user_id, new in cleaned.items():
            old = existing.get(user_id)
            old_text = value_text(old.passed, old.value) if old else ""
            new_text = value_text(*new) if new else ""
            if old_text == new_text:
                continue
            if new is None:
                delete.append(user_id)
            else:
                upsert.append(
                    AchievementValue(
                        achievement=achievement,
                        user_id=user_id,
                        passed=new[0],
                        value=new[1],
                        updated_by=actor,
                    )
                )
            audits.append(
                AchievementChange(
                    achievement=achievement, user_id=user_id, old=old_text, new=new_text, by=actor
                )
            )
        if delete:
            AchievementValue.objects.filter(achievement=achievement, user_id__in=delete).delete()
        if upsert:
            AchievementValue.objects.bulk_create(
                upsert,
                update_conflicts=True,
                unique_fields=["achievement", "user"],
                update_fields=["passed", "value", "updated_by", "updated_at"],
            )
        if audits:
            AchievementChange.objects.bulk_create(audits)
            grading_changed(lecture_ids=[achievement.lecture_id])
    return len(audits)


@translate_db_errors(error=errors.Busy)
def delete_achievement(*, achievement: Achievement, by) -> None:
    """Delete an achievement with its values. Refuses ``AchievementInUse`` when a registered
    guard objects (a rule requires it); nothing is deleted then."""
    with transaction.atomic():
        locked = lock_rows(Achievement, [achievement.pk])
        if not locked:
            raise errors.AssessmentError(_("This achievement no longer exists."))
        achievement = locked[0]
        message = deletion_refusal(achievement)
        if message:
            raise AchievementInUse(message)
        lecture_id = achievement.lecture_id
        achievement.delete()
        grading_changed(lecture_ids=[lecture_id])
