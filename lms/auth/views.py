"""Routes of /auth: sign-in (with a second factor when set up), sign-out, password reset, invitations, registration."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from lms import tokens
from lms.auth import services
from lms.auth.forms import ForgotPasswordForm, LoginForm, NewPasswordForm, RegistrationForm, TwoFactorForm
from lms.exceptions import DomainError
from lms.extensions import db, limiter
from lms.i18n import LANGUAGE_NAMES
from lms.models import Academy, User
from lms.security import access, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")

PENDING_KEY = "lms_2fa"
PENDING_SECONDS = 300


def _login_limit() -> str:
    return current_app.config["LMS_LOGIN_RATE_LIMIT"]


def _login_name_key() -> str:
    # A second limit per sign-in name, so one account cannot be guessed at from many addresses.
    return "login:" + (request.form.get("login") or "").strip().lower()[:100]


def _finish(user: User, method: str, remember: bool, target: str | None):
    session.pop(PENDING_KEY, None)
    login_user(user, remember=remember)
    services.complete_sign_in(user, method)
    return redirect(safe_next(target))


@bp.route("/login", methods=["GET", "POST"])
@access("public")
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_name_key)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = services.authenticate(form.login.data, form.password.data)
        if result.pending_approval:
            flash(_("Your registration is waiting for a registrar's approval."), "info")
        elif result.user is None:
            flash(_("The sign-in name or password is not correct, or the account is not active."), "error")
        elif result.user.totp_enabled:
            session[PENDING_KEY] = {
                "uid": result.user.id,
                "ver": result.user.session_version,
                "remember": bool(form.remember.data),
                "next": form.next.data or "",
                "at": time.time(),
            }
            return redirect(url_for("auth.two_factor"))
        else:
            return _finish(result.user, "password", bool(form.remember.data), form.next.data)
    return render_template("auth/login.html", form=form, registration=current_app.config["LMS_SELF_REGISTRATION"])


def _pending_user() -> tuple[User, dict] | None:
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending["uid"])
    if user is None or not user.is_active or user.session_version != pending["ver"]:
        return None
    return user, pending


@bp.route("/two-factor", methods=["GET", "POST"])
@access("public")
@limiter.limit(_login_limit, methods=["POST"])
def two_factor():
    found = _pending_user()
    if found is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    user, pending = found
    form = TwoFactorForm()
    if form.validate_on_submit():
        method = services.second_factor_ok(user, form.code.data)
        if method:
            if method == "recovery-code":
                flash(_("You signed in with a recovery code. Each code works once."), "info")
            return _finish(user, method, pending["remember"], pending["next"])
        flash(_("That code is not correct. Codes change every 30 seconds."), "error")
    return render_template("auth/two_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
@access("login")
def logout():
    services.sign_out(current_user)
    logout_user()
    session.clear()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@access("public")
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash(
            _("If an active account has this address, a link to reset its password is on its way. It works once."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@access("public")
@limiter.limit("10 per minute", methods=["POST"])
def reset_password(token: str):
    if tokens.find_token(token, services.RESET) is None:
        abort(404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as exc:
            form.password.errors.append(exc.message)
        else:
            logout_user()
            flash(
                _("Your password has been changed and every session signed out. Sign in with the new one."),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/new_password.html", form=form, title=_("Choose a new password"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@access("public")
@limiter.limit("10 per minute", methods=["POST"])
def accept_invitation(token: str):
    found = tokens.find_token(token, services.INVITATION)
    if found is None:
        abort(404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(token, form.password.data)
        except DomainError as exc:
            form.password.errors.append(exc.message)
        else:
            flash(_("Welcome! Sign in with your sign-in name %(username)s.", username=user.username), "info")
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/new_password.html", form=form, title=_("Welcome, %(name)s", name=found.user.display_name)
    )


@bp.route("/register", methods=["GET", "POST"])
@access("public")
@limiter.limit("5 per minute;30 per hour", methods=["POST"])
def register():
    if not current_app.config["LMS_SELF_REGISTRATION"]:
        abort(404)
    form = RegistrationForm()
    academies = db.session.scalars(select(Academy).order_by(Academy.name)).all()
    form.academy.choices = [(a.id, a.name) for a in academies]
    if form.validate_on_submit():
        academy = db.session.get(Academy, form.academy.data)
        data = {
            k: getattr(form, k).data for k in ("display_name", "username", "email", "profession", "country", "password")
        }
        data["language"] = session.get("lang") if session.get("lang") in LANGUAGE_NAMES else None
        try:
            services.register(data, academy)
        except DomainError as exc:
            getattr(form, exc.field or "email").errors.append(exc.message)
        else:
            flash(
                _(
                    "Thank you. A registrar of %(academy)s will review your registration.",
                    academy=academy.name,
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)
