"""Background-job use cases: register a kind, enqueue a job, run one, run every due one, list them.

A job kind is a function ``func(ctx) -> dict | None`` registered at ``init_app`` time. It must be idempotent:
after a crash or a failed attempt it runs again from the start with the same ``ctx.params`` (skip what is
already done, as the certificates bulk issue skips who already holds one). Whatever it returns is the job's
``result`` (JSON). An exception counts as a failed attempt: the job goes back to the queue after a back-off,
and fails for good after ``max_attempts``.

The database row decides who runs a job: every runner *claims* it first with one conditional UPDATE (queued and
due -> running), so RQ, a thread, ``lms worker`` and ``lms jobs run-due`` never run the same attempt twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.jobs import runners
from lms.jobs.models import UNFINISHED, Job, JobState
from lms.models import User
from lms.models.base import utcnow
from lms.registry import registry

log = logging.getLogger(__name__)

REGISTRY = "jobs"
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
MESSAGE_LENGTH = 2000
PAGE_SIZE = 50


@dataclass(frozen=True)
class JobKind:
    """A registered kind: the function that does the work and how often it may be tried."""

    kind: str
    func: Callable[[JobContext], dict[str, Any] | None]
    max_attempts: int = 5
    label: Any = None  # a lazy_gettext string for the status pages; the kind when None


@dataclass
class JobContext:
    """What a job function gets: its parameters and a way to report progress."""

    job_id: int
    kind: str
    params: dict[str, Any]
    academy_id: int | None = None
    created_by_id: int | None = None
    attempt: int = 1  # 1 on the first run, 2 on the first retry ...

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Record ``done`` (of ``total``) and commit: the work done so far and the progress become visible
        together, and a job that reports progress is not taken for one whose worker died."""
        job = db.session.get(Job, self.job_id)
        job.done = max(int(done), 0)
        if total is not None:
            job.total = max(int(total), 0)
        if message is not None:
            job.message = str(message)[:MESSAGE_LENGTH]
        job.updated_at = utcnow()
        db.session.commit()


def register(
    kind: str,
    func: Callable[[JobContext], dict[str, Any] | None],
    *,
    max_attempts: int = 5,
    label: Any = None,
    app: Flask | None = None,
) -> JobKind:
    """Register a job kind (at ``init_app`` time: pass ``app=app`` there, as no app context exists yet)."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if len(kind) > 64:
        raise ValueError(f"job kind {kind!r} is longer than 64 characters")
    return registry(REGISTRY, app).register(kind, JobKind(kind, func, max_attempts, label))


def job_kind(kind: str) -> JobKind | None:
    return registry(REGISTRY).get(kind)


def kind_label(kind: str) -> str:
    spec = job_kind(kind)
    return str(spec.label) if spec is not None and spec.label is not None else kind


def enqueue(
    kind: str,
    *,
    actor: User | None = None,
    academy_id: int | None = None,
    params: dict[str, Any],
    total: int = 0,
    key: str | None = None,
    dispatch: bool = True,
) -> Job:
    """Create a job of ``kind`` and hand it to the runner (``LMS_JOB_RUNNER``); commits the session first.

    With ``key``, an unfinished job holding that key is returned instead of a second one (also when two
    requests race: the partial unique index decides). The inline runner has run the job when this returns.
    ``dispatch`` False only queues it, for a caller that runs it itself or leaves it to ``lms worker`` /
    ``lms jobs run-due`` (a command-line process, whose runner threads would die with it).
    """
    spec = job_kind(kind)
    if spec is None:
        raise ValueError(f"no job kind {kind!r} is registered")
    try:
        json.dumps(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"params of a {kind!r} job must be JSON: {exc}") from exc
    if key is not None:
        existing = _unfinished_with_key(key)
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        academy_id=academy_id,
        created_by_id=actor.id if actor is not None else None,
        params=params,
        total=max(total, 0),
        max_attempts=spec.max_attempts,
        key=key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:
        existing = _unfinished_with_key(key) if key is not None else None
        if existing is None:
            raise
        return existing
    db.session.commit()
    if dispatch:
        runners.dispatch(job.id)
    return job


def _unfinished_with_key(key: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.key == key, Job.state.in_(UNFINISHED)))


# Running -----------------------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt: 30, 60, 120 ... at most an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def run_job(job_id: int, *, force: bool = False, redispatch: bool = False, now: datetime | None = None) -> Job | None:
    """Claim job ``job_id`` and run it here; returns the job afterwards, or None when it was not ours to run
    (not queued, not yet due, or claimed by another runner).

    ``force`` runs a queued job before its ``run_after`` and a failed one once more (``lms jobs run ID``).
    ``redispatch`` hands a failed attempt back to the runner for its retry (the thread and RQ runners); the
    worker loop and ``run-due`` leave the retry to the next pass over the table.
    """
    if not _claim(job_id, now or utcnow(), force):
        return None
    job = db.session.get(Job, job_id, populate_existing=True)
    spec = job_kind(job.kind)
    ctx = JobContext(job.id, job.kind, dict(job.params or {}), job.academy_id, job.created_by_id, job.attempts + 1)
    try:
        if spec is None:
            raise LookupError(f"no job kind {job.kind!r} is registered in this process")
        result = spec.func(ctx)
        if result is not None and not isinstance(result, dict):
            raise TypeError(f"a job function returns a dict or None, not {type(result).__name__}")
        _finish(job_id, result)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s (%s) attempt %s failed", job_id, ctx.kind, ctx.attempt)
        return _failed_attempt(job_id, f"{type(exc).__name__}: {exc}", redispatch=redispatch)
    return db.session.get(Job, job_id)


def _claim(job_id: int, now: datetime, force: bool) -> bool:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFoundError(_("No such job."))
    states = [JobState.QUEUED.value, JobState.FAILED.value] if force else [JobState.QUEUED.value]
    stmt = update(Job).where(Job.id == job_id, Job.state.in_(states))
    if not force:
        stmt = stmt.where(Job.run_after <= now)
    stmt = stmt.values(state=JobState.RUNNING.value, started_at=now, updated_at=now, finished_at=None)
    try:
        claimed = db.session.execute(stmt, execution_options={"synchronize_session": False}).rowcount == 1
        db.session.commit()
    except IntegrityError as exc:
        # Running a failed job again makes it unfinished, and another unfinished job may hold its key now.
        db.session.rollback()
        raise DomainError(_("Another unfinished job has the same key; this one cannot run again.")) from exc
    return claimed


def _finish(job_id: int, result: dict[str, Any] | None) -> None:
    job = db.session.get(Job, job_id)
    now = utcnow()
    job.state, job.result, job.finished_at, job.updated_at = JobState.FINISHED.value, result, now, now
    job.done = max(job.done, job.total)
    db.session.commit()


def _failed_attempt(
    job_id: int, error: str, *, redispatch: bool = False, delay: int | None = None, now: datetime | None = None
) -> Job:
    """Count a failed attempt: back to the queue after a back-off, or failed for good after the last one."""
    job = db.session.get(Job, job_id, populate_existing=True)
    now = now or utcnow()
    job.attempts += 1
    job.updated_at = now
    values = {"n": job.attempts, "max": job.max_attempts, "error": error}
    if job.attempts >= job.max_attempts:
        job.state, job.finished_at = JobState.FAILED.value, now
        job.message = _("Failed after %(n)d of %(max)d attempts: %(error)s", **values)[:MESSAGE_LENGTH]
        audit.record(
            "jobs.failed",
            obj=job,
            academy_id=job.academy_id,
            details={"kind": job.kind, "attempts": job.attempts, "error": error[:300]},
        )
        wait = None
    else:
        wait = backoff_seconds(job.attempts) if delay is None else delay
        job.state, job.run_after = JobState.QUEUED.value, now + timedelta(seconds=wait)
        job.message = _("Attempt %(n)d of %(max)d failed, trying again later: %(error)s", **values)[:MESSAGE_LENGTH]
    db.session.commit()
    if redispatch and wait is not None:
        runners.dispatch(job_id, delay=wait)
    return job


@dataclass
class DueReport:
    """What one pass of :func:`run_due` did."""

    recovered: list[int] = field(default_factory=list)  # running jobs whose worker had gone
    ran: list[Job] = field(default_factory=list)


def recover_stale(now: datetime | None = None) -> list[int]:
    """Put back running jobs without progress for ``LMS_JOB_STALE_MINUTES`` (their worker died), counting the
    lost run as a failed attempt, so that a job that kills its worker cannot loop for ever."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=current_app.config["LMS_JOB_STALE_MINUTES"])
    stale = db.session.scalars(
        select(Job.id).where(Job.state == JobState.RUNNING.value, Job.updated_at < cutoff).order_by(Job.id)
    ).all()
    recovered = []
    for job_id in stale:
        # Claim the stale row first: of two run-due passes at once, only one counts the lost attempt.
        taken = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING.value, Job.updated_at < cutoff)
            .values(updated_at=now),
            execution_options={"synchronize_session": False},
        ).rowcount
        db.session.commit()
        if taken:
            log.warning("job %s: no progress since before %s, its worker is taken to have stopped", job_id, cutoff)
            _failed_attempt(job_id, _("The worker stopped while running the job."), delay=0, now=now)
            recovered.append(job_id)
    return recovered


def _next_due(now: datetime, skip: list[int]) -> int | None:
    stmt = (
        select(Job.id)
        .where(Job.state == JobState.QUEUED.value, Job.run_after <= now, Job.id.not_in(skip or [-1]))
        .order_by(Job.run_after, Job.id)
        .limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Concurrent workers skip each other's row instead of waiting for it. SQLite has no row locks: its
        # writers are serialised by BEGIN IMMEDIATE, and the claim in run_job settles any race.
        stmt = stmt.with_for_update(skip_locked=True)
    return db.session.scalar(stmt)


def run_due(now: datetime | None = None, limit: int | None = None) -> DueReport:
    """Recover stale running jobs, then run every queued job whose ``run_after`` has passed (each at most once
    per call, so a failing job waits for its back-off), oldest first."""
    now = now or utcnow()
    report = DueReport(recovered=recover_stale(now))
    seen: list[int] = []
    while limit is None or len(seen) < limit:
        job_id = _next_due(now, seen)
        if job_id is None:
            db.session.commit()
            break
        seen.append(job_id)
        job = run_job(job_id, now=now)
        if job is not None:
            report.ran.append(job)
    return report


def run_job_by_id(job_id: int) -> Job:
    """Run job ``job_id`` here and now, whatever its ``run_after`` (a failed job gets one more attempt)."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFoundError(_("No such job."))
    if job.state == JobState.FINISHED.value:
        raise DomainError(_("The job has finished already."))
    if job.state == JobState.RUNNING.value:
        raise DomainError(_("The job is running; if its worker has stopped, `lms jobs run-due` takes it over."))
    ran = run_job(job_id, force=True)
    if ran is None:
        raise DomainError(_("Another runner took the job first."))
    return ran


# Reading -----------------------------------------------------------------------------------------------


def visible_jobs(actor: User, page: int = 1) -> tuple[list[Job], int]:
    """Jobs ``actor`` may see, newest first: their own; administrators see every job."""
    query = select(Job)
    if not actor.is_admin:
        query = query.where(Job.created_by_id == actor.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Job.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total or 0


def job_for(actor: User, job_id: int) -> Job | None:
    """Job ``job_id`` if ``actor`` may see it (its creator or an administrator), else None."""
    job = db.session.get(Job, job_id)
    return job if job is not None and job.visible_to(actor) else None


def list_jobs(state: str | None = None, kind: str | None = None, limit: int = 100) -> list[Job]:
    """The newest jobs for the command line, optionally of one state or kind."""
    query = select(Job)
    if state:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    return list(db.session.scalars(query.order_by(Job.id.desc()).limit(limit)))


def job_summary(job: Job) -> dict[str, Any]:
    """A job as JSON (``lms jobs list --json``)."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "message": job.message,
        "result": job.result,
        "key": job.key,
        "academy_id": job.academy_id,
        "created_by_id": job.created_by_id,
        "created_at": iso(job.created_at),
        "run_after": iso(job.run_after),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


# Personal data and retention (registries of lms.privacy) -------------------------------------------------


def jobs_of(user: User) -> list[dict[str, Any]]:
    """The jobs ``user`` started, for their personal-data download (not the parameters: they name others)."""
    rows = db.session.scalars(select(Job).where(Job.created_by_id == user.id).order_by(Job.id))
    return [{"kind": j.kind, "state": j.state, "created_at": j.created_at, "finished_at": j.finished_at} for j in rows]


def purge_jobs(cutoff: datetime) -> int:
    """Delete finished and failed jobs that ended before ``cutoff`` (the privacy purge commits)."""
    ended = (JobState.FINISHED.value, JobState.FAILED.value)
    result = db.session.execute(delete(Job).where(Job.state.in_(ended), Job.finished_at < cutoff))
    return result.rowcount or 0


purge_jobs.retention_setting = "LMS_JOB_RETENTION_DAYS"  # type: ignore[attr-defined]


# The core's own job kind ------------------------------------------------------------------------------


def purge_retained_data(ctx: JobContext) -> dict[str, Any]:
    """Job kind ``privacy.purge``: the retention purge of ``lms privacy purge``, in the background (it can
    delete many rows). Idempotent: a second run finds nothing more to delete."""
    from lms.privacy.services import purge

    results = purge(dry_run=bool(ctx.params.get("dry_run")))
    return {"dry_run": bool(ctx.params.get("dry_run")), "purged": {r.policy.key: r.count for r in results}}
