"""Who runs a job (``LMS_JOB_RUNNER``): ``rq``, ``thread``, ``inline``, or ``auto`` (rq when ``LMS_REDIS_URL`` is
set, else thread).

- ``rq`` puts the job id on the RQ queue ``lms``; ``lms worker`` runs :func:`run_in_worker`, which builds the
  app from the environment. A retry is enqueued with ``enqueue_in`` (the worker runs RQ's scheduler); if Redis
  lost it, the row's ``run_after`` still brings it back in ``lms worker``'s or ``lms jobs run-due``'s pass.
  When Redis cannot be reached, the job runs in a thread instead (a warning is logged).
- ``thread`` runs it in a daemon thread of this process with its own app context; a retry waits in a timer
  thread. A process that exits takes its threads along, so the row stays queued (or running, then stale) and
  the next ``lms jobs run-due`` finishes it.
- ``inline`` runs it before :func:`lms.jobs.enqueue` returns (tests, the command line); its retries wait for
  ``run-due``.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from datetime import timedelta

from flask import Flask, current_app

log = logging.getLogger(__name__)

QUEUE = "lms"
RUNNERS = ("auto", "rq", "thread", "inline")
JOB_TIMEOUT_SECONDS = 6 * 3600


def runner_name(app: Flask) -> str:
    """The runner this app uses, with ``auto`` resolved."""
    name = app.config["LMS_JOB_RUNNER"]
    if name not in RUNNERS:
        raise ValueError(f"LMS_JOB_RUNNER: unknown runner {name!r} (one of {', '.join(RUNNERS)})")
    if name == "auto":
        return "rq" if app.config.get("LMS_REDIS_URL") and importlib.util.find_spec("rq") else "thread"
    return name


def rq_queue(app: Flask, name: str = QUEUE):
    from redis import Redis
    from rq import Queue

    return Queue(name, connection=Redis.from_url(app.config["LMS_REDIS_URL"]))


def dispatch(job_id: int, delay: int = 0) -> None:
    """Hand job ``job_id`` to the configured runner, to run now or in ``delay`` seconds."""
    from redis.exceptions import RedisError

    app = current_app._get_current_object()
    name = runner_name(app)
    if name == "rq":
        try:
            queue = rq_queue(app)
            if delay > 0:
                queue.enqueue_in(timedelta(seconds=delay), run_in_worker, job_id, job_timeout=JOB_TIMEOUT_SECONDS)
            else:
                queue.enqueue(run_in_worker, job_id, job_timeout=JOB_TIMEOUT_SECONDS)
            return
        except RedisError as exc:
            # Redis is down: the job's row is committed, so neither the request that enqueued it should fail nor
            # the job wait for Redis. This process runs it in a thread; the claim keeps it from running twice.
            log.warning("job %s: Redis is unreachable (%s); running it in a thread of this process", job_id, exc)
            name = "thread"
    if name == "thread":
        timer = threading.Timer(delay, _run_in_app, args=(app, job_id))
        timer.name, timer.daemon = f"lms-job-{job_id}", True
        timer.start()
    elif delay <= 0:
        from lms.jobs.services import run_job

        run_job(job_id)


def _run_in_app(app: Flask, job_id: int) -> None:
    from lms.extensions import db
    from lms.jobs.services import run_job

    with app.app_context():
        try:
            run_job(job_id, redispatch=True)
        except Exception:  # a thread has nobody to report to: the log is where this goes
            log.exception("job %s: the runner failed", job_id)
        finally:
            db.session.remove()


def run_in_worker(job_id: int) -> None:
    """What an RQ worker runs: the app from the environment, then the job (a retry is enqueued again)."""
    from lms import create_app
    from lms.jobs.services import run_job

    with create_app().app_context():
        run_job(job_id, redispatch=True)


def database_loop(*, poll_seconds: float = 5.0, burst: bool = False, echo=None) -> int:
    """``lms worker`` without Redis: run due jobs from the table until stopped (``burst``: until none is due).
    Returns how many jobs it ran."""
    from lms.jobs.services import run_due

    count = 0
    while True:
        report = run_due()
        for job in report.ran:
            count += 1
            if echo:
                echo(f"job {job.id} ({job.kind}): {job.state}")
        if burst and not report.ran:
            return count
        if not report.ran:
            time.sleep(poll_seconds)
