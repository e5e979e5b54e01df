"""Writes of the catalogue app: the user's own profile and the proof that they own their
university address.

Anyone can type any address into their profile, so an institutional address counts for
eligibility only after its owner opened a link we mailed to it. The link carries a signed,
expiring token that names the user, the address it was sent to and a nonce: a link for an old
address cannot confirm a new one, nobody can confirm an address for someone else, and a link
works once (the nonce changes when it is used or the address changes).

Typing an address reserves nothing. Only a confirmed address is unique (a partial unique index,
case-insensitive), so nobody can squat another student's address by typing it first: the
profile says the same thing whether the address is used elsewhere or not, an unconfirmed claim
lapses with its link, and when the owner confirms, every other unconfirmed claim of that address
is cleared (their links then refer to an address no longer in their profile). The conflict
"already confirmed by another account" is told only to the person who just proved, by opening
the link, that they read mail at that address.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mampf import errors
from mampf.tasks import send_notification_email

CONFIRMATION_MAX_AGE = datetime.timedelta(days=3)
CONFIRMATION_RESEND_SECONDS = 60
_TOKEN_SALT = "mampf.institutional-email-confirmation"

# Builds an absolute URL from a path, for links in e-mails (``request.build_absolute_uri``).
AbsoluteUrl = Callable[[str], str]


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


# A profile field the request did not send: keep it (a missing field never means "clear it").
UNCHANGED = _Unchanged()


@dataclass(frozen=True)
class ProfileUpdate:
    """What saving the profile did, so the page can tell the user what happens next."""

    address_changed: bool
    confirmation_sent: bool
    address: str | None


# -- tokens -----------------------------------------------------------------------------------


def _address_fingerprint(address: str) -> str:
    """Binds a token to one address without putting the address itself into the URL."""
    return salted_hmac(_TOKEN_SALT, address.strip().lower()).hexdigest()[:32]


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_TOKEN_SALT)


def _new_nonce() -> str:
    return secrets.token_hex(16)


def make_confirmation_token(*, user) -> str:
    """A one-use token for the user's current institutional address, valid for three days."""
    if not user.institutional_email:
        raise errors.NoAddressToConfirm()
    payload = {
        "u": user.pk,
        "a": _address_fingerprint(user.institutional_email),
        "n": user.institutional_email_nonce,
    }
    return _signer().sign_object(payload)


def _check_token(user, token: str) -> str:
    """The address the token confirms for ``user`` (as stored now), or a ProfileError."""
    try:
        payload = _signer().unsign_object(token, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise errors.ConfirmationLinkExpired() from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise errors.ConfirmationLinkInvalid() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("a"), str):
        raise errors.ConfirmationLinkInvalid()
    if payload.get("u") != user.pk:
        raise errors.ConfirmationLinkOfAnotherUser()
    address = user.institutional_email
    if not address or not constant_time_compare(payload["a"], _address_fingerprint(address)):
        raise errors.ConfirmationLinkForOldAddress()
    if not constant_time_compare(str(payload.get("n", "")), user.institutional_email_nonce):
        raise errors.ConfirmationLinkUsed()
    return address


def read_confirmation_token(*, user, token: str) -> str:
    """Check a link without using it (the page that asks "confirm?"); writes nothing."""
    current = get_user_model().objects.get(pk=user.pk)
    return _check_token(current, token)


# -- mail -------------------------------------------------------------------------------------


def _claim_send_slot(user_id: int) -> bool:
    """At most one confirmation mail per user per minute (atomic ``add`` on the cache)."""
    key = f"mampf:institutional-email-confirmation:{user_id}"
    return cache.add(key, "sent", timeout=CONFIRMATION_RESEND_SECONDS)


def _send_confirmation(user, *, absolute_url: AbsoluteUrl) -> None:
    token = make_confirmation_token(user=user)
    link = absolute_url(reverse("confirm_institutional_email", args=[token]))
    days = CONFIRMATION_MAX_AGE.days
    subject = _("Confirm your university e-mail address")
    body = (
        _("Hello %(name)s,") % {"name": user.name or user.email}
        + "\n\n"
        + ngettext(
            "please confirm that %(address)s is your address by opening this link within "
            "%(days)d day:",
            "please confirm that %(address)s is your address by opening this link within "
            "%(days)d days:",
            days,
        )
        % {"address": user.institutional_email, "days": days}
        + "\n\n"
        + link
        + "\n\n"
        + _("Until then, registrations that require a university address stay closed to you.")
        + "\n"
        + _("If you did not enter this address, ignore this e-mail: nothing will change.")
        + "\n"
    )
    send_notification_email.delay_on_commit(
        subject=subject, body=body, to=[user.institutional_email]
    )


# -- password reset limit ---------------------------------------------------------------------

PASSWORD_RESET_WINDOW_SECONDS = 60 * 60


def _count_in_window(key: str) -> int:
    """How often ``key`` was counted in the current hour, this time included (atomic)."""
    if cache.add(key, 1, timeout=PASSWORD_RESET_WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=PASSWORD_RESET_WINDOW_SECONDS)
        return 1


def claim_password_reset_slot(*, email: str, client_ip: str) -> bool:
    """Whether a reset mail may go out now: at most a few per address and per client address in
    an hour, so the form can be used neither to flood someone's inbox nor to probe many
    addresses. The page answers the same either way; only the mail is skipped."""
    from django.conf import settings

    address = salted_hmac(_TOKEN_SALT, email.strip().lower()).hexdigest()[:32]
    per_email = _count_in_window(f"mampf:password-reset:email:{address}")
    per_ip = _count_in_window(f"mampf:password-reset:ip:{client_ip}")
    return (
        per_email <= settings.PASSWORD_RESET_LIMIT_PER_EMAIL
        and per_ip <= settings.PASSWORD_RESET_LIMIT_PER_IP
    )


# -- services ---------------------------------------------------------------------------------


@transaction.atomic
def update_profile(
    *,
    user,
    absolute_url: AbsoluteUrl,
    name: str | _Unchanged = UNCHANGED,
    institutional_email: str | None | _Unchanged = UNCHANGED,
    language: str | _Unchanged = UNCHANGED,
) -> ProfileUpdate:
    """Save name and university address; a new address starts unconfirmed and gets a link.

    A field passed as ``UNCHANGED`` (the request did not send it) keeps its value; only an
    explicit empty address removes the address. The address is never refused as "taken": that
    would tell anyone which addresses have accounts, and an unconfirmed claim must not block the
    real owner (see the module docstring). The link is not sent when one went out less than a
    minute ago (the profile would otherwise let anyone mail arbitrary addresses in a loop); the
    page then offers "send again".
    """
    current = get_user_model().objects.select_for_update().get(pk=user.pk)
    fields = []
    if not isinstance(name, _Unchanged):
        current.name = name
        fields.append("name")
    if not isinstance(language, _Unchanged):
        current.language = language or ""
        fields.append("language")
    changed = False
    address = current.institutional_email
    if not isinstance(institutional_email, _Unchanged):
        address = (institutional_email or "").strip().lower() or None
        changed = address != current.institutional_email
    if changed:
        current.institutional_email = address
        current.institutional_email_verified_at = None
        current.institutional_email_claimed_at = timezone.now() if address else None
        current.institutional_email_nonce = _new_nonce()
        fields += [
            "institutional_email",
            "institutional_email_verified_at",
            "institutional_email_claimed_at",
            "institutional_email_nonce",
        ]
    if fields:
        current.save(update_fields=fields)
    sent = False
    if changed and address and _claim_send_slot(current.pk):
        _send_confirmation(current, absolute_url=absolute_url)
        sent = True
    return ProfileUpdate(address_changed=changed, confirmation_sent=sent, address=address)


@transaction.atomic
def resend_institutional_email_confirmation(*, user, absolute_url: AbsoluteUrl) -> str:
    """Mail a fresh link for the unconfirmed address; returns the address it went to."""
    current = get_user_model().objects.get(pk=user.pk)
    if not current.institutional_email:
        raise errors.NoAddressToConfirm()
    if current.institutional_email_verified_at is not None:
        raise errors.AddressAlreadyConfirmed()
    if not _claim_send_slot(current.pk):
        raise errors.ConfirmationThrottled()
    # The claim lives as long as its newest link.
    current.institutional_email_claimed_at = timezone.now()
    current.save(update_fields=["institutional_email_claimed_at"])
    _send_confirmation(current, absolute_url=absolute_url)
    return current.institutional_email


@transaction.atomic
def confirm_institutional_email(*, user, token: str) -> bool:
    """Mark the address confirmed if the token fits; False when it already was confirmed.

    The person who opens the link proves they read mail at the address, so their confirmation
    wins over every other account's unconfirmed claim of it (those are cleared). It is refused
    (``AddressTaken``) only when another account already owns the address: as its login address
    or as a confirmed university address. The link is used up either way it succeeds.
    """
    User = get_user_model()
    current = User.objects.select_for_update().get(pk=user.pk)
    address = _check_token(current, token)
    if current.institutional_email_verified_at is not None:
        return False
    others = User.objects.exclude(pk=current.pk)
    owned_elsewhere = others.filter(
        Q(email__iexact=address)
        | Q(institutional_email__iexact=address, institutional_email_verified_at__isnull=False)
    ).exists()
    if owned_elsewhere:
        raise errors.AddressTaken()
    others.filter(
        institutional_email__iexact=address, institutional_email_verified_at__isnull=True
    ).update(
        institutional_email=None,
        institutional_email_claimed_at=None,
        institutional_email_nonce=_new_nonce(),
    )
    current.institutional_email_verified_at = timezone.now()
    current.institutional_email_claimed_at = None
    current.institutional_email_nonce = _new_nonce()
    try:
        with transaction.atomic():
            current.save(
                update_fields=[
                    "institutional_email_verified_at",
                    "institutional_email_claimed_at",
                    "institutional_email_nonce",
                ]
            )
    except IntegrityError:
        # Another account confirmed the same address at the same moment; the index decided.
        raise errors.AddressTaken() from None
    return True


def lapse_unconfirmed_addresses(*, now: datetime.datetime | None = None) -> int:
    """Remove unconfirmed university addresses whose newest link has expired; returns how many.

    An unconfirmed address never blocks anyone (only confirmed ones are unique), but a claim
    nobody confirmed must not stay in a profile, in searches or in the admin for ever.
    """
    cutoff = (now or timezone.now()) - CONFIRMATION_MAX_AGE
    return (
        get_user_model()
        .objects.filter(
            institutional_email__isnull=False,
            institutional_email_verified_at__isnull=True,
            institutional_email_claimed_at__lt=cutoff,
        )
        .update(
            institutional_email=None,
            institutional_email_claimed_at=None,
            institutional_email_nonce=_new_nonce(),
        )
    )
