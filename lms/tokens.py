"""One-use, time-limited tokens (password reset, invitation). The raw token goes in a link; only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from lms.extensions import db
from lms.models import OneTimeToken, User
from lms.models.base import utcnow


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: str, lifetime: timedelta) -> str:
    """Create a token for ``user`` and return its raw value; earlier unused tokens of that purpose are voided."""
    now = utcnow()
    db.session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.user_id == user.id, OneTimeToken.purpose == purpose, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(OneTimeToken(purpose=purpose, token_hash=_digest(raw), user=user, expires_at=now + lifetime))
    return raw


def find_token(raw: str, purpose: str) -> OneTimeToken | None:
    """The valid (unused, unexpired) token for ``raw``, or None."""
    token = db.session.scalar(
        select(OneTimeToken).where(OneTimeToken.token_hash == _digest(raw), OneTimeToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def consume_token(raw: str, purpose: str) -> User | None:
    """Mark the token used and return its user; None when invalid. Atomic: two concurrent uses, one wins."""
    token = find_token(raw, purpose)
    if token is None:
        return None
    claimed = db.session.execute(
        update(OneTimeToken).where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    return token.user if claimed == 1 else None
