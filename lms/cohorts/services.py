"""Cohort use cases, scoped to the registrar's academies (administrators: all). Audited."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms import audit
from lms.accounts.services import managed_academies
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Academy, Cohort, CohortMember, User


def visible_cohorts(actor: User) -> list[tuple[Cohort, int]]:
    """Cohorts of the actor's academies with their member counts (one query)."""
    ids = [a.id for a in managed_academies(actor)]
    rows = db.session.execute(
        select(Cohort, func.count(CohortMember.id))
        .outerjoin(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(Cohort.academy_id.in_(ids or [-1]))
        .group_by(Cohort.id)
        .order_by(Cohort.name)
    )
    return [(cohort, count) for cohort, count in rows]


def get_cohort(actor: User, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not actor.can_manage_users_of(cohort.academy_id):
        raise NotFoundError(_("No such cohort."))
    return cohort


def create_cohort(actor: User, academy: Academy, name: str) -> Cohort:
    if not actor.can_manage_users_of(academy.id):
        raise DomainError(_("You cannot manage users of %(academy)s.", academy=academy.name), field="academy")
    name = name.strip()
    if not name:
        raise DomainError(_("Give the cohort a name."), field="name")
    if db.session.scalar(select(Cohort.id).where(Cohort.academy_id == academy.id, Cohort.name == name)):
        raise DomainError(_("This academy already has a cohort with this name."), field="name")
    cohort = Cohort(academy_id=academy.id, name=name)
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.created", actor=actor, obj=cohort, academy_id=academy.id, details={"name": name})
    db.session.commit()
    return cohort


def add_members(actor: User, cohort: Cohort, lines: str) -> tuple[int, list[str]]:
    """Add the users named (e-mail or sign-in name, one per line); all or nothing. Returns (added, not found)."""
    wanted = [w.strip().lower() for w in lines.splitlines() if w.strip()]
    users = {}
    for user in db.session.scalars(select(User).where(User.email.in_(wanted) | User.username.in_(wanted))):
        if cohort.academy_id in user.academy_ids() or actor.is_admin:
            users[user.email], users[user.username] = user, user
    missing = [w for w in wanted if w not in users]
    if missing:
        return 0, missing
    present = set(db.session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)))
    added = 0
    for user in dict.fromkeys(users[w] for w in wanted):
        if user.id not in present:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
            present.add(user.id)
            added += 1
    audit.record(
        "cohort.members_added", actor=actor, obj=cohort, academy_id=cohort.academy_id, details={"count": added}
    )
    db.session.commit()
    return added, []


def remove_member(actor: User, cohort: Cohort, user_id: int) -> None:
    member = db.session.scalar(
        select(CohortMember).where(CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id)
    )
    if member is None:
        raise NotFoundError(_("No such member."))
    db.session.delete(member)
    audit.record(
        "cohort.member_removed", actor=actor, obj=cohort, academy_id=cohort.academy_id, details={"user_id": user_id}
    )
    db.session.commit()
