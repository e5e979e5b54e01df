"""Writes of the performance app; the public names of ARCHITECTURE.md live here.

Keyword-only; one short transaction each. Long flows have their own modules and are
re-exported here: records (``performance/records.py``, ``recompute.py``) and certifications
(``performance/certification.py``).
"""

from __future__ import annotations

from mampf.models import Lecture
from performance import records
from performance.certification import (  # noqa: F401 - public names (certify)
    accept_all_proposals,
    carry_over,
    override_certification,
    recertify,
)
from performance.models import Record
from performance.recompute import request_recompute  # noqa: F401 - public name (records)


def compute_and_upsert_all_records(*, lecture: Lecture) -> int:
    """Compute every lecture roster member's record in bulk SQL and upsert it; delete the
    records of students no longer on the roster. Returns how many records were written.

    One statement on PostgreSQL, a fixed number of queries elsewhere, whatever the number of
    students. ``performance.signals.records_changed`` follows the commit with the users whose
    figures changed. Callers outside the recompute task should prefer ``request_recompute``,
    which coalesces bursts and never runs two recomputes of one lecture at once.
    """
    return records.recompute(lecture=lecture).computed


def compute_and_upsert_record_for(*, lecture: Lecture, user) -> Record | None:
    """Recompute one student's record (the same figures as the bulk recompute); returns it,
    or None (and deletes their record) when the student is not on the lecture roster."""
    user_id = getattr(user, "pk", user)
    records.recompute(lecture=lecture, user_ids=[user_id])
    return Record.objects.filter(lecture=lecture, user_id=user_id).first()
