"""The impact preview of a draft batch as the page, the API and the CSV download show it.

``services.preview_batch`` computes it (a dry run, nothing written); this module only shapes it:
plain dictionaries for the serializer and the template, rows for ``mampf.exports``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from mampf.exports import csv_response, export_name
from remediation import services

# The page lists this many score changes; the CSV has every row.
SHOWN_CHANGES = 200


def _mover(mover) -> dict:
    return {
        "participation": mover.participation_id,
        "user": {"id": mover.user_id, "name": mover.name},
        "matriculation_number": mover.matriculation_number,
        "old_points": mover.old_points,
        "new_points": mover.new_points,
        "old_grade": mover.old_grade,
        "new_grade": mover.new_grade,
        "no_disadvantage": mover.no_disadvantage,
    }


def _change(change) -> dict:
    return {
        "sheet": change.sheet_id,
        "user": {"id": change.user_id, "name": change.name},
        "attempt": change.attempt,
        "old_score": change.old_score,
        "old_max_score": change.old_max,
        "new_score": change.new_score,
        "new_max_score": change.new_max,
    }


def preview_data(*, batch) -> dict:
    preview = services.preview_batch(batch=batch)
    return {
        "batch": preview.batch_id,
        "submissions_affected": preview.submissions_affected,
        "has_exam": preview.has_exam,
        "pass_mark": preview.pass_mark,
        "pass_to_fail_count": len(preview.pass_to_fail),
        "fail_to_pass_count": len(preview.fail_to_pass),
        "unchanged_count": len(preview.unchanged),
        "score_changes_count": len(preview.score_changes),
        "score_changes": [_change(c) for c in preview.score_changes],
        "pass_to_fail": [_mover(m) for m in preview.pass_to_fail],
        "fail_to_pass": [_mover(m) for m in preview.fail_to_pass],
        "unchanged": [_mover(m) for m in preview.unchanged],
        "no_disadvantage": [_mover(m) for m in preview.no_disadvantage],
    }


def preview_csv_response(*, batch):
    """One row per student of the exam (pass -> fail, fail -> pass, unchanged) with points and
    grades before and after; without an exam, one row per rescored sheet."""
    preview = services.preview_batch(batch=batch)
    filename = export_name(batch.evaluation.title, _("preview of batch %(id)s") % {"id": batch.pk})
    if not preview.has_exam:
        header = [
            _("Name"),
            _("Attempt"),
            _("Score before"),
            _("Score after"),
            _("Maximum before"),
            _("Maximum after"),
        ]
        rows = (
            [c.name, c.attempt, c.old_score, c.new_score, c.old_max, c.new_max]
            for c in preview.score_changes
        )
        return csv_response(filename=filename, header=header, rows=rows)
    header = [
        _("Outcome"),
        _("Name"),
        _("Matriculation number"),
        _("Points before"),
        _("Points after"),
        _("Grade before"),
        _("Grade after"),
        _("No disadvantage applied"),
    ]
    groups = [
        (_("pass → fail"), preview.pass_to_fail),
        (_("fail → pass"), preview.fail_to_pass),
        (_("unchanged"), preview.unchanged),
    ]
    rows = [
        [
            label,
            m.name,
            m.matriculation_number,
            m.old_points,
            m.new_points,
            m.old_grade,
            m.new_grade,
            m.no_disadvantage,
        ]
        for label, movers in groups
        for m in movers
    ]
    return csv_response(filename=filename, header=header, rows=rows)
