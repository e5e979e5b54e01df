from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationConfig(AppConfig):
    name = "registration"
    verbose_name = _("Registration")

    def ready(self):
        # Built-in policy kinds register themselves on import.
        from registration import policies, tasks  # noqa: F401 - tasks: enqueued by name
        from registration.seats import confirmed_not_materialized
        from rosters.selectors import register_pending_seat_source

        # Confirmed places not yet on a roster count as taken for every capacity check.
        register_pending_seat_source(confirmed_not_materialized)

        from mampf.pending import register_pending_source
        from registration.selectors.pending import SOURCE

        # The same places, listed for the roster and start pages below us.
        register_pending_source(SOURCE)

        from registration.roster_hooks import users_registered_for_lecture
        from rosters.selectors import register_related_users_source

        # Students registered in the lecture's campaigns count as related for the roster search.
        register_related_users_source(users_registered_for_lecture)

        from mampf.exam_states import register_exam_state_source
        from registration.selectors.exams import SOURCE as EXAM_SOURCE

        # The statuses of exam campaigns, for the exam phase staff see.
        register_exam_state_source(EXAM_SOURCE)

        # -- the integrity monitor (issue 12): this app's checks --------------------------------
        from registration import integrity

        integrity.register()
