"""Reads for students: "My performance" in a lecture, and the admission notice on an exam
registration page (issue 9 item 11).

Rules:
- a student's page shows only what assessment lets them see: a sheet's points count once its
  results are published for the student (``Assessment.results_published_at``, or a
  ``TutorialPublication`` for the tutorial of their participation, exactly as "My results"
  decides). An unpublished sheet is shown as "not yet published" and enters the evaluator as
  still outstanding (no points, not marked), so neither the points nor a criterion computed from
  them leak before publication. Exempt sheets are shown (an exemption is no grade); absent is
  a result and waits for publication like points. Achievements have no publication step and are
  shown as recorded;
- the criteria on the page are therefore "from your published results" and may differ from the
  teacher's certification, which is shown as it is (status, date, how it was decided; never the
  teacher's note, which is an audit justification written for staff, and never the figures
  snapshot, which may hold unpublished points);
- nothing is recomputed: the page reads the record (the facts of the last recompute) and the
  certification, and runs the pure evaluator on the published part of the record;
- bounded queries, whatever the number of sheets: about ten.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Subquery
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessment.models import Assessment, Participation, TutorialPublication
from mampf.db import BoundRead, PreparedQuery
from mampf.links import path_for
from mampf.models import Lecture
from performance import evaluator
from performance.evaluator import RecordFigures, RuleSpec, SheetFigures, Verdict
from performance.models import Certification, Record, Rule
from performance.selectors import is_stale
from performance.wording import describe_rule
from registration.models import Campaign, Policy
from registration.notices import CampaignNotice
from rosters.models import RosterEntry

ZERO = Decimal(0)
KIND = "student_performance"

# A sheet's state on the student's page.
PUBLISHED = "published"  # reviewed and published: points shown
UNPUBLISHED = "unpublished"  # a result exists or may exist, but is not published yet
OPEN = "open"  # nothing graded yet (not handed in / pending marking)
ABSENT = "absent"
EXEMPT = "exempt"


@dataclass(frozen=True)
class SheetRow:
    assessment_id: int
    title: str
    deadline: datetime.datetime | None
    maximum: Decimal
    points: Decimal | None
    state: str
    submitted: bool
    is_bonus: bool
    in_sheet_criterion: bool
    sheet_met: bool | None  # the per-sheet criterion on this sheet (None: not applicable/open)


@dataclass(frozen=True)
class CertificationView:
    status: str
    status_label: str
    source: str
    certified_at: datetime.datetime
    under_review: bool  # stale: the figures or the rule changed since the decision
    origin_lecture: str = ""
    origin_term: str = ""


@dataclass
class StudentPerformance:
    lecture: Lecture
    student: object
    rule: Rule | None
    rule_sentence: str
    has_record: bool
    computed_at: datetime.datetime | None
    sheets: list[SheetRow] = field(default_factory=list)
    verdict: Verdict | None = None
    certification: CertificationView | None = None
    points: Decimal = ZERO
    maximum: Decimal = ZERO
    unpublished: int = 0

    @property
    def criteria(self):
        return self.verdict.criteria if self.verdict else ()


def is_member(*, lecture: Lecture, user_id: int) -> bool:
    """On the lecture roster, or with a record or a certification in it (one query)."""
    return (
        RosterEntry.objects.filter(registerable_id=lecture.pk, user_id=user_id).exists()
        or Record.objects.filter(lecture=lecture, user_id=user_id).exists()
        or Certification.objects.filter(lecture=lecture, user_id=user_id).exists()
    )


def _published_assignments(*, lecture: Lecture, user_id: int) -> tuple[dict, set[int]]:
    """The lecture's assignments by id (one query) and the ids whose results this student may
    see (one query)."""
    assignments = {
        row["pk"]: row
        for row in Assessment.objects.filter(
            lecture=lecture, kind=Assessment.Kind.ASSIGNMENT
        ).values("pk", "title", "deadline", "results_published_at")
    }
    published = {pk for pk, row in assignments.items() if row["results_published_at"] is not None}
    per_tutorial = TutorialPublication.objects.filter(
        assessment_id=OuterRef("assessment_id"), tutorial_id=OuterRef("tutorial_id")
    )
    published |= set(
        Participation.objects.filter(user_id=user_id, assessment_id__in=list(assignments))
        .annotate(tutorial_published=Exists(per_tutorial))
        .filter(tutorial_published=True)
        .values_list("assessment_id", flat=True)
    )
    return assignments, published


def published_figures(record: Record, published: set[int]) -> RecordFigures:
    """The record as the student may see it: unpublished results become outstanding."""
    figures = RecordFigures.from_record(record)
    sheets = {}
    for pk, sheet in figures.sheets.items():
        if pk not in published and sheet.status in (evaluator.REVIEWED, evaluator.ABSENT):
            sheet = SheetFigures(
                assessment_id=pk,
                maximum=sheet.maximum,
                status="pending",
                points=None,
                submitted=sheet.submitted,
            )
        sheets[pk] = sheet
    return RecordFigures(sheets=sheets, achievements=figures.achievements)


def _state(raw_status: str, pk: int, published: set[int]) -> str:
    if raw_status == evaluator.EXEMPT:
        return EXEMPT
    if raw_status in (evaluator.REVIEWED, evaluator.ABSENT):
        if pk not in published:
            return UNPUBLISHED
        return PUBLISHED if raw_status == evaluator.REVIEWED else ABSENT
    return OPEN


def _sheet_rows(record, figures, assignments, published, spec: RuleSpec | None) -> list[SheetRow]:
    raw = RecordFigures.from_record(record).sheets
    bonus = set(spec.bonus_sheet_ids) if spec else set()
    if spec and spec.has_sheet_criterion:
        criterion = set(spec.sheet_ids) if spec.sheet_ids else {pk for pk in raw if pk not in bonus}
    else:
        criterion = set()
    rows = []
    for pk, sheet in figures.sheets.items():
        info = assignments.get(pk)
        if info is None:  # deleted since the last recompute
            continue
        state = _state(raw[pk].status, pk, published)
        met = None
        if pk in criterion and state == PUBLISHED:
            met = evaluator.sheet_met(sheet, spec.sheet_min_percentage)
        rows.append(
            SheetRow(
                assessment_id=pk,
                title=info["title"],
                deadline=info["deadline"],
                maximum=sheet.maximum,
                points=sheet.points if state == PUBLISHED else None,
                state=state,
                submitted=sheet.submitted,
                is_bonus=pk in bonus,
                in_sheet_criterion=pk in criterion,
                sheet_met=met,
            )
        )
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    rows.sort(key=lambda r: (r.deadline or far, r.assessment_id))
    return rows


def certification_view(*, lecture: Lecture, user_id: int, rule: Rule | None):
    """The student's certification as they may see it, or None (one query)."""
    current = Record.objects.filter(lecture_id=OuterRef("lecture_id"), user_id=OuterRef("user_id"))
    certification = (
        Certification.objects.filter(lecture=lecture, user_id=user_id)
        .annotate(current_fingerprint=Subquery(current.values("fingerprint")[:1]))
        .select_related("origin__lecture__term")
        .first()
    )
    if certification is None:
        return None
    row = {
        "source": certification.source,
        "record_fingerprint": certification.record_fingerprint,
        "current_fingerprint": certification.current_fingerprint,
        "rule_id": certification.rule_id,
        "rule_version": certification.rule_version,
    }
    origin = certification.origin.lecture if certification.origin_id else None
    return CertificationView(
        status=certification.status,
        status_label=certification.get_status_display(),
        source=certification.source,
        certified_at=certification.certified_at,
        under_review=is_stale(certification_row=row, rule=rule),
        origin_lecture=origin.title if origin else "",
        origin_term=str(origin.term) if origin else "",
    )


def student_performance(*, lecture: Lecture, student) -> StudentPerformance:
    """Everything "My performance" shows for one student of one lecture (about ten queries)."""
    from performance.selectors import active_rule

    rule = active_rule(lecture=lecture)
    spec = RuleSpec.from_rule(rule) if rule else None
    record = Record.objects.filter(lecture=lecture, user=student).first()
    assignments, published = _published_assignments(lecture=lecture, user_id=student.pk)
    page = StudentPerformance(
        lecture=lecture,
        student=student,
        rule=rule,
        rule_sentence="",
        has_record=record is not None,
        computed_at=record.computed_at if record else None,
        certification=certification_view(lecture=lecture, user_id=student.pk, rule=rule),
    )
    if spec:
        bonus = set(spec.bonus_sheet_ids)
        page.rule_sentence = describe_rule(
            spec, sheet_count=sum(1 for pk in assignments if pk not in bonus)
        )
    if record is None:
        return page
    figures = published_figures(record, published)
    page.sheets = _sheet_rows(record, figures, assignments, published, spec)
    bonus = set(spec.bonus_sheet_ids) if spec else set()
    page.points = sum((r.points or ZERO for r in page.sheets if r.state == PUBLISHED), ZERO)
    page.maximum = sum(
        (r.maximum for r in page.sheets if r.state != EXEMPT and r.assessment_id not in bonus),
        ZERO,
    )
    page.unpublished = sum(1 for r in page.sheets if r.state == UNPUBLISHED)
    if spec:
        page.verdict = evaluator.evaluate(record=figures, rule=spec)
    return page


# -- the exam registration page (registration.notices provider) ----------------------------------


def _lecture_ids(policies, campaign) -> list[int]:
    ids: list[int] = []
    for policy in policies:
        config = policy.config if isinstance(policy.config, dict) else {}
        configured = config.get("lecture_ids")
        if configured:
            for value in configured:
                try:
                    ids.append(int(value))
                except (TypeError, ValueError):
                    continue
        else:
            ids.append(campaign.lecture_id)
    return sorted(set(ids))


_ADMISSION_COLUMNS = (
    "lecture_id", "status", "source", "record_fingerprint", "current_fingerprint", "rule_id",
    "rule_version", "certified_at", "active_rule_id", "active_rule_version",
)


def _with_admission_columns(certifications):
    """Each certification with the record's current fingerprint and the lecture's active rule
    (id, version): what ``is_stale`` compares."""
    record = Record.objects.filter(
        lecture_id=OuterRef("lecture_id"), user_id=OuterRef("user_id")
    ).order_by()
    active = Rule.objects.filter(lecture_id=OuterRef("lecture_id"), is_active=True).order_by()
    return (
        certifications.order_by()
        .annotate(
            current_fingerprint=Subquery(record.values("fingerprint")[:1]),
            active_rule_id=Subquery(active.values("pk")[:1]),
            active_rule_version=Subquery(active.values("version")[:1]),
        )
        .values_list(*_ADMISSION_COLUMNS)
    )


def _admission_rows_query(**ids):
    """The user's certifications in these lectures (``admission_states``)."""
    user_id = ids.pop("user_id")
    return _with_admission_columns(
        Certification.objects.filter(lecture_id__in=list(ids.values()), user_id=user_id)
    )


_ADMISSION_ROWS = PreparedQuery(_admission_rows_query)

# The user's certification in a campaign's own lecture, named by the campaign only: the read
# the exam registration page sends in its one round trip (``admission_prefetch``). It finds
# nothing (one index probe) for a campaign without an active student_performance policy.
_ADMISSION_OF_CAMPAIGN = PreparedQuery(
    lambda *, campaign_id, user_id: _with_admission_columns(
        Certification.objects.filter(
            Exists(Policy.objects.filter(campaign_id=campaign_id, kind=KIND, active=True)),
            lecture_id=Subquery(Campaign.objects.filter(pk=campaign_id).values("lecture_id")[:1]),
            user_id=user_id,
        )
    )
)


class _ActiveRule:
    """The two columns of the active rule that ``is_stale`` reads."""

    __slots__ = ("pk", "version")

    def __init__(self, pk: int, version: int):
        self.pk, self.version = pk, version


def admission_states(*, user_id: int, lecture_ids) -> dict[int, tuple[str, dict | None]]:
    """For each lecture: (passed | failed | pending | stale | missing, the certification row).
    One query whatever the number of lectures (its SQL built once per process and number of
    lectures: this is on the exam registration page); nothing is recomputed."""
    ids = list(lecture_ids)
    if not ids:
        return {}
    named = {f"lecture{index}": pk for index, pk in enumerate(ids)}
    return _states_from_rows(
        _ADMISSION_ROWS.fetchall(key=len(ids), user_id=user_id, **named), lecture_ids=ids
    )


def _states_from_rows(found: list, *, lecture_ids: list[int]) -> dict[int, tuple[str, dict | None]]:
    rows, rules = {}, {}
    for values in found:
        row = dict(zip(_ADMISSION_COLUMNS, values, strict=True))
        rows[row["lecture_id"]] = row
        if row["active_rule_id"] is not None:
            rules[row["lecture_id"]] = _ActiveRule(row["active_rule_id"],
                                                   row["active_rule_version"])
    states = {}
    for lecture_id in lecture_ids:
        row = rows.get(lecture_id)
        if row is None:
            states[lecture_id] = ("missing", None)
        elif is_stale(certification_row=row, rule=rules.get(lecture_id)):
            states[lecture_id] = ("stale", row)
        else:
            states[lecture_id] = (row["status"], row)
    return states


def admission_prefetch(campaign_id: int, user) -> BoundRead:
    """For ``registration.notices``: the student's certification in the campaign's lecture when
    the campaign has an active admission policy (nothing otherwise), read in the page's one
    round trip (``admission_notices`` then needs no query of its own when the policy names no
    other lecture)."""
    return _ADMISSION_OF_CAMPAIGN.bind(campaign_id=campaign_id, user_id=user.pk)


def _failed_line(title: str, row: dict) -> str:
    when = date_format(row["certified_at"], "SHORT_DATE_FORMAT")
    if row["source"] == Certification.Source.MANUAL:
        return _("%(lecture)s: not admitted, decided by the teacher on %(date)s.") % {
            "lecture": title,
            "date": when,
        }
    return _(
        "%(lecture)s: not admitted, the admission requirements were not met (decided on "
        "%(date)s)."
    ) % {"lecture": title, "date": when}


def _open_line(title: str, state: str) -> str:
    if state == "stale":
        return _("%(lecture)s: the decision is being reviewed after recent changes.") % {
            "lecture": title
        }
    if state == "pending":
        return _("%(lecture)s: the requirements are not decided yet.") % {"lecture": title}
    return _("%(lecture)s: no decision about you yet.") % {"lecture": title}


def admission_notices(campaign, user, *, prefetched: list | None = None
                      ) -> list[CampaignNotice]:
    """For ``registration.notices``: "You are admitted to the exam" / "not admitted: reason" /
    "not decided yet" on the page of a campaign with a ``student_performance`` policy.

    Reads the campaign's prefetched policies (no query when it has no such policy); the
    certification comes from ``prefetched`` (the rows of ``admission_prefetch``, sent with the
    page's own reads) or one query; one more when the policy names other lectures than the
    campaign's.
    """
    policies = getattr(campaign, "_prefetched_objects_cache", {}).get("policies")
    if policies is None:
        policies = campaign.policies.all()
    mine = [p for p in policies if p.kind == KIND and p.active]
    if not mine:
        return []
    lecture_ids = _lecture_ids(mine, campaign)
    own_lecture_only = lecture_ids == [campaign.lecture_id]
    if prefetched is not None and own_lecture_only:
        states = _states_from_rows(prefetched, lecture_ids=lecture_ids)
    else:
        states = admission_states(user_id=user.pk, lecture_ids=lecture_ids)
    if own_lecture_only:
        titles = {campaign.lecture_id: campaign.lecture.title}
    else:
        titles = dict(Lecture.objects.filter(pk__in=lecture_ids).values_list("pk", "title"))
    lecture_ids = [pk for pk in lecture_ids if pk in titles]
    if not lecture_ids:
        return []

    def link(lecture_id: int) -> str:
        return path_for("performance:my_performance", lecture_id)

    failed = [pk for pk in lecture_ids if states[pk][0] == Certification.Status.FAILED]
    open_ = [
        pk
        for pk in lecture_ids
        if states[pk][0] not in (Certification.Status.PASSED, Certification.Status.FAILED)
    ]
    if failed:
        return [
            CampaignNotice(
                level="error",
                code="not_admitted",
                title=_("You are not admitted to the exam."),
                lines=tuple(_failed_line(titles[pk], states[pk][1]) for pk in failed),
                link_url=link(failed[0]),
                link_text=_("See your points and the admission rule"),
            )
        ]
    if open_:
        return [
            CampaignNotice(
                level="info",
                code="not_decided",
                title=_("Your exam admission has not been decided yet."),
                lines=tuple(_open_line(titles[pk], states[pk][0]) for pk in open_),
                link_url=link(open_[0]),
                link_text=_("See your points and the admission rule"),
            )
        ]
    return [
        CampaignNotice(
            level="success",
            code="admitted",
            title=_("You are admitted to the exam."),
            lines=tuple(
                _("%(lecture)s: admission requirements met.") % {"lecture": titles[pk]}
                for pk in lecture_ids
            )
            if len(lecture_ids) > 1
            else (),
            link_url=link(lecture_ids[0]),
            link_text=_("See your performance"),
        )
    ]
