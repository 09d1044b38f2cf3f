"""Cohorts: named groups of users in an academy (a training class, an intake), used to enrol and report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.academy import Academy
from lms.models.base import UTCDateTime, utcnow


class Cohort(db.Model):
    __tablename__ = "lms_cohort"
    __table_args__ = (UniqueConstraint("academy_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    academy: Mapped[Academy] = relationship(lazy="joined")
    members: Mapped[list[CohortMember]] = relationship(back_populates="cohort", cascade="all, delete-orphan")


class CohortMember(db.Model):
    __tablename__ = "lms_cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("lms_cohort.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user = relationship("User", lazy="joined")
