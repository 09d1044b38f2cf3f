"""The audit log: lms.audit.record() writes events; /audit (views.py) reads them."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from lms.extensions import db
from lms.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None = None,
    obj: Any = None,
    academy_id: int | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``action`` (e.g. ``auth.login_failed``) to the current transaction."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label if actor_label is not None else (actor.email if actor else ""),
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(obj.id) if obj is not None and getattr(obj, "id", None) is not None else None,
        academy_id=academy_id,
        details=details or {},
    )
    if has_request_context():
        event.ip = (request.remote_addr or "")[:64]
        event.user_agent = (request.user_agent.string or "")[:300]
    else:
        event.ip = "cli"
    db.session.add(event)
    return event
