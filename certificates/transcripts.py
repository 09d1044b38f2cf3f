"""The learner's transcript: every certificate and the CPD hours it credits, per academy and year.

Revoked certificates are listed (marked) and credit nothing; expired ones still credit the hours earned.
Holders see their own transcript; a registrar sees the certificates of their academies' learners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from certificates.models import Certificate
from lms.exceptions import NotFoundError
from lms.extensions import db
from lms.models import User
from lms.models.base import utcnow


@dataclass
class TranscriptGroup:
    academy: str
    year: int
    certificates: list[Certificate] = field(default_factory=list)
    hours: Decimal = Decimal("0")


@dataclass
class Transcript:
    holder: User
    groups: list[TranscriptGroup]
    today: date

    @property
    def total_hours(self) -> Decimal:
        return sum((g.hours for g in self.groups), Decimal("0"))

    @property
    def certificates(self) -> list[Certificate]:
        return [c for g in self.groups for c in g.certificates]


def transcript(holder: User, academy_ids: set[int] | None = None, today: date | None = None) -> Transcript:
    """``holder``'s certificates (only those of ``academy_ids`` when given) grouped by academy and year of
    completion, newest year first, in one query."""
    query = select(Certificate).where(Certificate.user_id == holder.id)
    if academy_ids is not None:
        query = query.where(Certificate.academy_id.in_(academy_ids or {-1}))
    rows = db.session.scalars(
        query.order_by(Certificate.academy_name, Certificate.completed_on.desc(), Certificate.serial)
    ).all()
    groups: dict[tuple[str, int], TranscriptGroup] = {}
    for certificate in rows:
        key = (certificate.academy_name, certificate.completed_on.year)
        group = groups.setdefault(key, TranscriptGroup(*key))
        group.certificates.append(certificate)
        if certificate.revoked_at is None:
            group.hours += Decimal(certificate.credit_hours)
    ordered = sorted(groups.values(), key=lambda g: (g.academy, -g.year))
    return Transcript(holder, ordered, today or utcnow().date())


def registrar_scope(actor: User) -> set[int] | None:
    """The academies whose certificates ``actor`` sees as a registrar (None: all, for administrators)."""
    return None if actor.is_admin else actor.academy_ids("registrar")


def learner_for(actor: User, user_id: int) -> User:
    """A learner whose transcript ``actor`` may read as a registrar: a member of one of their academies, or the
    holder of one of their academies' certificates. Anyone else is not found."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("No such learner."))
    if actor.is_admin or actor.can_manage(user):
        return user
    scope = registrar_scope(actor) or set()
    held = db.session.scalar(
        select(Certificate.id).where(Certificate.user_id == user.id, Certificate.academy_id.in_(scope or {-1})).limit(1)
    )
    if held is None:
        raise NotFoundError(_("No such learner."))
    return user


PAGE_SIZE = 100


def search_issued(
    actor: User, *, accreditation_id: int | None = None, q: str = "", page: int = 1
) -> tuple[list[Certificate], int]:
    """Certificates of ``actor``'s academies (every academy for administrators), newest first, filtered by
    accreditation and by a holder's name or serial; one page and the total."""
    scope = registrar_scope(actor)
    query = select(Certificate)
    if scope is not None:
        query = query.where(Certificate.academy_id.in_(scope or {-1}))
    if accreditation_id:
        query = query.where(Certificate.accreditation_id == accreditation_id)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(func.lower(Certificate.holder_name).like(like), func.lower(Certificate.serial).like(like))
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total
