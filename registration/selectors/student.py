"""Reads for the students' registration pages, each in a fixed number of queries.

A student sees every campaign that is not a draft (any student may register in any lecture) and
only their own registrations. Results of a preference-based campaign stay hidden until it is
completed: before that the allocation is not published.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, pgettext

from mampf.dates import date_text
from mampf.db import BoundRead, PreparedQuery, fetch_together, instance_from_row
from mampf.links import path_for
from mampf.models import (
    WEEKDAY_LABELS,
    Exam,
    Lecture,
    Registerable,
    Talk,
    Term,
    Tutorial,
    tutorial_schedule,
)
from mampf.selectors import is_valid_id
from registration import policies
from registration.models import Campaign, Item, Policy, UserRegistration
from rosters import selectors as roster_selectors

Status = Campaign.Status
RegStatus = UserRegistration.Status

TAB_COURSES = "courses"
TAB_EXAMS = "exams"
TABS = (TAB_COURSES, TAB_EXAMS)

# Student-facing state of a campaign: an open campaign whose deadline passed is closed for them.
STATE_OPEN = "open"
STATE_CLOSED = "closed"
STATE_PROCESSING = "processing"
STATE_COMPLETED = "completed"

# Outcome of one student in one campaign.
OUTCOME_NONE = "none"
OUTCOME_CONFIRMED = "confirmed"
OUTCOME_PENDING = "pending"
OUTCOME_REJECTED = "rejected"

CLOSED_WITHOUT_ME_LIMIT = 50


def visible_campaigns():
    """Campaigns students may see: everything except drafts."""
    return Campaign.objects.exclude(status=Status.DRAFT)


def student_state(campaign: Campaign, *, now=None) -> str:
    if campaign.status == Status.OPEN:
        return STATE_OPEN if campaign.open_for_registrations(now=now) else STATE_CLOSED
    return campaign.status


def rejection_reason_text(code: str) -> str:
    """A readable sentence for a stored rejection reason code."""
    code = code or ""
    if code == "item_full":
        return _("The group was full when you tried to register.")
    if code == "capacity":
        return _("All groups you ranked were full.")
    if code == "solver_unassigned":
        return _("The allocation could not place you in any of your choices.")
    if code == "assigned_elsewhere":
        return _("You got a place in another of your choices.")
    if code == "manual":
        return _("The course staff decided this by hand; please contact them if you have "
                 "questions.")
    if code.startswith("policy:"):
        kind = code.split(":", 1)[1]
        registered = policies.get_policy_kind(kind)  # higher apps' kinds too
        label = registered.label if registered else kind
        return _("You did not meet a requirement of this registration: %(requirement)s.") % {
            "requirement": label
        }
    return _("You were not given a place.")


def ordinal_choice_label(rank: int) -> str:
    """'1st choice', '2nd choice', ... (whole phrases, so translators can reorder them)."""
    if rank % 100 in (11, 12, 13):
        template = pgettext("choice ordinal", "%(rank)dth choice")
    elif rank % 10 == 1:
        template = pgettext("choice ordinal", "%(rank)dst choice")
    elif rank % 10 == 2:
        template = pgettext("choice ordinal", "%(rank)dnd choice")
    elif rank % 10 == 3:
        template = pgettext("choice ordinal", "%(rank)drd choice")
    else:
        template = pgettext("choice ordinal", "%(rank)dth choice")
    return template % {"rank": rank}


# -- items --------------------------------------------------------------------------------------


# The columns of an item and of its concrete group that the pages show, read in one query with
# ``values_list`` (no polymorphic down-cast, which costs one query per group kind, and no model
# rows for the five joined tables: measured 2.7 ms of CPU instead of 5.6 ms with select_related).
_ITEM_COLUMNS = (
    "id", "position", "exclusive", "registerable_id", "registerable__polymorphic_ctype_id",
    "registerable__title", "registerable__capacity",
    "registerable__tutorial__weekday", "registerable__tutorial__starts_at",
    "registerable__tutorial__ends_at", "registerable__tutorial__room",
    "registerable__talk__date", "registerable__exam__date", "registerable__exam__location",
)


_GROUP_COLUMNS = ("id", "polymorphic_ctype_id", "title", "capacity")


class _Words(dict):
    """Translations looked up once per page (each lookup costs a few microseconds, and a page
    of groups repeats the same few words)."""

    def __missing__(self, key):
        if isinstance(key, int):  # a weekday
            value = str(WEEKDAY_LABELS.get(key, key))
        else:
            value = _(key)
        self[key] = value
        return value


_ROOM = gettext_noop("room %(room)s")  # translated through _Words, once per page


def _when_and_where(model, row: tuple, words: _Words) -> tuple[str, str]:
    """Schedule and place of a group, as far as its kind has them, from the item row's columns
    (no model rows for the concrete groups: building one cost more than the whole row)."""
    (weekday, starts_at, ends_at, room, talk_date, exam_date, location) = row[7:]
    if model is Tutorial:
        where = words[_ROOM] % {"room": room} if room else ""
        label = words[weekday] if weekday is not None else None
        return tutorial_schedule(weekday=weekday, starts_at=starts_at, ends_at=ends_at,
                                 weekday_label=label), where
    if model is Exam:
        when = date_text(exam_date, "SHORT_DATETIME_FORMAT")
        return when, location or ""
    if model is Talk:
        return date_text(talk_date, "SHORT_DATE_FORMAT"), ""
    return "", ""


def _item_from_row(campaign: Campaign, row: tuple, *, taken: int = 0,
                   words: _Words | None = None) -> Item:
    """An item with its group (the base row: id, kind, title, capacity), schedule and the
    places taken of its group (no queries). ``group_model`` is the group's concrete class."""
    item = instance_from_row(Item, ("id", "position", "exclusive", "registerable_id"), row[:4])
    item.campaign = campaign
    group = instance_from_row(Registerable, _GROUP_COLUMNS, (row[3], row[4], row[5], row[6]))
    item.registerable = group  # so that item.registerable (and str(item)) need no query either
    item.group_model = ContentType.objects.get_for_id(row[4]).model_class() if row[4] else None
    item.title = group.title
    item.when, item.where = _when_and_where(item.group_model, row,
                                            _Words() if words is None else words)
    item.summary = ", ".join(part for part in (group.title, item.when, item.where) if part)
    item.seat_capacity = group.capacity
    item.taken = taken
    item.is_full = group.capacity is not None and item.taken >= group.capacity
    return item


def seats_text(*, preference_based: bool, capacity: int | None, taken: int) -> str:
    """The seat table's cell: places offered (preference-based: nobody holds a seat before the
    allocation) or places taken of the capacity (first come, first served)."""
    if preference_based:
        if capacity is None:
            return _("no limit")
        return ngettext("%(counter)s place", "%(counter)s places", capacity) % {
            "counter": capacity
        }
    if capacity is None:
        return ngettext("%(counter)s registered, no limit", "%(counter)s registered, no limit",
                        taken) % {"counter": taken}
    return _("%(taken)s of %(capacity)s taken") % {"taken": taken, "capacity": capacity}


def _describe_seats(campaign: Campaign, items: list[Item]) -> None:
    """``seats_text`` and ``shows_full`` (the "full" badge: first come, first served only) of
    each item, in Python rather than in the seat table's template: the table is on every
    student's campaign page and is polled every 15 seconds."""
    preference_based = campaign.is_preference_based
    texts: dict[tuple, str] = {}  # the same capacity (and count) reads the same
    for item in items:
        key = (item.seat_capacity, None if preference_based else item.taken)
        if key not in texts:
            texts[key] = seats_text(preference_based=preference_based,
                                    capacity=item.seat_capacity, taken=item.taken)
        item.seats_text = texts[key]
        item.shows_full = item.is_full and not preference_based


_CAMPAIGN_ITEMS = PreparedQuery(
    lambda *, campaign_id: Item.objects.filter(campaign_id=campaign_id)
    .order_by("position", "id")
    .values_list(*_ITEM_COLUMNS)
)


def _with_taken_sql(rows, *, campaign_id):
    """``rows`` (a ``values_list`` of a campaign's items) plus the places taken of each group,
    in one statement: the seat holders (``rosters.selectors.seat_holders_query``, the one
    definition, for the groups of this campaign as a subquery) counted per group and joined in
    as the last column. Rows come back unordered (the caller sorts them)."""
    items, item_params = rows.query.sql_with_params()
    groups = Item.objects.filter(campaign_id=campaign_id).order_by().values("registerable_id")
    holders, holder_params = roster_selectors.seat_holders_query(groups).query.sql_with_params()
    # Only ORM-compiled SQL is pasted together here; every value stays a query parameter. Both
    # the items' and the holders' group column are named ``registerable_id``.
    sql = (
        f"SELECT items.*, COALESCE(taken.n, 0) FROM ({items}) items "  # noqa: S608
        f"LEFT JOIN (SELECT holders.registerable_id AS g, COUNT(*) AS n FROM ({holders}) holders "
        f"GROUP BY holders.registerable_id) taken ON taken.g = items.registerable_id"
    )
    return sql, [*item_params, *holder_params], rows


def campaign_items(campaign: Campaign) -> list[Item]:
    """The campaign's items in order with their group's details, no seat counts (the ranking
    POST checks against them; the pages read ``campaign_page``): one query."""
    return [_item_from_row(campaign, row) for row in
            _CAMPAIGN_ITEMS.fetchall(campaign_id=campaign.pk)]


# -- one student's view of one campaign -----------------------------------------------------------


@dataclass
class MyOutcome:
    """Where one student stands in one campaign."""

    kind: str = OUTCOME_NONE
    confirmed: list = field(default_factory=list)  # registrations with a place
    ranking: list = field(default_factory=list)  # preference rows, best first
    rejected: list = field(default_factory=list)
    reason: str = ""

    @property
    def registered(self) -> bool:
        return self.kind != OUTCOME_NONE


def outcome_for(campaign: Campaign, registrations: list[UserRegistration]) -> MyOutcome:
    """Classify one student's rows in a campaign into what the pages say about them."""
    ranking = sorted(
        (r for r in registrations if r.preference_rank is not None),
        key=lambda r: r.preference_rank,
    )
    confirmed = [r for r in registrations if r.status == RegStatus.CONFIRMED]
    pending = [r for r in registrations if r.status == RegStatus.PENDING]
    rejected = [r for r in registrations if r.status == RegStatus.REJECTED]
    outcome = MyOutcome(ranking=ranking, confirmed=confirmed, rejected=rejected)
    published = campaign.is_fcfs or campaign.status == Status.COMPLETED
    if campaign.is_preference_based and ranking and not published:
        outcome.kind = OUTCOME_PENDING
    elif confirmed:
        outcome.kind = OUTCOME_CONFIRMED
    elif pending:
        outcome.kind = OUTCOME_PENDING
    elif rejected and (campaign.is_preference_based or student_state(campaign) != STATE_OPEN):
        # An FCFS attempt on a full group while the campaign is open is not a result yet.
        outcome.kind = OUTCOME_REJECTED
        first = ranking[0] if ranking else rejected[0]
        outcome.reason = rejection_reason_text(first.rejection_reason)
    return outcome


_REGISTRATION_COLUMNS = tuple(field.attname for field in UserRegistration._meta.concrete_fields)
_CAMPAIGN_COLUMNS = tuple(field.attname for field in Campaign._meta.concrete_fields)
_PAGE_LECTURE_COLUMNS = ("id", "registerable_ptr_id", "title", "term_id")
_TERM_COLUMNS = tuple(field.attname for field in Term._meta.concrete_fields)
_POLICY_COLUMNS = tuple(field.attname for field in Policy._meta.concrete_fields)
# One row per policy of the campaign (a LEFT JOIN: one row with empty policy columns when it has
# none), so the page reads the campaign, its lecture, term and rules in one round trip.
_CAMPAIGN_FOR_STUDENT = PreparedQuery(
    lambda *, campaign_id: visible_campaigns()
    .filter(pk=campaign_id)
    .order_by("policies__position", "policies__id")
    .values_list(
        *_CAMPAIGN_COLUMNS,
        *(f"lecture__{name}" for name in _PAGE_LECTURE_COLUMNS),
        *(f"lecture__term__{name}" for name in _TERM_COLUMNS),
        *(f"policies__{name}" for name in _POLICY_COLUMNS),
    )
)


_POLICIES_OF = PreparedQuery(
    lambda *, campaign_id: Policy.objects.filter(campaign_id=campaign_id)
    .order_by("position", "id")
    .values_list(*_POLICY_COLUMNS)
)


def _prefetch_policies(campaign: Campaign, policies: list[Policy]) -> None:
    """Hand the campaign its policies as if prefetched: ``campaign.policies.all()`` needs no
    query (a further ``.filter()`` queries afresh, as after a real prefetch)."""
    for policy in policies:
        policy.campaign = campaign
    if policies:
        # The filter is applied only if someone chains on the set, as Django's related managers
        # defer theirs (building it cost more than reading the rows).
        prefetched = Policy.objects.all()
        prefetched._defer_next_filter = True
        prefetched = prefetched.filter(campaign_id=campaign.pk)
    else:
        prefetched = Policy.objects.none()
    prefetched._result_cache, prefetched._prefetch_done = policies, True
    campaign._prefetched_objects_cache = {"policies": prefetched}


def _attach_policies(campaign: Campaign, *, has_policies: bool) -> None:
    """The campaign's policies as if prefetched: read when it has any (one query whose SQL is
    built once per process; the ORM's prefetch built it on every request, about 1 ms of CPU),
    none read otherwise."""
    rows = _POLICIES_OF.fetchall(campaign_id=campaign.pk) if has_policies else []
    _prefetch_policies(campaign, [instance_from_row(Policy, _POLICY_COLUMNS, row) for row in rows])


def campaign_for_student(campaign_id: int, *, with_policies: bool = True) -> Campaign:
    """A visible campaign with its lecture and term (the columns the pages show; the rest of
    the lecture loads on first use) and its policies; raises Campaign.DoesNotExist otherwise.
    One query (its SQL built once per process), the policies joined in."""
    if not is_valid_id(campaign_id):
        raise Campaign.DoesNotExist
    return _campaign_from_rows(_CAMPAIGN_FOR_STUDENT.fetchall(campaign_id=campaign_id),
                               with_policies=with_policies)


def _campaign_from_rows(rows: list, *, with_policies: bool = True) -> Campaign:
    """The campaign with lecture, term and policies from the rows of ``_CAMPAIGN_FOR_STUDENT``
    (one per policy); Campaign.DoesNotExist when there are none."""
    if not rows:
        raise Campaign.DoesNotExist
    row = rows[0]
    campaigns, lectures = len(_CAMPAIGN_COLUMNS), len(_PAGE_LECTURE_COLUMNS)
    terms = campaigns + lectures + len(_TERM_COLUMNS)
    campaign = instance_from_row(Campaign, _CAMPAIGN_COLUMNS, row[:campaigns])
    lecture = instance_from_row(Lecture, _PAGE_LECTURE_COLUMNS,
                              row[campaigns:campaigns + lectures])
    lecture.term = instance_from_row(Term, _TERM_COLUMNS, row[campaigns + lectures:terms])
    campaign.lecture = lecture
    if with_policies:
        _prefetch_policies(campaign, [
            instance_from_row(Policy, _POLICY_COLUMNS, policy_row[terms:])
            for policy_row in rows if policy_row[terms] is not None  # the policy's id
        ])
    return campaign


def item_of_campaign(campaign: Campaign, item_id: int) -> Item:
    """An item of exactly this campaign; raises Item.DoesNotExist otherwise."""
    item = Item.objects.select_related("registerable").get(pk=item_id, campaign=campaign)
    item.campaign = campaign  # reuse the page's campaign (and its prefetched policies)
    return item


_ACTION_ITEM_COLUMNS = ("id", "campaign_id", "registerable_id", "exclusive")
_ACTION_GROUP_COLUMNS = ("id", "polymorphic_ctype_id", "title", "capacity")


def _action_item_sql(*, campaign_id, item_id):
    return (
        Item.objects.filter(pk=item_id, campaign_id=campaign_id)
        .exclude(campaign__status=Status.DRAFT)
        .annotate(has_policies=Exists(Policy.objects.filter(campaign=OuterRef("campaign"))))
        .order_by()
        .values_list(
            *_ACTION_ITEM_COLUMNS,
            *(f"registerable__{name}" for name in _ACTION_GROUP_COLUMNS),
            *(f"campaign__{name}" for name in _CAMPAIGN_COLUMNS),
            "has_policies",
        )
    )


_ACTION_ITEM = PreparedQuery(_action_item_sql)


def item_for_student_action(campaign_id: int, item_id: int) -> Item:
    """The item of a visible campaign that a register or withdraw POST names, with its whole
    campaign row and its group's title and capacity: one query (its SQL built once per process),
    two when the campaign has rules (its policies, for the eligibility check). Raises
    ``Item.DoesNotExist`` for an unknown item or one of another campaign, and
    ``Campaign.DoesNotExist`` when the campaign itself is unknown or a draft."""
    if not (is_valid_id(campaign_id) and is_valid_id(item_id)):
        raise Campaign.DoesNotExist
    rows = _ACTION_ITEM.fetchall(campaign_id=campaign_id, item_id=item_id)
    if not rows:
        visible_campaigns().get(pk=campaign_id)  # Campaign.DoesNotExist: the campaign is unknown
        raise Item.DoesNotExist
    row = rows[0]
    items, groups = len(_ACTION_ITEM_COLUMNS), len(_ACTION_GROUP_COLUMNS)
    item = instance_from_row(Item, _ACTION_ITEM_COLUMNS, row[:items])
    # Columns not read here (an item's position, ...) load on first access, as with ``only``.
    item.registerable = Registerable.from_db(
        "default", _ACTION_GROUP_COLUMNS, row[items:items + groups]
    )
    campaign = instance_from_row(Campaign, _CAMPAIGN_COLUMNS, row[items + groups:-1])
    _attach_policies(campaign, has_policies=row[-1])
    item.campaign = campaign
    return item


@dataclass
class CampaignPage:
    campaign: Campaign
    state: str
    items: list
    mine: list
    outcome: MyOutcome
    my_item_ids: set
    has_exclusive_place: bool
    is_exam: bool


def _page_rows_queryset(*, campaign_id, user_id):
    """The campaign's items, each with the student's row for it when there is one (at most one:
    unique per campaign, user and item), through a LEFT JOIN."""
    return (
        Item.objects.filter(campaign_id=campaign_id)
        .annotate(my=FilteredRelation("registrations",
                                      condition=Q(registrations__user_id=user_id)))
        .order_by()
        .values_list(*_ITEM_COLUMNS, *(f"my__{name}" for name in _REGISTRATION_COLUMNS))
    )


_PAGE_ROWS = PreparedQuery(
    lambda *, campaign_id, user_id: _with_taken_sql(
        _page_rows_queryset(campaign_id=campaign_id, user_id=user_id), campaign_id=campaign_id
    )
)


def campaign_page(campaign: Campaign, *, user) -> CampaignPage:
    """Everything the student's campaign page shows, except eligibility (a service call). One
    query, its SQL built once per process: the items, the places taken and the student's rows
    (three round trips before)."""
    return _campaign_page_from_rows(campaign, _page_read(campaign.pk, user=user).fetch())


def student_campaign_page(campaign_id: int, *, user, along: Iterable[BoundRead] = ()
                          ) -> CampaignPage:
    """``campaign_for_student`` and ``campaign_page`` in one round trip, with the reads
    ``along`` (the layout's, ``mampf.context_processors.Navigation.reads``). Raises
    Campaign.DoesNotExist as ``campaign_for_student`` does."""
    return _campaign_page_from_rows(
        *_campaign_with(campaign_id, _page_read(campaign_id, user=user), along=along)
    )


def _campaign_with(campaign_id: int, read: BoundRead, *, along: Iterable[BoundRead]
                   ) -> tuple[Campaign, list]:
    """The visible campaign and the rows of ``read``, in one round trip with ``along``."""
    if not is_valid_id(campaign_id):
        raise Campaign.DoesNotExist
    campaign_rows, rows, *_ = fetch_together(
        _CAMPAIGN_FOR_STUDENT.bind(campaign_id=campaign_id), read, *along
    )
    return _campaign_from_rows(campaign_rows), rows


def _page_read(campaign_id: int, *, user) -> BoundRead:
    """The items with their places taken and the student's rows (``_PAGE_ROWS``)."""
    return _PAGE_ROWS.bind(key=roster_selectors.pending_seat_sources_key(),
                           campaign_id=campaign_id, user_id=user.pk)


def _campaign_page_from_rows(campaign: Campaign, rows: list) -> CampaignPage:
    """The page from the rows of ``_page_read``: items in order, seats described, my rows."""
    width, mine_width = len(_ITEM_COLUMNS), len(_REGISTRATION_COLUMNS)
    rows.sort(key=lambda row: (row[1], row[0]))  # the items' position, id
    items, mine, words = [], [], _Words()
    for row in rows:
        item = _item_from_row(campaign, row[:width], taken=row[-1], words=words)
        items.append(item)
        if row[width] is not None:  # my row's id
            registration = instance_from_row(UserRegistration, _REGISTRATION_COLUMNS,
                                             row[width:width + mine_width])
            registration.item = item
            mine.append(registration)
    _describe_seats(campaign, items)
    return _page_of(campaign, items=items, mine=mine)


def _my_rows_queryset(*, campaign_id, user_id):
    """The student's rows in the campaign with the columns of the items they name."""
    return (
        UserRegistration.objects.filter(campaign_id=campaign_id, user_id=user_id)
        .order_by()
        .values_list(*(f"item__{name}" for name in _ITEM_COLUMNS), *_REGISTRATION_COLUMNS)
    )


_MY_ROWS = PreparedQuery(_my_rows_queryset)


def student_result_page(campaign_id: int, *, user, along: Iterable[BoundRead] = ()
                        ) -> CampaignPage:
    """The result page's part of ``student_campaign_page``: only my rows and the items they
    name (no other group, no seat counts; ``items`` holds just those), in one round trip with
    the reads ``along``. Raises Campaign.DoesNotExist as ``campaign_for_student`` does."""
    return _result_page_from_rows(*_campaign_with(
        campaign_id, _MY_ROWS.bind(campaign_id=campaign_id, user_id=user.pk), along=along
    ))


def _result_page_from_rows(campaign: Campaign, rows: list) -> CampaignPage:
    """The result page from the rows of ``_MY_ROWS``: my rows and the items they name."""
    width = len(_ITEM_COLUMNS)
    items, mine, words = [], [], _Words()
    for row in rows:
        item = _item_from_row(campaign, row[:width], words=words)
        registration = instance_from_row(UserRegistration, _REGISTRATION_COLUMNS, row[width:])
        registration.item = item
        items.append(item)
        mine.append(registration)
    items.sort(key=lambda item: (item.position, item.pk))
    return _page_of(campaign, items=items, mine=mine)


def _page_of(campaign: Campaign, *, items: list[Item], mine: list[UserRegistration]
             ) -> CampaignPage:
    """The page of the campaign page and the result page from the items and the student's rows
    (each already pointing at its item): my rows best first, my places marked, the outcome."""
    mine.sort(key=lambda r: (r.preference_rank is None, r.preference_rank or 0, r.pk))
    confirmed_ids = {r.item_id for r in mine if r.status == RegStatus.CONFIRMED}
    for item in items:
        item.is_mine = item.pk in confirmed_ids
    return CampaignPage(
        campaign=campaign,
        state=student_state(campaign),
        items=items,
        mine=mine,
        outcome=outcome_for(campaign, mine),
        my_item_ids=confirmed_ids,
        has_exclusive_place=any(r.status == RegStatus.CONFIRMED and r.exclusive for r in mine),
        is_exam=bool(items) and all(item.group_model is Exam for item in items),
    )


def mark_registerable_items(page: CampaignPage, *, may_register: bool) -> None:
    """Which rows get a Register button: not mine, not full, no exclusive place held yet.

    The service decides for real; this only avoids offering buttons that would be refused.
    """
    campaign_id = page.campaign.pk
    for item in page.items:
        item.can_register = (
            may_register
            and not item.is_mine
            and not item.is_full
            and not (item.exclusive and page.has_exclusive_place)
        )
        if item.can_register:
            item.register_url = path_for("registration:register", campaign_id, item.pk)
        elif item.is_mine:
            item.withdraw_url = path_for("registration:withdraw", campaign_id, item.pk)


# -- the index ----------------------------------------------------------------------------------


@dataclass
class IndexEntry:
    campaign: Campaign
    state: str
    outcome: MyOutcome

    @property
    def url(self) -> str:
        return path_for("registration:student_campaign", self.campaign.pk)

    @property
    def mode_label(self) -> str:
        """Not ``get_allocation_mode_display()``: it hashes (so translates) every label of the
        choices on each call."""
        mode = self.campaign.allocation_mode
        return str(_MODE_LABELS.get(mode, mode))


_MODE_LABELS = dict(Campaign.AllocationMode.choices)


@dataclass
class StudentIndex:
    tab: str
    open: list
    finished_mine: list
    finished_others: list
    finished_others_total: int
    counts: dict


def _exam_campaign_annotations():
    exam_ids = Exam.objects.non_polymorphic().values("pk")
    return {
        "has_exam_items": Exists(
            Item.objects.filter(campaign=OuterRef("pk"), registerable_id__in=exam_ids)
        ),
        "has_other_items": Exists(
            Item.objects.filter(campaign=OuterRef("pk")).exclude(registerable_id__in=exam_ids)
        ),
    }


def is_exam_campaign(campaign: Campaign) -> bool:
    """An exam campaign's items are all exams (annotated by ``student_index``)."""
    return bool(campaign.has_exam_items and not campaign.has_other_items)


# What the index shows, and nothing more: fewer columns are less SQL to build on every request.
_INDEX_CAMPAIGN_FIELDS = (
    "title", "status", "allocation_mode", "planning_only", "registration_deadline",
    "lecture__title", "lecture__term__season", "lecture__term__year",
)


_INDEX_CAMPAIGNS = PreparedQuery(
    lambda: visible_campaigns()
    .annotate(**_exam_campaign_annotations())
    .order_by("registration_deadline", "title", "pk")
    .values_list("id", "lecture_id", *_INDEX_CAMPAIGN_FIELDS[:5], "lecture__term_id",
                 *_INDEX_CAMPAIGN_FIELDS[5:], "has_exam_items", "has_other_items")
)
_INDEX_CAMPAIGN_COLUMNS = ("id", "lecture_id", *_INDEX_CAMPAIGN_FIELDS[:5])


def _index_campaigns(rows: list) -> list[Campaign]:
    """Every visible campaign with the columns the index shows, its lecture's title and term and
    the exam flags (the rows of ``_INDEX_CAMPAIGNS``, its SQL built once per process), as model
    rows with only those columns (others load on first use, as with ``only``)."""
    campaigns = []
    width = len(_INDEX_CAMPAIGN_COLUMNS)
    terms: dict[int, Term] = {}
    for row in rows:
        campaign = instance_from_row(Campaign, _INDEX_CAMPAIGN_COLUMNS, row[:width])
        term_id, lecture_title, season, year, has_exams, has_others = row[width:]
        lecture = instance_from_row(Lecture, ("id", "registerable_ptr_id", "title", "term_id"),
                                  (campaign.lecture_id, campaign.lecture_id, lecture_title,
                                   term_id))
        if term_id not in terms:
            terms[term_id] = instance_from_row(Term, ("id", "season", "year"),
                                          (term_id, season, year))
        lecture.term = terms[term_id]
        campaign.lecture = lecture
        campaign.has_exam_items, campaign.has_other_items = bool(has_exams), bool(has_others)
        campaigns.append(campaign)
    return campaigns


_INDEX_REGISTRATION_COLUMNS = ("id", "campaign_id", "item_id", "status", "preference_rank",
                               "rejection_reason")
_INDEX_REGISTRATIONS = PreparedQuery(
    lambda *, user_id: UserRegistration.objects.filter(
        user_id=user_id,
        campaign__status__in=[Status.OPEN, Status.CLOSED, Status.PROCESSING, Status.COMPLETED],
    )
    .order_by("preference_rank", "id")
    .values_list(*_INDEX_REGISTRATION_COLUMNS, "item__registerable_id",
                 "item__registerable__title")
)


def _index_registrations(rows: list) -> list[UserRegistration]:
    """My registrations in every visible campaign, with their group's title (the rows of
    ``_INDEX_REGISTRATIONS``)."""
    found = []
    width = len(_INDEX_REGISTRATION_COLUMNS)
    for row in rows:
        registration = instance_from_row(UserRegistration, _INDEX_REGISTRATION_COLUMNS,
                                                 row[:width])
        registerable_id, title = row[width:]
        item = instance_from_row(Item, ("id", "registerable_id"),
                            (registration.item_id, registerable_id))
        item.registerable = instance_from_row(Registerable, ("id", "title"),
                                                 (registerable_id, title))
        registration.item = item
        found.append(registration)
    return found


def student_index(*, user, tab: str = TAB_COURSES, along: Iterable[BoundRead] = ()
                  ) -> StudentIndex:
    """My registrations: open campaigns, finished ones I took part in, finished ones I did not.

    Two queries whatever the number of campaigns, in one round trip with the reads ``along``
    (the layout's): the campaigns (with their lecture and an exam flag) and my registrations in
    them.
    """
    tab = tab if tab in TABS else TAB_COURSES
    campaign_rows, registration_rows, *_ = fetch_together(
        _INDEX_CAMPAIGNS.bind(), _INDEX_REGISTRATIONS.bind(user_id=user.pk), *along
    )
    campaigns = _index_campaigns(campaign_rows)
    registrations: dict[int, list[UserRegistration]] = {}
    for row in _index_registrations(registration_rows):
        registrations.setdefault(row.campaign_id, []).append(row)

    now = timezone.now()
    counts = {TAB_COURSES: 0, TAB_EXAMS: 0}
    open_entries, finished_mine, finished_others = [], [], []
    for campaign in campaigns:
        campaign_tab = TAB_EXAMS if is_exam_campaign(campaign) else TAB_COURSES
        state = student_state(campaign, now=now)
        outcome = outcome_for(campaign, registrations.get(campaign.pk, []))
        if state == STATE_OPEN or outcome.registered:
            counts[campaign_tab] += 1
        if campaign_tab != tab:
            continue
        entry = IndexEntry(campaign=campaign, state=state, outcome=outcome)
        if state == STATE_OPEN:
            open_entries.append(entry)
        elif outcome.registered:
            finished_mine.append(entry)
        else:
            finished_others.append(entry)
    finished_mine.reverse()  # most recent deadline first
    finished_others.reverse()
    return StudentIndex(
        tab=tab,
        open=open_entries,
        finished_mine=finished_mine,
        finished_others=finished_others[:CLOSED_WITHOUT_ME_LIMIT],
        finished_others_total=len(finished_others),
        counts=counts,
    )
