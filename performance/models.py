"""Performance records, rules and certifications (DOMAIN-NOTES "Performance records and rules",
"Certification"; spec 000 phases 7-10).

Rules and invariants:
- a ``Record`` holds facts only (points, maxima, per-sheet figures, achievements), never a
  verdict; one per (lecture, student), for every member of the lecture roster; written only by
  the bulk recompute in ``performance.records`` (an upsert), never by hand;
- ``Record.fingerprint`` is a digest of every figure the evaluator reads; it changes exactly when
  a figure changes, so a recompute that changes nothing makes nothing stale;
- at most one active ``Rule`` per lecture (a partial unique index); ``Rule.version`` grows with
  every saved change, and a certification remembers the version it was decided under;
- a ``Certification`` is the teacher's decision; one per (lecture, student). It is *stale*
  (derived, never stored) when the record's fingerprint or the rule's version moved since it was
  decided; carried-over certifications come from an earlier term and are never stale;
- ``CertificationChange`` and ``RuleChange`` are append-only (database triggers): services insert
  rows, nothing updates them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

FIGURE_DIGITS = 9
FIGURE_PLACES = 2


def figure_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=FIGURE_DIGITS, decimal_places=FIGURE_PLACES, **kwargs
    )


class Record(models.Model):
    """The facts the evaluator reads for one student of one lecture.

    ``per_assessment`` maps every assignment of the lecture (as a string id) to
    ``{"points": "7.50" | null, "max": "10.00", "status": <status>, "submitted": bool}`` where
    status is a participation status (``pending``, ``reviewed``, ``absent``, ``exempt``) or
    ``none`` when the student has no row yet; ``points`` is set only for reviewed rows.
    ``achievements`` maps every achievement of the lecture to ``met``, ``not_met`` or
    ``ungraded``. Decimals inside JSON are strings, never floats.
    """

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="performance_records",
        verbose_name=_("lecture"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="performance_records",
        verbose_name=_("student"),
    )
    points = figure_field(_("points"), default=Decimal("0"))
    maximum = figure_field(
        _("maximum"),
        default=Decimal("0"),
        help_text=_("All assignments of the lecture except those the student is exempt from."),
    )
    points_pending_marking = figure_field(
        _("points pending marking"),
        default=Decimal("0"),
        help_text=_("The maximum points of sheets handed in but not reviewed yet."),
    )
    percentage = models.DecimalField(
        _("percentage"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    per_assessment = models.JSONField(_("points per assignment"), default=dict, blank=True)
    achievements = models.JSONField(_("achievements"), default=dict, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    figures_changed_at = models.DateTimeField(_("figures changed at"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("performance record")
        verbose_name_plural = _("performance records")
        ordering = ["lecture", "user"]
        constraints = [
            models.UniqueConstraint(fields=["lecture", "user"], name="record_unique_per_student"),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(maximum__gte=0) & Q(points_pending_marking__gte=0),
                name="record_figures_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.lecture}"


class Rule(models.Model):
    """The lecture's exam admission rule: every criterion set here must hold.

    The empty ``sheets`` set means "every assignment that is not a bonus sheet". Bonus sheets'
    points count, their maximum does not.
    """

    class Threshold(models.TextChoices):
        NONE = "none", _("No overall threshold")
        PERCENTAGE = "percentage", _("Percentage of all points")
        POINTS = "points", _("Absolute points")

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="performance_rules",
        verbose_name=_("lecture"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    threshold_kind = models.CharField(
        _("overall threshold"), max_length=10, choices=Threshold.choices, default=Threshold.NONE
    )
    threshold_value = figure_field(_("threshold"), null=True, blank=True)
    required_achievements = models.ManyToManyField(
        "assessment.Achievement",
        blank=True,
        related_name="required_by_rules",
        verbose_name=_("required achievements"),
    )
    sheet_min_percentage = models.DecimalField(
        _("minimum percentage per sheet"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    sheet_min_count = models.PositiveSmallIntegerField(_("number of sheets"), null=True, blank=True)
    sheets = models.ManyToManyField(
        "assessment.Assessment",
        blank=True,
        related_name="+",
        verbose_name=_("sheets of the per-sheet criterion"),
    )
    bonus_sheets = models.ManyToManyField(
        "assessment.Assessment",
        blank=True,
        related_name="+",
        verbose_name=_("bonus sheets"),
    )
    expected_assignments = models.PositiveSmallIntegerField(
        _("sheets planned this term"),
        null=True,
        blank=True,
        help_text=_(
            "Until this many assignments exist, nobody fails a criterion that later sheets could "
            "still meet. Leave empty when every sheet of the term already exists."
        ),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("performance rule")
        verbose_name_plural = _("performance rules")
        ordering = ["lecture", "-is_active", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lecture"],
                condition=Q(is_active=True),
                name="rule_one_active_per_lecture",
            ),
            models.CheckConstraint(
                condition=Q(threshold_kind__in=["none", "percentage", "points"]),
                name="rule_threshold_kind_valid",
            ),
            models.CheckConstraint(
                condition=(Q(threshold_kind="none") & Q(threshold_value__isnull=True))
                | (
                    Q(threshold_kind="percentage")
                    & Q(threshold_value__gt=0)
                    & Q(threshold_value__lte=100)
                )
                | (Q(threshold_kind="points") & Q(threshold_value__gt=0)),
                name="rule_threshold_value_fits_kind",
                violation_error_message=_(
                    "A percentage threshold lies between 0 and 100, a points threshold above 0."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(sheet_min_percentage__isnull=True) & Q(sheet_min_count__isnull=True))
                | (
                    Q(sheet_min_percentage__gte=0)
                    & Q(sheet_min_percentage__lte=100)
                    & Q(sheet_min_count__gte=1)
                ),
                name="rule_sheet_criterion_complete",
                violation_error_message=_(
                    "The per-sheet criterion needs both a percentage (0 to 100) and a number of "
                    "sheets (at least 1)."
                ),
            ),
        ]

    def __str__(self):
        return str(_("Rule of %(lecture)s (version %(version)s)")) % {
            "lecture": self.lecture,
            "version": self.version,
        }


class RuleChange(models.Model):
    """Append-only audit of rule edits: the rule's settings before and after, who and when."""

    rule = models.ForeignKey(
        Rule, on_delete=models.CASCADE, related_name="changes", db_constraint=False
    )
    version = models.PositiveIntegerField(_("version"))
    old = models.JSONField(_("before"), default=dict, blank=True)
    new = models.JSONField(_("after"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_constraint=False,
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule change")
        verbose_name_plural = _("rule changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.rule_id} v{self.version}"


class Certification(models.Model):
    """The teacher's decision whether one student may sit the lecture's exams."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        COMPUTED = "computed", _("Accepted proposal")
        MANUAL = "manual", _("Manual decision")
        CARRIED_OVER = "carried_over", _("Carried over from an earlier term")

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="certifications",
        verbose_name=_("lecture"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="certifications",
        verbose_name=_("student"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    note = models.TextField(_("note"), blank=True)
    rule = models.ForeignKey(
        Rule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certifications",
        verbose_name=_("rule"),
    )
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    record_fingerprint = models.CharField(_("record fingerprint"), max_length=64, blank=True)
    figures = models.JSONField(
        _("figures"),
        default=dict,
        blank=True,
        help_text=_("A snapshot of the record the decision was based on."),
    )
    origin = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_into",
        verbose_name=_("carried over from"),
    )
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certified by"),
    )
    certified_at = models.DateTimeField(_("certified at"))
    student_notified_status = models.CharField(
        _("status last told to the student"), max_length=10, blank=True
    )

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["lecture", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["lecture", "user"], name="certification_unique_per_student"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "passed", "failed"]),
                name="certification_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["computed", "manual", "carried_over"]),
                name="certification_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(source="computed") | ~Q(note=""),
                name="certification_decision_by_hand_has_note",
                violation_error_message=_("A manual or carried-over certification needs a note."),
            ),
            models.CheckConstraint(
                condition=~Q(source="carried_over") | Q(status="passed"),
                name="certification_carried_over_is_passed",
                violation_error_message=_("Only passed certifications are carried over."),
            ),
        ]
        indexes = [models.Index(fields=["lecture", "status"], name="certification_lecture_status")]

    def __str__(self):
        return f"{self.user} @ {self.lecture}: {self.get_status_display()}"


class CertificationChange(models.Model):
    """Append-only history of every certification change, shown per student."""

    class Action(models.TextChoices):
        ACCEPTED = "accepted", _("Proposal accepted")
        OVERRIDDEN = "overridden", _("Decided by hand")
        RECERTIFIED = "recertified", _("Re-certified")
        CARRIED_OVER = "carried_over", _("Carried over")
        RESET = "reset", _("Reset")

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("student"),
        db_constraint=False,
        db_index=False,
    )
    certification = models.ForeignKey(
        Certification,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="changes",
        db_constraint=False,
        db_index=False,
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    old_status = models.CharField(_("old status"), max_length=10, blank=True)
    new_status = models.CharField(_("new status"), max_length=10, blank=True)
    old_source = models.CharField(_("old source"), max_length=12, blank=True)
    new_source = models.CharField(_("new source"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        db_constraint=False,
        db_index=False,
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certification change")
        verbose_name_plural = _("certification changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["lecture", "user", "at"], name="cert_change_student_at"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.old_status} → {self.new_status}"


class LectureState(models.Model):
    """Per-lecture bookkeeping of the background work: recompute coalescing and mail digests.

    ``recompute_requested_at`` is set by every change that feeds the records; a recompute clears
    the request it started from, so a burst of changes gives a few recomputes, not one each.
    """

    lecture = models.OneToOneField(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="performance_state",
        verbose_name=_("lecture"),
    )
    recompute_requested_at = models.DateTimeField(null=True, blank=True)
    recompute_started_at = models.DateTimeField(null=True, blank=True)
    recompute_finished_at = models.DateTimeField(null=True, blank=True)
    records_computed = models.PositiveIntegerField(default=0)
    recompute_error = models.TextField(blank=True)
    stale_digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("performance state of a lecture")
        verbose_name_plural = _("performance states of lectures")

    def __str__(self):
        return str(self.lecture)
