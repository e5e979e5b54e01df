from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MampfConfig(AppConfig):
    name = "mampf"
    label = "mampf"
    verbose_name = _("Course catalogue")
