"""Read-only admin views: every change goes through ``remediation.services`` (audited)."""

from django.contrib import admin

from remediation.models import (
    AnswerSheet,
    CorrectionBatch,
    Evaluation,
    EvaluationVersion,
    QuestionVersion,
    ScoreHistory,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("title", "lecture", "task")
    search_fields = ("title",)


@admin.register(EvaluationVersion)
class EvaluationVersionAdmin(ReadOnlyAdmin):
    list_display = ("evaluation", "label", "revision")


@admin.register(QuestionVersion)
class QuestionVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "position", "options", "key", "points")


@admin.register(AnswerSheet)
class AnswerSheetAdmin(ReadOnlyAdmin):
    list_display = ("evaluation", "version", "user", "attempt", "score", "max_score")
    list_select_related = ("evaluation", "version", "user")


@admin.register(CorrectionBatch)
class CorrectionBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "evaluation", "status", "created_by", "created_at", "applied_at")
    list_filter = ("status",)


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(ReadOnlyAdmin):
    list_display = ("sheet", "batch", "score", "max_score", "at", "by")
