"""Everything MaMpf stores about one person (data protection request, GDPR Art. 15).

``personal_data(user=..., full=...)`` returns the sections in a fixed order; each is one query
(about twenty in all, whatever the person's history). The same sections feed the page, the
JSON download and the CSV/XLSX downloads.

Two audiences, two depths:

- the student's own page and download (``full=False``) leave out what the app does not show
  them yet: points, grades and their history of results not published to them, internal notes
  of staff on participations and certifications;
- the site staff's export for a formal request (``full=True``, audited) contains everything.

Other people appear only as far as the student already sees them: team members of their own
submissions and the people behind their team invitations by name; whoever changed a roster,
a grade or a decision only as a role ("you", "course staff", "automatic").
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import (
    AchievementValue,
    DeadlineExtension,
    GradeChange,
    Participation,
    ResultNotice,
    ReviewItem,
    ReviewRequest,
    SubmissionEvent,
    SubmissionMember,
    TaskPoint,
    TeamInvitation,
    TutorialPublication,
)
from mampf.models import User
from performance.models import Certification, CertificationChange, Record
from registration.models import UserRegistration
from rosters.models import RosterChange, RosterEntry

L = gettext_lazy
# The change message of the admin log entry a staff export writes (``services``).
EXPORT_MARK = "operations.reports:personal_export"


@dataclass
class Section:
    """One table of the person's data: a stable ``key`` (JSON, sheet order), a translated
    ``title``, columns as (key, translated label) and rows of plain values."""

    key: str
    title: object
    columns: list[tuple[str, object]]
    rows: list[list]

    @property
    def header(self):
        return [label for _key, label in self.columns]

    @property
    def fields(self):
        """(label, value) of a one-row section (the profile), for a definition list."""
        return list(zip(self.header, self.rows[0], strict=True)) if len(self.rows) == 1 else []

    def as_dicts(self):
        keys = [key for key, _label in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def _visible(prefix: str = ""):
    """The condition "results shown to the student" of ``assessment.selectors.results_visible``
    over a participation reached by ``prefix``, as one SQL expression."""
    published = TutorialPublication.objects.filter(
        assessment_id=OuterRef(f"{prefix}assessment_id"),
        tutorial_id=OuterRef(f"{prefix}tutorial_id"),
    )
    return Q(**{f"{prefix}assessment__results_published_at__isnull": False}) | (
        Q(**{f"{prefix}assessment__kind": "assignment"}) & Q(Exists(published))
    )


def _actor(by_id, user) -> str:
    if by_id is None:
        return _("automatic")
    if by_id == user.pk:
        return _("you")
    return _("course staff")


_LECTURE_OF_GROUP = Coalesce(
    "registerable__tutorial__lecture__title", "registerable__talk__lecture__title",
    "registerable__cohort__lecture__title", "registerable__exam__lecture__title",
)


def personal_data(*, user: User, full: bool = False) -> list[Section]:
    """Every section about ``user``; ``full`` for the staff export (see the module)."""
    sections = [
        _profile(user, full),
        _registrations(user),
        _rosters(user),
        _roster_history(user),
        *_results(user, full),
        *_submissions(user),
        _extensions(user),
        _achievements(user),
        _records(user),
        *_certifications(user, full),
        *_reviews(user),
        _notices(user),
        _staff_access(user),
    ]
    return sections


def _profile(user, full) -> Section:
    columns = [
        ("email", L("Login e-mail address")), ("name", L("Name")),
        ("matriculation_number", L("Matriculation number")),
        ("institutional_email", L("University e-mail address")),
        ("institutional_email_verified_at", L("University address confirmed at")),
        ("language", L("Language of e-mails")), ("date_joined", L("Account created at")),
        ("last_login", L("Last login")), ("is_active", L("Account active")),
    ]
    fresh = User.objects.filter(pk=user.pk).values_list(*[key for key, _l in columns]).first()
    return Section("profile", L("Profile"), columns, [list(fresh)] if fresh else [])


def _registrations(user) -> Section:
    labels = dict(UserRegistration.Status.choices)
    rows = [
        [lecture, campaign, item, labels.get(status, status), rank, reason, created, updated]
        for lecture, campaign, item, status, rank, reason, created, updated in
        UserRegistration.objects.filter(user=user)
        .order_by("-created_at", "pk")
        .values_list("campaign__lecture__title", "campaign__title", "item__registerable__title",
                     "status", "preference_rank", "rejection_reason", "created_at",
                     "updated_at")
    ]
    return Section("registrations", L("Registrations"), [
        ("lecture", L("Lecture")), ("campaign", L("Campaign")), ("choice", L("Choice")),
        ("status", L("Status")), ("preference_rank", L("Preference rank")),
        ("reason", L("Reason")), ("registered_at", L("Registered at")),
        ("changed_at", L("Last changed at")),
    ], rows)


def _rosters(user) -> Section:
    rows = [
        list(row) for row in RosterEntry.objects.filter(user=user)
        .annotate(lecture_title=Coalesce(_LECTURE_OF_GROUP, "registerable__title"))
        .order_by("lecture_title", "registerable__title")
        .values_list("registerable__title", "lecture_title", "added_at",
                     "source_campaign__title")
    ]
    return Section("rosters", L("Lists you are on"), [
        ("group", L("Group")), ("lecture", L("Lecture")), ("added_at", L("Added at")),
        ("campaign", L("From the registration")),
    ], rows)


def _roster_history(user) -> Section:
    labels = dict(RosterChange.Action.choices)
    rows = [
        [at, labels.get(action, action), group or "", old or "", campaign or "", reason,
         _actor(by, user)]
        for at, action, group, old, campaign, reason, by in
        RosterChange.objects.filter(user=user)
        .order_by("-at", "-pk")
        .values_list("at", "action", "registerable__title", "from_registerable__title",
                     "source_campaign__title", "reason", "by_id")
    ]
    return Section("roster_history", L("Changes to your lists"), [
        ("at", L("When")), ("action", L("Change")), ("group", L("Group")),
        ("from_group", L("From group")), ("campaign", L("From the registration")),
        ("reason", L("Reason")), ("by", L("By")),
    ], rows)


def _results(user, full) -> list[Section]:
    statuses = dict(Participation.Status.choices)
    reasons = dict(Participation.ExemptReason.choices)
    kinds = {"assignment": L("Assignment"), "exam": L("Exam"), "talk": L("Talk")}
    withheld = _("not published yet")
    parts = []
    for (_pk, lecture, title, kind, tutorial, status, reason, submitted, total, grade, note,
         visible) in (
        Participation.objects.filter(user=user)
        .annotate(visible=ExpressionWrapper(_visible(), output_field=BooleanField()))
        .order_by("assessment__lecture__title", "assessment__deadline", "assessment_id")
        .values_list("pk", "assessment__lecture__title", "assessment__title",
                     "assessment__kind", "tutorial__title", "status", "exempt_reason",
                     "submitted_at", "points_total", "grade_value", "note", "visible")
    ):
        shown = full or visible
        row = [lecture, title, kinds.get(kind, kind), tutorial or "",
               statuses.get(status, status) if shown else withheld,
               reasons.get(reason, "") if status == "exempt" and shown else "", submitted,
               total if shown else withheld, grade if shown else withheld]
        if full:
            row.append(note)
        parts.append(row)
    columns = [
        ("lecture", L("Lecture")), ("assessment", L("Assessment")), ("kind", L("Kind")),
        ("tutorial", L("Tutorial")), ("status", L("Status")),
        ("exempt_reason", L("Reason for the exemption")), ("submitted_at", L("Submitted at")),
        ("points_total", L("Total points")), ("grade", L("Grade")),
    ]
    if full:
        columns.append(("note", L("Note of the course staff")))
    points = TaskPoint.objects.filter(participation__user=user)
    if not full:
        points = points.filter(_visible("participation__"))
    task_rows = [
        [lecture, title, position, task_title, value, graded_at]
        for lecture, title, position, task_title, value, graded_at in points.order_by(
            "participation__assessment__lecture__title", "participation__assessment_id",
            "task__position")
        .values_list("participation__assessment__lecture__title",
                     "participation__assessment__title", "task__position", "task__title",
                     "points", "graded_at")
    ]
    changes = GradeChange.objects.filter(participation__user=user)
    if not full:
        changes = changes.filter(_visible("participation__"))
    fields = dict(GradeChange.Field.choices)
    change_rows = [
        [at, title, fields.get(name, name), old, new, reason, _actor(by, user)]
        for at, title, name, old, new, reason, by in changes.order_by("-at", "-pk")
        .values_list("at", "assessment__title", "field", "old", "new", "reason", "by_id")
    ]
    return [
        Section("participations", L("Coursework and exams"), columns, parts),
        Section("task_points", L("Points per task"), [
            ("lecture", L("Lecture")), ("assessment", L("Assessment")),
            ("task", L("Task")), ("task_title", L("Title")), ("points", L("Points")),
            ("graded_at", L("Graded at")),
        ], task_rows),
        Section("grade_history", L("History of points and grades"), [
            ("at", L("When")), ("assessment", L("Assessment")), ("field", L("What")),
            ("old", L("Before")), ("new", L("After")), ("reason", L("Reason")),
            ("by", L("By")),
        ], change_rows),
    ]


def _submissions(user) -> list[Section]:
    mine = list(
        SubmissionMember.objects.filter(user=user)
        .order_by("-joined_at")
        .values_list("submission_id", "submission__assessment__title", "joined_at",
                     "submission__uploaded_at", "submission__late", "submission__file",
                     "submission__correction_uploaded_at")
    )
    team: dict[int, list[str]] = {}
    for submission_id, name in (
        SubmissionMember.objects.filter(submission_id__in=[row[0] for row in mine])
        .exclude(user=user)
        .order_by("user__name")
        .values_list("submission_id", "user__name")
    ):
        team.setdefault(submission_id, []).append(name)
    rows = [
        [title, joined, uploaded, bool(late), os.path.basename(file or ""), corrected,
         ", ".join(team.get(submission_id, []))]
        for submission_id, title, joined, uploaded, late, file, corrected in mine
    ]
    actions = dict(SubmissionEvent.Action.choices)
    events = [
        [at, title, actions.get(action, action), detail]
        for at, title, action, detail in SubmissionEvent.objects.filter(user=user)
        .order_by("-at", "-pk")
        .values_list("at", "assessment__title", "action", "detail")
    ]
    statuses = dict(TeamInvitation.Status.choices)
    invitations = [
        [created, title, inviter or "", invitee or "", statuses.get(status, status)]
        for created, title, inviter, invitee, status in TeamInvitation.objects.filter(
            Q(invitee=user) | Q(invited_by=user))
        .order_by("-created_at")
        .values_list("created_at", "submission__assessment__title", "invited_by__name",
                     "invitee__name", "status")
    ]
    return [
        Section("submissions", L("Submissions"), [
            ("assessment", L("Assessment")), ("joined_at", L("Joined at")),
            ("uploaded_at", L("Uploaded at")), ("late", L("Late")), ("file", L("File")),
            ("correction_at", L("Correction returned at")), ("team", L("Team members")),
        ], rows),
        Section("submission_history", L("History of your submissions"), [
            ("at", L("When")), ("assessment", L("Assessment")), ("action", L("What")),
            ("detail", L("Details")),
        ], events),
        Section("team_invitations", L("Team invitations"), [
            ("at", L("When")), ("assessment", L("Assessment")), ("invited_by", L("Invited by")),
            ("invitee", L("Invited")), ("status", L("Status")),
        ], invitations),
    ]


def _extensions(user) -> Section:
    rows = [list(row) for row in DeadlineExtension.objects.filter(user=user)
            .order_by("-granted_at")
            .values_list("assessment__title", "deadline", "reason", "granted_at")]
    return Section("extensions", L("Deadline extensions"), [
        ("assessment", L("Assessment")), ("deadline", L("Personal deadline")),
        ("reason", L("Reason")), ("granted_at", L("Granted at")),
    ], rows)


def _achievements(user) -> Section:
    rows = [list(row) for row in AchievementValue.objects.filter(user=user)
            .order_by("achievement__lecture__title", "achievement__title")
            .values_list("achievement__lecture__title", "achievement__title", "passed", "value",
                         "updated_at")]
    return Section("achievements", L("Achievements"), [
        ("lecture", L("Lecture")), ("achievement", L("Achievement")), ("passed", L("Met")),
        ("value", L("Value")), ("updated_at", L("Changed at")),
    ], rows)


def _records(user) -> Section:
    rows = [list(row) for row in Record.objects.filter(user=user)
            .order_by("lecture__title")
            .values_list("lecture__title", "points", "maximum", "points_pending_marking",
                         "percentage", "computed_at")]
    return Section("records", L("Performance records"), [
        ("lecture", L("Lecture")), ("points", L("Points")), ("maximum", L("Maximum")),
        ("points_pending_marking", L("Points pending marking")),
        ("percentage", L("Percentage")), ("computed_at", L("Computed at")),
    ], rows)


def _certifications(user, full) -> list[Section]:
    statuses = dict(Certification.Status.choices)
    sources = dict(Certification.Source.choices)
    rows = []
    for lecture, status, source, at, note in (
        Certification.objects.filter(user=user)
        .order_by("lecture__title")
        .values_list("lecture__title", "status", "source", "certified_at", "note")
    ):
        row = [lecture, statuses.get(status, status), sources.get(source, source), at]
        rows.append([*row, note] if full else row)
    columns = [("lecture", L("Lecture")), ("status", L("Exam admission")),
               ("source", L("Decided as")), ("decided_at", L("Decided at"))]
    if full:
        columns.append(("note", L("Note of the course staff")))
    actions = dict(CertificationChange.Action.choices)
    history = [
        [at, lecture, actions.get(action, action), statuses.get(old, old),
         statuses.get(new, new), _actor(by, user)]
        for at, lecture, action, old, new, by in CertificationChange.objects.filter(user=user)
        .order_by("-at", "-pk")
        .values_list("at", "lecture__title", "action", "old_status", "new_status", "by_id")
    ]
    return [
        Section("certifications", L("Exam admission"), columns, rows),
        Section("certification_history", L("History of the exam admission"), [
            ("at", L("When")), ("lecture", L("Lecture")), ("action", L("What")),
            ("old", L("Before")), ("new", L("After")), ("by", L("By")),
        ], history),
    ]


def _reviews(user) -> list[Section]:
    statuses = dict(ReviewRequest.Status.choices)
    requests = [
        [created, title, comment, statuses.get(status, status), answered]
        for created, title, comment, status, answered in ReviewRequest.objects.filter(user=user)
        .order_by("-created_at")
        .values_list("created_at", "assessment__title", "comment", "status", "answered_at")
    ]
    items = [
        [title, position, answer, answered]
        for title, position, answer, answered in ReviewItem.objects.filter(request__user=user)
        .order_by("-request__created_at", "task__position")
        .values_list("request__assessment__title", "task__position", "answer", "answered_at")
    ]
    return [
        Section("review_requests", L("Exam review requests"), [
            ("asked_at", L("Asked at")), ("assessment", L("Exam")),
            ("comment", L("Your comment")), ("status", L("Status")),
            ("answered_at", L("Answered at")),
        ], requests),
        Section("review_items", L("Exam review answers"), [
            ("assessment", L("Exam")), ("task", L("Problem")), ("answer", L("Answer")),
            ("answered_at", L("Answered at")),
        ], items),
    ]


def _notices(user) -> Section:
    rows = [list(row) for row in ResultNotice.objects.filter(participation__user=user)
            .order_by("-notified_at")
            .values_list("participation__assessment__title", "grade", "notified_at")]
    return Section("result_notices", L("Result e-mails"), [
        ("assessment", L("Exam")), ("grade", L("Grade told")), ("told_at", L("Told at")),
    ], rows)


def _staff_access(user) -> Section:
    """Staff actions on the account in the admin site and staff exports of this data."""
    user_type = ContentType.objects.get_for_model(User)
    rows = []
    for entry in LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).order_by(
        "-action_time"
    ):
        if entry.change_message.startswith(EXPORT_MARK):
            what = _("Your data was exported by site staff (data protection request).")
        else:
            what = entry.get_change_message() or entry.get_action_flag_display()
        rows.append([entry.action_time, what, _("course staff")])
    return Section("staff_access", L("Staff actions on your account"), [
        ("at", L("When")), ("what", L("What")), ("by", L("By")),
    ], rows)
