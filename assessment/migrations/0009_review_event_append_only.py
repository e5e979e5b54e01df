"""ReviewEvent is append-only in the database too, like GradeChange: its facts can never be
updated. Deleting stays possible (a deleted assessment takes its review along) and Django may
null ``by`` when that user is deleted."""

from django.db import migrations

from mampf.migration_ops import append_only

FROZEN = '"assessment_id", "request_id", "item_id", "action", "detail", "at"'


class Migration(migrations.Migration):
    dependencies = [("assessment", "0008_exam_office_and_review")]

    operations = [append_only("assessment_reviewevent", FROZEN)]
