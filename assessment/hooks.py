"""Change hooks: higher apps hear, after the commit, which lectures' grading data changed.

``performance`` keeps a record of every student's figures (points, maxima, statuses,
submissions, achievements) and must recompute it whenever they change, but ``assessment`` may
not import it (a lower app never imports a higher one). So every assessment service that changes
something a record reads calls ``grading_changed(lecture_ids=...)`` inside its transaction; the
listeners registered here (``performance`` at ``AppConfig.ready()``) are called with the
lecture ids **after the commit** (never for a rolled-back change); a listener that fails is
logged (a ``robust`` on-commit callback) and never fails the committed change.

What counts (the figures of DOMAIN-NOTES "Performance records and rules"): task points and
participation status of assignments (entering points, team grading, the sheet import, absent /
exempt / clearing a mark, seeding rows), tasks added, deleted or re-weighted, assignments created,
changed or deleted, submissions handed in or team membership changed, achievements created or
deleted and achievement values entered. Exams and talks never feed a record, so their grading
does not call the hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction

#: ``listener(lecture_ids: list[int]) -> None``, called after the commit.
GradingChangeListener = Callable[[list[int]], None]
_LISTENERS: list[GradingChangeListener] = []


def register_grading_change_listener(listener: GradingChangeListener) -> None:
    """Hear about grading changes (registering the same listener twice keeps one)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def unregister_grading_change_listener(listener: GradingChangeListener) -> None:
    """For tests that plug in a listener of their own."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def grading_changed(*, lecture_ids: Iterable[int | None]) -> None:
    """Tell the listeners, after the commit, that these lectures' grading data changed."""
    ids = sorted({int(pk) for pk in lecture_ids if pk is not None})
    if not ids or not _LISTENERS:
        return
    transaction.on_commit(lambda: _notify(ids), robust=True)


def _notify(ids: list[int]) -> None:
    for listener in list(_LISTENERS):
        listener(ids)


def assignment_changed(assessment) -> None:
    """``grading_changed`` for one assessment, when it is an assignment (the only kind a
    performance record reads)."""
    if assessment is not None and assessment.kind == "assignment":
        grading_changed(lecture_ids=[assessment.lecture_id])


# -- exam results: in the same transaction ---------------------------------------------------------
# A grade computed by a scheme must follow its points at once ("changing points after grades
# exist recomputes the grade of that participation"), inside the transaction that changed them,
# so no reader ever sees new points with the old grade. ``grade_schemes`` registers its regrade
# here at ``AppConfig.ready()``.

#: ``listener(*, assessment_id: int, participation_ids: list[int] | None, by) -> None``;
#: ``None`` means every row of the assessment (a task was added, deleted or re-weighted).
ResultChangeListener = Callable[..., None]
_RESULT_LISTENERS: list[ResultChangeListener] = []


def register_result_change_listener(listener: ResultChangeListener) -> None:
    """Hear, inside the transaction, that an exam's points or statuses changed."""
    if listener not in _RESULT_LISTENERS:
        _RESULT_LISTENERS.append(listener)


def results_changed(
    *, assessment, participation_ids: Iterable[int] | None = None, by=None
) -> None:
    """Call the listeners now (inside the caller's transaction) for an exam assessment's rows;
    assignments and talks carry no computed grades."""
    if assessment is None or assessment.kind != "exam" or not _RESULT_LISTENERS:
        return
    ids = None if participation_ids is None else sorted({int(pk) for pk in participation_ids})
    if ids == []:
        return
    for listener in list(_RESULT_LISTENERS):
        listener(assessment_id=assessment.pk, participation_ids=ids, by=by)


# -- result pages: where a publication mail links to ----------------------------------------------
# An exam's result page (points, grade, the scheme's bands and the distribution) lives in
# ``grade_schemes``, which registers its path here at ``AppConfig.ready()``; other kinds link to
# the lecture's "My results".

#: ``path_for(assessment) -> str``
_RESULT_PAGES: dict[str, Callable[[object], str]] = {}


def register_result_page(kind: str, path_for: Callable[[object], str]) -> None:
    """Let the results mail of assessments of this kind link to ``path_for(assessment)``."""
    _RESULT_PAGES[kind] = path_for


def result_page_path(assessment) -> str | None:
    """The registered result page of this assessment, or ``None`` (the caller's default)."""
    path_for = _RESULT_PAGES.get(assessment.kind)
    return path_for(assessment) if path_for is not None else None
