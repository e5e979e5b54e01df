"""The authentication backend of the university login (see mampf.sso); imported only when
``OIDC_RP_CLIENT_ID`` puts it into AUTHENTICATION_BACKENDS (jwt and requests load slowly)."""

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from mampf.sso import ENDPOINTS, account_for_claims, provider_setting, sso_enabled


class UniversityLoginBackend(OIDCAuthenticationBackend):
    """Reads the provider's endpoints only on a provider callback (never on a password login)."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "nonce" not in kwargs or not sso_enabled():
            return None
        for name in ENDPOINTS:
            setattr(self, name, provider_setting(name))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        if not (self.OIDC_OP_TOKEN_ENDPOINT and self.OIDC_OP_JWKS_ENDPOINT):
            raise ImproperlyConfigured("OIDC: token endpoint and JWKS URI are required.")
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """Signature, algorithm, audience (our client id), issuer and expiry: all checked."""
        try:
            header = jwt.get_unverified_header(payload)
            if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
                raise SuspiciousOperation("OIDC: unexpected signing algorithm")
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.OIDC_OP_ISSUER or None,
                leeway=60,
                options={"require": ["exp", "iat", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"OIDC: id_token refused ({exc})") from exc

    def get_userinfo(self, access_token, id_token, payload):
        """The id_token's claims, completed by the userinfo endpoint (same subject only)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("OIDC: userinfo is about another subject")
            claims.update(userinfo)
        return claims

    def verify_claims(self, claims):
        return True  # account_for_claims checks the address and says why it refuses

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        return account_for_claims(claims=claims, create=settings.OIDC_CREATE_USER)
