"""Reads for the staff registration pages: every list here runs a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mampf.models import Cohort, Lecture, Registerable, Talk, Tutorial, User
from mampf.selectors import is_valid_id
from registration import policies
from registration.models import Campaign, CampaignTransition, Item, Policy, UserRegistration

RegStatus = UserRegistration.Status

# Database ids are 64-bit; anything larger cannot exist and must not reach the driver.

PATTERN_GROUP = "group"
PATTERN_ENROLLMENT = "enrollment"
PATTERN_SPECIAL = "special"
PATTERN_MIXED = "mixed"
PATTERN_EXAM = "exam"

REGISTRATION_SORTS = {
    "name": ("user__name", "user__email", "preference_rank", "id"),
    "item": ("item__position", "item_id", "user__name", "preference_rank", "id"),
    "status": ("status", "user__name", "preference_rank", "id"),
    "rank": ("preference_rank", "user__name", "id"),
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
}
DEFAULT_REGISTRATION_SORT = "name"



# The stored status stays ``processing``; staff read what it means for them: the allocation is
# done and waits for the teacher to finalize it.
STATUS_DISPLAY = {Campaign.Status.PROCESSING: gettext_lazy("Awaiting finalization")}


def campaign_status_label(status: str) -> str:
    if status in STATUS_DISPLAY:
        return str(STATUS_DISPLAY[status])
    try:
        return str(Campaign.Status(status).label)
    except ValueError:
        return status


def lecture_for_staff(*, lecture_id: int) -> Lecture:
    """The lecture with its term (raises Lecture.DoesNotExist for unknown ids)."""
    if not is_valid_id(lecture_id):
        raise Lecture.DoesNotExist
    return Lecture.objects.select_related("term", "teacher").get(pk=lecture_id)


def campaign_for_staff(*, campaign_id: int) -> Campaign:
    """The campaign with its lecture (raises Campaign.DoesNotExist for unknown ids)."""
    if not is_valid_id(campaign_id):
        raise Campaign.DoesNotExist
    return Campaign.objects.select_related("lecture", "lecture__term", "created_by").get(
        pk=campaign_id
    )


def item_of_campaign(*, campaign: Campaign, item_id: int) -> Item:
    if not is_valid_id(item_id):
        raise Item.DoesNotExist
    return Item.objects.select_related("campaign", "registerable").get(
        pk=item_id, campaign=campaign
    )


def policy_of_campaign(*, campaign: Campaign, policy_id: int) -> Policy:
    if not is_valid_id(policy_id):
        raise Policy.DoesNotExist
    return Policy.objects.select_related("campaign").get(pk=policy_id, campaign=campaign)


# -- counts -------------------------------------------------------------------------------------


@dataclass
class StudentCounts:
    """Per campaign, counted once per student."""

    students: int = 0
    placed: int = 0
    waiting: int = 0
    without_place: int = 0


def _best_status_rows(campaign_ids) -> QuerySet:
    return (
        UserRegistration.objects.filter(campaign_id__in=list(campaign_ids))
        .values("campaign_id", "user_id")
        .annotate(
            best=Max(
                Case(
                    When(status=RegStatus.CONFIRMED, then=Value(2)),
                    When(status=RegStatus.PENDING, then=Value(1)),
                    default=Value(0),
                )
            )
        )
        .order_by()
    )


def student_counts(campaign_ids) -> dict[int, StudentCounts]:
    """Students per campaign: registered, with a place, waiting, without a place (one query)."""
    counts: dict[int, StudentCounts] = defaultdict(StudentCounts)
    for campaign_id, best in _best_status_rows(campaign_ids).values_list("campaign_id", "best"):
        entry = counts[campaign_id]
        entry.students += 1
        if best == 2:
            entry.placed += 1
        elif best == 1:
            entry.waiting += 1
        else:
            entry.without_place += 1
    return counts


def campaigns_for_lecture(*, lecture: Lecture) -> list[Campaign]:
    """The lecture's campaigns with item and registration counts and the open/draft campaigns
    each shares a group with (three queries in all)."""
    campaigns = list(
        Campaign.objects.filter(lecture=lecture)
        .annotate(item_count=Count("items"))
        .order_by("-registration_deadline", "title", "id")
    )
    counts = student_counts(c.pk for c in campaigns)
    overlaps = lecture_overlaps(lecture=lecture)
    for campaign in campaigns:
        campaign.counts = counts[campaign.pk]
        campaign.overlaps_with = overlaps.get(campaign.pk, [])
    return campaigns


def _counted(queryset: QuerySet) -> QuerySet:
    """Per item: rows by status, and (preference) how many students ranked it, first or at all.
    One row per student and item, so these count students."""
    return queryset.annotate(
        ranked_count=Count("registrations", filter=Q(registrations__preference_rank__isnull=False)),
        first_choice_count=Count("registrations", filter=Q(registrations__preference_rank=1)),
        confirmed_count=Count("registrations", filter=Q(registrations__status=RegStatus.CONFIRMED)),
        pending_count=Count("registrations", filter=Q(registrations__status=RegStatus.PENDING)),
        rejected_count=Count("registrations", filter=Q(registrations__status=RegStatus.REJECTED)),
    )


def _kind_labels() -> dict[int, str]:
    """Polymorphic content type id -> the concrete kind's name (cached by Django)."""
    models = ContentType.objects.get_for_models(*Registerable.__subclasses__())
    return {ct.pk: str(model._meta.verbose_name).capitalize() for model, ct in models.items()}


def campaign_items(*, campaign: Campaign) -> list[Item]:
    """Items in order with their registerable and per-status counts (one query)."""
    items = list(
        _counted(campaign.items.select_related("registerable")).order_by("position", "id")
    )
    labels = _kind_labels()
    for item in items:
        item.kind_label = labels.get(item.registerable.polymorphic_ctype_id, "")
        capacity = item.registerable.capacity
        item.fill_percent = (
            min(100, round(100 * item.confirmed_count / capacity)) if capacity else 0
        )
    return items


def campaign_transitions(*, campaign: Campaign, limit: int = 100) -> list[CampaignTransition]:
    return list(campaign.transitions.select_related("by").order_by("-at", "-id")[:limit])


@dataclass
class OverviewData:
    items: list
    counts: StudentCounts
    transitions: list = field(default_factory=list)
    # Before a preference campaign's allocation nobody holds a place: the item table shows
    # capacity and demand (ranked by, first choice), not "0 of 25 taken".
    shows_demand: bool = False


def shows_demand(campaign: Campaign) -> bool:
    return campaign.is_preference_based and campaign.status in (
        Campaign.Status.DRAFT,
        Campaign.Status.OPEN,
        Campaign.Status.CLOSED,
    )


def campaign_overview(*, campaign: Campaign) -> OverviewData:
    """Items with their counts, the students (each once) and the history (four queries)."""
    return OverviewData(
        items=campaign_items(campaign=campaign),
        counts=student_counts([campaign.pk])[campaign.pk],
        transitions=campaign_transitions(campaign=campaign),
        shows_demand=shows_demand(campaign),
    )


def registration_total(*, campaign: Campaign) -> int:
    return campaign.registrations.count()


def non_pending_count(*, campaign: Campaign) -> int:
    """How many rows a reopen would put back to pending (preference-based campaigns)."""
    return campaign.registrations.exclude(status=RegStatus.PENDING).count()


# -- registerables ------------------------------------------------------------------------------


def lecture_registerables(*, lecture: Lecture) -> list[Registerable]:
    """The lecture itself and every group of it, as concrete objects (one query per kind)."""
    queryset = Registerable.objects.filter(
        Q(pk=lecture.pk)
        | Q(tutorial__lecture=lecture)
        | Q(talk__lecture=lecture)
        | Q(cohort__lecture=lecture)
        | Q(exam__lecture=lecture)
    ).order_by("id")
    return list(queryset)


def registerable_label(registerable: Registerable) -> str:
    kind = str(registerable._meta.verbose_name).capitalize()
    return f"{kind}: {registerable}"


def addable_registerables(*, campaign: Campaign) -> list[Registerable]:
    """Registerables of the campaign's lecture that are not yet items of it."""
    taken = set(campaign.items.values_list("registerable_id", flat=True))
    return [r for r in lecture_registerables(lecture=campaign.lecture) if r.pk not in taken]


def pattern_registerables(*, lecture: Lecture, pattern: str) -> list[Registerable]:
    """What each configuration pattern of the wizard offers as items (none preselected)."""
    everything = lecture_registerables(lecture=lecture)
    if pattern == PATTERN_ENROLLMENT:
        return [r for r in everything if isinstance(r, Lecture)]
    if pattern == PATTERN_SPECIAL:
        return [r for r in everything if isinstance(r, Cohort)]
    if pattern in (PATTERN_GROUP, PATTERN_MIXED):
        return [r for r in everything if isinstance(r, Tutorial | Talk)]
    return []


@dataclass
class Tracks:
    """Not yet completed campaigns of a lecture, by track (for the mixed-track warning)."""

    group: list = field(default_factory=list)
    enrollment: list = field(default_factory=list)


def active_tracks(*, lecture: Lecture) -> Tracks:
    """Which campaigns already run a group track and which an enrollment track (one query)."""
    group_types = ContentType.objects.get_for_models(Tutorial, Talk).values()
    rows = (
        Item.objects.filter(campaign__lecture=lecture)
        .exclude(campaign__status=Campaign.Status.COMPLETED)
        .filter(
            Q(registerable_id=lecture.pk)
            | Q(registerable__polymorphic_ctype__in=[ct.pk for ct in group_types])
        )
        .values_list("campaign_id", "campaign__title", "registerable_id")
        .order_by("campaign_id")
    )
    tracks = Tracks()
    seen: set[tuple[str, int]] = set()
    for campaign_id, title, registerable_id in rows:
        track = "enrollment" if registerable_id == lecture.pk else "group"
        if (track, campaign_id) not in seen:
            seen.add((track, campaign_id))
            getattr(tracks, track).append(title)
    return tracks


ACTIVE_FOR_OVERLAP = (Campaign.Status.DRAFT, Campaign.Status.OPEN)


@dataclass(frozen=True)
class Overlap:
    """A group offered by a campaign that is also offered by another open or draft campaign."""

    registerable_id: int
    title: str
    campaign_id: int
    other_campaign_id: int
    other_title: str


def open_offers(*, lecture: Lecture) -> dict[int, list[tuple[int, str]]]:
    """Registerable id -> the open or draft campaigns offering it, as (id, title) (one query)."""
    rows = (
        Item.objects.filter(campaign__lecture=lecture, campaign__status__in=ACTIVE_FOR_OVERLAP)
        .values_list("registerable_id", "campaign_id", "campaign__title")
        .order_by("registerable_id", "campaign_id")
    )
    offers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for registerable_id, campaign_id, title in rows:
        offers[registerable_id].append((campaign_id, title))
    return offers


def campaign_overlaps(*, campaign: Campaign) -> list[Overlap]:
    """The campaign's groups that another open or draft campaign offers too (one query).

    A student could then hold two places in the same group, or one group fill from two sides;
    staff are warned on the overview. A completed or closed campaign no longer competes.
    """
    if campaign.status not in ACTIVE_FOR_OVERLAP:
        return []
    rows = (
        Item.objects.filter(
            registerable__registration_items__campaign=campaign,
            campaign__status__in=ACTIVE_FOR_OVERLAP,
        )
        .exclude(campaign=campaign)
        .values_list("registerable_id", "registerable__title", "campaign_id", "campaign__title")
        .order_by("registerable__title", "registerable_id", "campaign_id")
    )
    return [
        Overlap(
            registerable_id=registerable_id,
            title=title,
            campaign_id=campaign.pk,
            other_campaign_id=other_id,
            other_title=other_title,
        )
        for registerable_id, title, other_id, other_title in rows
    ]


def lecture_overlaps(*, lecture: Lecture) -> dict[int, list[str]]:
    """Campaign id -> titles of the other open/draft campaigns sharing a group (one query)."""
    shared: dict[int, set[str]] = defaultdict(set)
    for offers in open_offers(lecture=lecture).values():
        if len(offers) < 2:
            continue
        for campaign_id, _title in offers:
            shared[campaign_id].update(t for c, t in offers if c != campaign_id)
    return {campaign_id: sorted(titles) for campaign_id, titles in shared.items()}


def lecture_other_campaigns(*, campaign: Campaign) -> list[Campaign]:
    return list(
        Campaign.objects.filter(lecture_id=campaign.lecture_id)
        .exclude(pk=campaign.pk)
        .order_by("title", "id")
    )


# -- policies -----------------------------------------------------------------------------------


def campaign_policies(*, campaign: Campaign) -> list[Policy]:
    """Policies in evaluation order, each with a description for staff."""
    rows = list(campaign.policies.order_by("position", "id"))
    kinds = policies.registered_kinds()
    for policy in rows:
        kind = kinds.get(policy.kind)
        policy.kind_label = kind.label if kind else policy.get_kind_display()
        policy.description = kind.describe(policy) if kind else ""
    return rows


def addable_policy_kinds(*, campaign: Campaign, rows) -> dict:
    """Registered policy kinds the campaign has no rule of yet (a kind at most once)."""
    used = {policy.kind for policy in rows}
    return {name: kind for name, kind in policies.registered_kinds().items() if name not in used}


# -- registrations ------------------------------------------------------------------------------


def campaign_registrations(
    *, campaign: Campaign, status: str = "", item_id: int | None = None, search: str = "",
    sort: str = DEFAULT_REGISTRATION_SORT,
) -> QuerySet:
    """Registrations with user and item joined in, filtered and sorted; one query per page."""
    queryset = UserRegistration.objects.filter(campaign=campaign).select_related(
        "user", "item__registerable"
    )
    if status in RegStatus.values:
        queryset = queryset.filter(status=status)
    if item_id is not None:
        queryset = queryset.filter(item_id=item_id)
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(user__name__icontains=search)
            | Q(user__email__icontains=search)
            | Q(user__institutional_email__icontains=search)
            | Q(user__matriculation_number__icontains=search)
        )
    ordering = REGISTRATION_SORTS.get(sort, REGISTRATION_SORTS[DEFAULT_REGISTRATION_SORT])
    return queryset.order_by(*ordering)


# -- registrations per student ------------------------------------------------------------------

STUDENT_PLACED = "confirmed"
STUDENT_PENDING = "pending"
STUDENT_WITHOUT_PLACE = "rejected"
STUDENT_STATUS_LABELS = {
    STUDENT_PLACED: gettext_lazy("Has a place"),
    STUDENT_PENDING: gettext_lazy("Waiting"),
    STUDENT_WITHOUT_PLACE: gettext_lazy("Without a place"),
}
STUDENT_SORTS = {
    "name": ("name", "email", "id"),
    "status": ("status_order", "name", "id"),
    "newest": ("-first_registered_at", "-id"),
    "oldest": ("first_registered_at", "id"),
}
DEFAULT_STUDENT_SORT = "name"

# What a row of a student means, in words staff read (also in the CSV).
NOT_NEEDED = "not_needed"
CHOICE_STATE_LABELS = {
    RegStatus.CONFIRMED: gettext_lazy("place"),
    RegStatus.PENDING: gettext_lazy("pending"),
    RegStatus.REJECTED: gettext_lazy("rejected"),
    NOT_NEEDED: gettext_lazy("not needed (got a higher choice)"),
}
REJECTION_LABELS = {
    "item_full": gettext_lazy("group full"),
    "solver_unassigned": gettext_lazy("no place in any choice"),
    "assigned_elsewhere": gettext_lazy("no room; placed in a later choice"),
    "capacity": gettext_lazy("group full"),
}


def rejection_label(reason: str) -> str:
    if not reason:
        return ""
    if reason.startswith("policy:"):
        return str(gettext_lazy("not eligible (rules)"))
    return str(REJECTION_LABELS.get(reason, reason))


def _registrations_of_user(campaign: Campaign) -> QuerySet:
    return UserRegistration.objects.filter(campaign=campaign, user=OuterRef("pk")).order_by()


def campaign_students(
    *, campaign: Campaign, status: str = "", item_id: int | None = None, search: str = "",
    sort: str = DEFAULT_STUDENT_SORT,
) -> QuerySet:
    """The campaign's registrants, one per student, filtered and sorted (one query per page,
    one for the count). ``status`` is the student's: has a place, waiting, without a place."""
    mine = _registrations_of_user(campaign)
    queryset = User.objects.filter(Exists(mine)).annotate(
        placed=Exists(mine.filter(status=RegStatus.CONFIRMED)),
        waiting=Exists(mine.filter(status=RegStatus.PENDING)),
        first_registered_at=Subquery(mine.order_by("created_at").values("created_at")[:1]),
    ).annotate(
        status_order=Case(
            When(placed=True, then=Value(0)),
            When(waiting=True, then=Value(1)),
            default=Value(2),
        )
    )
    if status == STUDENT_PLACED:
        queryset = queryset.filter(placed=True)
    elif status == STUDENT_PENDING:
        queryset = queryset.filter(placed=False, waiting=True)
    elif status == STUDENT_WITHOUT_PLACE:
        queryset = queryset.filter(placed=False, waiting=False)
    if item_id is not None:
        queryset = queryset.filter(Exists(mine.filter(item_id=item_id)))
    search = search.strip()
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(institutional_email__icontains=search)
            | Q(matriculation_number__icontains=search)
        )
    return queryset.order_by(*STUDENT_SORTS.get(sort, STUDENT_SORTS[DEFAULT_STUDENT_SORT]))


@dataclass
class Choice:
    """One line of a student's registration: a ranked choice, a place, or a refused attempt."""

    registration: UserRegistration
    state: str  # confirmed, pending, rejected or not_needed

    @property
    def title(self) -> str:
        return self.registration.item.registerable.title

    @property
    def rank(self) -> int | None:
        return self.registration.preference_rank

    @property
    def state_label(self) -> str:
        return str(CHOICE_STATE_LABELS[self.state])

    @property
    def reason_label(self) -> str:
        if self.state != RegStatus.REJECTED:
            return ""
        return rejection_label(self.registration.rejection_reason)

    @property
    def text(self) -> str:
        """The cell as the CSV writes it: title, and what became of it unless it is a place."""
        if self.state == RegStatus.CONFIRMED:
            return self.title
        detail = self.reason_label or self.state_label
        if self.state == RegStatus.REJECTED and self.reason_label:
            detail = f"{self.state_label}: {self.reason_label}"
        return f"{self.title} ({detail})"


@dataclass
class StudentRow:
    user: User
    status: str
    choices: list  # index 0 is choice 1; None where the student ranked nothing
    places: list = field(default_factory=list)  # confirmed choices
    attempts: list = field(default_factory=list)  # unranked rows that are no place (FCFS)
    first_registered_at: object = None

    @property
    def status_label(self) -> str:
        return str(STUDENT_STATUS_LABELS[self.status])

    @property
    def not_needed_count(self) -> int:
        return sum(1 for c in self.choices if c is not None and c.state == NOT_NEEDED)


def _state_of(registration: UserRegistration, placed_rank: int | None, placed: bool) -> str:
    """A lower choice of a placed student is "not needed", whatever its stored status."""
    if registration.status == RegStatus.CONFIRMED:
        return RegStatus.CONFIRMED
    rank = registration.preference_rank
    if placed and rank is not None and placed_rank is not None and rank > placed_rank:
        return NOT_NEEDED
    return registration.status


def student_rows(*, campaign: Campaign, users, ranks: int) -> list[StudentRow]:
    """Rows for these students (in their order) with choice 1..``ranks`` (one query)."""
    users = list(users)
    by_user: dict[int, list[UserRegistration]] = defaultdict(list)
    registrations = (
        UserRegistration.objects.filter(campaign=campaign, user_id__in=[u.pk for u in users])
        .select_related("item__registerable")
        .order_by("user_id", "preference_rank", "created_at", "id")
    )
    for registration in registrations:
        by_user[registration.user_id].append(registration)
    rows = []
    for user in users:
        mine = by_user.get(user.pk, [])
        confirmed = [r for r in mine if r.status == RegStatus.CONFIRMED]
        placed_ranks = [r.preference_rank for r in confirmed if r.preference_rank is not None]
        placed_rank = min(placed_ranks) if placed_ranks else None
        width = max([ranks, *[r.preference_rank or 0 for r in mine]])
        choices: list = [None] * width
        attempts = []
        for registration in mine:
            choice = Choice(registration, _state_of(registration, placed_rank, bool(confirmed)))
            if registration.preference_rank is not None:
                choices[registration.preference_rank - 1] = choice
            elif choice.state != RegStatus.CONFIRMED:
                attempts.append(choice)
        if confirmed:
            status = STUDENT_PLACED
        elif any(r.status == RegStatus.PENDING for r in mine):
            status = STUDENT_PENDING
        else:
            status = STUDENT_WITHOUT_PLACE
        rows.append(
            StudentRow(
                user=user,
                status=status,
                choices=choices,
                places=[
                    Choice(r, RegStatus.CONFIRMED) for r in confirmed
                ],
                attempts=attempts,
                first_registered_at=getattr(user, "first_registered_at", None)
                or min((r.created_at for r in mine), default=None),
            )
        )
    return rows


def choice_columns(*, campaign: Campaign) -> int:
    """How many choice columns the list shows: what students may rank, at least what they did."""
    if not campaign.is_preference_based:
        return 0
    item_count = campaign.items.count()
    highest = campaign.registrations.aggregate(m=Max("preference_rank"))["m"] or 0
    return max(min(campaign.max_preferences, item_count), highest)


def campaign_user(*, campaign: Campaign, user_id: int) -> User:
    """A registrant of the campaign (raises User.DoesNotExist otherwise)."""
    if not is_valid_id(user_id):
        raise User.DoesNotExist
    return User.objects.filter(registrations__campaign=campaign).distinct().get(pk=user_id)


def user_by_identifier(*, identifier: str) -> User | None:
    """The active account with this e-mail (either one) or matriculation number, if unique."""
    identifier = identifier.strip()
    if not identifier:
        return None
    matches = list(
        User.objects.filter(
            Q(email__iexact=identifier)
            | Q(institutional_email__iexact=identifier)
            | Q(matriculation_number=identifier),
            is_active=True,
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None


# -- lifecycle steps ------------------------------------------------------------------------------


def transition_effects(*, campaign: Campaign, action: str) -> list[str]:
    """What a lifecycle step will do, for its confirmation page. Whether it is allowed is the
    service's to say (``services.campaign_step_refusal``), never this page's."""
    if action == "open":
        return [
            _("Students can register until the deadline."),
            _(
                "Settings will be locked after opening: allocation mode, opening time, maximum "
                "number of preferences and policies can no longer change."
            ),
        ]
    if action == "close":
        return [_("Students can no longer register, change or withdraw.")]
    if action == "reopen":
        effects = [_("Students can register again until the deadline.")]
        if campaign.is_preference_based:
            count = non_pending_count(campaign=campaign)
            effects.append(
                ngettext(
                    "%(count)d registration will go back to pending until the next allocation.",
                    "%(count)d registrations will go back to pending until the next allocation.",
                    count,
                )
                % {"count": count}
            )
        return effects
    if action == "draft":
        return [_("The campaign goes back to configuration and students no longer see it.")]
    if action == "delete":
        return [_("The campaign, its items and its policies are deleted for good.")]
    return []
