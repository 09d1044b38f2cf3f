"""Looking certificates up by their code, what verification shows (and nothing more), and revocation, which
marks a certificate revoked with its date and reason and never deletes anything."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from certificates.codes import format_code, normalize_code
from certificates.models import Certificate, Status
from lms import audit, signals
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import User
from lms.models.base import utcnow

MAX_REASON = 1000


def find_by_code(text: str | None) -> Certificate | None:
    """The certificate a typed, scanned or printed code names, or None."""
    code = normalize_code(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def verify_url(certificate: Certificate) -> str:
    """The public address printed (and in the QR code) on the certificate: ``LMS_BASE_URL/verify/<code>``."""
    return f"{current_app.config['LMS_BASE_URL'].rstrip('/')}/verify/{format_code(certificate.code)}"


def hours_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def verification(certificate: Certificate, today: date | None = None) -> dict[str, Any]:
    """What anyone holding the code may know: status, holder's name, course, academy, hours and dates. No other
    personal data (no e-mail, no account, no grades)."""
    status = certificate.status(today or utcnow().date())
    return {
        "code": format_code(certificate.code),
        "serial": certificate.serial,
        "status": status.value,
        "holder": certificate.holder_name,
        "course": certificate.course_title,
        "academy": certificate.academy_name,
        "credit_hours": hours_number(Decimal(certificate.credit_hours)),
        "issued_on": certificate.issued_on.isoformat(),
        "expires_on": certificate.expires_on.isoformat() if certificate.expires_on else None,
        "revoked_on": certificate.revoked_at.date().isoformat() if certificate.revoked_at else None,
        "revocation_reason": certificate.revocation_reason if status == Status.REVOKED else None,
    }


def revoke_certificate(actor: User | None, certificate: Certificate, reason: str) -> Certificate:
    """A registrar of the issuing academy revokes a certificate, giving the reason that verification will show.
    The record stays; the revocation is audited. ``actor`` None: the command line."""
    if actor is not None and not certificate.user_can_revoke(actor):
        raise NotFoundError(_("No such certificate."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Give the reason for the revocation: verification shows it."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("At most %(n)d characters.", n=MAX_REASON), field="reason")
    if certificate.revoked_at is not None:
        raise DomainError(
            _("The certificate was already revoked on %(date)s.", date=certificate.revoked_at.date().isoformat())
        )
    certificate.revoked_at = utcnow()
    certificate.revocation_reason = reason
    certificate.revoked_by_id = actor.id if actor is not None else None
    audit.record(
        "certificates.revoked",
        actor=actor,
        obj=certificate,
        academy_id=certificate.academy_id,
        details={"serial": certificate.serial, "holder": certificate.holder_name, "reason": reason},
    )
    db.session.commit()
    signals.certificate_revoked.send(current_app._get_current_object(), certificate=certificate, actor=actor)
    return certificate
