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
}

BOOLEAN_SETTINGS = {"LMS_SELF_REGISTRATION", "LMS_MAIL_USE_TLS"}
INTEGER_SETTINGS = {
    "LMS_MAIL_PORT",
    "LMS_ARGON2_MEMORY_KIB",
    "LMS_ARGON2_TIME_COST",
    "LMS_ARGON2_PARALLELISM",
    "LMS_ARGON2_CONCURRENCY",
    "LMS_AUDIT_RETENTION_DAYS",
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
    "LMS_LANGUAGES": ("en", "bs", "hr", "sr_Latn", "sr_Cyrl", "sq", "mk"),
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
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
