"""Creating and editing academies (administrators only; audited)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms import audit
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import Academy, Membership, User


def list_academies() -> list[tuple[Academy, int]]:
    """Every academy with its number of members, in one query."""
    members = func.count(func.distinct(Membership.user_id))
    rows = db.session.execute(
        select(Academy, members)
        .outerjoin(Membership, Membership.academy_id == Academy.id)
        .group_by(Academy.id)
        .order_by(Academy.name)
    )
    return [(academy, count) for academy, count in rows]


def save_academy(actor: User, academy: Academy | None, *, name: str, slug: str, country: str) -> Academy:
    """Create an academy (``academy`` None) or change one; the short name must be unique."""
    clash = db.session.scalar(select(Academy.id).where(Academy.slug == slug))
    if clash is not None and (academy is None or clash != academy.id):
        raise DomainError(_("Another academy already uses this short name."), field="slug")
    created = academy is None
    academy = academy or Academy()
    academy.name, academy.slug, academy.country = name.strip(), slug, country
    db.session.add(academy)
    db.session.flush()
    audit.record(
        "academy.created" if created else "academy.changed",
        actor=actor,
        obj=academy,
        academy_id=academy.id,
        details={"name": academy.name, "slug": slug},
    )
    db.session.commit()
    return academy
