from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The top of the layering: cross-cutting commands that need every app (``seed_demo``).

    It may import every app; no app imports it. Keep it last in ``INSTALLED_APPS``.
    """

    name = "operations"
    verbose_name = _("Operations")
