"""Request and response bodies of the remediation API (their OpenAPI schema comes from here)."""

from __future__ import annotations

from rest_framework import serializers

from mampf.selectors import MAX_DB_ID

KINDS = ("drop_item", "mark_correct", "replace_key")
STATUSES = ("draft", "pending_review", "approved", "applied", "reverted")
MAX_CORRECTIONS = 200
MAX_REASON = 2000


class TextField(serializers.CharField):
    """Request text that must arrive as a JSON string: DRF's ``CharField`` turns a number into
    text (``0`` -> ``"0"``), which the schema (``type: string``) promises to refuse."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CorrectionSerializer(serializers.Serializer):
    """One correction: its kind, the question version (id) and, where needed, options."""

    kind = serializers.ChoiceField(choices=KINDS)
    question_version = serializers.IntegerField(min_value=1, max_value=MAX_DB_ID)
    options = serializers.ListField(
        child=TextField(max_length=20),
        max_length=26,
        required=False,
        default=list,
        help_text="`mark_correct`: options accepted besides the key (empty: every option); "
        "`replace_key`: the new key; `drop_item`: empty.",
    )


class BatchCreateSerializer(serializers.Serializer):
    evaluation = serializers.IntegerField(min_value=1, max_value=MAX_DB_ID)
    reason = TextField(
        max_length=MAX_REASON, allow_blank=True, help_text="Why (required, not blank)."
    )
    corrections = serializers.ListField(
        child=CorrectionSerializer(), min_length=1, max_length=MAX_CORRECTIONS
    )


class RevertSerializer(serializers.Serializer):
    reason = TextField(
        max_length=MAX_REASON, allow_blank=True, help_text="Why (required, not blank)."
    )


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    evaluation = serializers.IntegerField(source="evaluation_id")
    evaluation_title = serializers.CharField(source="evaluation.title")
    lecture = serializers.IntegerField(source="evaluation.lecture_id")
    status = serializers.ChoiceField(choices=STATUSES)
    reason = serializers.CharField()
    corrections = CorrectionSerializer(source="payload", many=True)
    created_by = PersonSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    applied_by = PersonSerializer(allow_null=True)
    applied_at = serializers.DateTimeField(allow_null=True)
    reverts = serializers.IntegerField(source="reverts_id", allow_null=True)
    reverted_by = serializers.SerializerMethodField()

    def get_reverted_by(self, batch) -> int | None:
        compensation = getattr(batch, "reverted_by", None)
        return compensation.pk if compensation is not None else None


class ChangeSerializer(serializers.Serializer):
    """One answer sheet the batch rescored: before and after."""

    sheet = serializers.IntegerField()
    user = PersonSerializer()
    matriculation_number = serializers.CharField(allow_blank=True)
    attempt = serializers.IntegerField()
    old_score = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    old_max_score = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    new_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    new_max_score = serializers.DecimalField(max_digits=9, decimal_places=2)


class BatchDetailSerializer(BatchSerializer):
    changes_count = serializers.IntegerField(help_text="Sheets this batch rescored.")


class MoverSerializer(serializers.Serializer):
    """One exam candidate: MC-part points and exam grade before and after."""

    participation = serializers.IntegerField()
    user = PersonSerializer()
    matriculation_number = serializers.CharField(allow_blank=True)
    old_points = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    new_points = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    old_grade = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    new_grade = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    no_disadvantage = serializers.BooleanField(
        help_text="The outcome without the dropped questions counted (it was better)."
    )


class ScoreChangeSerializer(serializers.Serializer):
    sheet = serializers.IntegerField()
    user = PersonSerializer()
    attempt = serializers.IntegerField()
    old_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    old_max_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    new_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    new_max_score = serializers.DecimalField(max_digits=9, decimal_places=2)


class PreviewSerializer(serializers.Serializer):
    """A dry run: nothing is written. Without an exam (a quiz) the three lists are empty."""

    batch = serializers.IntegerField()
    submissions_affected = serializers.IntegerField(help_text="Sheets holding a targeted question.")
    has_exam = serializers.BooleanField()
    pass_mark = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    score_changes_count = serializers.IntegerField()
    pass_to_fail_count = serializers.IntegerField()
    fail_to_pass_count = serializers.IntegerField()
    unchanged_count = serializers.IntegerField()
    score_changes = ScoreChangeSerializer(many=True)
    pass_to_fail = MoverSerializer(many=True)
    fail_to_pass = MoverSerializer(many=True)
    unchanged = MoverSerializer(many=True)
    no_disadvantage = MoverSerializer(
        many=True, help_text="Candidates for whom the no-disadvantage rule applied."
    )


class HistoryRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=9, decimal_places=2)
    max_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    batch = serializers.IntegerField(source="batch_id", allow_null=True)
    batch_reason = serializers.CharField(allow_null=True)
    by = PersonSerializer(allow_null=True)


class SheetHistorySerializer(serializers.Serializer):
    sheet = serializers.IntegerField()
    evaluation = serializers.IntegerField()
    user = PersonSerializer()
    attempt = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=9, decimal_places=2)
    max_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    history = HistoryRowSerializer(many=True)
