"""Refusals of the group catalogue services (``mampf.catalogue_services``).

Each has a stable ``code`` and a translated default message; views show ``str(exc)``.
"""

from django.utils.translation import gettext_lazy as _

from mampf.errors import Busy, DomainError


class CatalogueError(DomainError):
    code = "catalogue_error"
    default_message = _("The group could not be changed.")


class GroupMissing(CatalogueError):
    code = "group_missing"
    default_message = _("This group no longer exists.")


class InvalidGroupData(CatalogueError):
    """A value the model refuses (too long, unknown choice, end before start, ...)."""

    code = "invalid_group_data"
    default_message = _("Please check the values you entered.")


class CapacityBelowTaken(CatalogueError):
    code = "capacity_below_taken"
    default_message = _("The capacity cannot be lower than the number of places already taken.")


class TalkPositionTaken(CatalogueError):
    code = "talk_position_taken"
    default_message = _("Another talk of this lecture already has this position.")


class PropagationLocked(CatalogueError):
    code = "propagation_locked"
    default_message = _(
        "Whether members join the lecture can only be changed while the cohort is empty."
    )


class GroupNotEmpty(CatalogueError):
    code = "group_not_empty"
    default_message = _("Only a group with an empty roster can be deleted.")


class GroupInUse(CatalogueError):
    code = "group_in_use"
    default_message = _(
        "This group is still used elsewhere (for example as an item of a registration "
        "campaign). Remove it there first."
    )


class TutorNotFound(CatalogueError):
    code = "tutor_not_found"
    default_message = _(
        "No active account has exactly this e-mail address. Please check the address, or ask "
        "the site staff to create the account."
    )


class AlreadyTutor(CatalogueError):
    code = "already_tutor"
    default_message = _("This person already tutors this tutorial.")


class NotATutor(CatalogueError):
    code = "not_a_tutor"
    default_message = _("This person does not tutor this tutorial.")


class CatalogueBusy(Busy):
    default_message = _("Someone else is changing this group right now. Please try again.")
