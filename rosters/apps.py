from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RostersConfig(AppConfig):
    name = "rosters"
    verbose_name = _("Rosters")

    def ready(self) -> None:
        # -- the integrity monitor (issue 12): the lecture roster is a superset of its groups --
        from rosters import integrity

        integrity.register()
