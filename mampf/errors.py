"""Refusals of the catalogue services, each with a stable code and a translated message.

Views show ``str(exc)``; none of these is ever a 500.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """Base of every service refusal: a stable machine-readable ``code`` and a human message.

    ``registration.errors.RegistrationError`` and ``rosters.errors.RosterError`` build on it, so
    a view can catch one class and show ``str(exc)``.
    """

    code = "domain_error"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, details: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.details = details or {}
        super().__init__(str(self.message))

    def __str__(self):
        return str(self.message)


class ProfileError(DomainError):
    code = "profile_error"
    default_message = _("Your profile could not be changed.")


class ConfirmationLinkInvalid(ProfileError):
    """The link was cut short, altered, or was never ours."""

    code = "confirmation_link_invalid"
    default_message = _(
        "This confirmation link is not valid. Please open the complete link from the latest "
        "e-mail, or send yourself a new one from your profile."
    )


class ConfirmationLinkExpired(ProfileError):
    code = "confirmation_link_expired"
    default_message = _(
        "This confirmation link has expired. Please send yourself a new one from your profile."
    )


class ConfirmationLinkOfAnotherUser(ProfileError):
    code = "confirmation_link_of_another_user"
    default_message = _(
        "This confirmation link was sent for another account. Please log out and log in with "
        "the account that entered the address."
    )


class ConfirmationLinkForOldAddress(ProfileError):
    """The address in the profile changed after the link was sent."""

    code = "confirmation_link_for_old_address"
    default_message = _(
        "This confirmation link is for an address that is no longer in your profile. Please "
        "use the link in the latest e-mail, or send yourself a new one from your profile."
    )


class ConfirmationLinkUsed(ProfileError):
    """Each link works once: it was opened already, or a newer one replaced it."""

    code = "confirmation_link_used"
    default_message = _(
        "This confirmation link has already been used. If your address is not confirmed yet, "
        "send yourself a new link from your profile."
    )


class NoAddressToConfirm(ProfileError):
    code = "no_address_to_confirm"
    default_message = _("Your profile has no university e-mail address to confirm.")


class AddressAlreadyConfirmed(ProfileError):
    code = "address_already_confirmed"
    default_message = _("Your university e-mail address is already confirmed.")


class ConfirmationThrottled(ProfileError):
    code = "confirmation_throttled"
    default_message = _(
        "We sent you a confirmation link less than a minute ago. Please check your inbox "
        "(and spam folder), and wait a minute before asking for another one."
    )


class AddressTaken(ProfileError):
    """Raised only at confirmation, to the person who just proved they read mail there: the
    address is another account's login or confirmed university address. The profile form never
    says whether an address is taken (that would let anyone probe for accounts)."""

    code = "address_taken"
    default_message = _(
        "This address is already confirmed for another account, so it cannot be confirmed "
        "for this one. If both accounts are yours, please contact the course staff."
    )


class Busy(DomainError):
    """A lock wait timed out or the database refused under load: nothing changed, try again.

    Raised by ``mampf.db.translate_db_errors``; each app may subclass it for a more specific
    text (``registration.errors.TryAgain``, ``rosters.errors.Busy``) and keep the code ``busy``.
    """

    code = "busy"
    default_message = _("Many people are working on this right now. Please try again in a moment.")
