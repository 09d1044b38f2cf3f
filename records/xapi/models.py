"""An academy's learning record store (LRS) settings and the outbox of xAPI statements sent to it.

Invariants:
- One :class:`LrsSettings` row per academy. The LRS password is stored encrypted (Fernet, with a key derived
  from ``SECRET_KEY``); it is never shown again once saved, only replaced.
- :class:`XapiStatement` is the outbox and the record of what was sent: a statement is added ``pending`` and
  becomes ``sent`` once the LRS accepted it, or ``failed`` when the LRS refused that very statement (a bad
  request, which no retry would change). A failing LRS (down, refusing the credentials) leaves statements
  pending: nothing is lost, the next push sends them. ``statement_id`` is the statement's own deterministic id,
  unique, so the same event is queued once and a re-send is idempotent at the LRS.
"""

from __future__ import annotations

import base64
import enum
import uuid
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models import Academy, User
from lms.models.base import UTCDateTime, utcnow

# A label that makes this key differ from any other key derived from the same SECRET_KEY.
_KEY_PURPOSE = b"records.lrs-password.v1"


class StatementState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode("utf-8") if isinstance(secret, str) else secret
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


class PasswordUnreadableError(Exception):
    """The stored LRS password cannot be decrypted (``SECRET_KEY`` changed since it was saved)."""


class LrsSettings(db.Model):
    __tablename__ = "records_lrs_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"), unique=True)
    endpoint: Mapped[str] = mapped_column(String(500), default="")
    username: Mapped[str] = mapped_column(String(200), default="")
    password_encrypted: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The academy's opt-in to identify learners by e-mail (mbox) rather than by an opaque account name.
    actor_uses_email: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    academy: Mapped[Academy] = relationship(lazy="joined")

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    def set_password(self, password: str) -> None:
        self.password_encrypted = _fernet().encrypt(password.encode("utf-8")).decode("ascii") if password else ""

    def decrypted_password(self) -> str:
        """The decrypted password ("" when none is set)."""
        if not self.password_encrypted:
            return ""
        try:
            return _fernet().decrypt(self.password_encrypted.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise PasswordUnreadableError from exc

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"

    def user_can_manage(self, user: User) -> bool:
        """Registrars of the academy (and administrators) see and change its LRS settings."""
        return user_can_manage_lrs(user, self.academy_id)


def user_can_manage_lrs(user: User, academy_id: int) -> bool:
    """Registrars of ``academy_id`` and administrators manage that academy's LRS settings."""
    return user.is_authenticated and (user.is_admin or "registrar" in user.roles_in(academy_id))


class XapiStatement(db.Model):
    __tablename__ = "records_xapi_statement"
    __table_args__ = (Index("ix_records_xapi_statement_academy_state", "academy_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"), index=True)
    verb: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default=StatementState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
