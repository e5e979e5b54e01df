"""Logging filters used by ``settings.LOGGING``."""

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (PermissionDenied, answered with 403; a SuspiciousOperation such as a
    foreign Host header, answered with 400) is expected behaviour: it is logged as its one line,
    without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied | SuspiciousOperation):
            record.exc_info = None
            record.exc_text = None
        return True
