from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance and certification")

    def ready(self) -> None:
        """Plug into the lower apps' registries (never the other way round)."""
        # -- certify: the student_performance policy kind in registration's registry ----------
        from performance import policy

        policy.register()

        # -- rules: an achievement a rule requires cannot be deleted --------------------------
        from assessment import achievements
        from performance import rules

        achievements.register_deletion_guard(rules.achievement_deletion_guard)

        # -- examgate: notifications (digest, student mail, lecture banner), exam page notice --
        from performance import notifications, tasks  # noqa: F401 - tasks: registered by name

        notifications.connect()
        from performance.selectors_student import admission_notices, admission_prefetch
        from registration.notices import register_campaign_notice

        register_campaign_notice(admission_notices, name="performance.admission",
                                 prefetch=admission_prefetch)

        # -- records (area "records"): recompute after every change that feeds a record --------
        from assessment import hooks as assessment_hooks
        from performance.recompute import records_feed_changed
        from rosters import hooks as roster_hooks

        assessment_hooks.register_grading_change_listener(records_feed_changed)
        roster_hooks.register_lecture_roster_listener(records_feed_changed)

        # -- the integrity monitor (issue 12): this app's checks --------------------------------
        from performance import integrity

        integrity.register()
