"""Who a log line is about: the request id (``X-Request-ID``) and the Celery task id.

``RequestIdMiddleware`` takes a well-formed ``X-Request-ID`` from the proxy (or makes one up),
answers with it and keeps it in a context variable for the request. A log record factory puts
``request_id`` and ``task_id`` on every record ("-" outside a request or task), so every handler
sees them, the test's ``caplog`` included; ``JsonFormatter`` writes one JSON object per record
(``LOG_FORMAT=json``), the traceback inside it.
"""

import contextvars
import datetime
import json
import logging
import re
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Letters, digits and ._:- only, at most 128 characters: whatever a proxy sends cannot forge
# log lines (no line breaks, quotes or spaces) or blow them up.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _current_task_id() -> str:
    from celery import current_task

    task = current_task._get_current_object() if current_task else None
    task_id = getattr(getattr(task, "request", None), "id", None) if task else None
    return task_id or "-"


_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    record.task_id = _current_task_id()
    return record


def _forget_request_id(**kwargs) -> None:
    request_id_var.set("-")


def install_record_factory() -> None:
    """Called once at start-up (``MampfConfig.ready``); idempotent."""
    from django.core.signals import request_finished, request_started

    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)
    # The id stays set until the response is closed: Django logs a 4xx only after the
    # middleware returned. A new request in the same thread starts without the old one's id.
    request_started.connect(_forget_request_id, dispatch_uid="mampf.log_context.started")
    request_finished.connect(_forget_request_id, dispatch_uid="mampf.log_context.finished")


class RequestContextFilter(logging.Filter):
    """For records made before the factory was installed (or by a foreign factory)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "task_id"):
            record.task_id = _current_task_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON line per record; a traceback is the ``exc`` field, never extra lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        task_id = getattr(record, "task_id", "-")
        if task_id != "-":
            entry["task_id"] = task_id
        if getattr(record, "status_code", None):
            entry["status"] = record.status_code
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIdMiddleware:
    """Outermost: every response carries ``X-Request-ID``, every log line of the request too."""

    header = "HTTP_X_REQUEST_ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(self.header, "")
        request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request_id_var.set(request_id)  # cleared by request_finished (install_record_factory)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
