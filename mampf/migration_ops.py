"""Migration operations shared by the apps' migrations.

``append_only(table, frozen)``: an audit table whose listed columns can never be updated, on
PostgreSQL (a trigger function raising ``restrict_violation``) and on SQLite (a trigger that
aborts). Deleting stays possible, and columns not listed (references Django may null when their
target is deleted) stay writable. Migrations import this, so its output must stay the same.
"""

from django.db import migrations


def _statements(table: str, frozen: str) -> dict[str, tuple[list[str], list[str]]]:
    name = f"{table}_append_only"
    postgres = [
        f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only'
                USING ERRCODE = 'restrict_violation';
        END;
        $$ LANGUAGE plpgsql;
        """,
        f"""
        CREATE TRIGGER {name}
        BEFORE UPDATE OF {frozen} ON {table}
        FOR EACH ROW EXECUTE FUNCTION {name}();
        """,
    ]
    postgres_reverse = [
        f"DROP TRIGGER IF EXISTS {name} ON {table};",
        f"DROP FUNCTION IF EXISTS {name}();",
    ]
    sqlite = [
        f"""
        CREATE TRIGGER {name}
        BEFORE UPDATE OF {frozen} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
        """,
    ]
    sqlite_reverse = [f"DROP TRIGGER IF EXISTS {name};"]
    return {"postgresql": (postgres, postgres_reverse), "sqlite": (sqlite, sqlite_reverse)}


def append_only(table: str, frozen: str) -> migrations.RunPython:
    """``frozen``: the quoted, comma-separated columns no UPDATE may touch."""
    statements = _statements(table, frozen)

    def run(index: int):
        def apply(apps, schema_editor):
            pair = statements.get(schema_editor.connection.vendor)
            for statement in pair[index] if pair else []:
                schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(0), run(1))
