"""API tokens: an academy's system calls ``/api/v1`` with one of these.

Invariants:
- Only the SHA-256 of a token is stored; the raw value is shown once, when it is made. ``prefix`` (the first
  characters of the raw value) is what the pages show so a registrar can tell tokens apart.
- A token belongs to one academy and sees nothing of any other; ``scope`` is ``read`` or ``write`` (write
  includes read).
- A revoked token is never valid again (``revoked_at`` set, never cleared). A token works only while the
  registrar who made it still manages its academy (see :meth:`ApiToken.usable`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models import Academy, User, UserStatus
from lms.models.base import UTCDateTime, utcnow

SCOPES = ("read", "write")


class ApiToken(db.Model):
    __tablename__ = "records_api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(8), default="read")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))

    academy: Mapped[Academy] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def usable(self) -> bool:
        """Not revoked, and its creator is still an active registrar of the academy (or an administrator): a
        token never outlives the authority of the person who made it."""
        creator = self.created_by
        if self.revoked_at is not None or creator is None or creator.status != UserStatus.ACTIVE:
            return False
        return creator.is_admin or "registrar" in creator.roles_in(self.academy_id)

    def user_can_manage(self, user: User) -> bool:
        """Registrars of the token's academy (and administrators) see and revoke it."""
        return user.is_authenticated and (user.is_admin or "registrar" in user.roles_in(self.academy_id))
