"""Two-factor sign-in: TOTP (RFC 6238, authenticator apps) and one-use recovery codes."""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import time

import pyotp
import segno
from sqlalchemy import select, update

from lms.extensions import db
from lms.models import RecoveryCode, User
from lms.models.base import utcnow

ISSUER = "LMS Child Protection"
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg_data_uri(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (a data: URI, no external request)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, dark="#111")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def verify_totp(user: User, code: str, secret: str | None = None, now: float | None = None) -> bool:
    """Check ``code`` against the current time step (+/- one) and refuse a step already used (no replay)."""
    secret = secret or user.totp_secret
    code = "".join(ch for ch in code if ch.isdigit())
    if not secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // totp.interval)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            user.totp_last_step = step
            return True
    return False


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones; return them (shown once)."""
    db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code of ``user``; False when it is unknown or already used."""
    row = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    claimed = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    return claimed == 1


def remaining_recovery_codes(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )
