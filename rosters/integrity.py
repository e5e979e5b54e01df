"""Rosters' integrity check (DOMAIN-NOTES "Rosters"; registered at ``ready()``).

``group_members_missing_from_lecture``: the lecture roster is a superset of its group rosters
(tutorials, talks, propagating cohorts). A group member who is not on the lecture roster means a
write went around ``rosters.services`` (which propagate every addition and cascade every removal
from the lecture). Daily, one statement; the lecture's staff are told which roster entries, and
nothing is changed by machine: whether the student belongs to the lecture is theirs to decide.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mampf.integrity import Action, Finding, counted_by_lecture, register_check
from mampf.models import Cohort, Talk, Tutorial
from rosters.models import RosterEntry


def _groups_sql() -> str:
    parts = []
    for model, where in ((Tutorial, ""), (Talk, ""), (Cohort, " WHERE propagate_to_lecture")):
        pk = model._meta.pk.column
        lecture = model._meta.get_field("lecture").column
        parts.append(
            f"SELECT {pk} AS id, {lecture} AS lecture_id FROM {model._meta.db_table}{where}"  # noqa: S608
        )
    return " UNION ALL ".join(parts)


def group_members_missing_from_lecture() -> list[Finding]:
    """Group roster entries whose student is not on the lecture roster, per lecture."""
    table = RosterEntry._meta.db_table
    sql = f"""
        SELECT g.lecture_id, e.id
        FROM {table} e
        JOIN ({_groups_sql()}) g ON g.id = e.registerable_id
        WHERE NOT EXISTS (
            SELECT 1 FROM {table} l
            WHERE l.registerable_id = g.lecture_id AND l.user_id = e.user_id
        )
        ORDER BY e.id
    """  # noqa: S608 - table and column names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return counted_by_lecture(rows)


def entry_links(ids) -> dict:
    rows = RosterEntry.objects.filter(pk__in=list(ids)).values_list("pk", "registerable_id")
    return {pk: reverse("rosters:roster_detail", args=[group]) for pk, group in rows}


def register() -> None:
    register_check(
        "group_members_missing_from_lecture",
        label=_("Group members missing from the lecture roster"),
        interval=timedelta(days=1),
        threshold=0,
        action=Action.ALERT_STAFF,
        fn=group_members_missing_from_lecture,
        links=entry_links,
        object_label=_("roster entry"),
    )
