from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """The top of the layering: cross-cutting commands that need every app (``seed_demo``,
    ``integrity_check``), the integrity monitor's runner, storage, alerts and health pages.

    It may import every app; no app imports it. Keep it last in ``INSTALLED_APPS``.
    """

    name = "operations"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Heartbeats of every beat job (Celery task signals) and the check over them.
        from mampf.integrity import Action, register_check
        from operations import jobs, tasks  # noqa: F401 - tasks: registered by name

        register_check(
            "overdue_jobs",
            label=_("Beat jobs not run within twice their interval"),
            interval=timedelta(hours=1),
            threshold=0,
            action=Action.ALERT_OPERATORS,
            fn=jobs.overdue_jobs,
            object_label=_("job"),
        )
