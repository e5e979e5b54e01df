"""Side-effect events inside ``performance`` (mail, banners): never the main flow.

- ``records_changed(lecture_id, user_ids)``: sent on commit after a recompute changed the
  figures (the fingerprint) of these students' records;
- ``certifications_changed(lecture_id, user_ids)``: sent on commit after certifications of these
  students were written (accepted, overridden, re-certified, carried over).
"""

from django.dispatch import Signal

records_changed = Signal()
certifications_changed = Signal()
