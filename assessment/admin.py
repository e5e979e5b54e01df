"""Assessment admin: configuration is edited here, grading state only through the services.

- Assessments and achievements are configuration: plain forms. Publishing and withdrawing are
  admin actions that call ``publish_results`` / ``withdraw_results`` (audited, mail on commit).
- Tasks are added with ``add_task`` (reviewed rows reopen) and deleted with ``delete_task``
  (refused while the task has points); title and maximum may be edited in place.
- Participations, task points, submissions, team invitations, deadline extensions, achievement
  values, publications and both audits are read only here (extensions are granted on the
  assessment's extensions page, teams formed by the students); status marks are admin actions
  calling ``mark_absent`` / ``mark_exempt`` /
  ``clear_mark``. A refusal comes back as an error message, never a crash.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from assessment import errors, services
from assessment.hooks import assignment_changed, grading_changed
from assessment.models import (
    Achievement,
    AchievementValue,
    Assessment,
    DeadlineExtension,
    GradeChange,
    Participation,
    Submission,
    SubmissionEvent,
    SubmissionMember,
    Task,
    TaskPoint,
    TeamInvitation,
    TutorialPublication,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing only (rows written by the services)."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _run_each(modeladmin, request, queryset, call, done_message) -> None:
    done = 0
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except errors.AssessmentError as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)


class TaskInline(ReadOnlyInline):
    model = Task
    fields = ("position", "title", "max_points")


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("title", "lecture", "kind", "deadline", "results_published_at")
    list_select_related = ("lecture",)
    list_filter = ("kind",)
    search_fields = ("title", "lecture__title")
    raw_id_fields = ("lecture", "exam", "talk")
    readonly_fields = ("results_published_at", "created_at")
    inlines = [TaskInline]
    actions = ["publish", "withdraw"]

    # Assignments feed the performance records: creating, changing or deleting one here tells
    # the listeners of ``assessment.hooks`` after the commit (the admin saves atomically).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        assignment_changed(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        assignment_changed(obj)

    def delete_queryset(self, request, queryset):
        doomed = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in doomed:
            assignment_changed(obj)

    @admin.action(description=_("Publish the results (as a whole)"))
    def publish(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.publish_results(assessment=obj, by=request.user),
            lambda n: (
                ngettext("%(n)d assessment published.", "%(n)d assessments published.", n)
                % {"n": n}
            ),
        )

    @admin.action(description=_("Withdraw the results (as a whole)"))
    def withdraw(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.withdraw_results(assessment=obj, by=request.user),
            lambda n: (
                ngettext("%(n)d assessment withdrawn.", "%(n)d assessments withdrawn.", n)
                % {"n": n}
            ),
        )


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("__str__", "assessment", "position", "max_points")
    list_select_related = ("assessment",)
    search_fields = ("title", "assessment__title")
    raw_id_fields = ("assessment",)

    def get_readonly_fields(self, request, obj=None):
        # Position and assessment are fixed once the task exists.
        return ("assessment", "position") if obj else ()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except errors.AssessmentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            assignment_changed(obj.assessment)
            return
        task = services.add_task(
            assessment=obj.assessment,
            max_points=obj.max_points,
            title=obj.title,
            position=obj.position,
            by=request.user,
        )
        obj.pk = task.pk

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except errors.AssessmentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_deleted_objects(self, objs, request):
        """The delete page names a rule's refusal as a protected reason, before confirming."""
        from assessment.achievements import deletion_refusal

        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected) + [m for m in map(deletion_refusal, objs) if m]
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        services.delete_task(task=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for task in queryset:
            try:
                services.delete_task(task=task, by=request.user)
            except errors.AssessmentError as exc:
                self.message_user(request, f"{task}: {exc}", messages.ERROR)


class TaskPointInline(ReadOnlyInline):
    model = TaskPoint
    fields = ("task", "points", "grader", "graded_at", "submission")
    readonly_fields = fields


class GradeChangeInline(ReadOnlyInline):
    model = GradeChange
    fk_name = "participation"
    fields = ("at", "field", "task", "old", "new", "by", "reason")
    readonly_fields = fields
    show_change_link = False


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ("user", "assessment", "tutorial", "status", "points_total", "grade_value")
    list_select_related = ("user", "assessment", "tutorial")
    list_filter = ("status", "assessment__kind")
    search_fields = ("user__email", "user__name", "user__matriculation_number", "assessment__title")
    inlines = [TaskPointInline, GradeChangeInline]
    actions = ["mark_absent", "mark_exempt", "clear_mark"]

    @admin.action(description=_("Mark as absent"))
    def mark_absent(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.mark_absent(participation=obj, by=request.user, reason="admin"),
            lambda n: (
                ngettext("%(n)d participation marked.", "%(n)d participations marked.", n)
                % {"n": n}
            ),
        )

    @admin.action(description=_("Mark as exempt"))
    def mark_exempt(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.mark_exempt(participation=obj, by=request.user, note=obj.note),
            lambda n: (
                ngettext("%(n)d participation marked.", "%(n)d participations marked.", n)
                % {"n": n}
            ),
        )

    @admin.action(description=_("Clear absent or exempt"))
    def clear_mark(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda obj: services.clear_mark(participation=obj, by=request.user, reason="admin"),
            lambda n: ngettext("%(n)d mark cleared.", "%(n)d marks cleared.", n) % {"n": n},
        )


@admin.register(TaskPoint)
class TaskPointAdmin(ReadOnlyAdmin):
    list_display = ("participation", "task", "points", "grader", "graded_at")
    list_select_related = ("participation__user", "participation__assessment", "task", "grader")
    search_fields = ("participation__user__email", "participation__user__name")


class SubmissionMemberInline(ReadOnlyInline):
    model = SubmissionMember
    fields = ("user", "joined_at")
    readonly_fields = fields
    show_change_link = False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "assessment", "uploaded_at", "late")
    list_select_related = ("assessment",)
    list_filter = ("late",)
    search_fields = ("assessment__title", "memberships__user__email", "memberships__user__name")
    inlines = [SubmissionMemberInline]


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ("title", "lecture", "value_type", "threshold")
    list_select_related = ("lecture",)
    list_filter = ("value_type",)
    search_fields = ("title", "lecture__title")
    raw_id_fields = ("lecture",)

    def get_deleted_objects(self, objs, request):
        """The delete page names a rule's refusal as a protected reason, before confirming."""
        from assessment.achievements import deletion_refusal

        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected) + [m for m in map(deletion_refusal, objs) if m]
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        """Through ``delete_achievement``: an achievement a rule requires is refused."""
        from assessment.achievements import delete_achievement

        try:
            delete_achievement(achievement=obj, by=request.user)
        except (errors.AssessmentError, errors.Busy) as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for achievement in queryset.order_by("pk"):
            self.delete_model(request, achievement)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        grading_changed(lecture_ids=[obj.lecture_id])


@admin.register(AchievementValue)
class AchievementValueAdmin(ReadOnlyAdmin):
    list_display = ("achievement", "user", "passed", "value", "updated_at", "updated_by")
    list_select_related = ("achievement", "user", "updated_by")
    search_fields = ("user__email", "user__name", "achievement__title")


@admin.register(TutorialPublication)
class TutorialPublicationAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "tutorial", "published_at", "published_by")
    list_select_related = ("assessment", "tutorial", "published_by")


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyAdmin):
    """Append-only audit: viewing only."""

    list_display = ("at", "assessment", "participation", "field", "task", "old", "new", "by")
    list_select_related = ("assessment", "participation__user", "task", "by")
    list_filter = ("field",)
    search_fields = ("participation__user__email", "participation__user__name", "reason")
    date_hierarchy = "at"


@admin.register(TeamInvitation)
class TeamInvitationAdmin(ReadOnlyAdmin):
    list_display = ("submission", "invitee", "invited_by", "status", "created_at", "expires_at")
    list_select_related = ("submission__assessment", "invitee", "invited_by")
    list_filter = ("status",)
    search_fields = ("invitee__email", "invitee__name", "submission__assessment__title")


@admin.register(DeadlineExtension)
class DeadlineExtensionAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "user", "deadline", "reason", "granted_by", "granted_at")
    list_select_related = ("assessment", "user", "granted_by")
    search_fields = ("user__email", "user__name", "assessment__title", "reason")


@admin.register(SubmissionEvent)
class SubmissionEventAdmin(ReadOnlyAdmin):
    """Append-only audit of uploads, teams, corrections and extensions: viewing only."""

    list_display = ("at", "assessment", "submission_ref", "user", "action", "detail", "by")
    list_select_related = ("assessment", "user", "by")
    list_filter = ("action",)
    search_fields = ("user__email", "user__name", "detail")
    date_hierarchy = "at"
