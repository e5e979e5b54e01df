"""OpenAPI pieces shared by every endpoint: the error body and the refusals each may answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every refusal: a stable machine-readable ``code`` and a translated ``message``."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `batch_not_draft`.")
    message = serializers.CharField(help_text="Human message in the request's language.")
    errors = serializers.DictField(
        required=False, help_text="Validation errors per field (only with code `invalid`)."
    )
    details = serializers.DictField(required=False, help_text="More about a domain refusal.")


def _error(description: str, code: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description,
        examples=[OpenApiExample(code, value={"code": code, "message": description})],
    )


ERRORS_READ = {
    401: _error("Not logged in, or the token is not valid.", "not_authenticated"),
    403: _error(
        "Not staff of the evaluation's lecture (or CSRF token missing).", "permission_denied"
    ),
    404: _error("No such object (or not one of your lectures').", "not_found"),
    405: _error("Method not allowed.", "method_not_allowed"),
    406: _error("Only JSON can be returned.", "not_acceptable"),
    429: _error("Too many requests; try again later.", "throttled"),
}
ERRORS_WRITE = {
    **ERRORS_READ,
    400: _error("The input is not valid (or the body is not JSON).", "invalid"),
    409: _error("The batch is not in a state that allows this.", "batch_not_draft"),
    413: _error("The request body is too large.", "payload_too_large"),
    415: _error("Only application/json is accepted.", "unsupported_media_type"),
}
