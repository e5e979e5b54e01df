"""Coursework and exams: assessments, tasks, participations, task points, submissions, audit.

Rules and invariants (DOMAIN-NOTES "Assessments", spec 000 key invariants, spec 002):
- one ``Participation`` per (assessment, user) and one ``TaskPoint`` per (participation, task),
  both unique in the database; one submission per student and assignment
  (``SubmissionMember`` is unique per (assessment, user));
- points are decimals (never floats), never negative, with no upper cap (bonus points);
  ``Participation.points_total`` is always the sum of its task points, kept by
  ``assessment.services`` in the same transaction (never by a signal or ``save()``);
- a task point is stored only when it has a value: clearing a cell deletes the row, so
  "every task has points" is "as many task points as tasks";
- ``grade_value`` is a valid German grade (1.0 ... 4.0, 5.0) or empty, by a check constraint;
- the status field is protected: only the transitions below, called from the services inside
  ``transaction.atomic()``, change it; ``version`` grows with every change of a participation
  and is the optimistic-concurrency token a grading form sends back;
- ``GradeChange`` is append-only: services insert rows, nothing updates or deletes them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

POINTS_DIGITS = 7
POINTS_PLACES = 2
GERMAN_GRADES = tuple(
    Decimal(g)
    for g in ("1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0")
)


def points_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=POINTS_DIGITS, decimal_places=POINTS_PLACES, **kwargs
    )


class Assessment(models.Model):
    """An exercise sheet (assignment), an exam or a talk of one lecture."""

    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", _("Assignment")
        EXAM = "exam", _("Exam")
        TALK = "talk", _("Talk")

    lecture = models.ForeignKey(
        "mampf.Lecture",
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("lecture"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    exam = models.ForeignKey(
        "mampf.Exam",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("exam"),
    )
    talk = models.ForeignKey(
        "mampf.Talk",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("talk"),
    )
    deadline = models.DateTimeField(
        _("deadline"), null=True, blank=True, help_text=_("Assignments: hand-in deadline.")
    )
    grace_minutes = models.PositiveIntegerField(
        _("grace period (minutes)"),
        default=0,
        help_text=_("Uploads in this time after the deadline are accepted and marked late."),
    )
    submission_required = models.BooleanField(_("submission required"), default=True)
    max_team_size = models.PositiveSmallIntegerField(_("maximum team size"), default=1)
    results_published_at = models.DateTimeField(
        _("results published at"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the results are published as a whole (exams, talks, or all tutorials)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["lecture", "deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="assignment") | Q(deadline__isnull=False),
                name="assessment_assignment_has_deadline",
                violation_error_message=_("An assignment needs a deadline."),
            ),
            models.CheckConstraint(
                condition=(Q(kind="exam") & Q(exam__isnull=False))
                | (~Q(kind="exam") & Q(exam__isnull=True)),
                name="assessment_exam_link_matches_kind",
                violation_error_message=_("Exactly the exam assessments are linked to an exam."),
            ),
            models.CheckConstraint(
                condition=(Q(kind="talk") & Q(talk__isnull=False))
                | (~Q(kind="talk") & Q(talk__isnull=True)),
                name="assessment_talk_link_matches_kind",
                violation_error_message=_("Exactly the talk assessments are linked to a talk."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["assignment", "exam", "talk"]),
                name="assessment_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_team_size__gte=1),
                name="assessment_team_size_positive",
                violation_error_message=_("A team has at least one member."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def grading_opens_at(self):
        """Assignments: deadline + grace; exams and talks: at once (None)."""
        if self.kind != self.Kind.ASSIGNMENT or self.deadline is None:
            return None
        from datetime import timedelta

        return self.deadline + timedelta(minutes=self.grace_minutes)


class TutorialPublication(models.Model):
    """The results of an assignment are published for one tutorial."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="tutorial_publications"
    )
    tutorial = models.ForeignKey(
        "mampf.Tutorial", on_delete=models.CASCADE, related_name="assessment_publications"
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("tutorial publication")
        verbose_name_plural = _("tutorial publications")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "tutorial"], name="tutorial_publication_unique"
            ),
        ]

    def __str__(self):
        return f"{self.assessment} / {self.tutorial}"


class Task(models.Model):
    """One problem of an assessment; its maximum may be exceeded (bonus points)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    max_points = points_field(_("maximum points"))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "position"], name="task_position_unique"),
            models.CheckConstraint(
                condition=Q(max_points__gte=0),
                name="task_max_points_non_negative",
                violation_error_message=_("The maximum points cannot be negative."),
            ),
        ]

    def __str__(self):
        label = _("Task %(position)s") % {"position": self.position}
        return f"{label}: {self.title}" if self.title else str(label)


class Participation(ConcurrentTransitionMixin, models.Model):
    """One student in one assessment: status, total, grade, note."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REVIEWED = "reviewed", _("Reviewed")
        ABSENT = "absent", _("Absent")
        EXEMPT = "exempt", _("Exempt")

    class GradeSource(models.TextChoices):
        COMPUTED = "computed", _("Computed by a scheme")
        MANUAL = "manual", _("Entered by hand")

    class ExemptReason(models.TextChoices):
        """Why an exempt row is exempt (the examinations office writes a status code for it)."""

        OTHER = "", _("Other reason")
        MEDICAL_CERTIFICATE = "medical_certificate", _("Medical certificate")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="participations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    tutorial = models.ForeignKey(
        "mampf.Tutorial",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
        help_text=_("The student's tutorial when the row was created."),
    )
    status = FSMField(
        _("status"),
        default=Status.PENDING,
        choices=Status.choices,
        protected=True,
        db_index=True,
    )
    points_total = points_field(_("points total"), default=Decimal("0"))
    grade_value = models.DecimalField(
        _("grade"), max_digits=2, decimal_places=1, null=True, blank=True
    )
    grade_source = models.CharField(
        _("grade source"), max_length=10, choices=GradeSource.choices, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Only on exempt rows (issue 10 item 8): set by ``services.mark_exempt``, cleared with the mark.
    exempt_reason = models.CharField(
        _("reason for the exemption"),
        max_length=20,
        blank=True,
        default="",
        choices=ExemptReason.choices,
    )
    # Exams with a multiple-choice part (issue 10 item 6): the ÄApprO reference group is the
    # first-time candidates. Seeded from earlier exams of the lecture; staff may correct it.
    first_attempt = models.BooleanField(_("first attempt"), default=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["assessment", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "user"], name="participation_unique_per_assessment_user"
            ),
            models.CheckConstraint(
                condition=Q(points_total__gte=0),
                name="participation_points_total_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(grade_value__isnull=True) | Q(grade_value__in=GERMAN_GRADES),
                name="participation_grade_is_german_grade",
                violation_error_message=_("Not a valid German grade."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "reviewed", "absent", "exempt"]),
                name="participation_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="exempt") | Q(grade_value__isnull=True),
                name="participation_exempt_has_no_grade",
                violation_error_message=_("An exempt participation carries no grade."),
            ),
            models.CheckConstraint(
                condition=Q(exempt_reason="")
                | (Q(status="exempt") & Q(exempt_reason__in=["medical_certificate", "withdrawn"])),
                name="participation_exempt_reason_only_when_exempt",
            ),
        ]
        indexes = [models.Index(fields=["tutorial", "assessment"])]

    def __str__(self):
        return f"{self.user} @ {self.assessment}"

    # -- transitions (called only by assessment.services) ------------------------------------

    @transition(field=status, source=Status.PENDING, target=Status.REVIEWED)
    def mark_reviewed(self):
        pass

    @transition(field=status, source=Status.REVIEWED, target=Status.PENDING)
    def reopen(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.EXEMPT], target=Status.ABSENT)
    def mark_absent(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.ABSENT], target=Status.EXEMPT)
    def mark_exempt(self):
        pass

    @transition(field=status, source=[Status.ABSENT, Status.EXEMPT], target=Status.PENDING)
    def clear_mark(self):
        pass


class Submission(models.Model):
    """One uploaded PDF for an assignment, by one student or a team."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="submissions")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="SubmissionMember",
        related_name="submissions",
        verbose_name=_("members"),
    )
    file = models.FileField(_("file"), upload_to="submissions/%Y/%m/", blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)
    # Issue 8 item 3/6 (area "submissions"): a team's join code and the tutor's correction.
    join_code = models.CharField(_("join code"), max_length=12, blank=True, db_index=True)
    correction = models.FileField(_("correction"), upload_to="corrections/%Y/%m/", blank=True)
    correction_uploaded_at = models.DateTimeField(
        _("correction uploaded at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["assessment", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(late=False) | Q(uploaded_at__isnull=False),
                name="submission_late_only_when_uploaded",
            ),
        ]

    def __str__(self):
        return _("Submission %(id)s for %(assessment)s") % {
            "id": self.pk,
            "assessment": self.assessment,
        }


class SubmissionMember(models.Model):
    """A member of a submission's team; at most one submission per student and assessment."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="memberships")
    # Copied from the submission so the database can hold "one submission per student".
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submission_memberships"
    )
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("submission member")
        verbose_name_plural = _("submission members")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "user"], name="submission_member_one_per_assessment"
            ),
            models.UniqueConstraint(fields=["submission", "user"], name="submission_member_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.submission_id}"


class TeamInvitation(models.Model):
    """A team member invites a student of the same tutorial into the team's submission."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="invitations")
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("team invitation")
        verbose_name_plural = _("team invitations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "invitee"],
                condition=Q(status="pending"),
                name="team_invitation_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.invitee} → {self.submission_id}"


class DeadlineExtension(models.Model):
    """A personal hand-in deadline for one student (a team gets one row per member)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="extensions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deadline_extensions"
    )
    deadline = models.DateTimeField(_("personal deadline"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now=True)

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        ordering = ["assessment", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "user"], name="deadline_extension_one_per_student"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.assessment}: {self.deadline}"


class SubmissionEvent(models.Model):
    """Append-only audit of uploads, team changes, corrections and extensions."""

    class Action(models.TextChoices):
        UPLOAD = "upload", _("upload")
        INVITE = "invite", _("invitation")
        JOIN = "join", _("joined")
        LEAVE = "leave", _("left")
        WITHDRAW = "withdraw", _("invitation withdrawn")
        DECLINE = "decline", _("invitation declined")
        CORRECTION = "correction", _("correction returned")
        EXTENSION = "extension", _("extension granted")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    submission_ref = models.PositiveBigIntegerField(_("submission id"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("submission event")
        verbose_name_plural = _("submission events")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.submission_ref}"


class TaskPoint(models.Model):
    """The points of one participation for one task (present only when scored)."""

    # No index of its own: the unique (participation, task) constraint serves its look-ups.
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="task_points", db_index=False
    )
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="task_points")
    points = points_field(_("points"))
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grader"),
    )
    graded_at = models.DateTimeField(_("graded at"), auto_now=True)
    submission = models.ForeignKey(
        Submission,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="task_points",
        verbose_name=_("submission"),
    )

    class Meta:
        verbose_name = _("task points")
        verbose_name_plural = _("task points")
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "task"], name="task_point_unique_per_participation_task"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0),
                name="task_point_points_non_negative",
                violation_error_message=_("Points cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.task}: {self.points}"


class Achievement(models.Model):
    """Something a student achieves in a lecture beside points (a presentation, say)."""

    class ValueType(models.TextChoices):
        BOOLEAN = "boolean", _("Passed / not passed")
        NUMERIC = "numeric", _("Number")
        PERCENTAGE = "percentage", _("Percentage")

    lecture = models.ForeignKey(
        "mampf.Lecture", on_delete=models.CASCADE, related_name="achievements"
    )
    title = models.CharField(_("title"), max_length=200)
    value_type = models.CharField(_("value type"), max_length=10, choices=ValueType.choices)
    threshold = models.DecimalField(
        _("threshold"), max_digits=9, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        ordering = ["lecture", "title"]
        constraints = [
            models.UniqueConstraint(fields=["lecture", "title"], name="achievement_title_unique"),
            models.CheckConstraint(
                condition=(Q(value_type="boolean") & Q(threshold__isnull=True))
                | (Q(value_type="numeric") & Q(threshold__gt=0))
                | (Q(value_type="percentage") & Q(threshold__gte=0) & Q(threshold__lte=100)),
                name="achievement_threshold_fits_type",
                violation_error_message=_(
                    "No threshold for pass/fail; above 0 for numbers; 0 to 100 for percentages."
                ),
            ),
        ]

    def __str__(self):
        return self.title


class AchievementValue(models.Model):
    """One student's value for one achievement; no row means ungraded."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="values")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievement_values"
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=9, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("achievement value")
        verbose_name_plural = _("achievement values")
        constraints = [
            models.UniqueConstraint(
                fields=["achievement", "user"], name="achievement_value_unique"
            ),
            models.CheckConstraint(
                condition=(Q(passed__isnull=False) & Q(value__isnull=True))
                | (Q(passed__isnull=True) & Q(value__isnull=False) & Q(value__gte=0)),
                name="achievement_value_one_kind",
                violation_error_message=_("Either passed/not passed or a non-negative number."),
            ),
        ]

    def __str__(self):
        return f"{self.achievement}: {self.user}"


class ResultNotice(models.Model):
    """What one candidate was last told by e-mail about a published exam result: the grade at
    the time of the notice (empty: no grade yet). A notice goes out only when the current grade
    differs from this one (``assessment.services.claim_result_notices``), so republishing does
    not mail those already told the same grade, and a grade change after publication mails
    exactly the candidates whose grade moved."""

    participation = models.OneToOneField(
        Participation,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="result_notice",
        verbose_name=_("participation"),
    )
    grade = models.DecimalField(_("grade told"), max_digits=2, decimal_places=1, null=True)
    notified_at = models.DateTimeField(_("told at"))

    class Meta:
        verbose_name = _("result notice")
        verbose_name_plural = _("result notices")

    def __str__(self):
        return f"{self.participation_id}: {self.grade}"


class GradeChange(models.Model):
    """Append-only audit of points, status, grade and publication: who, when, old, new, why.

    Its references are not database foreign keys (Django still cascades or nulls them on
    delete) and only ``participation`` and ``(assessment, at)`` are indexed: a sheet import
    writes one row per changed cell, and the commit-time checks of five foreign keys plus six
    indexes cost more than the points themselves (the rows are written by the same transaction
    that holds the referenced rows, so the references cannot dangle at write time).
    """

    class Field(models.TextChoices):
        POINTS = "points", _("points")
        STATUS = "status", _("status")
        GRADE = "grade", _("grade")
        NOTE = "note", _("note")
        TASK = "task", _("task")
        PUBLICATION = "publication", _("publication")
        SETTINGS = "settings", _("assessment settings")

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="grade_changes",
        db_constraint=False,
        db_index=False,
    )
    participation = models.ForeignKey(
        Participation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="changes",
        db_constraint=False,
    )
    task = models.ForeignKey(
        Task,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    tutorial = models.ForeignKey(
        "mampf.Tutorial",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    field = models.CharField(_("field"), max_length=12, choices=Field.choices)
    old = models.CharField(_("old value"), max_length=100, blank=True)
    new = models.CharField(_("new value"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
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
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["assessment", "at"], name="grade_change_assessment_at")]

    def __str__(self):
        return f"{self.get_field_display()}: {self.old} → {self.new}"


class AchievementChange(models.Model):
    """Append-only audit of achievement values: who changed whose value from what to what."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="changes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("student"),
    )
    old = models.CharField(_("old value"), max_length=20, blank=True)
    new = models.CharField(_("new value"), max_length=20, blank=True)
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
        verbose_name = _("achievement change")
        verbose_name_plural = _("achievement changes")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.achievement}: {self.old} → {self.new}"


class ExamCorrector(models.Model):
    """Someone who corrects an exam assessment (enters points for every candidate).

    Exams have no tutorials: the lecture's staff name the correctors of each exam grading,
    usually the lecture's tutors. Changes are audited as ``GradeChange`` rows (field
    ``settings``) by ``assessment.exams``.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="correctors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="exam_corrections",
        verbose_name=_("corrector"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exam corrector")
        verbose_name_plural = _("exam correctors")
        ordering = ["assessment", "user"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="exam_corrector_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.assessment}"


# -- exam review (Klausureinsicht, issue 10 item 7; written by ``assessment.exam_review``) ------


class ExamReviewWindow(models.Model):
    """When the candidates of a published exam may ask for a re-check: ``opens_at <= now <
    closes_at`` (the end itself is outside, like every deadline here)."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="review_window"
    )
    opens_at = models.DateTimeField(_("review opens at"))
    closes_at = models.DateTimeField(_("review closes at"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("exam review window")
        verbose_name_plural = _("exam review windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="exam_review_window_ends_after_start",
                violation_error_message=_("The review must end after it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.assessment}: {self.opens_at} – {self.closes_at}"


class ReviewRequest(models.Model):
    """A candidate's request to re-check named problems of their exam, with a comment."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="review_requests"
    )
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="review_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exam_review_requests"
    )
    comment = models.TextField(_("comment"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation"],
                condition=Q(status="open"),
                name="review_request_one_open_per_participation",
                violation_error_message=_("You already have an open request for this exam."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "answered"]), name="review_request_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.assessment} ({self.status})"


class ReviewItem(models.Model):
    """One problem of a review request, routed to its corrector (``None``: the lecture's staff)."""

    request = models.ForeignKey(ReviewRequest, on_delete=models.CASCADE, related_name="items")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="+")
    points_before = points_field(_("points when asked"), null=True, blank=True)
    corrector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="exam_review_items",
        verbose_name=_("corrector"),
    )
    answer = models.TextField(_("answer"), blank=True)
    points_after = points_field(_("points after the review"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        ordering = ["request", "task__position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "task"], name="review_item_unique_task"),
        ]
        indexes = [models.Index(fields=["corrector", "answered_at"], name="review_item_queue")]

    def __str__(self):
        return f"{self.request_id}: {self.task}"


class ReviewEvent(models.Model):
    """Append-only audit of exam reviews: window set, request made, item answered."""

    class Action(models.TextChoices):
        WINDOW = "window", _("review window set")
        REQUESTED = "requested", _("re-check requested")
        ANSWERED = "answered", _("answered")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        ReviewRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    item = models.ForeignKey(
        ReviewItem, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.detail}"
