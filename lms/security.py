"""Access rules for every route, security headers and safe redirects.

Every view declares who may use it with :func:`access`. A request to a view that declares nothing is refused
(fail closed), and ``tests/lms/test_access_matrix.py`` fails for any registered route without a rule.

Rules:
- ``public``: anyone, signed in or not;
- ``login``: any signed-in user;
- ``staff``: a trainer or registrar in at least one academy (or an administrator); the view checks the academy;
- ``trainer`` / ``registrar``: a user holding that role in at least one academy (or an administrator); the
  view then checks the academy of the object it loads (another academy's object is a 404);
- ``admin``: administrators only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

RULES = ("public", "login", "staff", "trainer", "registrar", "admin")
F = TypeVar("F", bound=Callable)

# Views a signed-in user who must still set up two-factor sign-in may reach.
TWO_FACTOR_SETUP_ALLOWED = {
    "accounts.two_factor_setup",
    "auth.logout",
    "main.set_language",
    "main.healthz",
    "static",
}


def access(rule: str) -> Callable[[F], F]:
    """Declare who may use a view (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"unknown access rule {rule!r}")

    def decorate(view: F) -> F:
        view.lms_access = rule  # type: ignore[attr-defined]
        return view

    return decorate


def view_rule(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static" or endpoint.endswith(".static"):
        return "public"
    view = app.view_functions.get(endpoint)
    return getattr(view, "lms_access", None)


def _refuse_nul_bytes():
    # No text column of any database we support can hold NUL, and no legitimate form sends one.
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, description="The request holds a NUL character, which is not allowed.")


def _enforce_access():
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: Flask answers 404 by itself
        return None
    rule = view_rule(current_app, endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule: refused", endpoint)
        abort(404)
    if rule == "public":
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.needs_two_factor and not current_user.totp_enabled and endpoint not in TWO_FACTOR_SETUP_ALLOWED:
        return redirect(url_for("accounts.two_factor_setup"))
    if rule == "login":
        return None
    if rule == "admin" and not current_user.is_admin:
        abort(403)
    if rule == "staff" and not (current_user.has_role("trainer") or current_user.has_role("registrar")):
        abort(403)
    if rule in ("trainer", "registrar") and not current_user.has_role(rule):
        abort(403)
    return None


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "frame-src 'self' https://www.youtube-nocookie.com https://player.vimeo.com"
)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if _maybe_signed_in():
        # Pages about people and cases must not linger in shared caches or the back button of a shared PC.
        headers.setdefault("Cache-Control", "no-store")
    return response


def _maybe_signed_in() -> bool:
    """Whether the request is a signed-in user's. When the account was not loaded yet and the database cannot be
    reached to load it (a restart, an outage), the answer is yes, the careful side for Cache-Control; an error
    here would turn any response, even a 503 or a stylesheet, into a 500."""
    from lms.errors import DATABASE_ERRORS

    try:
        return bool(current_user and getattr(current_user, "is_authenticated", False))
    except DATABASE_ERRORS:
        return True


def safe_next(target: str | None, fallback: str = "main.dashboard") -> str:
    """Return ``target`` when it is a path on this site, otherwise the URL of ``fallback``."""
    if target:
        target = target.strip()
        parts = urlsplit(target)
        if (
            target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and not parts.scheme
            and not parts.netloc
            and all(ord(c) >= 32 for c in target)
        ):
            return target
    return url_for(fallback)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_bytes)
    app.before_request(_enforce_access)
    app.after_request(_security_headers)
