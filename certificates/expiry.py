"""Expiry: what expires soon (for holders and registrars) and the reminder mails 60 and 14 days before.

A reminder is claimed (a :class:`Reminder` row, unique per certificate and threshold) and committed before the
mail goes out, so two runs at once never send it twice; a mail that fails releases its claim for the next run.
A certificate that has been renewed, or revoked, gets no reminder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from certificates.codes import format_code
from certificates.models import Certificate, Reminder
from certificates.verification import verify_url
from lms.extensions import db
from lms.mail import send_mail
from lms.models import User, UserStatus
from lms.models.base import utcnow

log = logging.getLogger(__name__)

SOON_DAYS = 90
REMINDER_DAYS = (60, 14)


def _not_renewed():
    renewal = aliased(Certificate)
    return ~exists().where(renewal.renews_id == Certificate.id, renewal.revoked_at.is_(None))


def expiring(
    *,
    user: User | None = None,
    academy_ids: set[int] | None = None,
    within_days: int = SOON_DAYS,
    today: date | None = None,
) -> list[Certificate]:
    """Certificates still valid that expire within ``within_days`` and are not renewed, soonest first: a holder's
    (``user``) or those of some academies (``academy_ids``; None with no user: every academy)."""
    today = today or utcnow().date()
    query = (
        select(Certificate)
        .options(joinedload(Certificate.user))
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_on.is_not(None),
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=within_days),
            _not_renewed(),
        )
        .order_by(Certificate.expires_on, Certificate.serial)
    )
    if user is not None:
        query = query.where(Certificate.user_id == user.id)
    if academy_ids is not None:
        query = query.where(Certificate.academy_id.in_(academy_ids or {-1}))
    return list(db.session.scalars(query))


def threshold(days_left: int) -> int | None:
    """The reminder due for a certificate expiring in ``days_left`` days: the smallest threshold not below it
    (a certificate first seen 10 days before expiry gets the 14-day reminder only)."""
    due = [d for d in REMINDER_DAYS if days_left <= d]
    return min(due) if due else None


@dataclass
class ReminderReport:
    sent: list[tuple[str, int]] = field(default_factory=list)  # (serial, days before)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (serial, error)


def _claim(certificate: Certificate, days: int) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(Reminder(certificate_id=certificate.id, days_before=days))
    except IntegrityError:
        return False
    db.session.commit()
    return True


def _message(certificate: Certificate, user: User) -> tuple[str, str]:
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _(
            "Your certificate %(serial)s expires on %(date)s",
            serial=certificate.serial,
            date=certificate.expires_on.isoformat(),
        )
        body = "\n\n".join(
            [
                _("Dear %(name)s,", name=user.display_name),
                _(
                    'your certificate %(serial)s for the course "%(course)s" (%(academy)s) is valid until %(date)s.',
                    serial=certificate.serial,
                    course=certificate.course_title,
                    academy=certificate.academy_name,
                    date=certificate.expires_on.isoformat(),
                ),
                _("To keep it valid, complete the recertification your academy offers before that date."),
                _(
                    "Verification code: %(code)s — %(url)s",
                    code=format_code(certificate.code),
                    url=verify_url(certificate),
                ),
            ]
        )
    return subject, body


def send_reminders(today: date | None = None) -> ReminderReport:
    """Mail each holder whose certificate expires in 60 or fewer days (and again at 14), once per threshold."""
    today = today or utcnow().date()
    report = ReminderReport()
    for certificate in expiring(within_days=max(REMINDER_DAYS), today=today):
        days = threshold((certificate.expires_on - today).days)
        user = certificate.user
        if days is None or user is None or user.status == UserStatus.DEACTIVATED or not _claim(certificate, days):
            continue
        try:
            send_mail(user.email, *_message(certificate, user))
        except Exception as exc:  # SMTP raises many kinds; the claim is released so the next run tries again
            log.exception("reminder for %s not sent", certificate.serial)
            db.session.execute(
                delete(Reminder).where(Reminder.certificate_id == certificate.id, Reminder.days_before == days)
            )
            db.session.commit()
            report.failed.append((certificate.serial, repr(exc)))
        else:
            report.sent.append((certificate.serial, days))
    return report
