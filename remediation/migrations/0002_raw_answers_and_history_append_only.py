"""Raw answers never change once stored, and the score history is append-only: database
triggers refuse an UPDATE of those columns (PostgreSQL and SQLite). The answer sheets are
rescored in place by every batch: half-empty pages let PostgreSQL keep each new row version
on its page without touching the indexes (a HOT update: no indexed column changes)."""

from django.db import migrations

from mampf.migration_ops import append_only


def leave_room_for_in_place_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE remediation_answersheet SET (fillfactor = 50)")


def back_to_default_fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE remediation_answersheet RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("remediation", "0001_evaluations_sheets_batches_history")]

    operations = [
        append_only(
            "remediation_answersheet",
            '"evaluation_id", "version_id", "user_id", "attempt", "answers"',
        ),
        append_only(
            "remediation_scorehistory",
            '"sheet_id", "batch_id", "score", "max_score", "at"',
        ),
        migrations.RunPython(leave_room_for_in_place_updates, back_to_default_fill),
    ]
