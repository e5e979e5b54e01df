"""API tokens of staff: create (or replace) and revoke one's own token for scripts.

DRF's ``authtoken`` keeps one token per user; replacing it makes every copy of the old key stop
working at once. Only users who manage a lecture may hold one (the API is for staff).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from mampf import permissions
from mampf.errors import DomainError

log = logging.getLogger("remediation.tokens")


class TokenNotAllowed(DomainError):
    code = "token_not_allowed"
    default_message = _("API tokens are for the staff of a lecture.")


def current_token(*, user) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def create_token(*, user) -> Token:
    """A new key for ``user``; an existing one is revoked first."""
    if not permissions.manages_any_lecture(user):
        raise TokenNotAllowed()
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    log.info("API token created for user %s", user.pk)
    return token


@transaction.atomic
def revoke_token(*, user) -> bool:
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        log.info("API token revoked for user %s", user.pk)
    return bool(deleted)
