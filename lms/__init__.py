"""The LMS core: :func:`create_app` builds the application. Nothing happens at import time."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def create_app(config: dict[str, Any] | None = None, plugins: list[type] | None = None) -> Flask:
    """Build the app: configuration, extensions, core blueprints, then the plugins.

    ``config`` is applied last over defaults, environment and instance file; ``plugins`` (classes) replaces
    entry-point discovery, so a test can load a plugin without installing it.
    """
    from lms import cli, errors, logs, security
    from lms.config import load_config
    from lms.plugins import load_plugins
    from lms.registry import freeze_all

    instance_path = os.environ.get("LMS_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask("lms", instance_path=instance_path, instance_relative_config=True)
    load_config(app, config)
    logs.init_app(app)  # first, so every later hook and log line has the request id
    _init_proxy_fix(app)
    _init_extensions(app)
    security.init_app(app)
    errors.init_app(app)
    _register_core(app)
    cli.init_app(app)
    load_plugins(app, plugins)
    freeze_all(app)
    return app


def _init_proxy_fix(app: Flask) -> None:
    # Behind nginx the client's address and scheme arrive in X-Forwarded-* headers. Trusting them is only safe
    # when a proxy we run sets them, so this is off unless LMS_PROXY_FIX says how many proxies to trust; with it,
    # rate limits key on the real client and url_for(_external=True) builds https links.
    from werkzeug.middleware.proxy_fix import ProxyFix

    from lms.config import proxy_fix_options

    options = proxy_fix_options(app.config.get("LMS_PROXY_FIX"))
    if options:
        app.wsgi_app = ProxyFix(app.wsgi_app, **options)


def _init_extensions(app: Flask) -> None:
    from lms import i18n, read_only
    from lms.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        read_only.install(db.engine)
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_connect)
            event.listen(db.engine, "begin", _sqlite_begin)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    i18n.install_template_gettext(app)
    limiter.init_app(app)
    _show_limiter_warnings(app)
    # Flask-Limiter keeps "enabled" on its one (module-level) object, so the last app initialised would decide
    # for every app in the process; each app's own RATELIMIT_ENABLED decides for its requests instead.
    limiter.enabled = True
    if not getattr(limiter, "_lms_filter", False):
        limiter.request_filter(lambda: not current_app.config.get("RATELIMIT_ENABLED", True))
        limiter._lms_filter = True
    _init_login(app, login_manager)


def _show_limiter_warnings(app: Flask) -> None:
    # Flask-Limiter logs through its own logger, which holds only a NullHandler: without a handler on the root
    # logger (text logs) its one warning that Redis is unreachable and limits went per process would be lost.
    # Flask's handler writes it next to the app's own lines; JSON logs reach it through the root logger.
    import logging

    from flask.logging import default_handler

    limiter_log = logging.getLogger("flask-limiter")
    text_logs = str(app.config.get("LMS_LOG_FORMAT") or "text").strip().lower() == "text"
    if text_logs and default_handler not in limiter_log.handlers:
        limiter_log.addHandler(default_handler)


def _init_login(app: Flask, login_manager) -> None:
    from flask_babel import lazy_gettext as _l

    from lms.extensions import db

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    # "basic": a session copied to another browser keeps working until the user signs out; then the
    # session version changes and every copy stops working (see User.get_id).
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(identity: str):
        try:
            user_id, version = (int(part) for part in identity.split(":", 1))
        except ValueError:
            return None
        # One query for the user and their roles: this runs on every signed-in request.
        user = db.session.scalars(_user_statement(), {"user_id": user_id}).unique().first()
        if user is None or user.session_version != version or not user.is_active:
            return None
        return user


@lru_cache(maxsize=1)
def _user_statement():
    """The signed-in user's query, built once: a statement made anew on every request costs more to build and
    to key for SQLAlchemy's compiled cache than the database takes to answer it."""
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from lms.models import User

    return select(User).options(joinedload(User.memberships)).where(User.id == bindparam("user_id"))


def _sqlite_connect(dbapi_connection, _record) -> None:
    # SQLite enforces foreign keys only when asked, per connection. The driver's own transaction handling
    # is switched off so that SQLAlchemy's BEGIN (below) governs transactions and savepoints correctly.
    # WAL lets readers go on while one connection writes; writers wait up to the busy timeout.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("memory", "wal"):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # IMMEDIATE takes the write lock at the start, so two transactions that read then write queue behind the
    # busy timeout instead of one failing at once with "database is locked" (SQLite's lock-upgrade deadlock).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _register_core(app: Flask) -> None:
    from flask_babel import get_locale
    from flask_babel import lazy_gettext as _l

    from lms import jobs, privacy
    from lms.academies.views import bp as academies_bp
    from lms.accounts.services import count_users_by_status
    from lms.accounts.views import bp as accounts_bp
    from lms.audit.views import bp as audit_bp
    from lms.auth.views import bp as auth_bp
    from lms.cohorts.views import bp as cohorts_bp
    from lms.dashboard import DashboardPanel, add_dashboard_panel
    from lms.i18n import LANGUAGE_NAMES, languages
    from lms.main.views import bp as main_bp
    from lms.models import COUNTRIES, PROFESSIONS, ROLES, UserStatus
    from lms.nav import NavItem, add_nav_item, visible_nav_items

    for bp in (main_bp, auth_bp, accounts_bp, academies_bp, cohorts_bp, audit_bp):
        app.register_blueprint(bp)
    privacy.init_app(app)
    jobs.init_app(app)
    add_nav_item(app, NavItem("dashboard", _l("Dashboard"), "main.dashboard", "login", 10))
    add_nav_item(app, NavItem("users", _l("Users"), "accounts.user_list", "registrar", 80))
    add_nav_item(app, NavItem("cohorts", _l("Cohorts"), "cohorts.cohort_list", "registrar", 82))
    add_nav_item(app, NavItem("academies", _l("Academies"), "academies.academy_list", "admin", 85))
    add_nav_item(app, NavItem("audit", _l("Audit log"), "audit.event_list", "registrar", 90))
    add_dashboard_panel(app, DashboardPanel("account", _l("Your account"), "main/panel_account.html", ("any",), 900))
    add_dashboard_panel(
        app,
        DashboardPanel(
            "registrar",
            _l("People in your academies"),
            "main/panel_registrar.html",
            ("registrar",),
            50,
            lambda user: {"counts": count_users_by_status(user)},
        ),
    )
    statuses = {
        UserStatus.PENDING.value: _l("Waiting for approval"),
        UserStatus.INVITED.value: _l("Invited"),
        UserStatus.ACTIVE.value: _l("Active"),
        UserStatus.DEACTIVATED.value: _l("Deactivated"),
    }

    @app.context_processor
    def layout_context() -> dict[str, Any]:
        return {
            "nav_items": visible_nav_items(app),
            "language_names": {code: LANGUAGE_NAMES[code] for code in languages()},
            "current_locale_code": lambda: str(get_locale()),
            "current_locale_tag": lambda: str(get_locale()).replace("_", "-"),
            "roles": ROLES,
            "statuses": statuses,
            "professions": PROFESSIONS,
            "countries": COUNTRIES,
        }
