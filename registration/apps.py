from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self):
        from mampf.pending import register_pending_source
        from registration import policies  # noqa: F401  (built-in kinds register on import)
        from registration.selectors.pending import SOURCE

        # Confirmed FCFS places not on a roster yet, for the roster and start pages below us.
        register_pending_source(SOURCE)
