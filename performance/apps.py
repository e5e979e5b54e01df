from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance and certification")

    def ready(self):
        # -- examgate: notifications (digest, student mail, lecture banner), exam page notice --
        from performance import notifications, tasks  # noqa: F401 - tasks: registered by name

        notifications.connect()
        from performance.selectors_student import admission_notices
        from registration.notices import register_campaign_notice

        register_campaign_notice(admission_notices, name="performance.admission")
