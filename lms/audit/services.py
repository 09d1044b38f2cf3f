"""Reading the audit log with academy scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import String, cast, func, or_, select

from lms.accounts.services import managed_academies
from lms.extensions import db
from lms.models import AuditEvent, Membership, User

PAGE_SIZE = 100


def _date(value: str | None, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


def visible_events(actor: User, filters: dict, page: int = 1) -> tuple[list[AuditEvent], int]:
    """Events ``actor`` may read, newest first, filtered by action prefix, actor e-mail, academy and dates.

    Administrators read everything. A registrar reads events of their academies and events by or about
    members of those academies.
    """
    query = select(AuditEvent)
    academy_ids = [a.id for a in managed_academies(actor)]
    if not actor.is_admin:
        members = select(Membership.user_id).where(Membership.academy_id.in_(academy_ids or [-1]))
        member_ids = select(cast(Membership.user_id, String)).where(Membership.academy_id.in_(academy_ids or [-1]))
        query = query.where(
            or_(
                AuditEvent.academy_id.in_(academy_ids or [-1]),
                AuditEvent.actor_id.in_(members),
                (AuditEvent.object_type == "User") & AuditEvent.object_id.in_(member_ids),
            )
        )
    if filters.get("action"):
        query = query.where(AuditEvent.action.like(filters["action"].strip() + "%"))
    if filters.get("actor"):
        query = query.where(AuditEvent.actor_label.like("%" + filters["actor"].strip().lower() + "%"))
    if filters.get("academy") in academy_ids:
        query = query.where(AuditEvent.academy_id == filters["academy"])
    if since := _date(filters.get("since")):
        query = query.where(AuditEvent.at >= since)
    if until := _date(filters.get("until"), end=True):
        query = query.where(AuditEvent.at < until)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(events), total
