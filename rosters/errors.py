"""Refusals of roster maintenance, each with a stable code and a translated message."""

from django.utils.translation import gettext_lazy as _


class RosterError(Exception):
    code = "roster_error"
    default_message = _("The roster could not be changed.")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        super().__init__(str(self.message))

    def __str__(self):
        return str(self.message)


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


class Busy(RosterError):
    code = "busy"
    default_message = _("Someone else is changing this roster right now. Please try again.")
