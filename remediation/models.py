"""Scored evaluations (MC tests), answer sheets, correction batches and the score history.

Rules (DOMAIN-NOTES "Result remediation", spec 003 phases 0-2):
- an ``Evaluation`` has versions (variants A/B, or revisions), each with question versions
  numbered from 1 (``QuestionVersion.position``) with their options, key and points;
- an ``AnswerSheet`` is one user's answers for one version and one attempt (numbered per
  user and evaluation); its raw ``answers`` never change once stored (a database trigger);
  ``score`` and ``max_score`` always equal its latest ``ScoreHistory`` row;
- a ``CorrectionBatch`` carries a required reason and a payload of corrections; status
  ``draft`` -> ``applied`` -> ``reverted`` (``pending_review`` and ``approved`` are reserved);
  a revert is a new batch (``reverts`` the original), applied at once; nothing is deleted;
- ``ScoreHistory`` is append-only (a database trigger refuses updates of its values).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

SCORE_DIGITS = 9
SCORE_PLACES = 2


def score_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=SCORE_DIGITS, decimal_places=SCORE_PLACES, **kwargs
    )


class Evaluation(models.Model):
    """An MC test of a lecture: the MC part of an exam (``task``) or an online quiz."""

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="evaluations",
        verbose_name=_("lecture"),
    )
    # The exam's MC task whose points follow the sheets' scores (none for a stand-alone quiz).
    task = models.OneToOneField(
        "assessment.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluation",
        verbose_name=_("multiple-choice task"),
    )
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scored evaluation")
        verbose_name_plural = _("scored evaluations")
        ordering = ["lecture", "title", "pk"]

    def __str__(self):
        return self.title


class EvaluationVersion(models.Model):
    """One variant (``label`` "A", "B") in one revision of an evaluation."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(_("variant"), max_length=20)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)

    class Meta:
        verbose_name = _("evaluation version")
        verbose_name_plural = _("evaluation versions")
        ordering = ["evaluation", "label", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "label", "revision"], name="evaluation_version_unique"
            ),
            models.CheckConstraint(condition=~Q(label=""), name="evaluation_version_label"),
            models.CheckConstraint(
                condition=Q(revision__gte=1), name="evaluation_version_revision_positive"
            ),
        ]

    def __str__(self):
        return f"{self.label} (r{self.revision})" if self.revision > 1 else self.label


class QuestionVersion(models.Model):
    """One question of a version: its options, its key (one option or several) and points."""

    version = models.ForeignKey(
        EvaluationVersion, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    options = models.JSONField(_("options"))  # ["A", "B", "C", "D"]
    key = models.JSONField(_("key"))  # ["A"] or ["A", "C"]
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2, default=Decimal("1"))

    class Meta:
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="question_version_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1), name="question_version_position_from_one"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="question_version_points_non_negative"
            ),
        ]

    def __str__(self):
        return _("Question %(position)s") % {"position": self.position}

    @property
    def multi(self) -> bool:
        return len(self.key) > 1


class AnswerSheet(models.Model):
    """One user's answers to one version, one attempt (spec 003's "submission")."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="sheets", db_index=False
    )
    version = models.ForeignKey(EvaluationVersion, on_delete=models.PROTECT, related_name="sheets")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="answer_sheets"
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    # {"1": ["A"], "2": [], ...}: every position of the version, options in the question's order.
    answers = models.JSONField(_("answers"))
    score = score_field(_("score"), default=Decimal("0"))
    max_score = score_field(_("maximum score"), default=Decimal("0"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("answer sheet")
        verbose_name_plural = _("answer sheets")
        ordering = ["evaluation", "user", "attempt"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "user", "attempt"], name="answer_sheet_attempt_unique"
            ),
            models.CheckConstraint(
                condition=Q(attempt__gte=1), name="answer_sheet_attempt_from_one"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0)
                & Q(max_score__gte=0)
                & Q(score__lte=models.F("max_score")),
                name="answer_sheet_score_within_max",
            ),
        ]

    def __str__(self):
        return f"{self.user} / {self.version} #{self.attempt}"


class CorrectionBatch(models.Model):
    """A set of corrections to an evaluation's scoring, with who, when and why."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_REVIEW = "pending_review", _("Pending review")  # reserved (spec 003 phase 4)
        APPROVED = "approved", _("Approved")  # reserved (spec 003 phase 4)
        APPLIED = "applied", _("Applied")
        REVERTED = "reverted", _("Reverted")

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="batches")
    status = FSMField(_("status"), default=Status.DRAFT, choices=Status.choices, protected=False)
    reason = models.TextField(_("reason"))
    # [{"kind": "drop_item" | "mark_correct" | "replace_key", "question_version": id,
    #   "options": [...]}], validated by ``services.create_batch``; [] for a compensating batch.
    payload = models.JSONField(_("corrections"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    # A compensating batch names the batch it reverts; one revert per batch (unique).
    reverts = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reverted_by",
        verbose_name=_("reverts"),
    )

    class Meta:
        verbose_name = _("correction batch")
        verbose_name_plural = _("correction batches")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["evaluation", "status"], name="batch_evaluation_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="correction_batch_reason"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["draft", "pending_review", "approved", "applied", "reverted"]
                ),
                name="correction_batch_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "pending_review", "approved"])
                | Q(applied_at__isnull=False),
                name="correction_batch_applied_has_time",
            ),
            models.CheckConstraint(
                condition=Q(reverts__isnull=True) | Q(status="applied"),
                name="correction_batch_compensation_applied",
            ),
        ]

    def __str__(self):
        return _("Correction batch %(id)s") % {"id": self.pk}

    @property
    def is_compensation(self) -> bool:
        return self.reverts_id is not None

    # -- transitions (called only by remediation.services) ----------------------------------

    @transition(field=status, source=Status.DRAFT, target=Status.APPLIED)
    def mark_applied(self):
        pass

    @transition(field=status, source=Status.APPLIED, target=Status.REVERTED)
    def mark_reverted(self):
        pass


class ScoreHistory(models.Model):
    """Append-only: one row per scoring of a sheet (``batch`` empty for the initial one)."""

    # No database foreign keys (Django still cascades and protects): a batch writes one row per
    # rescored sheet, 20,000 at once, and the commit-time checks of two foreign keys would cost
    # more than the rows; they are written by the transaction that holds the evaluation locked.
    sheet = models.ForeignKey(
        AnswerSheet, on_delete=models.CASCADE, related_name="history", db_constraint=False
    )
    batch = models.ForeignKey(
        CorrectionBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="history",
        db_index=False,
        db_constraint=False,
    )
    score = score_field(_("score"))
    max_score = score_field(_("maximum score"))
    at = models.DateTimeField(_("at"))
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

    class Meta:
        verbose_name = _("score history")
        verbose_name_plural = _("score history")
        ordering = ["sheet", "at", "pk"]
        indexes = [models.Index(fields=["batch", "sheet"], name="score_history_batch")]

    def __str__(self):
        return f"{self.sheet_id}: {self.score}/{self.max_score}"
