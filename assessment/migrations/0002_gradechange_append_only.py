"""GradeChange is append-only in the database too: its facts can never be updated.

Deleting stays possible (a deleted assessment or participation takes its audit rows along), and
Django may still null the ``task``, ``tutorial`` and ``by`` references when those rows are
deleted; every other column is frozen once written.
"""

from django.db import migrations

FROZEN = '"field", "old", "new", "reason", "at", "assessment_id", "participation_id"'

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION assessment_gradechange_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'assessment_gradechange is append-only'
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER assessment_gradechange_append_only
    BEFORE UPDATE OF {FROZEN} ON assessment_gradechange
    FOR EACH ROW EXECUTE FUNCTION assessment_gradechange_append_only();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS assessment_gradechange_append_only ON assessment_gradechange;",
    "DROP FUNCTION IF EXISTS assessment_gradechange_append_only();",
]
SQLITE = [
    f"""
    CREATE TRIGGER assessment_gradechange_append_only
    BEFORE UPDATE OF {FROZEN} ON assessment_gradechange
    BEGIN SELECT RAISE(ABORT, 'assessment_gradechange is append-only'); END;
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS assessment_gradechange_append_only;"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
