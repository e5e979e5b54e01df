"""Registration campaigns, their items, the students' registrations and eligibility policies.

State changes go through ``registration.services`` only: the status field is protected and the
FSM transitions below are called from services inside ``transaction.atomic()``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class Campaign(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")

    class AllocationMode(models.TextChoices):
        FIRST_COME_FIRST_SERVED = "first_come_first_served", _("First come, first served")
        PREFERENCE_BASED = "preference_based", _("Preference-based")

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="campaigns",
        verbose_name=_("lecture"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    allocation_mode = models.CharField(
        _("allocation mode"),
        max_length=30,
        choices=AllocationMode.choices,
        default=AllocationMode.FIRST_COME_FIRST_SERVED,
    )
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True
    )
    planning_only = models.BooleanField(
        _("planning only"),
        default=False,
        help_text=_("Interest registration: results are counted but never put into rosters."),
    )
    registration_opens_at = models.DateTimeField(
        _("registration opens at"),
        null=True,
        blank=True,
        help_text=_("Leave empty to open by hand; otherwise the campaign opens by itself."),
    )
    registration_deadline = models.DateTimeField(_("registration deadline"))
    max_preferences = models.PositiveSmallIntegerField(
        _("maximum number of preferences"),
        default=3,
        help_text=_("How many items a student may rank (preference-based campaigns)."),
    )
    allow_withdrawal = models.BooleanField(
        _("students may withdraw"), default=True, help_text=_("Only while the campaign is open.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-registration_deadline", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_preferences__gte=1), name="campaign_max_preferences_gte_1"
            ),
            models.CheckConstraint(
                condition=models.Q(registration_opens_at__isnull=True)
                | models.Q(registration_opens_at__lt=models.F("registration_deadline")),
                name="campaign_opens_before_deadline",
            ),
        ]

    def __str__(self):
        return self.title

    # -- derived facts -----------------------------------------------------------------------

    @property
    def is_preference_based(self) -> bool:
        return self.allocation_mode == self.AllocationMode.PREFERENCE_BASED

    @property
    def is_fcfs(self) -> bool:
        return self.allocation_mode == self.AllocationMode.FIRST_COME_FIRST_SERVED

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def open_for_registrations(self, *, now=None) -> bool:
        """Status open and the deadline not yet passed: the guard every request checks."""
        now = now or timezone.now()
        return self.status == self.Status.OPEN and now < self.registration_deadline

    def has_items(self) -> bool:
        return self.items.exists()

    def deadline_in_future(self) -> bool:
        return self.registration_deadline > timezone.now()

    def has_no_registrations(self) -> bool:
        return not self.registrations.exists()

    # -- transitions (called only by registration.services) -------------------------------------

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.OPEN,
        conditions=[has_items, deadline_in_future],
    )
    def mark_open(self):
        """Start accepting registrations; mode, opening time and policies freeze now."""

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def mark_closed(self):
        """Stop intake (by hand or because the deadline passed)."""

    @transition(
        field=status,
        source=[Status.CLOSED, Status.PROCESSING, Status.COMPLETED],
        target=Status.OPEN,
        conditions=[deadline_in_future],
    )
    def mark_reopened(self):
        """Accept registrations again; computed allocations are discarded by the service."""

    @transition(
        field=status,
        source=[Status.OPEN, Status.CLOSED],
        target=Status.DRAFT,
        conditions=[has_no_registrations],
    )
    def mark_draft(self):
        """Back to configuration, allowed only while nobody has registered."""

    @transition(field=status, source=[Status.CLOSED, Status.PROCESSING], target=Status.PROCESSING)
    def mark_processing(self):
        """An allocation has been computed and awaits finalization (preference-based)."""

    @transition(field=status, source=[Status.CLOSED, Status.PROCESSING], target=Status.COMPLETED)
    def mark_completed(self):
        """Results are final and materialized into rosters."""


class CampaignTransition(models.Model):
    """Append-only audit of campaign status changes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Campaign.Status.choices)
    to_status = models.CharField(max_length=20, choices=Campaign.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("campaign transition")
        verbose_name_plural = _("campaign transitions")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.campaign_id}: {self.from_status} -> {self.to_status}"


class CampaignChange(models.Model):
    """Append-only audit of campaign configuration: items, capacities, rules, settings, deletion.

    Written by the service that makes the change, in its transaction. The campaign reference is
    not a database foreign key and is left alone on delete, so the row that records a campaign's
    deletion outlives it.
    """

    class Action(models.TextChoices):
        UPDATED = "updated", _("settings changed")
        ITEM_ADDED = "item_added", _("item added")
        ITEM_REMOVED = "item_removed", _("item removed")
        CAPACITY_SET = "capacity_set", _("capacity changed")
        POLICY_ADDED = "policy_added", _("rule added")
        POLICY_UPDATED = "policy_updated", _("rule changed")
        POLICY_REMOVED = "policy_removed", _("rule removed")
        DELETED = "deleted", _("campaign deleted")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="changes",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    old = models.JSONField(_("old value"), null=True, blank=True)
    new = models.JSONField(_("new value"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign change")
        verbose_name_plural = _("campaign changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.campaign_id}: {self.action} {self.subject}"


class Item(models.Model):
    """A line on the campaign's menu, pointing at the real group (the registerable)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    # RESTRICT: a group with items cannot be deleted alone, but deleting the whole lecture
    # (which cascades to its campaigns and their items) still works.
    registerable = models.ForeignKey(
        "mampf.Registerable", on_delete=models.RESTRICT, related_name="registration_items"
    )
    exclusive = models.BooleanField(
        _("exclusive"),
        default=True,
        help_text=_("A student may hold only one confirmed exclusive item per campaign."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "registerable"], name="item_registerable_unique_per_campaign"
            ),
        ]

    def __str__(self):
        return str(self.registerable)

    @property
    def capacity(self) -> int | None:
        return self.registerable.capacity


class UserRegistration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    # ``status`` is deliberately in no index (see Meta): finalization flips tens of thousands of
    # rows from pending to rejected, and PostgreSQL can then update them in place (HOT) without
    # touching any index. ``campaign`` and ``user`` are covered by the composite indexes.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="registrations", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="registrations",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    preference_rank = models.PositiveSmallIntegerField(_("preference rank"), null=True, blank=True)
    # Copied from the item so the database can enforce "one confirmed exclusive seat".
    exclusive = models.BooleanField(default=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=60, blank=True)
    # True for a confirmed exclusive seat, NULL otherwise: the database computes it, and a unique
    # index over (campaign, user, holds_exclusive_seat) allows one seat per student. Unlike a
    # partial index on ``status``, it leaves pending -> rejected updates index-free.
    holds_exclusive_seat = models.GeneratedField(
        expression=models.Case(
            models.When(
                models.Q(status="confirmed", exclusive=True), then=models.Value(True)
            ),
            default=models.Value(None),
            output_field=models.BooleanField(null=True),
        ),
        output_field=models.BooleanField(null=True),
        db_persist=True,
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("user registration")
        verbose_name_plural = _("user registrations")
        ordering = ["campaign", "user", "preference_rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user", "holds_exclusive_seat"],
                name="registration_one_confirmed_exclusive_per_user",
            ),
            models.UniqueConstraint(
                fields=["campaign", "user", "preference_rank"],
                condition=models.Q(preference_rank__isnull=False),
                name="registration_unique_rank_per_user",
            ),
            models.UniqueConstraint(
                fields=["campaign", "user", "item"], name="registration_unique_item_per_user"
            ),
            models.CheckConstraint(
                condition=models.Q(preference_rank__isnull=True) | models.Q(preference_rank__gte=1),
                name="registration_rank_gte_1",
            ),
        ]
        indexes = [models.Index(fields=["user", "campaign"])]

    def __str__(self):
        return f"{self.user_id} -> {self.item_id} ({self.status})"


class RegistrationEvent(models.Model):
    """Append-only trace of a registration row that was deleted: a student's withdrawal, a
    replaced or withdrawn ranking, a staff cancellation. (Items with registrations cannot be
    removed; forced placements an allocation rewrites are computed results, not the student's.)

    Written by the deleting service in its transaction (one ``INSERT ... SELECT`` of the rows
    about to go), so the registration audit can show who left what and when. References have
    no database constraint (a constraint check would lock the referenced rows, and the event
    outlives the item and the campaign); the student's own events go with their account.
    """

    class Action(models.TextChoices):
        WITHDRAWN = "withdrawn", _("withdrawn")
        PREFERENCES_WITHDRAWN = "preferences_withdrawn", _("ranking withdrawn")
        PREFERENCES_REPLACED = "preferences_replaced", _("ranking replaced")
        CANCELLED = "cancelled", _("cancelled by staff")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the (campaign, at) index covers it
        related_name="events",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # the (user, at) index covers it
        related_name="registration_events",
    )
    item = models.ForeignKey(
        Item,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    registerable = models.ForeignKey(
        "mampf.Registerable",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    status = models.CharField(_("former status"), max_length=10, blank=True)
    preference_rank = models.PositiveSmallIntegerField(
        _("former preference rank"), null=True, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("registration event")
        verbose_name_plural = _("registration events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "at"], name="registration_event_campaign_at"),
            models.Index(fields=["user", "at"], name="registration_event_user_at"),
        ]

    def __str__(self):
        return f"{self.campaign_id}/{self.user_id}: {self.action}"


class Policy(models.Model):
    """One eligibility rule of a campaign; evaluated in ``position`` order by the engine."""

    class Kind(models.TextChoices):
        """The kinds this app brings. Not the field's choices: the registry in
        ``registration.policies`` is the one list of kinds, and higher apps add theirs there
        (``performance`` registers ``student_performance``) without a migration here."""

        INSTITUTIONAL_EMAIL = "institutional_email", _("Institutional e-mail address")
        PREREQUISITE_CAMPAIGN = "prerequisite_campaign", _("Prerequisite campaign")

    class Phase(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        FINALIZATION = "finalization", _("Finalization")
        BOTH = "both", _("Registration and finalization")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="policies")
    kind = models.CharField(_("kind"), max_length=40)
    phase = models.CharField(
        _("phase"), max_length=20, choices=Phase.choices, default=Phase.REGISTRATION
    )
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["campaign", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind"], name="policy_one_kind_per_campaign"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_phase_display()})"

    def get_kind_display(self) -> str:
        """The registered kind's label, or the raw kind when no app registers it."""
        from registration.policies import get_policy_kind

        kind = get_policy_kind(self.kind)
        return str(kind.label) if kind else self.kind

    def applies_to(self, phase: str) -> bool:
        return self.active and self.phase in (phase, self.Phase.BOTH)


class AllocationRun(models.Model):
    """One solver run of a preference-based campaign: inputs, outcome and statistics.

    At most one run per campaign is queued or running at a time (a database constraint), so a
    second click on "Run allocation" is refused instead of doubled.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Objective(models.TextChoices):
        RANK_SUM = "rank_sum", _("Fewest rank points in total (standard)")
        GENEROUS = "generous", _("Fairest: fewest students at their worst choices")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="allocation_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    objective = models.CharField(
        _("objective"), max_length=20, choices=Objective.choices, default=Objective.RANK_SUM
    )
    seed = models.BigIntegerField(_("lottery seed"))
    balanced = models.BooleanField(_("balance group sizes"), default=False)
    force_assignments = models.BooleanField(
        _("place students whose choices are full into groups with room"), default=False
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    statistics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=models.Q(status__in=["queued", "running"]),
                name="allocation_one_active_run_per_campaign",
            ),
        ]

    def __str__(self):
        return f"{self.campaign_id} run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
