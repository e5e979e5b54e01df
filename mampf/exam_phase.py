"""The phase of an exam as staff see it, derived from plain facts. Pure: no Django, no database.

Phases, in the order an exam goes through them (DOMAIN-NOTES "Exams"):

- ``preparation``: no registration has opened yet (no campaign, or only drafts);
- ``registration``: a campaign for the exam runs (open, closed or awaiting finalization);
- ``finalized``: its campaign is completed, the exam roster is written;
- ``conducted``: the exam's date has passed;
- ``grading``: at least one participation of the exam's assessment is reviewed;
- ``graded``: the exam's results are published.

The latest phase whose fact holds wins, so a fact of a later phase is never hidden by an
earlier one (a reviewed row means grading even if someone reopened the registration).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

PREPARATION = "preparation"
REGISTRATION = "registration"
FINALIZED = "finalized"
CONDUCTED = "conducted"
GRADING = "grading"
GRADED = "graded"
PHASES = (PREPARATION, REGISTRATION, FINALIZED, CONDUCTED, GRADING, GRADED)

# Campaign statuses (registration.Campaign.Status values) that mean "registration runs".
RUNNING_STATUSES = frozenset({"open", "closed", "processing"})
COMPLETED_STATUS = "completed"


def exam_phase(
    *,
    campaign_statuses: Iterable[str],
    exam_date: datetime | None,
    now: datetime,
    any_reviewed: bool,
    published: bool,
) -> str:
    """The exam's phase from the statuses of the campaigns offering it, its date (``None``: not
    fixed yet, so never conducted), whether any result row is reviewed and whether its results
    are published."""
    if published:
        return GRADED
    if any_reviewed:
        return GRADING
    if exam_date is not None and exam_date <= now:
        return CONDUCTED
    statuses = set(campaign_statuses)
    if statuses & RUNNING_STATUSES:
        return REGISTRATION
    if COMPLETED_STATUS in statuses:
        return FINALIZED
    return PREPARATION
