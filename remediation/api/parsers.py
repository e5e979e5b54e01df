"""A JSON parser that refuses an oversized body before reading it into memory.

Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards ``request.body`` and form data only; DRF's parsers
read the raw stream, so without this a 5 MB (or 5 GB) body would be parsed in full.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = _("The request body is too large.")


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", 1024 * 1024))


class LimitedJSONParser(JSONParser):
    """JSON only, at most ``settings.API_MAX_BODY_BYTES`` bytes (a declared or a streamed body)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            if declared and int(declared) > limit:
                raise PayloadTooLarge()
        except ValueError:
            raise ParseError(_("The Content-Length header is not a number.")) from None
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError):
            raise ParseError(_("The request body is not valid JSON.")) from None


def _no_constant(name):
    """NaN and Infinity are not JSON."""
    raise ValueError(name)
