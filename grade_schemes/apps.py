from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradeSchemesConfig(AppConfig):
    name = "grade_schemes"
    verbose_name = _("Grade schemes")
