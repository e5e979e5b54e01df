"""Single sign-on through the university's OpenID Connect provider (mozilla-django-oidc).

Off unless ``OIDC_RP_CLIENT_ID`` is set; then the login page shows "Log in with your university
account" and the password login stays for guests. Endpoints come from the environment, or from
the provider's discovery document (``OIDC_OP_DISCOVERY_URL``), read once per process and only
when somebody actually signs in through the provider.

Accounts (decision, see docs/architecture.md "Single sign-on"):

- the provider must vouch for the e-mail address (``email_verified`` true), otherwise refused;
- matched by the login address, or by a confirmed institutional address, case-insensitively;
  two different accounts matching is refused (never a guess);
- a staff or superuser account is never signed in through the provider: they keep the password
  login (a provider account with a recycled or forwarded address must not become an admin);
- no match: a new account (login = institutional address, confirmed now, matriculation number
  from ``OIDC_MATRICULATION_CLAIM``); an existing account gets the matriculation number only when
  it has none, and a number held by another account is refused.
"""

import functools
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from mampf.errors import DomainError

logger = logging.getLogger(__name__)

ENDPOINTS = {
    # our setting name -> key in the provider's discovery document
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}


class SingleSignOnRefused(DomainError):
    code = "sso_refused"
    default_message = _(
        "The login through your university account did not succeed. Please try again."
    )


class SsoEmailUnverified(SingleSignOnRefused):
    code = "sso_email_unverified"
    default_message = _(
        "Your university account did not confirm an e-mail address, so we cannot tell which "
        "account is yours. Please log in with your password."
    )


class SsoStaffAccount(SingleSignOnRefused):
    code = "sso_staff_account"
    default_message = _(
        "This address belongs to a staff account, which logs in with its password only."
    )


class SsoAmbiguous(SingleSignOnRefused):
    code = "sso_ambiguous"
    default_message = _(
        "Your university address belongs to more than one account here. Please log in with "
        "your password or ask the staff to merge the accounts."
    )


class SsoMatriculationTaken(SingleSignOnRefused):
    code = "sso_matriculation_taken"
    default_message = _(
        "Your matriculation number is already recorded for another account. Please log in "
        "with that account's password or ask the staff."
    )


class SsoNoAccount(SingleSignOnRefused):
    code = "sso_no_account"
    default_message = _("There is no account for your university address yet.")


class SsoUnavailable(SingleSignOnRefused):
    code = "sso_unavailable"
    default_message = _(
        "The university login cannot be reached right now. Please try again later or log in "
        "with your password."
    )


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


@functools.lru_cache(maxsize=4)
def _discovery(url: str) -> dict:
    import requests  # only when somebody signs in through the provider: a slow import

    response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    return response.json()


def provider_setting(name: str) -> str:
    """An endpoint from the environment, else from the discovery document ("" when neither)."""
    value = getattr(settings, name, "")
    if value or not settings.OIDC_OP_DISCOVERY_URL:
        return value
    return _discovery(settings.OIDC_OP_DISCOVERY_URL).get(ENDPOINTS[name], "")


def clear_discovery_cache() -> None:
    _discovery.cache_clear()


# -- the account service ------------------------------------------------------------------------


def _audit(*, user, flag: int, message: str) -> None:
    LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(user),
        object_id=str(user.pk),
        object_repr=str(user)[:200],
        action_flag=flag,
        change_message=json.dumps([{"sso": message}]),
    )


def _claim_text(claims: dict, name: str) -> str:
    value = claims.get(name) if name else None
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()[:32]


@transaction.atomic
def account_for_claims(*, claims: dict, create: bool = True):
    """The account the provider's verified claims sign in (created when none matches)."""
    if claims.get("email_verified") is not True and settings.OIDC_REQUIRE_VERIFIED_EMAIL:
        raise SsoEmailUnverified()
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise SsoEmailUnverified()
    User = get_user_model()
    matches = list(
        User.objects.select_for_update()
        .filter(
            Q(email__iexact=email)
            | Q(institutional_email__iexact=email, institutional_email_verified_at__isnull=False)
        )
        .order_by("pk")
    )
    matriculation = _claim_text(claims, settings.OIDC_MATRICULATION_CLAIM)
    if len(matches) > 1:
        raise SsoAmbiguous()
    holder = None
    if matriculation:
        holder = User.objects.filter(matriculation_number=matriculation).first()
    if matches:
        user = matches[0]
        if user.is_staff or user.is_superuser:
            raise SsoStaffAccount()
        if matriculation and not user.matriculation_number:
            if holder is not None:
                raise SsoMatriculationTaken()
            user.matriculation_number = matriculation
            user.save(update_fields=["matriculation_number"])
            _audit(user=user, flag=CHANGE, message="matriculation number from the provider")
        return user
    if not create:
        raise SsoNoAccount()
    if holder is not None:
        raise SsoMatriculationTaken()
    name = str(claims.get("name") or "").strip() or " ".join(
        str(part) for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    user = User.objects.create_user(
        email,
        name=(name or email.split("@")[0])[:200],
        matriculation_number=matriculation or None,
        institutional_email=email,
        institutional_email_verified_at=timezone.now(),
    )  # no usable password: this account logs in through the provider (or a reset link)
    _audit(user=user, flag=ADDITION, message="account created at the first university login")
    return user


# -- mozilla-django-oidc glue -------------------------------------------------------------------


class LoginPage(LoginView):
    """The password login, with the university login button above it when configured."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, sso_enabled=sso_enabled())


class UniversityLoginStart(OIDCAuthenticationRequestView):
    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not sso_enabled():
            raise Http404
        import requests

        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except requests.RequestException:
            logger.warning("OIDC: discovery document unreachable", exc_info=True)
            messages.error(request, SsoUnavailable().message)
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class UniversityLoginCallback(OIDCAuthenticationCallbackView):
    """Every refusal comes back to the login page with its reason, never a 400 or 500."""

    def get(self, request):
        if not sso_enabled():
            raise Http404
        import requests

        try:
            return super().get(request)
        except DomainError as exc:
            logger.info("OIDC: login refused (%s)", exc.code)
            messages.error(request, exc.message)
        except SuspiciousOperation as exc:
            logger.warning("OIDC: login refused: %s", exc)
            messages.error(request, SingleSignOnRefused().message)
        except requests.RequestException as exc:
            logger.warning("OIDC: provider unreachable: %s", exc)
            messages.error(request, SsoUnavailable().message)
        return redirect("login")

    def login_failure(self):
        messages.error(self.request, SingleSignOnRefused().message)
        return redirect("login")
