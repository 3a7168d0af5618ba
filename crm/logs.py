"""Logs an operator can use: JSON lines on standard error, one per request, errors with their
request's id and traceback, and the security events of signing in.

Every line is a JSON object with ``time`` (UTC), ``level``, ``logger`` and ``message``, plus
the request's ``request_id`` when there is one. The request line adds ``method``, ``path``,
``status``, ``ms`` and ``user_id``. The request id comes from a proxy's ``X-Request-ID`` when it
looks like one (letters, digits, ``-``, ``_``, ``.``; at most 64), else a new one, and goes
back in the response's ``X-Request-ID``.

What never reaches a line: query strings (a search term, a filter on a name is personal data),
form fields, passwords, tokens (a calendar feed's address keeps 4 characters,
``crm.calendar.logmask``), e-mail addresses and SQL parameters (SQLAlchemy's echo stays off,
and its errors leave their parameters out: ``hide_parameters``). ``CRM_LOG_FORMAT=text``
gives plain lines for a developer's terminal.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from crm.calendar.logmask import mask

REQUESTS = logging.getLogger("crm.requests")
SECURITY = logging.getLogger("crm.security")
_INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# the fields a record may carry into its line (``extra=``)
FIELDS = ("method", "path", "status", "ms", "user_id", "event", "address", "wait")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        if request_id := getattr(record, "request_id", None):
            line["request_id"] = request_id
        for name in FIELDS:
            if (value := getattr(record, name, None)) is not None:
                line[name] = value
        if record.exc_info:
            line["traceback"] = mask(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class RequestId(logging.Filter):
    """Adds the id of the request being served to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


def _signed_in_id() -> int | None:
    """The id of the user this request was served for, without loading one it did not."""
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def adopt(name: str) -> None:
    """Lines of the library logger ``name`` go out as the app's do (RQ then adds no handler of
    its own to its worker's and scheduler's loggers)."""
    crm, logger = logging.getLogger("crm"), logging.getLogger(name)
    if crm.handlers and not logger.handlers:
        logger.handlers = list(crm.handlers)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def init_logging(app: Flask) -> None:
    """One handler on the ``crm`` logger (the app's and every module's), and the request
    hooks. Tests keep Flask's defaults and pytest's capture."""
    logger = logging.getLogger("crm")
    if not any(isinstance(f, RequestId) for f in logger.filters):
        logger.addFilter(RequestId())  # the app's own records (errors), whatever the handler
    if not app.testing and not any(isinstance(h.formatter, JsonLines) for h in logger.handlers):
        handler = logging.StreamHandler()
        if app.config.get("CRM_LOG_FORMAT", "json") == "json":
            handler.setFormatter(JsonLines())
        handler.addFilter(RequestId())
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False

    adopt("rq")  # the worker's and the scheduler's own lines, in the same format

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        REQUESTS.info(
            "%s %s %s",
            request.method,
            mask(request.path),
            response.status_code,
            extra={
                "method": request.method,
                "path": mask(request.path),
                "status": response.status_code,
                "ms": ms,
                "user_id": _signed_in_id(),
                "request_id": request_id,
            },
        )
        return response


def security_event(
    event: str, user_id: int | None = None, level: int = logging.WARNING, **fields: Any
) -> None:
    """A sign-in success, failure or refusal, with the account's id when there is one and the
    client's address (no e-mail address, never a password)."""
    address = request.remote_addr if has_request_context() else None
    extra = {"event": event, "user_id": user_id, "address": address, **fields}
    SECURITY.log(level, "%s", event, extra=extra)
