"""Every refusal of the API as ``{"code", "message"}`` with a 4xx status.

Maps the domain's ``DomainError`` (its stable ``code``, its translated message), Django's 404
and 403, and every DRF error (validation, parse, authentication, method, media type, throttling,
body size). A validation error also carries ``errors``: the messages per field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from mampf.errors import Busy, DomainError

# Refusals that say "not in this state" (the request was fine, the object is not): 409.
CONFLICT_CODES = {
    "busy",
    "batch_not_draft",
    "not_draft",
    "batch_not_applied",
    "not_applied",
    "already_applied",
    "already_reverted",
    "batch_already_reverted",
}

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def error_body(code: str, message, **extra) -> dict:
    return {"code": code, "message": str(message), **extra}


def _first_message(detail) -> str:
    """The first message of a (nested) validation detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _first_message(value)
            if text:
                return text if key == "non_field_errors" else f"{key}: {text}"
        return ""
    if isinstance(detail, list):
        for value in detail:
            text = _first_message(value)
            if text:
                return text
        return ""
    return str(detail)


def domain_status(exc: DomainError) -> int:
    explicit = getattr(exc, "http_status", None)
    if explicit and 400 <= int(explicit) < 500:
        return int(explicit)
    if isinstance(exc, Busy) or exc.code in CONFLICT_CODES:
        return status.HTTP_409_CONFLICT
    if exc.code.endswith("not_found"):
        return status.HTTP_404_NOT_FOUND
    if exc.code in {"permission_denied", "not_allowed", "forbidden"}:
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


def api_exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: never a 5xx for a refusal, always the same body shape."""
    if isinstance(exc, DomainError):
        body = error_body(exc.code, exc)
        if exc.details:
            body["details"] = _plain_details(exc.details)
        return Response(body, status=domain_status(exc))
    if isinstance(exc, Http404):
        return Response(error_body("not_found", _("Not found.")), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body("permission_denied", _("You may not do this.")), status=403)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", _("The request body is too large.")), status=413
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body(
                "invalid",
                _first_message(exc.detail) or _("The input is not valid."),
                errors=exc.detail
                if isinstance(exc.detail, dict)
                else {"non_field_errors": exc.detail},
            ),
            status=400,
        )
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        if code is None:
            code = exc.default_code if isinstance(exc.default_code, str) else "error"
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        status_code = exc.status_code if 400 <= exc.status_code < 500 else 400
        return Response(
            error_body(code, _first_message(exc.detail)), status=status_code, headers=headers
        )
    return None


def _plain_details(details):
    """Domain details as JSON values (lazy strings become text)."""
    if isinstance(details, dict):
        return {str(k): _plain_details(v) for k, v in details.items()}
    if isinstance(details, list | tuple):
        return [_plain_details(v) for v in details]
    if isinstance(details, str | int | float | bool) or details is None:
        return details
    return str(details)
