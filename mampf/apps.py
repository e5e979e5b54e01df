from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MampfConfig(AppConfig):
    name = "mampf"
    label = "mampf"
    verbose_name = _("Course catalogue")

    def ready(self):
        # Registers the deployment checks (manage.py check --deploy).
        from mampf import checks  # noqa: F401
        from mampf.log_context import install_record_factory

        install_record_factory()
