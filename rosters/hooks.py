"""Change hooks: higher apps hear, after the commit, which lectures' own rosters changed.

``performance`` keeps a record for every member of a lecture's roster and must add or delete
records when someone joins or leaves it, but ``rosters`` may not import it. Every roster service
that may change a lecture roster (adding to the lecture or to a group that propagates to it,
removing from the lecture, materializing an allocation) calls ``lecture_roster_changed`` inside
its transaction; the listeners registered here (``performance`` at ``AppConfig.ready()``) are
called with the lecture ids after the commit, never for a rolled-back change; a listener that
fails is logged (a ``robust`` on-commit callback) and never fails the committed change. Changes
of tutorial, talk or cohort rosters alone do not call it: records belong to the lecture roster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

#: ``listener(lecture_ids: list[int]) -> None``, called after the commit.
LectureRosterListener = Callable[[list[int]], None]
_LISTENERS: list[LectureRosterListener] = []


def register_lecture_roster_listener(listener: LectureRosterListener) -> None:
    """Hear about lecture roster changes (registering the same listener twice keeps one)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def unregister_lecture_roster_listener(listener: LectureRosterListener) -> None:
    """For tests that plug in a listener of their own."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def lecture_roster_changed(*, lecture_ids: Iterable[int | None]) -> None:
    """Tell the listeners, after the commit, that these lectures' own rosters changed."""
    ids = sorted({int(pk) for pk in lecture_ids if pk is not None})
    if not ids or not _LISTENERS:
        return
    transaction.on_commit(lambda: _notify(ids), robust=True)


def _notify(ids: list[int]) -> None:
    for listener in list(_LISTENERS):
        listener(ids)
