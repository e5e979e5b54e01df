"""Certification and rule history are append-only in the database too.

Deleting stays possible (a deleted lecture takes its history along) and Django may null the
``certification`` and ``by`` references when those rows are deleted; every other column is
frozen once written.
"""

from django.db import migrations

TABLES = {
    "performance_certificationchange": (
        '"lecture_id", "user_id", "action", "old_status", "new_status", "old_source", '
        '"new_source", "note", "rule_version", "figures", "at"'
    ),
    "performance_rulechange": '"rule_id", "version", "old", "new", "note", "at"',
}


def _postgres():
    statements = [
        """
        CREATE OR REPLACE FUNCTION performance_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only',
                ERRCODE = 'restrict_violation';
        END;
        $$ LANGUAGE plpgsql;
        """
    ]
    for table, frozen in TABLES.items():
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OF {frozen} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION performance_append_only();"
        )
    return statements


def _postgres_reverse():
    statements = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES]
    return [*statements, "DROP FUNCTION IF EXISTS performance_append_only();"]


def _sqlite():
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OF {frozen} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
        for table, frozen in TABLES.items()
    ]


def _sqlite_reverse():
    return [f"DROP TRIGGER IF EXISTS {table}_append_only;" for table in TABLES]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, list)():
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": _postgres, "sqlite": _sqlite}),
            run({"postgresql": _postgres_reverse, "sqlite": _sqlite_reverse}),
        ),
    ]
