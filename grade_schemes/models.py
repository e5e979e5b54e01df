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
