"""What the certificates plugin holds about a holder, for their data download. Nothing is erased when an account
is anonymised: a certificate states the holder's name as issued and stays verifiable at /verify/<code>."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from certificates.codes import format_code
from certificates.models import Certificate, Reminder
from lms.extensions import db
from lms.models.base import utcnow
from lms.urls import absolute_url


def personal_data(user) -> list[dict[str, Any]]:
    """The certificates issued to the user, as they state it, with their status and the reminders sent (two
    queries). The signatories' names are left out: they are other people's."""
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at, Certificate.id)
    ).all()
    reminders: dict[int, list[dict[str, Any]]] = {}
    for r in db.session.scalars(
        select(Reminder).where(Reminder.certificate_id.in_([c.id for c in certificates] or [-1]))
    ):
        reminders.setdefault(r.certificate_id, []).append({"days_before": r.days_before, "sent_at": r.sent_at})
    today = utcnow().date()
    return [
        {
            "serial": c.serial,
            "code": format_code(c.code),
            "verify_url": absolute_url("certificates.verify", code=format_code(c.code)),
            "holder_name": c.holder_name,
            "course_title": c.course_title,
            "academy": c.academy_name,
            "curriculum_code": c.curriculum_code,
            "credit_hours": c.credit_hours,
            "language": c.language,
            "source": c.source,
            "completed_on": c.completed_on,
            "issued_on": c.issued_on,
            "expires_on": c.expires_on,
            "status": c.status(today).value,
            "revoked_at": c.revoked_at,
            "revocation_reason": c.revocation_reason,
            "reminders": reminders.get(c.id, []),
        }
        for c in certificates
    ]


def init_app(app: Flask) -> None:
    """Register the certificates part of a user's data download."""
    from lms.registry import registry

    registry("personal_data", app).register("certificates", personal_data)
