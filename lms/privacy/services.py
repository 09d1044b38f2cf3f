"""Personal-data use cases: a user's data download, anonymising a departed user, and the retention purge.

Two registries (the core defines them, plugins fill them):

- ``registry("personal_data")``: key -> ``fn(user)`` returning what that plugin holds about ``user`` as a JSON-able
  value (a list or a dict; any other iterable is streamed as a JSON array). The key names the part of the download.
- ``registry("data_retention")``: key -> ``fn(cutoff: datetime) -> int``: deletes the rows of that log older than
  ``cutoff`` in the current session and returns how many. It should not commit: the purge commits once (a dry run
  rolls back). Each key's retention in days is the setting named by the purger's ``retention_setting`` attribute,
  or by :data:`RETENTION_SETTINGS`; 0 or empty keeps that log forever.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import String, cast, delete, func, or_, select

from lms import audit, names, signals
from lms.auth.services import end_all_sessions
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import (
    Academy,
    AuditEvent,
    Cohort,
    CohortMember,
    Membership,
    OneTimeToken,
    RecoveryCode,
    User,
    UserStatus,
)
from lms.models.base import utcnow
from lms.registry import registry

FORMAT = "lms-personal-data/1"
# Parts of the download the core writes itself; a registry entry cannot take these names.
CORE_PARTS = ("format", "generated_at", "profile", "two_factor", "memberships", "cohorts", "audit_events")
# The setting that holds each log's retention in days, with its default when the setting is absent.
RETENTION_SETTINGS: dict[str, tuple[str, int]] = {
    "audit": ("LMS_AUDIT_RETENTION_DAYS", 730),
    "xapi_statements": ("RECORDS_XAPI_RETENTION_DAYS", 365),
}
# .invalid is reserved (RFC 2606): an address there can never be delivered.
ANONYMOUS_DOMAIN = "anonymised.invalid"
ERASED = "[erased]"
BATCH = 500


def _app():
    return current_app._get_current_object()


def init_registries(app) -> None:
    """Create the two registries and register the core's audit-log purger."""
    registry("personal_data", app)
    registry("data_retention", app).register("audit", purge_audit_events)


# The download ------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """JSON text of ``value`` (dates as ISO 8601, decimals as numbers), non-ASCII kept as written."""
    return json.dumps(value, default=_jsonable, ensure_ascii=False)


def _other_name_columns() -> list[Any]:
    """Columns of ``lms_user`` holding other forms of the person's name (say, the name in another script), which
    the download includes and anonymising erases along with the display name."""
    known = {"username", "display_name"}
    return [c for c in User.__table__.columns if "name" in c.key and c.key not in known]


def _profile(user: User) -> dict[str, Any]:
    others = {c.key: getattr(user, c.key, None) for c in _other_name_columns()}
    return others | {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "certificate_script": user.certificate_script,
        "certificate_name": user.certificate_name,
        "profession": user.profession,
        "country": user.country,
        "language": user.language,
        "status": user.status.value,
        "administrator": user.is_admin,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
        "anonymised_at": user.anonymised_at,
    }


def _two_factor(user: User) -> dict[str, Any]:
    left = db.session.scalar(
        select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    return {"enabled": bool(user.totp_enabled), "recovery_codes_left": left if user.totp_enabled else 0}


def _memberships(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Membership.role, Membership.created_at, Academy.slug, Academy.name)
        .join(Academy, Academy.id == Membership.academy_id)
        .where(Membership.user_id == user.id)
        .order_by(Academy.name, Membership.role)
    )
    return [{"academy": r.slug, "academy_name": r.name, "role": r.role, "since": r.created_at} for r in rows]


def _cohorts(user: User) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Cohort.name, Academy.slug, CohortMember.added_at)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(Academy, Academy.id == Cohort.academy_id)
        .where(CohortMember.user_id == user.id)
        .order_by(Academy.slug, Cohort.name)
    )
    return [{"cohort": r.name, "academy": r.slug, "added_at": r.added_at} for r in rows]


def _about_user(user_id: int):
    return or_(
        AuditEvent.actor_id == user_id,
        (AuditEvent.object_type == "User") & (AuditEvent.object_id == str(user_id)),
    )


def _audit_events(user_id: int) -> Iterator[dict[str, Any]]:
    """Events by or about the user, oldest first, read in batches. Of an event by someone else only what happened
    is given (not who, nor from where); details are given when the event is about the user's own account or about
    no object, since details of an action on another object may describe another person."""
    query = (
        select(
            AuditEvent.at,
            AuditEvent.action,
            AuditEvent.actor_id,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.ip,
            AuditEvent.user_agent,
            AuditEvent.details,
            Academy.slug,
        )
        .outerjoin(Academy, Academy.id == AuditEvent.academy_id)
        .where(_about_user(user_id))
        .order_by(AuditEvent.at, AuditEvent.id)
        .execution_options(yield_per=BATCH)
    )
    for row in db.session.execute(query):
        own = row.actor_id == user_id
        about_self = row.object_type is None or (row.object_type == "User" and row.object_id == str(user_id))
        event = {
            "at": row.at,
            "action": row.action,
            "by": "you" if own else ("staff" if row.actor_id is not None else "system"),
            "object_type": row.object_type,
            "object_id": row.object_id,
            "academy": row.slug,
        }
        if own:
            event.update(ip=row.ip, user_agent=row.user_agent)
        if about_self:
            event["details"] = row.details or {}
        yield event


def _array(items: Iterable[Any]) -> Iterator[str]:
    yield "["
    for n, item in enumerate(items):
        yield ("," if n else "") + dumps(item)
    yield "]"


def personal_data_chunks(user_id: int) -> Iterator[str]:
    """The user's data download as JSON text, in pieces: the core's part (profile, two-factor yes/no, roles,
    cohorts, audit events by or about them) and every ``personal_data`` part. The audit events and any part that
    is an iterator are streamed, so memory stays bounded however long the history."""
    user = db.session.get(User, user_id)
    yield "{" + f'"format": {dumps(FORMAT)}, "generated_at": {dumps(utcnow())}'
    yield f', "profile": {dumps(_profile(user))}, "two_factor": {dumps(_two_factor(user))}'
    yield f', "memberships": {dumps(_memberships(user))}, "cohorts": {dumps(_cohorts(user))}'
    yield ', "audit_events": '
    yield from _array(_audit_events(user.id))
    for key, provider in _providers():
        value = provider(user)
        yield f", {dumps(key)}: "
        if isinstance(value, dict | list | str | int | float | bool) or value is None:
            yield dumps(value)
        else:
            yield from _array(value)
    yield "}\n"


def export_filename(user: User) -> str:
    return f"personal-data-{user.username}-{utcnow():%Y-%m-%d}.json"


def _providers() -> list[tuple[str, Any]]:
    providers = registry("personal_data").items()
    clashes = [key for key, _provider in providers if key in CORE_PARTS]
    if clashes:
        raise RuntimeError(f"personal_data parts clash with the core's parts: {', '.join(clashes)}")
    return providers


def record_export(user: User) -> None:
    """Audit that ``user`` downloaded their data (before the download streams)."""
    parts = [key for key, _provider in _providers()]
    audit.record("privacy.data_exported", actor=user, obj=user, details={"parts": parts})
    db.session.commit()


# Anonymising -------------------------------------------------------------------------------------------


def anonymisation_problem(actor: User, user: User) -> str | None:
    """Why ``actor`` may not anonymise ``user`` now (None: they may)."""
    if user.id == actor.id:
        return _("You cannot anonymise your own account.")
    if user.anonymised_at is not None:
        return _("This account has already been anonymised.")
    staff = sorted(
        {m.role for m in user.memberships if m.role != "learner"} | ({"administrator"} if user.is_admin else set())
    )
    if staff:
        return _(
            "This account still holds the role(s) %(roles)s. Remove them first: only a learner's account can be "
            "anonymised.",
            roles=", ".join(staff),
        )
    return None


def _needles(*values: str) -> list[str]:
    """Lower-case forms of the identity strings to look for (short ones would match unrelated text)."""
    return sorted({v.strip().lower() for v in values if v and len(v.strip()) >= 3})


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        lowered = value.lower()
        return ERASED if any(n in lowered for n in needles) else value
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, needles) for k, v in value.items()}
    return value


def _scrub_audit(user: User, identity: tuple[str, ...], old_email: str) -> int:
    """Replace the user's e-mail, sign-in name and name wherever audit details carry them, and the label, address
    and browser of the events they did. Returns how many events changed.

    Candidates are found in SQL (the details as text contain one of them, as written or as JSON escapes it:
    \\u0110 for Đ), then each is checked and scrubbed here; a one-off scan of the log, for a rare administrator action.
    """
    needles = _needles(*identity)
    text = func.lower(cast(AuditEvent.details, String))
    fragments = set()
    for value in identity:
        if value and len(value.strip()) >= 3:
            value = value.strip()
            fragments.update({value.lower(), json.dumps(value)[1:-1].lower()})
    mentions = [text.like("%" + f.replace("\\", "\\\\") + "%", escape="\\") for f in sorted(fragments)]
    ids = db.session.scalars(
        select(AuditEvent.id).where(or_(_about_user(user.id), AuditEvent.actor_label == old_email, *mentions))
    ).all()
    changed = 0
    for start in range(0, len(ids), BATCH):
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids[start : start + BATCH]))):
            details = _scrub(event.details or {}, needles)
            by_user = event.actor_id == user.id or event.actor_label == old_email
            if details == (event.details or {}) and not by_user:
                continue
            event.details = details
            if by_user:
                event.actor_label, event.ip, event.user_agent = user.email, None, None
            changed += 1
    return changed


def _other_names(user: User) -> list[str]:
    return [v for c in _other_name_columns() if isinstance(v := getattr(user, c.key, None), str)]


def anonymise_user(actor: User, user: User) -> None:
    """Erase a departed learner's identity, keeping the row so their attempts, progress and certificates stay.

    Name, e-mail and sign-in name become neutral placeholders (the e-mail undeliverable); profession, country and
    language are erased; password, two-factor secret, recovery codes and one-time tokens go; every session ends and
    the account is deactivated for good. Audit events that named them are scrubbed. Certificates keep the holder's
    name as issued (they certify a fact and stay verifiable). Plugins erase what they keep on ``user_anonymised``.
    """
    problem = anonymisation_problem(actor, user)
    if problem:
        raise DomainError(problem)
    old_email = user.email
    identity = (user.email, user.username, user.display_name, *_other_names(user), *names.name_forms(user))
    user.email = f"anonymised-{user.id}@{ANONYMOUS_DOMAIN}"
    user.username = f"anonymised-{user.id}"
    user.display_name = f"Anonymised user {user.id}"
    for column in _other_name_columns():
        setattr(user, column.key, None if column.nullable else user.display_name)
    # Both are cleared rather than set to the placeholder: no script chosen, no official spelling.
    user.certificate_script, user.certificate_name = "", ""
    user.profession, user.country, user.language = "other", "other", None
    user.password_hash = None
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    user.last_login_at = None
    user.status = UserStatus.DEACTIVATED
    user.anonymised_at = utcnow()
    end_all_sessions(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
    scrubbed = _scrub_audit(user, identity, old_email)
    audit.record("account.anonymised", actor=actor, obj=user, details={"audit_events_scrubbed": scrubbed})
    db.session.commit()
    signals.user_anonymised.send(_app(), user=user, actor=actor)


# Retention ---------------------------------------------------------------------------------------------


def purge_audit_events(cutoff: datetime) -> int:
    """Delete audit events older than ``cutoff``."""
    return db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount or 0


@dataclass(frozen=True)
class RetentionPolicy:
    key: str
    setting: str | None
    days: int | None  # None: kept forever

    def cutoff(self, now: datetime) -> datetime | None:
        return now - timedelta(days=self.days) if self.days else None


@dataclass(frozen=True)
class PurgeResult:
    policy: RetentionPolicy
    cutoff: datetime | None
    count: int | None  # None: kept forever, nothing run


def _days(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    days = int(value)
    if days < 0:
        raise DomainError(_("A retention period cannot be negative."))
    return days


def retention_policies() -> list[RetentionPolicy]:
    """Every registered log with the setting that holds its retention and the number of days it keeps."""
    config = current_app.config
    policies = []
    for key, purger in registry("data_retention").items():
        setting, default = getattr(purger, "retention_setting", None), None
        if setting is None and key in RETENTION_SETTINGS:
            setting, default = RETENTION_SETTINGS[key]
        value = config.get(setting, default) if setting else None
        policies.append(RetentionPolicy(key, setting, _days(value)))
    return policies


def purge(now: datetime | None = None, dry_run: bool = False) -> list[PurgeResult]:
    """Run every ``data_retention`` purger with its cutoff, in one transaction; audited. A dry run counts what
    would go and writes nothing (a purger that commits only flushes during a dry run)."""
    now = now or utcnow()
    purgers = registry("data_retention")
    results = []
    session = db.session()
    if dry_run:
        session.commit = session.flush  # type: ignore[method-assign]
    try:
        for policy in retention_policies():
            cutoff = policy.cutoff(now)
            count = int(purgers[policy.key](cutoff)) if cutoff is not None else None
            results.append(PurgeResult(policy, cutoff, count))
    except Exception:
        db.session.rollback()
        raise
    finally:
        if dry_run:
            del session.commit
    if dry_run:
        db.session.rollback()
        return results
    audit.record(
        "privacy.purged",
        details={"counts": {r.policy.key: r.count for r in results if r.count is not None}},
    )
    db.session.commit()
    return results


def last_purge() -> AuditEvent | None:
    """The audit event of the last purge that ran (not a dry run)."""
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "privacy.purged").order_by(AuditEvent.at.desc()).limit(1)
    )
