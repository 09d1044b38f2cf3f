"""Authentication use cases. Each commits its own transaction; signals are sent after the commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from lms import audit, signals, tokens, twofactor
from lms.exceptions import DomainError
from lms.extensions import db
from lms.mail import send_mail
from lms.models import Academy, Membership, User, UserStatus
from lms.models.base import utcnow
from lms.passwords import hash_password, needs_rehash, password_problem, verify_password
from lms.urls import absolute_url

RESET = "password-reset"
INVITATION = "invitation"


@dataclass
class SignInResult:
    user: User | None
    pending_approval: bool = False


def authenticate(login: str, password: str) -> SignInResult:
    """Check a sign-in name (or e-mail) and password. Failures are audited; the caller shows one message."""
    user = User.find_by_login(login)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user.status == UserStatus.PENDING:
        return SignInResult(None, pending_approval=True)
    if not ok or not user.is_active:
        audit.record(
            "auth.login_failed",
            actor=user,
            actor_label=user.email if user else "",
            details={"login": login[:100], "reason": "password" if user and not ok else "account"},
        )
        db.session.commit()
        return SignInResult(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return SignInResult(user)


def complete_sign_in(user: User, method: str) -> None:
    """Record a successful sign-in (password alone, or with TOTP or a recovery code)."""
    user.last_login_at = utcnow()
    audit.record("auth.login", actor=user, obj=user, details={"method": method})
    db.session.commit()
    signals.user_signed_in.send(current_app._get_current_object(), user=user)


def second_factor_ok(user: User, code: str) -> str | None:
    """Check a TOTP code or a recovery code; returns the method used, or None (audited) when neither fits."""
    code = code.strip()
    if twofactor.verify_totp(user, code):
        db.session.commit()
        return "totp"
    if len(code.replace("-", "").replace(" ", "")) == 16 and twofactor.use_recovery_code(user, code):
        audit.record("auth.recovery_code_used", actor=user, obj=user)
        db.session.commit()
        return "recovery-code"
    audit.record("auth.login_failed", actor=user, obj=user, details={"reason": "second factor"})
    db.session.commit()
    return None


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of ``user`` (the session version is part of them)."""
    user.session_version += 1


def sign_out(user: User) -> None:
    """Sign out: ends this and every other session of the user."""
    end_all_sessions(user)
    audit.record("auth.logout", actor=user, obj=user)
    db.session.commit()
    signals.user_signed_out.send(current_app._get_current_object(), user=user)


def request_password_reset(email: str) -> None:
    """Mail a one-use reset link when an active account has this e-mail; say nothing either way."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.status not in (UserStatus.ACTIVE, UserStatus.INVITED):
        audit.record("auth.password_reset_requested", details={"email": email[:320], "known": False})
        db.session.commit()
        return
    hours = current_app.config["LMS_RESET_TOKEN_HOURS"]
    raw = tokens.issue_token(user, RESET, timedelta(hours=hours))
    audit.record("auth.password_reset_requested", actor=user, obj=user, details={"known": True})
    db.session.commit()
    with force_locale(user.language or "en"):
        body = _(
            "Hello %(name)s,\n\nSomeone asked to reset the password of your account. If it was you, open this "
            "link within %(hours)d hours to choose a new password:\n\n%(link)s\n\nIf it was not you, ignore "
            "this message: your password stays as it is.",
            name=user.display_name,
            hours=hours,
            link=absolute_url("auth.reset_password", token=raw),
        )
        send_mail(user.email, _("Reset your password"), body)


def reset_password(raw_token: str, new_password: str) -> User:
    """Set a new password with a reset token; ends every session of the user."""
    token = tokens.find_token(raw_token, RESET)
    if token is None:
        raise DomainError(_("This link is invalid or has expired. Ask for a new one."))
    problem = password_problem(new_password, email=token.user.email, username=token.user.username)
    if problem:
        raise DomainError(problem, field="password")
    user = tokens.consume_token(raw_token, RESET)
    if user is None:
        raise DomainError(_("This link is invalid or has expired. Ask for a new one."))
    user.password_hash = hash_password(new_password)
    if user.status == UserStatus.INVITED:
        user.status = UserStatus.ACTIVE
    end_all_sessions(user)
    audit.record("account.password_reset", actor=user, obj=user)
    db.session.commit()
    return user


def send_invitation(user: User, actor: User | None) -> None:
    """Mail ``user`` a one-use link to choose a password and activate the account (caller commits)."""
    days = current_app.config["LMS_INVITATION_DAYS"]
    raw = tokens.issue_token(user, INVITATION, timedelta(days=days))
    with force_locale(user.language or "en"):
        body = _(
            "Hello %(name)s,\n\nAn account has been created for you on the child-protection training "
            "platform. Open this link within %(days)d days to choose your password:\n\n%(link)s\n\n"
            "Your sign-in name is: %(username)s",
            name=user.display_name,
            days=days,
            link=absolute_url("auth.accept_invitation", token=raw),
            username=user.username,
        )
        send_mail(user.email, _("Your training account"), body)
    audit.record("account.invitation_sent", actor=actor, obj=user)


def accept_invitation(raw_token: str, new_password: str) -> User:
    """Choose a password with an invitation token; the account becomes active."""
    token = tokens.find_token(raw_token, INVITATION)
    if token is None:
        raise DomainError(_("This invitation is invalid or has expired. Ask your registrar for a new one."))
    problem = password_problem(new_password, email=token.user.email, username=token.user.username)
    if problem:
        raise DomainError(problem, field="password")
    user = tokens.consume_token(raw_token, INVITATION)
    if user is None or user.status not in (UserStatus.INVITED, UserStatus.ACTIVE):
        raise DomainError(_("This invitation is invalid or has expired. Ask your registrar for a new one."))
    user.password_hash = hash_password(new_password)
    user.status = UserStatus.ACTIVE
    audit.record("account.invitation_accepted", actor=user, obj=user)
    db.session.commit()
    return user


def register(data: dict, academy: Academy) -> User:
    """Self-registration (when enabled): the account waits for a registrar of ``academy`` to approve it."""
    from lms.accounts.services import check_new_identity

    check_new_identity(data["email"], data["username"])
    problem = password_problem(data["password"], email=data["email"], username=data["username"])
    if problem:
        raise DomainError(problem, field="password")
    user = User(
        username=data["username"].strip().lower(),
        email=data["email"].strip().lower(),
        display_name=data["display_name"].strip(),
        profession=data["profession"],
        country=data["country"],
        language=data.get("language") or None,
        status=UserStatus.PENDING,
        password_hash=hash_password(data["password"]),
    )
    user.memberships.append(Membership(academy=academy, role="learner"))
    db.session.add(user)
    db.session.flush()
    audit.record("account.registered", actor=user, obj=user, academy_id=academy.id)
    db.session.commit()
    signals.user_created.send(current_app._get_current_object(), user=user, actor=None)
    return user
