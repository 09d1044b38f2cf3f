"""Certificates: accreditations of courses by academies, issued certificates, serial counters, reminders, jobs.

Invariants:
- A certificate is never deleted or edited after issue, except to revoke it (``revoked_at``, its reason and who
  did it). What it certifies (holder's name, course title, hours, curriculum code, academy, signatories) is a
  snapshot taken at issue, so a later rename or an edited accreditation never changes an issued certificate.
- ``code`` (100 random bits, Crockford base32) and ``serial`` (``PREFIX-YEAR-NNNNNN``) are unique; the serial
  numbers of an academy and year run 1, 2, 3 ... without gaps: they are drawn from a
  :class:`SerialCounter` row locked in the issuing transaction.
- At most one certificate per accreditation and ``issue_key`` (``enrolment:<id>`` for a completed enrolment,
  ``manual:<user>:<date>`` for a registrar's issue, ``renews:<certificate>`` for a recertification), which is
  what makes issuing exactly once under concurrency.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course
from lms.extensions import db
from lms.models import Academy, User
from lms.models.base import UTCDateTime, utcnow

TEMPLATES = {
    "classic": _l("Classic: a framed page, signatures side by side"),
    "plain": _l("Plain: no frame, for printing on the academy's own paper"),
}


class Status(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


STATUS_LABELS = {Status.VALID: _l("Valid"), Status.EXPIRED: _l("Expired"), Status.REVOKED: _l("Revoked")}


def certificate_status(revoked_at: datetime | None, expires_on: date | None, today: date) -> Status:
    """Revoked wins over expired; a certificate is valid through its ``expires_on`` day."""
    if revoked_at is not None:
        return Status.REVOKED
    if expires_on is not None and today > expires_on:
        return Status.EXPIRED
    return Status.VALID


class Issuer(db.Model):
    """An academy's certificate settings: the prefix of its serials (unique, so serials never collide)."""

    __tablename__ = "certificates_issuer"

    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"), primary_key=True)
    serial_prefix: Mapped[str] = mapped_column(String(12), unique=True)

    academy: Mapped[Academy] = relationship(lazy="joined")


class SerialCounter(db.Model):
    """The last serial number issued by an academy in a year; locked (SELECT ... FOR UPDATE) to draw the next."""

    __tablename__ = "certificates_serial_counter"

    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Accreditation(db.Model):
    """An academy's accreditation of a course: what its certificates state and when they are issued."""

    __tablename__ = "certificates_accreditation"
    __table_args__ = (
        UniqueConstraint("course_id", "academy_id"),
        CheckConstraint("validity_months IS NULL OR validity_months > 0", name="validity_positive"),
        CheckConstraint("credit_hours >= 0 AND renewal_credit_hours >= 0", name="hours_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A course with certificates cannot be deleted (certificates restrict their accreditation); one without
    # takes its accreditations along.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"), index=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="RESTRICT"), index=True)
    curriculum_code: Mapped[str] = mapped_column(String(64))
    credit_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    validity_months: Mapped[int | None] = mapped_column(Integer)  # None: never expires
    template: Mapped[str] = mapped_column(String(32), default="classic")
    # Beyond the course's own completion rule: every quiz of the course that counts for completion graded at
    # least this (percent).
    min_quiz_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # Recertification: this course is a refresher of that accreditation (its certificates renew those) ...
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificates_accreditation.id", ondelete="SET NULL"))
    # ... or passing this quiz (quizzes_quiz.id; no foreign key, the quizzes plugin is optional) renews a
    # certificate of this accreditation, crediting renewal_credit_hours.
    renewal_quiz_id: Mapped[int | None] = mapped_column(Integer, index=True)
    renewal_credit_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(lazy="joined")
    academy: Mapped[Academy] = relationship(lazy="joined")
    renews: Mapped[Accreditation | None] = relationship(remote_side=[id])
    signatories: Mapped[list[Signatory]] = relationship(
        back_populates="accreditation", order_by="Signatory.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def user_can_manage(self, user: User) -> bool:
        """Registrars of the accrediting academy (and administrators) manage it and issue its certificates."""
        return user.is_authenticated and (user.is_admin or "registrar" in user.roles_in(self.academy_id))


class SignatureImage(db.Model):
    """A signature as a PNG (re-encoded on upload), stored once per content and never changed."""

    __tablename__ = "certificates_signature_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Signatory(db.Model):
    __tablename__ = "certificates_signatory"

    id: Mapped[int] = mapped_column(primary_key=True)
    accreditation_id: Mapped[int] = mapped_column(
        ForeignKey("certificates_accreditation.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("certificates_signature_image.id", ondelete="RESTRICT"))

    accreditation: Mapped[Accreditation] = relationship(back_populates="signatories")


class Certificate(db.Model):
    __tablename__ = "certificates_certificate"
    __table_args__ = (
        UniqueConstraint("accreditation_id", "issue_key"),
        UniqueConstraint("academy_id", "year", "number"),
        Index("ix_certificates_certificate_expires", "expires_on", "revoked_at"),
        Index("ix_certificates_certificate_academy_issued", "academy_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # canonical: 20 Crockford base32 characters
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    accreditation_id: Mapped[int] = mapped_column(
        ForeignKey("certificates_accreditation.id", ondelete="RESTRICT"), index=True
    )
    issue_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # completion | registrar | attendees | cohort | renewal
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses_course.id", ondelete="SET NULL"))
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("courses_enrolment.id", ondelete="SET NULL"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificates_certificate.id", ondelete="RESTRICT"))
    # The snapshot: what the certificate states, as it was at issue.
    holder_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(300))
    course_title_en: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(16))
    academy_name: Mapped[str] = mapped_column(String(200))
    curriculum_code: Mapped[str] = mapped_column(String(64))
    credit_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    template: Mapped[str] = mapped_column(String(32))
    signatories: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # name, title, signature_id
    completed_on: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_on: Mapped[date | None] = mapped_column(Date)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))

    # Not joined: a certificate states everything itself (the snapshot), so showing one needs no other row.
    accreditation: Mapped[Accreditation] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    renews: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[renews_id])

    def status(self, today: date) -> Status:
        return certificate_status(self.revoked_at, self.expires_on, today)

    def user_can_see(self, user: User) -> bool:
        """The holder, registrars of the issuing academy and administrators."""
        if not user.is_authenticated:
            return False
        return user.id == self.user_id or user.is_admin or "registrar" in user.roles_in(self.academy_id)

    def user_can_revoke(self, user: User) -> bool:
        return user.is_authenticated and (user.is_admin or "registrar" in user.roles_in(self.academy_id))


class Reminder(db.Model):
    """An expiry reminder sent (or being sent) for a certificate: one per certificate and threshold."""

    __tablename__ = "certificates_reminder"
    __table_args__ = (UniqueConstraint("certificate_id", "days_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates_certificate.id", ondelete="CASCADE"))
    days_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class Job(db.Model):
    """Legacy history, unused: the bulk issues for a cohort that ran before they moved onto the core job system
    (``lms_job``, kind ``certificates.cohort_issue``, see certificates/jobs.py). Nothing writes or reads the
    ``certificates_job`` table any more; it is kept, without a migration, for the rows it holds."""

    __tablename__ = "certificates_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("lms_academy.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else (100 if self.state == "finished" else 0)
