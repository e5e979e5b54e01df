"""GradeChange is append-only in the database too: its facts can never be updated.

Deleting stays possible (a deleted assessment or participation takes its audit rows along), and
Django may still null the ``task``, ``tutorial`` and ``by`` references when those rows are
deleted; every other column is frozen once written.
"""

from django.db import migrations

from mampf.migration_ops import append_only

FROZEN = '"field", "old", "new", "reason", "at", "assessment_id", "participation_id"'


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [append_only("assessment_gradechange", FROZEN)]
