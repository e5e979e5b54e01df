from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance and certification")

    def ready(self) -> None:
        # certify: the student_performance policy kind in registration's registry
        from performance import policy

        policy.register()
