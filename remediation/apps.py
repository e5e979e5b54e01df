from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemediationConfig(AppConfig):
    name = "remediation"
    verbose_name = _("Result remediation")

    def ready(self):
        # "No disadvantage": the MC grading hears the MC points without dropped questions.
        from grade_schemes.mc_grading import register_fallback_provider
        from remediation.grading import fallback_provider

        register_fallback_provider(fallback_provider)
        # -- the integrity monitor (issue 12): this app's check ----------------------------------
        from remediation import integrity

        integrity.register()
