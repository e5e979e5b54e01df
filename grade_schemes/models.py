"""Grade schemes of exam assessments (DOMAIN-NOTES "Grade schemes").

Rules and invariants:
- a ``GradeScheme`` belongs to one exam assessment; at most one per assessment is active (a
  partial unique constraint); creating a new scheme retires the active one, which stays as
  history; ``kind`` says whether thresholds are points or percentages of the maximum;
- the bands are rows (``GradeBand``: a lower bound and a German grade, unique per scheme and
  grade), so the database checks the grade and a page lists them directly;
- ``applied_at`` is set when the scheme's grades were last written to the participations;
- grades themselves live on ``assessment.Participation`` (``grade_value``, ``grade_source``) and
  every grade change is audited there as ``assessment.GradeChange`` (field ``grade``);
  ``GradeSchemeChange`` is the append-only audit of the schemes (created, edited, applied):
  services insert rows, nothing updates or deletes them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

GERMAN_GRADES = tuple(
    Decimal(g)
    for g in ("1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0")
)


class GradeScheme(models.Model):
    class Kind(models.TextChoices):
        POINTS = "points", _("Points")
        PERCENTAGE = "percentage", _("Percentage of the maximum")

    assessment = models.ForeignKey(
        "assessment.Assessment",
        on_delete=models.CASCADE,
        related_name="grade_schemes",
        verbose_name=_("assessment"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.POINTS)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )

    class Meta:
        verbose_name = _("grade scheme")
        verbose_name_plural = _("grade schemes")
        ordering = ["assessment", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"],
                condition=Q(is_active=True),
                name="grade_scheme_one_active_per_assessment",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["points", "percentage"]), name="grade_scheme_kind_valid"
            ),
        ]

    def __str__(self):
        return _("Grade scheme %(id)s for %(assessment)s") % {
            "id": self.pk,
            "assessment": self.assessment,
        }


class GradeBand(models.Model):
    """A lower bound (points, or percent of the maximum) and the grade reached from it."""

    scheme = models.ForeignKey(GradeScheme, on_delete=models.CASCADE, related_name="bands")
    min_value = models.DecimalField(_("from"), max_digits=9, decimal_places=2)
    grade = models.DecimalField(_("grade"), max_digits=2, decimal_places=1)

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["scheme", "grade"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "grade"], name="grade_band_grade_unique"),
            models.CheckConstraint(
                condition=Q(grade__in=GERMAN_GRADES),
                name="grade_band_grade_is_german",
                violation_error_message=_("Not a valid German grade."),
            ),
            models.CheckConstraint(
                condition=Q(min_value__gte=0), name="grade_band_min_value_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.grade}: {self.min_value}"


class GradeSchemeChange(models.Model):
    """Append-only audit of grade schemes: created, edited, applied (who, when, which bands)."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("edited")
        APPLIED = "applied", _("applied")

    scheme = models.ForeignKey(GradeScheme, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    old = models.JSONField(_("old bands"), default=list, blank=True)
    new = models.JSONField(_("new bands"), default=list, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("grade scheme change")
        verbose_name_plural = _("grade scheme changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.scheme_id}"


class McConfig(models.Model):
    """The multiple-choice part of an exam (DOMAIN-NOTES "Multiple-choice exams").

    One per exam assessment: which task is the MC part, its weight in the final grade, the pass
    mark rule (a preset or custom clauses), how the MC grade is found, and whether eliminating a
    flawed question may ever make an outcome worse (``no_disadvantage``). ``applied_*`` keep the
    pass mark the grades were last computed with, so a single late regrade uses the same mark as
    everyone else and the page can say when the data would now give another one.
    """

    class Rule(models.TextChoices):
        AEAPPRO = "aeappro", _("ÄApprO §14 (60 % or at most 22 % below the mean)")
        SLIDING = "sliding", _("Sliding clause (mean minus 20 points, between 50 % and 60 %)")
        CUSTOM = "custom", _("Custom rule")

    class Reference(models.TextChoices):
        ALL = "all", _("Everyone with MC points")
        FIRST_ATTEMPTS = "first_attempts", _("First-time candidates only")

    class Relative(models.TextChoices):
        NONE = "", _("No relative clause")
        FACTOR = "factor", _("A share of the mean")
        MINUS = "minus", _("The mean minus some points")

    class McGrading(models.TextChoices):
        SHARE = "share", _("By the share of points beyond the pass mark (ÄApprO)")
        BANDS = "bands", _("By percentage bands shifted down with the pass mark")

    assessment = models.OneToOneField(
        "assessment.Assessment",
        on_delete=models.CASCADE,
        related_name="mc_config",
        verbose_name=_("assessment"),
    )
    # RESTRICT: the MC task cannot be deleted alone, but deleting the whole exam assessment
    # (which takes this configuration along) works.
    task = models.OneToOneField(
        "assessment.Task",
        on_delete=models.RESTRICT,
        related_name="mc_config",
        verbose_name=_("multiple-choice task"),
    )
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=3)
    rule = models.CharField(_("pass mark rule"), max_length=10, choices=Rule.choices)
    absolute_percent = models.DecimalField(
        _("absolute pass mark (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    relative = models.CharField(
        _("relative clause"), max_length=6, choices=Relative.choices, blank=True, default=""
    )
    relative_value = models.DecimalField(
        _("factor or points below the mean"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
    )
    floor_percent = models.DecimalField(
        _("floor (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    reference = models.CharField(
        _("reference group"), max_length=14, choices=Reference.choices, default=Reference.ALL
    )
    step = models.DecimalField(
        _("points per question"), max_digits=7, decimal_places=2, default=Decimal(1)
    )
    mc_grading = models.CharField(
        _("MC grade"), max_length=6, choices=McGrading.choices, default=McGrading.SHARE
    )
    no_disadvantage = models.BooleanField(
        _("eliminating a question never makes an outcome worse"), default=True
    )
    applied_pass_mark = models.DecimalField(
        _("pass mark applied"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    applied_derivation = models.JSONField(_("derivation applied"), default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("multiple-choice configuration")
        verbose_name_plural = _("multiple-choice configurations")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gt=0) & Q(weight__lte=1), name="mc_config_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(rule__in=["aeappro", "sliding", "custom"]), name="mc_config_rule_valid"
            ),
            models.CheckConstraint(condition=Q(step__gt=0), name="mc_config_step_positive"),
            models.CheckConstraint(
                condition=Q(absolute_percent__isnull=True)
                | (Q(absolute_percent__gte=0) & Q(absolute_percent__lte=100)),
                name="mc_config_absolute_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(floor_percent__isnull=True)
                | (Q(floor_percent__gte=0) & Q(floor_percent__lte=100)),
                name="mc_config_floor_percent_range",
            ),
        ]

    def __str__(self):
        return _("Multiple-choice part of %(assessment)s") % {"assessment": self.assessment}


class McConfigChange(models.Model):
    """Append-only audit of the MC configuration (old and new settings, who, when)."""

    assessment = models.ForeignKey(
        "assessment.Assessment", on_delete=models.CASCADE, related_name="+"
    )
    old = models.JSONField(_("old settings"), default=dict, blank=True)
    new = models.JSONField(_("new settings"), default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("multiple-choice configuration change")
        verbose_name_plural = _("multiple-choice configuration changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.assessment_id} {self.at:%Y-%m-%d %H:%M}"


class McOutcome(models.Model):
    """How a computed grade of an MC exam came about: the parts it was combined from.

    Written with the grade (same apply, same numbers), so the student page shows the decision
    that was taken, not a recomputation: MC points, the pass mark, the MC grade, the written
    points and grade, and the reason when the MC part failed (``mc_below_pass_mark``).
    ``used_fallback`` says the outcome without a question's elimination was the better one.
    """

    class Reason(models.TextChoices):
        NONE = "", _("No particular reason")
        MC_BELOW_PASS_MARK = "mc_below_pass_mark", _("Multiple-choice part below the pass mark")

    participation = models.OneToOneField(
        "assessment.Participation", on_delete=models.CASCADE, related_name="mc_outcome"
    )
    mc_points = models.DecimalField(_("MC points"), max_digits=9, decimal_places=2)
    mc_max = models.DecimalField(_("MC maximum"), max_digits=9, decimal_places=2)
    pass_mark = models.DecimalField(_("pass mark"), max_digits=9, decimal_places=2)
    mc_grade = models.DecimalField(_("MC grade"), max_digits=2, decimal_places=1)
    written_points = models.DecimalField(_("written points"), max_digits=9, decimal_places=2)
    written_grade = models.DecimalField(
        _("written grade"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    grade = models.DecimalField(_("grade"), max_digits=2, decimal_places=1)
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, blank=True, default=""
    )
    used_fallback = models.BooleanField(_("outcome without the elimination"), default=False)
    at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("multiple-choice outcome")
        verbose_name_plural = _("multiple-choice outcomes")

    def __str__(self):
        return f"{self.participation_id}: {self.grade}"
