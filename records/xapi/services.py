"""LRS use cases: the settings of an academy's learning record store (registrars), the connection test, the
outbox (what the receivers queue, what the pages count) and what privacy asks of it (download, erasure, purge).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from lms import audit
from lms.accounts import services as accounts
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Academy, User
from records.xapi import push
from records.xapi import statements as xs
from records.xapi.models import LrsSettings, StatementState, XapiStatement, user_can_manage_lrs

log = logging.getLogger(__name__)

MAX_ID = 2**31 - 1
LAST_ERRORS = 5
JOB_KIND = "records.xapi_push"


# Settings ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LrsFields:
    """What the settings form sends. ``password`` None or "": keep the stored one."""

    endpoint: str
    username: str
    password: str | None
    enabled: bool
    actor_uses_email: bool


def lrs_academies(actor: User) -> list[tuple[Academy, LrsSettings | None]]:
    """The academies whose LRS ``actor`` manages (a registrar's own; all for administrators), with their
    settings (None: never set). Two queries."""
    academies = accounts.managed_academies(actor)
    ids = [a.id for a in academies]
    settings = {s.academy_id: s for s in db.session.scalars(select(LrsSettings).where(LrsSettings.academy_id.in_(ids)))}
    return [(a, settings.get(a.id)) for a in academies]


def managed_academy(actor: User, academy_id: int) -> Academy:
    """The academy, if ``actor`` manages its LRS; otherwise "not found" (another academy's page is a 404)."""
    academy = db.session.get(Academy, academy_id) if 0 < academy_id <= MAX_ID else None
    if academy is None or not user_can_manage_lrs(actor, academy.id):
        raise NotFoundError(_("No such academy."))
    return academy


def settings_of(academy: Academy) -> LrsSettings | None:
    return db.session.scalar(select(LrsSettings).where(LrsSettings.academy_id == academy.id))


def _check_endpoint(endpoint: str) -> str:
    endpoint = endpoint.strip()
    if not endpoint:
        return ""
    parts = urlsplit(endpoint)
    allowed = ("https", "http") if current_app.config.get("RECORDS_LRS_ALLOW_HTTP") else ("https",)
    if parts.scheme not in allowed or not parts.hostname or parts.username or parts.password:
        raise DomainError(
            _("Enter the address of the LRS's xAPI endpoint, starting with https:// (without a user name in it)."),
            field="endpoint",
        )
    if len(endpoint) > 500:
        raise DomainError(_("The address is too long (at most 500 characters)."), field="endpoint")
    return endpoint


def save_settings(actor: User, academy: Academy, fields: LrsFields) -> LrsSettings:
    """Save the academy's LRS settings (audited: what changed, never the password)."""
    managed_academy(actor, academy.id)
    endpoint = _check_endpoint(fields.endpoint)
    username = fields.username.strip()
    if len(username) > 200:
        raise DomainError(_("The user name is too long (at most 200 characters)."), field="username")
    settings = settings_of(academy) or LrsSettings(academy_id=academy.id)
    if fields.enabled and not endpoint:
        raise DomainError(_("Enter the LRS's address before turning sending on."), field="endpoint")
    if fields.enabled and not (username and (fields.password or settings.has_password)):
        raise DomainError(_("Enter the user name and password the LRS gave you before turning sending on."))
    before = {
        "endpoint": settings.endpoint,
        "username": settings.username,
        "enabled": bool(settings.enabled),
        "actor_uses_email": bool(settings.actor_uses_email),
    }
    settings.endpoint, settings.username = endpoint, username
    settings.enabled, settings.actor_uses_email = fields.enabled, fields.actor_uses_email
    changed = {k for k, v in before.items() if getattr(settings, k) != v}
    if fields.password:
        settings.set_password(fields.password)
        changed.add("password")
    db.session.add(settings)
    db.session.flush()
    audit.record(
        "records.lrs_settings_changed",
        actor=actor,
        obj=settings,
        academy_id=academy.id,
        details={
            "changed": sorted(changed),
            "endpoint": endpoint,
            "enabled": fields.enabled,
            "actor_uses_email": fields.actor_uses_email,
        },
    )
    db.session.commit()
    return settings


def test_connection(actor: User, academy: Academy) -> tuple[bool, str]:
    """Send one test statement with the saved settings (audited); (accepted, what the LRS answered)."""
    managed_academy(actor, academy.id)
    settings = settings_of(academy)
    if settings is None or not settings.endpoint:
        raise DomainError(_("Save the LRS's address first."))
    ok, message = push.send_test(settings, actor.id)
    audit.record(
        "records.lrs_tested", actor=actor, obj=settings, academy_id=academy.id, details={"ok": ok, "answer": message}
    )
    db.session.commit()
    return ok, message


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    sent: int
    failed: int
    last_errors: list[XapiStatement]


def outbox_summary(academy: Academy) -> OutboxSummary:
    """How many statements of the academy wait, went and were refused, and the latest errors (two queries)."""
    counts = dict(
        db.session.execute(
            select(XapiStatement.state, func.count(XapiStatement.id))
            .where(XapiStatement.academy_id == academy.id)
            .group_by(XapiStatement.state)
        ).all()
    )
    errors = list(
        db.session.scalars(
            select(XapiStatement)
            .where(
                XapiStatement.academy_id == academy.id,
                XapiStatement.last_error != "",
                XapiStatement.state != StatementState.SENT.value,
            )
            .order_by(XapiStatement.id.desc())
            .limit(LAST_ERRORS)
        )
    )
    return OutboxSummary(
        counts.get(StatementState.PENDING.value, 0),
        counts.get(StatementState.SENT.value, 0),
        counts.get(StatementState.FAILED.value, 0),
        errors,
    )


# The outbox ----------------------------------------------------------------------------------------------


def pushing_academies() -> set[int]:
    """Academies whose LRS push is on."""
    return set(db.session.scalars(select(LrsSettings.academy_id).where(LrsSettings.enabled.is_(True))))


def queue(items: Iterable[xs.Queued]) -> set[int]:
    """Add statements to the outbox of their academy when its push is on; one already there (same id) is not
    added twice. Commits; returns the academies that got new statements."""
    pushing = pushing_academies()
    added: set[int] = set()
    for item in items:
        if item.academy_id not in pushing:
            continue
        statement_id = uuid.UUID(item.statement["id"])
        if db.session.scalar(select(XapiStatement.id).where(XapiStatement.statement_id == statement_id)):
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    XapiStatement(
                        statement_id=statement_id,
                        academy_id=item.academy_id,
                        user_id=item.user_id,
                        verb=item.verb,
                        payload=item.statement,
                    )
                )
        except IntegrityError:  # queued at the same moment by another request: it is there, which is the point
            continue
        added.add(item.academy_id)
    db.session.commit()
    return added


def retry_failed(actor: User, academy: Academy) -> int:
    """Put the academy's refused statements back in the queue (after the LRS was fixed); audited."""
    managed_academy(actor, academy.id)
    rows = list(
        db.session.scalars(
            select(XapiStatement).where(
                XapiStatement.academy_id == academy.id, XapiStatement.state == StatementState.FAILED.value
            )
        )
    )
    for row in rows:
        row.state = StatementState.PENDING.value
    audit.record("records.lrs_retried", actor=actor, obj=academy, academy_id=academy.id, details={"count": len(rows)})
    db.session.commit()
    if rows:
        schedule_push(academy.id)
    return len(rows)


def schedule_push(academy_id: int) -> None:
    """Ask for a push of the academy's outbox (one unfinished job per academy at a time). A job system that
    cannot take it leaves the statements pending for the next push (``lms records xapi-push`` or the next
    event)."""
    from lms import jobs

    try:
        jobs.enqueue(JOB_KIND, academy_id=academy_id, params={"academy_id": academy_id}, key=f"{JOB_KIND}:{academy_id}")
    except Exception:
        log.exception("the xAPI push of academy %s could not be queued; its statements stay pending", academy_id)


# Privacy -------------------------------------------------------------------------------------------------


def personal_data(user: User) -> Iterator[dict[str, Any]]:
    """The statements about ``user`` in the outbox (what was or will be sent to an academy's LRS), oldest first,
    read in batches."""
    query = (
        select(XapiStatement, Academy.slug)
        .join(Academy, Academy.id == XapiStatement.academy_id)
        .where(XapiStatement.user_id == user.id)
        .order_by(XapiStatement.id)
        .execution_options(yield_per=500)
    )
    for row, slug in db.session.execute(query):
        yield {
            "academy": slug,
            "verb": row.verb,
            "state": row.state,
            "created_at": row.created_at,
            "sent_at": row.sent_at,
            "statement": row.payload,
        }


def erase_user(user: User) -> None:
    """On anonymisation: statements not sent yet are deleted (the LRS will not hear of the person again); the
    record of sent ones keeps only the opaque account as actor (an academy that opted in to e-mail had the
    address in it)."""
    db.session.execute(
        delete(XapiStatement).where(XapiStatement.user_id == user.id, XapiStatement.state != StatementState.SENT.value)
    )
    account = xs.agent(xs.site_from_app(), xs.Learner(user.id))
    sent = db.session.scalars(
        select(XapiStatement).where(XapiStatement.user_id == user.id).execution_options(yield_per=500)
    )
    for row in sent:
        if row.payload.get("actor") != account:
            row.payload = {**row.payload, "actor": account}
    db.session.commit()


def purge_sent(cutoff: datetime) -> int:
    """``data_retention`` purger (``RECORDS_XAPI_RETENTION_DAYS``, see lms.privacy): delete statements sent
    before ``cutoff``; pending and refused ones stay until they are dealt with. Does not commit."""
    return (
        db.session.execute(
            delete(XapiStatement).where(
                XapiStatement.state == StatementState.SENT.value, XapiStatement.sent_at < cutoff
            )
        ).rowcount
        or 0
    )
