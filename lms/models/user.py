"""Users, their academy memberships (roles), one-time tokens and two-factor recovery codes."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Enum, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.academy import Academy
from lms.models.base import UTCDateTime, utcnow

PROFESSIONS = {
    "police_officer": _l("Police officer"),
    "prosecutor": _l("Prosecutor"),
    "judge": _l("Judge"),
    "social_worker": _l("Social worker"),
    "teacher": _l("Teacher"),
    "school_psychologist": _l("School psychologist or pedagogue"),
    "other": _l("Other"),
}

COUNTRIES = {
    "AL": _l("Albania"),
    "BA": _l("Bosnia and Herzegovina"),
    "HR": _l("Croatia"),
    "XK": _l("Kosovo"),
    "ME": _l("Montenegro"),
    "MK": _l("North Macedonia"),
    "RS": _l("Serbia"),
    "other": _l("Other"),
}

# Roles held in an academy. "administrator" is platform-wide and kept on the user.
ROLES = {
    "learner": _l("Learner"),
    "trainer": _l("Trainer"),
    "registrar": _l("Registrar"),
    "administrator": _l("Administrator"),
}
ACADEMY_ROLES = ("learner", "trainer", "registrar")
ACADEMY_ROLES_WITH_ADMIN = (*ACADEMY_ROLES, "administrator")


class UserStatus(enum.StrEnum):
    PENDING = "pending"  # self-registered, waiting for a registrar's approval
    INVITED = "invited"  # created by a registrar, has not yet set a password
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class User(db.Model):
    __tablename__ = "lms_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # Kept exactly as written, in its own script: Đorđe Čolić, Ђорђе Чолић, Ëndrit Hoxha.
    display_name: Mapped[str] = mapped_column(String(200))
    # The script the user's certificates spell the name in: "" as written, "Latn" or "Cyrl" (Serbian users, who
    # may write in one script and want certificates in the other; see lms.names).
    certificate_script: Mapped[str] = mapped_column(String(4), default="", server_default="")
    # The official spelling a registrar set when it differs from the name as written (a passport, a diploma):
    # it wins over the name and the script; "" none.
    certificate_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    profession: Mapped[str] = mapped_column(String(32), default="other")
    country: Mapped[str] = mapped_column(String(8), default="other")
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[UserStatus] = mapped_column(
        Enum(UserStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=UserStatus.ACTIVE,
    )
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped to end every session of the user: it is part of the session identity (see get_id()).
    session_version: Mapped[int] = mapped_column(default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The last TOTP time step accepted, so one code cannot be replayed.
    totp_last_step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when an administrator anonymised the account (lms.privacy): its personal data is erased, the row stays
    # so that attempts and certificates keep their link; the status is DEACTIVATED, so it cannot sign in.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol -------------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    # Roles and permission predicates ------------------------------------------------------------------
    def roles_in(self, academy_id: int) -> set[str]:
        return {m.role for m in self.memberships if m.academy_id == academy_id}

    def has_role(self, role: str, academy_id: int | None = None) -> bool:
        """True when the user holds ``role`` (in ``academy_id`` if given); administrators hold every role."""
        if self.is_admin:
            return True
        if role == "administrator":
            return False
        return any(m.role == role and academy_id in (None, m.academy_id) for m in self.memberships)

    def academy_ids(self, role: str | None = None) -> set[int]:
        """Academies where the user holds ``role`` (any role when None)."""
        return {m.academy_id for m in self.memberships if role is None or m.role == role}

    def can_manage_users_of(self, academy_id: int) -> bool:
        return self.is_admin or "registrar" in self.roles_in(academy_id)

    def can_manage(self, other: User) -> bool:
        """Administrators manage everyone; a registrar manages users who belong to one of their academies."""
        if self.is_admin:
            return True
        if other.is_admin:
            return False
        return bool(self.academy_ids("registrar") & other.academy_ids())

    @property
    def role_names(self) -> set[str]:
        names = {m.role for m in self.memberships}
        if self.is_admin:
            names.add("administrator")
        return names

    @property
    def needs_two_factor(self) -> bool:
        from flask import current_app

        required = set(current_app.config["LMS_TWO_FACTOR_ROLES"])
        return bool(required & self.role_names)

    @classmethod
    def find_by_login(cls, login: str) -> User | None:
        login = login.strip()
        column = cls.email if "@" in login else cls.username
        return db.session.scalar(select(cls).where(column == login.lower()))

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Membership(db.Model):
    __tablename__ = "lms_membership"
    __table_args__ = (UniqueConstraint("user_id", "academy_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    academy: Mapped[Academy] = relationship(lazy="joined")


class OneTimeToken(db.Model):
    """A one-use, time-limited token (password reset, invitation). Only its SHA-256 is stored."""

    __tablename__ = "lms_one_time_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A one-use two-factor recovery code (80 random bits); only its SHA-256 is stored."""

    __tablename__ = "lms_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
