from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self):
        # Built-in policy kinds register themselves on import.
        from registration import policies  # noqa: F401
        from registration.roster_hooks import users_registered_for_lecture
        from rosters.selectors import register_related_users_source

        register_related_users_source(users_registered_for_lecture)
