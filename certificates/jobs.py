"""Background jobs: bulk issue for a cohort, with its progress in a :class:`Job` row.

Runner (``CERTIFICATES_JOB_RUNNER``): ``rq`` puts the job on an RQ queue on ``LMS_REDIS_URL`` (a worker runs
:func:`run_job_in_worker`); ``thread`` runs it in a thread of this process; ``inline`` runs it before returning
(tests, the command line); ``auto`` (default) is ``rq`` when ``LMS_REDIS_URL`` is set and rq is installed,
else ``thread``; with Redis unreachable, ``rq`` falls back to ``thread`` (logged). A job can be run again
(``lms certificates run-job ID``): who already holds the certificate is skipped, so an interrupted job finishes
where it stopped.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from datetime import date

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from certificates.issuing import _require_manager, issue_batch
from certificates.models import Accreditation, Job, JobState
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Cohort, CohortMember, User, UserStatus
from lms.models.base import utcnow

log = logging.getLogger(__name__)

CHUNK = 100
KIND_COHORT = "cohort_issue"


def start_cohort_issue(
    actor: User | None, accreditation: Accreditation, cohort: Cohort, completed_on: date, *, run: bool = True
) -> Job:
    """Queue certificates for every active member of ``cohort`` (of the accrediting academy) who completed the
    training on ``completed_on``; returns the job, whose row shows the progress. ``run`` False: only create it
    (the caller runs it with :func:`run_job`)."""
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
    job = Job(
        kind=KIND_COHORT,
        academy_id=accreditation.academy_id,
        created_by_id=actor.id if actor else None,
        params={
            "accreditation_id": accreditation.id,
            "cohort_id": cohort.id,
            "completed_on": completed_on.isoformat(),
            "user_ids": members,
        },
        total=len(members),
    )
    db.session.add(job)
    db.session.flush()
    audit.record(
        "certificates.cohort_issue_started",
        actor=actor,
        obj=job,
        academy_id=accreditation.academy_id,
        details={"accreditation": accreditation.id, "cohort": cohort.name, "members": len(members)},
    )
    db.session.commit()
    if run:
        dispatch(job.id)
    return job


def runner_name(app: Flask) -> str:
    name = app.config["CERTIFICATES_JOB_RUNNER"]
    if name == "auto":
        return "rq" if app.config.get("LMS_REDIS_URL") and importlib.util.find_spec("rq") else "thread"
    return name


def dispatch(job_id: int) -> None:
    """Hand the job to the configured runner."""
    app = current_app._get_current_object()
    name = runner_name(app)
    if name == "rq":
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            queue = Queue("certificates", connection=Redis.from_url(app.config["LMS_REDIS_URL"]))
            queue.enqueue(run_job_in_worker, job_id, job_timeout=3600)
            return
        except RedisError as exc:  # the job's row is committed: run it here rather than wait for Redis
            log.warning("certificates job %s: Redis is unreachable (%s); running it in a thread", job_id, exc)
            name = "thread"
    if name == "thread":
        threading.Thread(target=_run_in_app, args=(app, job_id), name=f"certificates-job-{job_id}", daemon=True).start()
    else:
        run_job(job_id)


def _run_in_app(app: Flask, job_id: int) -> None:
    with app.app_context():
        run_job(job_id)


def run_job_in_worker(job_id: int) -> None:
    """What an RQ worker runs: the app from the environment, then the job."""
    from lms import create_app

    _run_in_app(create_app(), job_id)


def run_job(job_id: int) -> Job:
    """Run (or finish) a job, committing its progress after each chunk of ``CHUNK`` holders."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFoundError(_("No such job."))
    job.state, job.started_at, job.done, job.message = JobState.RUNNING.value, utcnow(), 0, ""
    db.session.commit()
    try:
        already = _run_cohort_issue(job)
    except Exception as exc:
        db.session.rollback()
        log.exception("certificates job %s failed", job_id)
        job = db.session.get(Job, job_id)
        job.state, job.finished_at, job.message = JobState.FAILED.value, utcnow(), repr(exc)[:2000]
        db.session.commit()
        return job
    job.state, job.finished_at = JobState.FINISHED.value, utcnow()
    job.message = _("%(issued)d issued, %(already)d held one already.", issued=job.issued, already=already)
    db.session.commit()
    return job


def _run_cohort_issue(job: Job) -> int:
    params = dict(job.params)
    job_id = job.id
    accreditation_id = params["accreditation_id"]
    completed_on = date.fromisoformat(params["completed_on"])
    user_ids = list(params["user_ids"])
    issued = already = 0
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        accreditation = db.session.get(Accreditation, accreditation_id)
        users = list(db.session.scalars(select(User).where(User.id.in_(chunk)).order_by(User.id)))
        new, held = issue_batch(None, accreditation, users, completed_on, "cohort")
        issued, already = issued + len(new), already + held
        job = db.session.get(Job, job_id)
        job.done, job.issued = min(start + len(chunk), job.total), issued
        db.session.commit()
    return already
