from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance and certification")

    def ready(self) -> None:
        """Plug into the lower apps' registries (never the other way round)."""
        # -- records (area "records"): recompute after every change that feeds a record --------
        from assessment import hooks as assessment_hooks
        from performance import tasks  # noqa: F401 - registers the Celery tasks
        from performance.recompute import records_feed_changed
        from rosters import hooks as roster_hooks

        assessment_hooks.register_grading_change_listener(records_feed_changed)
        roster_hooks.register_lecture_roster_listener(records_feed_changed)
