"""ReviewEvent is append-only in the database too, like GradeChange: its facts can never be
updated. Deleting stays possible (a deleted assessment takes its review along) and Django may
null ``by`` when that user is deleted."""

from django.db import migrations

FROZEN = '"assessment_id", "request_id", "item_id", "action", "detail", "at"'

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION assessment_reviewevent_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'assessment_reviewevent is append-only'
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER assessment_reviewevent_append_only
    BEFORE UPDATE OF {FROZEN} ON assessment_reviewevent
    FOR EACH ROW EXECUTE FUNCTION assessment_reviewevent_append_only();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS assessment_reviewevent_append_only ON assessment_reviewevent;",
    "DROP FUNCTION IF EXISTS assessment_reviewevent_append_only();",
]
SQLITE = [
    f"""
    CREATE TRIGGER assessment_reviewevent_append_only
    BEFORE UPDATE OF {FROZEN} ON assessment_reviewevent
    BEGIN SELECT RAISE(ABORT, 'assessment_reviewevent is append-only'); END;
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS assessment_reviewevent_append_only;"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("assessment", "0008_exam_office_and_review")]

    operations = [
        migrations.RunPython(
            run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
