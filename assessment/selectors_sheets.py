"""Reads for the talk grading and achievement pages; fixed query counts, stated per function."""

from __future__ import annotations

from dataclasses import dataclass

from assessment.achievements import value_text
from assessment.models import Achievement, AchievementValue, Participation
from mampf.models import User
from rosters.models import RosterEntry


def talk_rows(*, assessment) -> list[Participation]:
    """The talk's participations with their speakers, by name; one query."""
    return list(
        Participation.objects.filter(assessment=assessment)
        .select_related("user")
        .order_by("user__name", "user__pk")
    )


def speakers_without_row(*, assessment) -> int:
    """Speakers on the talk's roster who have no participation yet; one query."""
    return (
        RosterEntry.objects.filter(registerable_id=assessment.talk_id)
        .exclude(user_id__in=Participation.objects.filter(assessment=assessment).values("user_id"))
        .count()
    )


def lecture_achievements(*, lecture) -> list[Achievement]:
    """The lecture's achievements by title; one query."""
    return list(Achievement.objects.filter(lecture=lecture).order_by("title"))


@dataclass(frozen=True)
class AchievementRow:
    user: User
    text: str  # the stored value as form text ("yes"/"no"/"7.50"/"")
    reached: bool | None  # passed / at or above the threshold; None when ungraded


def achievement_table(*, achievement: Achievement) -> list[AchievementRow]:
    """Every student on the lecture's roster with their value, by name; two queries."""
    students = list(
        User.objects.filter(
            pk__in=RosterEntry.objects.filter(registerable_id=achievement.lecture_id).values(
                "user_id"
            )
        ).order_by("name", "pk")
    )
    values = {
        v.user_id: v
        for v in AchievementValue.objects.filter(
            achievement=achievement, user_id__in=[u.pk for u in students]
        )
    }
    rows = []
    for user in students:
        v = values.get(user.pk)
        if v is None:
            rows.append(AchievementRow(user, "", None))
        elif v.passed is not None:
            rows.append(AchievementRow(user, value_text(v.passed, None), v.passed))
        else:
            rows.append(
                AchievementRow(
                    user,
                    value_text(None, v.value),
                    achievement.threshold is not None and v.value >= achievement.threshold,
                )
            )
    return rows
