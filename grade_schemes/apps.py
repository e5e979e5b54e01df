from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradeSchemesConfig(AppConfig):
    name = "grade_schemes"
    verbose_name = _("Grade schemes")

    def ready(self) -> None:
        """Plug into the lower apps' registries (never the other way round)."""
        from assessment.hooks import register_result_change_listener
        from grade_schemes.services import regrade_after_results_changed

        # A computed grade follows its points in the transaction that changed them.
        register_result_change_listener(regrade_after_results_changed)
