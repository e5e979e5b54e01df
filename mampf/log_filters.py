"""Logging filters used by ``settings.LOGGING``."""

import logging

from django.core.exceptions import PermissionDenied


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (PermissionDenied, answered with 403) is expected behaviour: it is
    logged as its one warning line, without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
