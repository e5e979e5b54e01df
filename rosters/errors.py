"""Refusals of roster maintenance, each with a stable code and a translated message."""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy as MampfBusy
from mampf.errors import DomainError


class RosterError(DomainError):
    code = "roster_error"
    default_message = _("The roster could not be changed.")


class GroupFull(RosterError):
    code = "group_full"
    default_message = _("The group is full. Allow overfilling to add the student anyway.")


class AlreadyInGroup(RosterError):
    code = "already_in_group"
    default_message = _("The student is already in a tutorial of this lecture; move them instead.")


class AlreadyOnRoster(RosterError):
    code = "already_on_roster"
    default_message = _("The student is already on this roster.")


class NotOnRoster(RosterError):
    code = "not_on_roster"
    default_message = _("The student is not on this roster.")


class InvalidMove(RosterError):
    code = "invalid_move"
    default_message = _(
        "The student can only be moved between groups of the same kind and lecture."
    )


class Busy(RosterError, MampfBusy):
    """``mampf.db.translate_db_errors`` raises it for roster services (code ``busy``)."""

    code = "busy"
    default_message = _("Someone else is changing this roster right now. Please try again.")


class BulkRefused(RosterError):
    """A change to several students at once was refused for some of them: nothing changed.

    ``details["refusals"]`` lists ``{"user", "name", "code", "message"}`` per refused student.
    """

    code = "bulk_refused"
    default_message = _("Nothing was changed.")


class RemovalRefused(RosterError):
    """A check registered with ``rosters.services.register_removal_guard`` said no."""

    code = "removal_refused"
    default_message = _("The student cannot be taken off this roster.")
