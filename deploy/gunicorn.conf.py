"""gunicorn settings for the LMS: ``gunicorn -c deploy/gunicorn.conf.py 'lms:create_app()'`` (docs/deploy.md).

Every number can be changed from the environment (``GUNICORN_*``), so the systemd unit and compose.yaml need
no copy of this file. The access log is one JSON object per line on stdout, with the request id that nginx
sent (or the app made) so that nginx's, gunicorn's and the app's lines of one request can be joined.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# 2 x cores + 1 processes (one waits on the database while another computes), capped: each process holds its
# own database pool (LMS_DB_POOL_SIZE + LMS_DB_MAX_OVERFLOW connections) and up to LMS_ARGON2_CONCURRENCY x
# 64 MiB while hashing passwords, so a large machine must not open more than PostgreSQL's max_connections.
workers = _int("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, _int("GUNICORN_MAX_WORKERS", 8)))
# Threads let a process serve other requests while one waits for the database or a file.
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"

# A request running longer than this is killed (the worker restarts). Bulk work runs as jobs in `lms worker`,
# so no page needs more; nginx's proxy_read_timeout is set a little longer so gunicorn's limit shows first.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On restart or SIGTERM, requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Restarting a process now and then bounds slow memory growth; the jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# gunicorn 25+ opens a control socket in the home folder; nothing here uses it, and under systemd's ProtectHome
# there is no home to write to. (Older versions ignore the name.)
control_socket_disable = True

# Each process builds its own app (no preload): database and Redis connections are never shared across fork.
preload_app = False

# Addresses whose X-Forwarded-Proto gunicorn believes (the reverse proxy). The app's LMS_PROXY_FIX decides the
# same for the client address and host.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log: "-" is stdout; GUNICORN_ACCESSLOG=off turns it off (the app's json log has a line per request).
_accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
accesslog = None if _accesslog.lower() in ("", "off", "none") else _accesslog
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")


class JsonLogger(Logger):
    """gunicorn's logger with a JSON access line (and, with LMS_LOG_FORMAT=json, JSON error lines too)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if os.environ.get("LMS_LOG_FORMAT", "").strip().lower() == "json":
            from lms.logs import JsonFormatter

            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        from lms.logs import clean_request_id, redact_path

        atoms = self.atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{atoms['m']} {path} {atoms['s']}",
            "request_id": clean_request_id(atoms.get("{x-request-id}o")),
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": path,
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 1),
            "user_agent": atoms["a"],
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:  # a log line that cannot be written must not fail the request
            self.exception("access log")


logger_class = JsonLogger
