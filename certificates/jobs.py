"""The certificates plugin's background jobs, on the core job system (:mod:`lms.jobs`, table ``lms_job``).

- ``certificates.cohort_issue``: certificates for every active member of a cohort, started on the issue page or
  with ``lms certificates issue-cohort``; its progress shows on ``/jobs/<id>``.
- ``certificates.expiry_reminders``: the expiry reminder mails (``lms jobs enqueue certificates.expiry_reminders``
  from cron, daily).

Both are idempotent, as the core retries a failed attempt from the start: who already holds the certificate is
skipped, and a reminder is claimed by its :class:`~certificates.models.Reminder` row before it is mailed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from certificates.issuing import _require_manager, issue_batch
from certificates.models import Accreditation
from lms import audit, jobs
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import Cohort, CohortMember, User, UserStatus
from lms.models.base import utcnow

CHUNK = 100
KIND_COHORT = "certificates.cohort_issue"
KIND_REMINDERS = "certificates.expiry_reminders"


def register_job_kinds(app: Flask) -> None:
    """Register the plugin's job kinds (from ``init_app``)."""
    jobs.register(KIND_COHORT, run_cohort_issue, max_attempts=5, label=_l("Certificates for a cohort"), app=app)
    jobs.register(
        KIND_REMINDERS, run_expiry_reminders, max_attempts=5, label=_l("Certificate expiry reminders"), app=app
    )


def start_cohort_issue(
    actor: User | None, accreditation: Accreditation, cohort: Cohort, completed_on: date, *, run: bool = True
) -> jobs.Job:
    """Queue certificates for every active member of ``cohort`` (of the accrediting academy) who completed the
    training on ``completed_on``; returns the :class:`lms.jobs.Job`, whose row shows the progress. While one such
    job for the same accreditation, cohort and date is unfinished, starting it again returns that job. ``run``
    False: only queue it (the caller runs it, as ``lms certificates issue-cohort`` does)."""
    _require_manager(actor, accreditation)
    if cohort.academy_id != accreditation.academy_id and not (actor is None or actor.is_admin):
        raise DomainError(_("The cohort belongs to another academy."), field="cohort")
    if completed_on > utcnow().date():
        raise DomainError(_("The completion date cannot be in the future."), field="completed_on")
    members = list(
        db.session.scalars(
            select(CohortMember.user_id)
            .join(User, User.id == CohortMember.user_id)
            .where(CohortMember.cohort_id == cohort.id, User.status == UserStatus.ACTIVE)
            .order_by(CohortMember.user_id)
        )
    )
    if not members:
        raise DomainError(_("The cohort has no active members."), field="cohort")
    # The members are fixed when the job starts: a retry issues to the same people, whoever joins meanwhile.
    params = {
        "accreditation_id": accreditation.id,
        "cohort_id": cohort.id,
        "completed_on": completed_on.isoformat(),
        "user_ids": members,
    }
    job = jobs.enqueue(
        KIND_COHORT,
        actor=actor,
        academy_id=accreditation.academy_id,
        params=params,
        total=len(members),
        key=f"{KIND_COHORT}:{accreditation.id}:{cohort.id}:{completed_on.isoformat()}",
        dispatch=run,
    )
    audit.record(
        "certificates.cohort_issue_started",
        actor=actor,
        obj=job,
        academy_id=accreditation.academy_id,
        details={"accreditation": accreditation.id, "cohort": cohort.name, "members": len(members)},
    )
    db.session.commit()
    return job


def run_cohort_issue(ctx: jobs.JobContext) -> dict[str, Any]:
    """Job kind ``certificates.cohort_issue``: issue in chunks of ``CHUNK`` holders, each chunk committed with
    its progress. Idempotent: whoever holds the certificate already (an earlier, interrupted attempt) is
    skipped and counted as ``already_held``."""
    accreditation_id = ctx.params["accreditation_id"]
    completed_on = date.fromisoformat(ctx.params["completed_on"])
    user_ids = list(ctx.params["user_ids"])
    issued = already = 0
    ctx.progress(0, total=len(user_ids))
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        accreditation = db.session.get(Accreditation, accreditation_id)
        users = list(db.session.scalars(select(User).where(User.id.in_(chunk)).order_by(User.id)))
        new, held = issue_batch(None, accreditation, users, completed_on, "cohort")
        issued, already = issued + len(new), already + held
        ctx.progress(start + len(chunk), message=_issued_message(issued, already))
    return {
        "issued": issued,
        "already_held": already,
        "url": _path("certificates_admin.issued_list", accreditation=accreditation_id),
    }


def _path(endpoint: str, **values: Any) -> str:
    # A job may run outside any request (a worker, a thread), where url_for has no request to build from.
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="http")
    return adapter.build(endpoint, values, force_external=False)


def _issued_message(issued: int, already: int) -> str:
    return _("%(issued)d issued, %(already)d held one already.", issued=issued, already=already)


def run_expiry_reminders(ctx: jobs.JobContext) -> dict[str, Any]:
    """Job kind ``certificates.expiry_reminders``: :func:`certificates.expiry.send_reminders` (``params`` may
    hold ``today``, YYYY-MM-DD). Idempotent: a reminder already claimed is not mailed again. Mails that failed
    release their claim; the job then fails this attempt, so the core retries them after its back-off."""
    from certificates.expiry import send_reminders

    today = ctx.params.get("today")
    report = send_reminders(date.fromisoformat(today) if today else None)
    if report.failed:
        raise RuntimeError(f"{len(report.failed)} reminder(s) not sent: {report.failed[0][1]}")
    return {"sent": len(report.sent)}
