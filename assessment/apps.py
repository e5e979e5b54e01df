from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        """Plug into the lower apps' registries (never the other way round)."""
        from assessment import selectors
        from rosters import services as roster_services

        # The registry arrives with another branch; until then there is nothing to plug into.
        if hasattr(roster_services, "register_removal_guard"):
            roster_services.register_removal_guard(selectors.has_grading_data)

        from mampf.exam_states import register_exam_state_source

        # Whether an exam is being graded or is graded, for the exam phase staff see.
        register_exam_state_source(selectors.EXAM_STATE_SOURCE)

        # -- the integrity monitor (issue 12): this app's checks --------------------------------
        from assessment import integrity

        integrity.register()
