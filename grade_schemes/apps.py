from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradeSchemesConfig(AppConfig):
    name = "grade_schemes"
    verbose_name = _("Grade schemes")

    def ready(self) -> None:
        """Plug into the lower apps' registries (never the other way round)."""
        from django.urls import reverse

        from assessment.hooks import register_result_change_listener, register_result_page
        from grade_schemes.services import regrade_after_results_changed

        # A computed grade follows its points in the transaction that changed them.
        register_result_change_listener(regrade_after_results_changed)
        # The publication mail of an exam links to the candidate's exam result page.
        register_result_page(
            "exam", lambda assessment: reverse("grade_schemes:my_exam_result", args=[assessment.pk])
        )
