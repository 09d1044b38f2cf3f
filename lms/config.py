"""Configuration: defaults here, then ``LMS_*`` environment variables, then the instance/ file for secrets.

``create_app(config=...)`` applies a mapping last, which is how tests configure the app.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "LMS_"

# LMS_* variables and the Flask setting each one fills.
ENV_SETTINGS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "PLUGINS": "LMS_PLUGINS",
    "BASE_URL": "LMS_BASE_URL",
    "REDIS_URL": "LMS_REDIS_URL",
    "ENV": "LMS_ENV",
    "SIGNING_KEY": "LMS_SIGNING_KEY",
    "SELF_REGISTRATION": "LMS_SELF_REGISTRATION",
    "MAIL_SERVER": "LMS_MAIL_SERVER",
    "MAIL_PORT": "LMS_MAIL_PORT",
    "MAIL_USERNAME": "LMS_MAIL_USERNAME",
    "MAIL_PASSWORD": "LMS_MAIL_PASSWORD",
    "MAIL_USE_TLS": "LMS_MAIL_USE_TLS",
    "MAIL_SENDER": "LMS_MAIL_SENDER",
    "ARGON2_MEMORY_KIB": "LMS_ARGON2_MEMORY_KIB",
    "ARGON2_TIME_COST": "LMS_ARGON2_TIME_COST",
    "ARGON2_PARALLELISM": "LMS_ARGON2_PARALLELISM",
    "ARGON2_CONCURRENCY": "LMS_ARGON2_CONCURRENCY",
    "LOGIN_RATE_LIMIT": "LMS_LOGIN_RATE_LIMIT",
    "AUDIT_RETENTION_DAYS": "LMS_AUDIT_RETENTION_DAYS",
    "JOB_RUNNER": "LMS_JOB_RUNNER",
    "JOB_STALE_MINUTES": "LMS_JOB_STALE_MINUTES",
    "JOB_RETENTION_DAYS": "LMS_JOB_RETENTION_DAYS",
    "PROXY_FIX": "LMS_PROXY_FIX",
    "DB_POOL_SIZE": "LMS_DB_POOL_SIZE",
    "DB_MAX_OVERFLOW": "LMS_DB_MAX_OVERFLOW",
    "DB_STATEMENT_TIMEOUT_MS": "LMS_DB_STATEMENT_TIMEOUT_MS",
    "DB_PREPARE_THRESHOLD": "LMS_DB_PREPARE_THRESHOLD",
    "LOG_FORMAT": "LMS_LOG_FORMAT",
    "LOG_LEVEL": "LMS_LOG_LEVEL",
}

BOOLEAN_SETTINGS = {"LMS_SELF_REGISTRATION", "LMS_MAIL_USE_TLS"}
INTEGER_SETTINGS = {
    "LMS_MAIL_PORT",
    "LMS_ARGON2_MEMORY_KIB",
    "LMS_ARGON2_TIME_COST",
    "LMS_ARGON2_PARALLELISM",
    "LMS_ARGON2_CONCURRENCY",
    "LMS_AUDIT_RETENTION_DAYS",
    "LMS_JOB_STALE_MINUTES",
    "LMS_JOB_RETENTION_DAYS",
    "LMS_DB_POOL_SIZE",
    "LMS_DB_MAX_OVERFLOW",
    "LMS_DB_STATEMENT_TIMEOUT_MS",
}

DEFAULTS: dict[str, Any] = {
    "LMS_ENV": "production",
    "LMS_PLUGINS": None,  # None: every installed plugin
    "LMS_BASE_URL": "http://127.0.0.1:5000",
    "LMS_REDIS_URL": None,
    "LMS_SIGNING_KEY": None,
    "LMS_SELF_REGISTRATION": False,
    "LMS_MAIL_SERVER": None,
    "LMS_MAIL_PORT": 587,
    "LMS_MAIL_USERNAME": None,
    "LMS_MAIL_PASSWORD": None,
    "LMS_MAIL_USE_TLS": True,
    "LMS_MAIL_SENDER": "lms@localhost",
    # Argon2id (RFC 9106 "second recommended" profile, scaled down for interactive sign-in):
    # 64 MiB, 3 passes, 2 lanes. At most LMS_ARGON2_CONCURRENCY hashes run at once per process,
    # so a burst of sign-ins costs at most 64 MiB x that number of memory.
    "LMS_ARGON2_MEMORY_KIB": 65536,
    "LMS_ARGON2_TIME_COST": 3,
    "LMS_ARGON2_PARALLELISM": 2,
    "LMS_ARGON2_CONCURRENCY": 2,
    "LMS_LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "LMS_TWO_FACTOR_ROLES": ("administrator", "registrar"),
    "LMS_RESET_TOKEN_HOURS": 2,
    "LMS_INVITATION_DAYS": 14,
    # Audit events older than this are deleted by `lms privacy purge` (run daily); 0 or empty keeps them forever.
    "LMS_AUDIT_RETENTION_DAYS": 730,
    # Background jobs (lms/jobs): auto is rq when LMS_REDIS_URL is set, else a thread of the web process.
    "LMS_JOB_RUNNER": "auto",
    # A running job without progress for this long lost its worker; `lms jobs run-due` takes it over.
    "LMS_JOB_STALE_MINUTES": 30,
    # Finished and failed jobs older than this are deleted by `lms privacy purge`; 0 or empty keeps them.
    "LMS_JOB_RETENTION_DAYS": 90,
    "LMS_LANGUAGES": ("en", "bs", "hr", "sr_Latn", "sr_Cyrl", "sq", "mk"),
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Deployment (docs/deploy.md). Behind a reverse proxy, LMS_PROXY_FIX says how many proxies' X-Forwarded-*
    # headers to trust ("1", or "for=1,proto=1,host=1"); unset trusts none, so a client cannot fake its address.
    "LMS_PROXY_FIX": None,
    # PostgreSQL connection pool per process (None: SQLAlchemy's 5 + 10 overflow) and a per-statement time
    # limit, so one runaway query cannot hold a worker and a connection for ever. Ignored on SQLite.
    "LMS_DB_POOL_SIZE": None,
    "LMS_DB_MAX_OVERFLOW": None,
    "LMS_DB_STATEMENT_TIMEOUT_MS": None,
    # psycopg prepares a statement on a connection from its Nth run (None: psycopg's 5); "off" prepares none,
    # for PgBouncer in transaction pooling mode before 1.21 (lms/read_only.py says why it matters).
    "LMS_DB_PREPARE_THRESHOLD": None,
    # text: Flask's default lines; json: one JSON object per line on stderr (lms/logs.py).
    "LMS_LOG_FORMAT": "text",
    "LMS_LOG_LEVEL": "INFO",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "lms_session",
    "REMEMBER_COOKIE_NAME": "lms_remember",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    # The CSRF token lives as long as the session, so a long quiz never loses its token.
    "WTF_CSRF_TIME_LIMIT": None,
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    "RATELIMIT_HEADERS_ENABLED": True,
    # Redis (LMS_REDIS_URL) out of reach: limits go on per process in memory, so signing in never depends on
    # Redis; Flask-Limiter logs one warning per process when it switches, and switches back once Redis answers.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
}


def _coerce(key: str, value: str) -> Any:
    if key in BOOLEAN_SETTINGS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if key in INTEGER_SETTINGS:
        return int(value)
    return value


def _secret_from_instance(app: Flask, filename: str, nbytes: int = 48) -> str:
    """Read a secret from instance/, generating it once (file mode 0600) when absent."""
    path = Path(app.instance_path) / filename
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in the documented order and derive the dependent settings."""
    app.config.update(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "lms.sqlite3")
    for name, key in ENV_SETTINGS.items():
        value = os.environ.get(ENV_PREFIX + name)
        if value not in (None, ""):
            app.config[key] = _coerce(key, value)
    app.config.from_pyfile("lms.cfg", silent=True)
    if overrides:
        app.config.update(overrides)
    if isinstance(app.config["LMS_PLUGINS"], str):
        names = [n.strip() for n in app.config["LMS_PLUGINS"].split(",")]
        app.config["LMS_PLUGINS"] = [n for n in names if n]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_from_instance(app, "secret_key")
    development = app.config["LMS_ENV"] == "development" or app.testing
    # Flask ships its own defaults for these, so only an explicit override may keep them.
    explicit = overrides or {}
    for key, value in (
        ("SESSION_COOKIE_SECURE", not development),
        ("REMEMBER_COOKIE_SECURE", not development),
        ("PREFERRED_URL_SCHEME", "http" if development else "https"),
    ):
        app.config[key] = explicit.get(key, value)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("LMS_REDIS_URL") or "memory://"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"],
        app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        pool_size=app.config["LMS_DB_POOL_SIZE"],
        max_overflow=app.config["LMS_DB_MAX_OVERFLOW"],
        statement_timeout_ms=app.config["LMS_DB_STATEMENT_TIMEOUT_MS"],
        prepare_threshold=app.config["LMS_DB_PREPARE_THRESHOLD"],
    )
    proxy_fix_options(app.config["LMS_PROXY_FIX"])  # a wrong value stops start-up here, with its name


def engine_options(
    url: str,
    base: dict[str, Any],
    *,
    pool_size: int | None = None,
    max_overflow: int | None = None,
    statement_timeout_ms: int | None = None,
    prepare_threshold: int | str | None = None,
) -> dict[str, Any]:
    """SQLAlchemy engine options for ``url``: ``base`` plus the pool, statement timeout and prepared statements
    for PostgreSQL. Raises ValueError when ``prepare_threshold`` is neither a whole number nor "off".

    SQLite gets ``base`` unchanged: its pool classes take no size, and it has no statement timeout. A new dict
    is returned, so the defaults shared by every app in the process are never changed.
    """
    from sqlalchemy.engine import make_url

    options = dict(base)
    if make_url(url).get_backend_name() != "postgresql":
        return options
    if pool_size is not None:
        options["pool_size"] = pool_size
    if max_overflow is not None:
        options["max_overflow"] = max_overflow
    connect_args = dict(options.get("connect_args") or {})
    if statement_timeout_ms:
        # libpq's startup options: the server applies the setting to every statement of the session.
        existing = connect_args.get("options", "")
        connect_args["options"] = f"{existing} -c statement_timeout={int(statement_timeout_ms)}".strip()
    if prepare_threshold not in (None, ""):
        connect_args["prepare_threshold"] = _prepare_threshold(prepare_threshold)
    if connect_args:
        options["connect_args"] = connect_args
    return options


def _prepare_threshold(value: int | str) -> int | None:
    text = str(value).strip().lower()
    if text == "off":
        return None
    if text.isdigit():
        return int(text)
    raise ValueError(f"LMS_DB_PREPARE_THRESHOLD must be a whole number or off, not {value!r}")


PROXY_FIX_KEYS = ("for", "proto", "host", "port", "prefix")


def proxy_fix_options(value: str | int | None) -> dict[str, int] | None:
    """Werkzeug ProxyFix arguments from ``LMS_PROXY_FIX``, or None when unset.

    A number N trusts N proxies for X-Forwarded-For, -Proto and -Host (what deploy/nginx.conf.example sends);
    ``for=1,proto=1,host=1,port=1,prefix=1`` names each header's count. Raises ValueError on anything else.
    """
    if value in (None, "", 0, "0"):
        return None
    text = str(value).strip()
    if text.isdigit():
        n = int(text)
        return {"x_for": n, "x_proto": n, "x_host": n, "x_port": 0, "x_prefix": 0}
    options = dict.fromkeys(("x_" + key for key in PROXY_FIX_KEYS), 0)
    for part in text.split(","):
        key, _, count = part.strip().partition("=")
        if key.strip() not in PROXY_FIX_KEYS or not count.strip().isdigit():
            raise ValueError(
                f"LMS_PROXY_FIX: {part.strip()!r} is not understood; use a number or e.g. 'for=1,proto=1,host=1' "
                f"(keys: {', '.join(PROXY_FIX_KEYS)})"
            )
        options["x_" + key.strip()] = int(count)
    return options
