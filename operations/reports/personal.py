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
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery
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
from registration.models import Campaign, RegistrationEvent, UserRegistration
from rosters.models import RosterChange, RosterEntry

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
    "registerable__tutorial__lecture__title",
    "registerable__talk__lecture__title",
    "registerable__cohort__lecture__title",
    "registerable__exam__lecture__title",
)


def personal_data(*, user: User, full: bool = False) -> list[Section]:
    """Every section about ``user``; ``full`` for the staff export (see the module)."""
    sections = [
        _profile(user, full),
        _registrations(user),
        _registration_history(user),
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
        ("email", gettext_lazy("Login e-mail address")),
        ("name", gettext_lazy("Name")),
        ("matriculation_number", gettext_lazy("Matriculation number")),
        ("institutional_email", gettext_lazy("University e-mail address")),
        ("institutional_email_verified_at", gettext_lazy("University address confirmed at")),
        ("language", gettext_lazy("Language of e-mails")),
        ("date_joined", gettext_lazy("Account created at")),
        ("last_login", gettext_lazy("Last login")),
        ("is_active", gettext_lazy("Account active")),
    ]
    fresh = User.objects.filter(pk=user.pk).values_list(*[key for key, _l in columns]).first()
    return Section("profile", gettext_lazy("Profile"), columns, [list(fresh)] if fresh else [])


def _registrations(user) -> Section:
    labels = dict(UserRegistration.Status.choices)
    found = (
        UserRegistration.objects.filter(user=user)
        .order_by("-created_at", "pk")
        .values_list(
            "campaign__lecture__title",
            "campaign__title",
            "item__registerable__title",
            "status",
            "preference_rank",
            "rejection_reason",
            "created_at",
            "updated_at",
        )
    )
    rows = [
        [lecture, campaign, item, labels.get(status, status), rank, reason, created, updated]
        for lecture, campaign, item, status, rank, reason, created, updated in found
    ]
    return Section(
        "registrations",
        gettext_lazy("Registrations"),
        [
            ("lecture", gettext_lazy("Lecture")),
            ("campaign", gettext_lazy("Campaign")),
            ("choice", gettext_lazy("Choice")),
            ("status", gettext_lazy("Status")),
            ("preference_rank", gettext_lazy("Preference rank")),
            ("reason", gettext_lazy("Reason")),
            ("registered_at", gettext_lazy("Registered at")),
            ("changed_at", gettext_lazy("Last changed at")),
        ],
        rows,
    )


def _registration_history(user) -> Section:
    """The student's registrations that were deleted (withdrawn, replaced, cancelled). The
    campaign is no database foreign key and may be gone: its titles come from subqueries."""
    campaign = Campaign.objects.filter(pk=OuterRef("campaign_id"))
    actions = dict(RegistrationEvent.Action.choices)
    labels = dict(UserRegistration.Status.choices)
    rows = [
        [
            at,
            actions.get(action, action),
            lecture or "",
            title or _("deleted campaign #%(id)s") % {"id": campaign_id},
            group or "",
            labels.get(status, status),
            rank,
            _actor(by, user),
        ]
        for at, action, lecture, title, campaign_id, group, status, rank, by in (
            RegistrationEvent.objects.filter(user=user)
            .annotate(
                lecture_title=Subquery(campaign.values("lecture__title")[:1]),
                campaign_title=Subquery(campaign.values("title")[:1]),
            )
            .order_by("-at", "-pk")
            .values_list(
                "at",
                "action",
                "lecture_title",
                "campaign_title",
                "campaign_id",
                "registerable__title",
                "status",
                "preference_rank",
                "by_id",
            )
        )
    ]
    return Section(
        "registration_history",
        gettext_lazy("Removed registrations"),
        [
            ("at", gettext_lazy("When")),
            ("action", gettext_lazy("Change")),
            ("lecture", gettext_lazy("Lecture")),
            ("campaign", gettext_lazy("Campaign")),
            ("choice", gettext_lazy("Choice")),
            ("status", gettext_lazy("Status before")),
            ("preference_rank", gettext_lazy("Preference rank")),
            ("by", gettext_lazy("By")),
        ],
        rows,
    )


def _rosters(user) -> Section:
    rows = [
        list(row)
        for row in RosterEntry.objects.filter(user=user)
        .annotate(lecture_title=Coalesce(_LECTURE_OF_GROUP, "registerable__title"))
        .order_by("lecture_title", "registerable__title")
        .values_list("registerable__title", "lecture_title", "added_at", "source_campaign__title")
    ]
    return Section(
        "rosters",
        gettext_lazy("Lists you are on"),
        [
            ("group", gettext_lazy("Group")),
            ("lecture", gettext_lazy("Lecture")),
            ("added_at", gettext_lazy("Added at")),
            ("campaign", gettext_lazy("From the registration")),
        ],
        rows,
    )


def _roster_history(user) -> Section:
    labels = dict(RosterChange.Action.choices)
    rows = [
        [
            at,
            labels.get(action, action),
            group or "",
            old or "",
            campaign or "",
            reason,
            _actor(by, user),
        ]
        for at, action, group, old, campaign, reason, by in RosterChange.objects.filter(user=user)
        .order_by("-at", "-pk")
        .values_list(
            "at",
            "action",
            "registerable__title",
            "from_registerable__title",
            "source_campaign__title",
            "reason",
            "by_id",
        )
    ]
    return Section(
        "roster_history",
        gettext_lazy("Changes to your lists"),
        [
            ("at", gettext_lazy("When")),
            ("action", gettext_lazy("Change")),
            ("group", gettext_lazy("Group")),
            ("from_group", gettext_lazy("From group")),
            ("campaign", gettext_lazy("From the registration")),
            ("reason", gettext_lazy("Reason")),
            ("by", gettext_lazy("By")),
        ],
        rows,
    )


def _results(user, full) -> list[Section]:
    statuses = dict(Participation.Status.choices)
    reasons = dict(Participation.ExemptReason.choices)
    kinds = {
        "assignment": gettext_lazy("Assignment"),
        "exam": gettext_lazy("Exam"),
        "talk": gettext_lazy("Talk"),
    }
    withheld = _("not published yet")
    parts = []
    for (
        _pk,
        lecture,
        title,
        kind,
        tutorial,
        status,
        reason,
        submitted,
        total,
        grade,
        note,
        visible,
    ) in (
        Participation.objects.filter(user=user)
        .annotate(visible=ExpressionWrapper(_visible(), output_field=BooleanField()))
        .order_by("assessment__lecture__title", "assessment__deadline", "assessment_id")
        .values_list(
            "pk",
            "assessment__lecture__title",
            "assessment__title",
            "assessment__kind",
            "tutorial__title",
            "status",
            "exempt_reason",
            "submitted_at",
            "points_total",
            "grade_value",
            "note",
            "visible",
        )
    ):
        shown = full or visible
        row = [
            lecture,
            title,
            kinds.get(kind, kind),
            tutorial or "",
            statuses.get(status, status) if shown else withheld,
            reasons.get(reason, "") if status == "exempt" and shown else "",
            submitted,
            total if shown else withheld,
            grade if shown else withheld,
        ]
        if full:
            row.append(note)
        parts.append(row)
    columns = [
        ("lecture", gettext_lazy("Lecture")),
        ("assessment", gettext_lazy("Assessment")),
        ("kind", gettext_lazy("Kind")),
        ("tutorial", gettext_lazy("Tutorial")),
        ("status", gettext_lazy("Status")),
        ("exempt_reason", gettext_lazy("Reason for the exemption")),
        ("submitted_at", gettext_lazy("Submitted at")),
        ("points_total", gettext_lazy("Total points")),
        ("grade", gettext_lazy("Grade")),
    ]
    if full:
        columns.append(("note", gettext_lazy("Note of the course staff")))
    points = TaskPoint.objects.filter(participation__user=user)
    if not full:
        points = points.filter(_visible("participation__"))
    task_rows = [
        [lecture, title, position, task_title, value, graded_at]
        for lecture, title, position, task_title, value, graded_at in points.order_by(
            "participation__assessment__lecture__title",
            "participation__assessment_id",
            "task__position",
        ).values_list(
            "participation__assessment__lecture__title",
            "participation__assessment__title",
            "task__position",
            "task__title",
            "points",
            "graded_at",
        )
    ]
    changes = GradeChange.objects.filter(participation__user=user)
    if not full:
        changes = changes.filter(_visible("participation__"))
    fields = dict(GradeChange.Field.choices)
    change_rows = [
        [at, title, fields.get(name, name), old, new, reason, _actor(by, user)]
        for at, title, name, old, new, reason, by in changes.order_by("-at", "-pk").values_list(
            "at", "assessment__title", "field", "old", "new", "reason", "by_id"
        )
    ]
    return [
        Section("participations", gettext_lazy("Coursework and exams"), columns, parts),
        Section(
            "task_points",
            gettext_lazy("Points per task"),
            [
                ("lecture", gettext_lazy("Lecture")),
                ("assessment", gettext_lazy("Assessment")),
                ("task", gettext_lazy("Task")),
                ("task_title", gettext_lazy("Title")),
                ("points", gettext_lazy("Points")),
                ("graded_at", gettext_lazy("Graded at")),
            ],
            task_rows,
        ),
        Section(
            "grade_history",
            gettext_lazy("History of points and grades"),
            [
                ("at", gettext_lazy("When")),
                ("assessment", gettext_lazy("Assessment")),
                ("field", gettext_lazy("What")),
                ("old", gettext_lazy("Before")),
                ("new", gettext_lazy("After")),
                ("reason", gettext_lazy("Reason")),
                ("by", gettext_lazy("By")),
            ],
            change_rows,
        ),
    ]


def _submissions(user) -> list[Section]:
    mine = list(
        SubmissionMember.objects.filter(user=user)
        .order_by("-joined_at")
        .values_list(
            "submission_id",
            "submission__assessment__title",
            "joined_at",
            "submission__uploaded_at",
            "submission__late",
            "submission__file",
            "submission__correction_uploaded_at",
        )
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
        [
            title,
            joined,
            uploaded,
            bool(late),
            os.path.basename(file or ""),
            corrected,
            ", ".join(team.get(submission_id, [])),
        ]
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
            Q(invitee=user) | Q(invited_by=user)
        )
        .order_by("-created_at")
        .values_list(
            "created_at",
            "submission__assessment__title",
            "invited_by__name",
            "invitee__name",
            "status",
        )
    ]
    return [
        Section(
            "submissions",
            gettext_lazy("Submissions"),
            [
                ("assessment", gettext_lazy("Assessment")),
                ("joined_at", gettext_lazy("Joined at")),
                ("uploaded_at", gettext_lazy("Uploaded at")),
                ("late", gettext_lazy("Late")),
                ("file", gettext_lazy("File")),
                ("correction_at", gettext_lazy("Correction returned at")),
                ("team", gettext_lazy("Team members")),
            ],
            rows,
        ),
        Section(
            "submission_history",
            gettext_lazy("History of your submissions"),
            [
                ("at", gettext_lazy("When")),
                ("assessment", gettext_lazy("Assessment")),
                ("action", gettext_lazy("What")),
                ("detail", gettext_lazy("Details")),
            ],
            events,
        ),
        Section(
            "team_invitations",
            gettext_lazy("Team invitations"),
            [
                ("at", gettext_lazy("When")),
                ("assessment", gettext_lazy("Assessment")),
                ("invited_by", gettext_lazy("Invited by")),
                ("invitee", gettext_lazy("Invited")),
                ("status", gettext_lazy("Status")),
            ],
            invitations,
        ),
    ]


def _extensions(user) -> Section:
    rows = [
        list(row)
        for row in DeadlineExtension.objects.filter(user=user)
        .order_by("-granted_at")
        .values_list("assessment__title", "deadline", "reason", "granted_at")
    ]
    return Section(
        "extensions",
        gettext_lazy("Deadline extensions"),
        [
            ("assessment", gettext_lazy("Assessment")),
            ("deadline", gettext_lazy("Personal deadline")),
            ("reason", gettext_lazy("Reason")),
            ("granted_at", gettext_lazy("Granted at")),
        ],
        rows,
    )


def _achievements(user) -> Section:
    rows = [
        list(row)
        for row in AchievementValue.objects.filter(user=user)
        .order_by("achievement__lecture__title", "achievement__title")
        .values_list(
            "achievement__lecture__title", "achievement__title", "passed", "value", "updated_at"
        )
    ]
    return Section(
        "achievements",
        gettext_lazy("Achievements"),
        [
            ("lecture", gettext_lazy("Lecture")),
            ("achievement", gettext_lazy("Achievement")),
            ("passed", gettext_lazy("Met")),
            ("value", gettext_lazy("Value")),
            ("updated_at", gettext_lazy("Changed at")),
        ],
        rows,
    )


def _records(user) -> Section:
    rows = [
        list(row)
        for row in Record.objects.filter(user=user)
        .order_by("lecture__title")
        .values_list(
            "lecture__title",
            "points",
            "maximum",
            "points_pending_marking",
            "percentage",
            "computed_at",
        )
    ]
    return Section(
        "records",
        gettext_lazy("Performance records"),
        [
            ("lecture", gettext_lazy("Lecture")),
            ("points", gettext_lazy("Points")),
            ("maximum", gettext_lazy("Maximum")),
            ("points_pending_marking", gettext_lazy("Points pending marking")),
            ("percentage", gettext_lazy("Percentage")),
            ("computed_at", gettext_lazy("Computed at")),
        ],
        rows,
    )


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
    columns = [
        ("lecture", gettext_lazy("Lecture")),
        ("status", gettext_lazy("Exam admission")),
        ("source", gettext_lazy("Decided as")),
        ("decided_at", gettext_lazy("Decided at")),
    ]
    if full:
        columns.append(("note", gettext_lazy("Note of the course staff")))
    actions = dict(CertificationChange.Action.choices)
    history = [
        [
            at,
            lecture,
            actions.get(action, action),
            statuses.get(old, old),
            statuses.get(new, new),
            _actor(by, user),
        ]
        for at, lecture, action, old, new, by in CertificationChange.objects.filter(user=user)
        .order_by("-at", "-pk")
        .values_list("at", "lecture__title", "action", "old_status", "new_status", "by_id")
    ]
    return [
        Section("certifications", gettext_lazy("Exam admission"), columns, rows),
        Section(
            "certification_history",
            gettext_lazy("History of the exam admission"),
            [
                ("at", gettext_lazy("When")),
                ("lecture", gettext_lazy("Lecture")),
                ("action", gettext_lazy("What")),
                ("old", gettext_lazy("Before")),
                ("new", gettext_lazy("After")),
                ("by", gettext_lazy("By")),
            ],
            history,
        ),
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
        Section(
            "review_requests",
            gettext_lazy("Exam review requests"),
            [
                ("asked_at", gettext_lazy("Asked at")),
                ("assessment", gettext_lazy("Exam")),
                ("comment", gettext_lazy("Your comment")),
                ("status", gettext_lazy("Status")),
                ("answered_at", gettext_lazy("Answered at")),
            ],
            requests,
        ),
        Section(
            "review_items",
            gettext_lazy("Exam review answers"),
            [
                ("assessment", gettext_lazy("Exam")),
                ("task", gettext_lazy("Problem")),
                ("answer", gettext_lazy("Answer")),
                ("answered_at", gettext_lazy("Answered at")),
            ],
            items,
        ),
    ]


def _notices(user) -> Section:
    rows = [
        list(row)
        for row in ResultNotice.objects.filter(participation__user=user)
        .order_by("-notified_at")
        .values_list("participation__assessment__title", "grade", "notified_at")
    ]
    return Section(
        "result_notices",
        gettext_lazy("Result e-mails"),
        [
            ("assessment", gettext_lazy("Exam")),
            ("grade", gettext_lazy("Grade told")),
            ("told_at", gettext_lazy("Told at")),
        ],
        rows,
    )


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
    return Section(
        "staff_access",
        gettext_lazy("Staff actions on your account"),
        [
            ("at", gettext_lazy("When")),
            ("what", gettext_lazy("What")),
            ("by", gettext_lazy("By")),
        ],
        rows,
    )
