"""Friendly error pages (and JSON errors under /api/)."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Seconds a client (or a proxy) is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 5
# What the database layer raises when the server cannot be reached or cut the connection (psycopg's
# OperationalError covers refused connections, a server shutting down, one still starting, a statement timeout).
DATABASE_ERRORS = (OperationalError, InterfaceError)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, title: str, message: str):
    if _wants_json():
        return jsonify({"error": {"code": str(code), "message": message, "field": None}}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def database_unavailable(exc: Exception):
    """The 503 answer while the database cannot be reached (restarting, failing over, out of connections): a
    passing outage, not a bug, so clients and proxies are told to retry; the pool's pre-ping reconnects once the
    server is back, without a restart of the app. (Blueprints with a catch-all handler, like the API's, call
    this for database errors.)

    Nothing here may touch the database again: the session is rolled back (its connection is gone anyway) and
    the visitor is taken as signed out for the rest of the request, since loading the account needs a query.
    A page that still cannot be drawn falls back to plain text rather than to a bare 500."""
    from lms.extensions import db

    log.warning("database unavailable, answering 503: %s", _first_line(exc))
    with contextlib.suppress(Exception):  # the connection is known to be broken: rolling back is best effort
        db.session.rollback()
    g._login_user = current_app.login_manager.anonymous_user()
    title = _("Temporarily unavailable")
    message = _("The site cannot reach its database just now. Your saved work is safe; please try again in a moment.")
    try:
        response = make_response(_render(503, title, message))
    except Exception:
        log.exception("the 503 page could not be drawn")
        response = make_response(f"{title}\n\n{message}\n", 503, {"Content-Type": "text/plain; charset=utf-8"})
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"  # a passing state: no cache may keep it
    return response


def _first_line(exc: Exception) -> str:
    """The driver's own message, first line (for instance "connection refused"), for a one-line warning."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"


def _end_session(_exc: BaseException | None) -> None:
    """Close the request's database session (before Flask-SQLAlchemy's own teardown, which then finds nothing
    to do). A server that cuts the connection just as the request ends (a restart) makes the closing ROLLBACK
    fail; the answer is already made, so instead of a 500 the connection is dropped and the next request gets a
    fresh one."""
    from lms.extensions import db

    try:
        db.session.remove()
    except DATABASE_ERRORS as exc:
        log.warning("database connection lost as the request ended: %s", _first_line(exc))
        db.session().invalidate()  # drop the connection without a ROLLBACK the server can no longer take
        db.session.remove()


def init_app(app: Flask) -> None:
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, database_unavailable)
    app.teardown_appcontext(_end_session)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return _render(
            400,
            _("The form has expired"),
            _("Your session changed since this page was opened. Go back, reload the page and try again."),
        )

    @app.errorhandler(403)
    def forbidden(exc):
        return _render(403, _("Not allowed"), _("Your account does not have access to this page."))

    @app.errorhandler(404)
    def not_found(exc):
        return _render(404, _("Page not found"), _("There is no page at this address, or you cannot see it."))

    @app.errorhandler(429)
    def too_many(exc):
        return _render(
            429, _("Too many attempts"), _("Too many requests in a short time. Wait a minute and try again.")
        )

    @app.errorhandler(500)
    def server_error(exc):
        return _render(
            500,
            _("Something went wrong"),
            _("The error has been logged. Your saved work is safe; please try again in a moment."),
        )

    @app.errorhandler(HTTPException)
    def other_http(exc: HTTPException):
        return _render(exc.code or 500, exc.name, exc.description or "")
