"""Certification and rule history are append-only in the database too.

Deleting stays possible (a deleted lecture takes its history along) and Django may null the
``certification`` and ``by`` references when those rows are deleted; every other column is
frozen once written.
"""

from django.db import migrations

from mampf.migration_ops import append_only


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_initial")]

    operations = [
        append_only(
            "performance_certificationchange",
            '"lecture_id", "user_id", "action", "old_status", "new_status", "old_source", '
            '"new_source", "note", "rule_version", "figures", "at"',
        ),
        append_only("performance_rulechange", '"rule_id", "version", "old", "new", "note", "at"'),
    ]
