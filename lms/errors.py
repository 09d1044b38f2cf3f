"""Friendly error pages (and JSON errors under /api/)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, title: str, message: str):
    if _wants_json():
        return jsonify({"error": {"code": str(code), "message": message, "field": None}}), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def init_app(app: Flask) -> None:
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
