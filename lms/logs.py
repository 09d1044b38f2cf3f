"""Logs: a request id on every request, and with ``LMS_LOG_FORMAT=json`` one JSON object per line.

The request id comes from the ``X-Request-ID`` header when it is a short token (the reverse proxy sets it, so
its access log, gunicorn's and the app's lines share one id), otherwise a new one is made; it goes back in the
``X-Request-ID`` response header. In ``json`` mode every record is written to stderr as::

    {"time": "2025-05-01T10:00:00.123+00:00", "level": "INFO", "logger": "lms.request", "message": "GET / 200",
     "request_id": "...", "method": "GET", "path": "/", "user_id": 7, "status": 200, "duration_ms": 12.5}

and each request ends with one such ``lms.request`` line. Only the user's id is logged, never an e-mail or a
name, and the secret part of sign-in links (``/auth/reset/<token>``) is blanked. stderr, not stdout: a command's
``--json`` output on stdout stays one clean document.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
FORMATS = ("text", "json")
# What a proxy may hand over as a request id: nginx's $request_id (32 hex digits), a UUID, a short token.
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths whose last part is a secret (a password-reset or invitation token): logs keep the route, not the key.
_SECRET_PATH_RE = re.compile(r"^(/auth/(?:reset|invitation)/)[^/?]+")
# Record attributes copied into the JSON object when present (request fields and ``extra=`` values).
CONTEXT_FIELDS = ("request_id", "method", "path", "user_id", "status", "duration_ms", "job_id")

request_log = logging.getLogger("lms.request")


def clean_request_id(value: str | None) -> str | None:
    """``value`` when it is an acceptable request id, else None (a log line must not carry what a client
    chose to inject: new lines, quotes, kilobytes)."""
    if value and _REQUEST_ID_RE.match(value):
        return value
    return None


def new_request_id() -> str:
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


def redact_path(path: str) -> str:
    """``path`` with the token of a sign-in link blanked (``/auth/reset/<token>``)."""
    return _SECRET_PATH_RE.sub(r"\1<token>", path)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the context fields present,
    and the traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestContextFilter(logging.Filter):
    """Adds the request's id, method, path and user id to records logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            for key, value in _request_fields().items():
                if getattr(record, key, None) is None:
                    setattr(record, key, value)
        return True


def _request_fields() -> dict[str, object]:
    # The user only if Flask-Login already loaded them for this request: logging must not cost a query.
    user = g.get("_login_user")
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": redact_path(request.path),
        "user_id": user_id,
    }


def json_handler(stream=None) -> logging.Handler:
    """A handler writing JSON lines (to stderr by default) with the request fields."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.lms_json = True  # type: ignore[attr-defined]
    return handler


def configure_json_logging(level: str = "INFO") -> None:
    """Send every logger's records through one JSON handler on the root logger.

    Logging is per process, not per app: a second app in the process (tests, ``lms`` commands) replaces the
    handler instead of adding another, so a line is never written twice.
    """
    from flask.logging import default_handler

    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "lms_json", False)]:
        root.removeHandler(handler)
    root.addHandler(json_handler())
    root.setLevel(level.upper())
    # Flask's own handler on the app's logger would write each app line a second time, as text.
    logging.getLogger("lms").removeHandler(default_handler)


def init_app(app: Flask) -> None:
    """Give every request an id (and its response the header); in json mode, configure JSON logging and log
    one line per request. Called first in create_app, so every later hook and log line sees the id."""
    log_format = str(app.config["LMS_LOG_FORMAT"]).strip().lower()
    if log_format not in FORMATS:
        raise ValueError(f"LMS_LOG_FORMAT: {log_format!r} is not one of {', '.join(FORMATS)}")
    json_mode = log_format == "json"
    if json_mode:
        configure_json_logging(str(app.config.get("LMS_LOG_LEVEL") or "INFO"))

    @app.before_request
    def start_request() -> None:
        g.request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        if json_mode and "request_started" in g:
            duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
            request_log.info(
                "%s %s %s",
                request.method,
                redact_path(request.path),
                response.status_code,
                extra={"status": response.status_code, "duration_ms": duration_ms},
            )
        return response
