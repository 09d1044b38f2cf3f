"""``lms worker`` and ``lms jobs list|enqueue|run|run-due``: queue and run background jobs outside the web
process."""

from __future__ import annotations

import hashlib
import json

import click
from flask import current_app
from flask_babel import gettext as _

from lms.exceptions import DomainError
from lms.jobs.models import JobState

# The queues an RQ worker serves (every kind is on the core's since the certificates bulk issue moved onto it).
WORKER_QUEUES = ("lms",)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when no job is waiting (default: run until stopped).")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between looks at the table (without Redis).")
def worker_command(burst: bool, poll: float) -> None:
    """Run background jobs: an RQ worker on LMS_REDIS_URL, or without Redis a loop over the jobs table."""
    from lms.jobs.runners import database_loop, rq_queue

    app = current_app._get_current_object()
    if app.config.get("LMS_REDIS_URL"):
        from rq import Worker

        queues = [rq_queue(app, name) for name in WORKER_QUEUES]
        click.echo(_("RQ worker on queues %(queues)s", queues=", ".join(WORKER_QUEUES)))
        # The scheduler moves retries enqueued with enqueue_in onto the queue when they are due.
        Worker(queues, connection=queues[0].connection).work(burst=burst, with_scheduler=True)
        return
    click.echo(_("No LMS_REDIS_URL: running due jobs from the database every %(n)s s.", n=poll))
    try:
        count = database_loop(poll_seconds=poll, burst=burst, echo=click.echo)
    except KeyboardInterrupt:
        return
    click.echo(_("%(n)d job(s) run.", n=count))


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: list them, run one, run those that are due."""


@jobs_group.command("list")
@click.option("--state", type=click.Choice([s.value for s in JobState]), default=None)
@click.option("--kind", default=None)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_command(state: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """The newest jobs: id, kind, state, progress and message."""
    from lms.jobs.services import job_summary, list_jobs

    rows = list_jobs(state, kind, limit)
    if as_json:
        click.echo(json.dumps([job_summary(j) for j in rows]))
        return
    for j in rows:
        click.echo(f"{j.id:>6}  {j.kind:<24} {j.state:<8} {j.done}/{j.total}  {j.message}")
    if not rows:
        click.echo(_("No jobs."))


def _param(_ctx, _option, values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not k=v")
        params[name] = text
    return params


def enqueue_key(kind: str, params: dict[str, str]) -> str:
    """The key of a job queued from the command line: the same kind and parameters make one unfinished job, so
    two crons that fire at once (or a run that overlaps the previous one) queue it once."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    return f"cli:{kind}:{digest}"


@jobs_group.command("enqueue")
@click.argument("kind")
@click.option("--param", "params", multiple=True, callback=_param, metavar="K=V", help="A parameter (repeatable).")
def enqueue_command(kind: str, params: dict[str, str]) -> None:
    """Queue a job of KIND (for cron) and print its id; while one with the same parameters is unfinished,
    print that one's id instead."""
    from lms.cli import fail
    from lms.jobs.runners import runner_name
    from lms.jobs.services import enqueue, job_kind

    if job_kind(kind) is None:
        fail(f"KIND: no job kind {kind!r} is registered")
    # A thread would die with this process: then the row waits for `lms worker` or `lms jobs run-due`.
    dispatch = runner_name(current_app) != "thread"
    job = enqueue(kind, params=params, key=enqueue_key(kind, params), dispatch=dispatch)
    click.echo(job.id)


@jobs_group.command("run")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def run_command(job_id: int, as_json: bool) -> None:
    """Run job JOB_ID here and now (a queued one before its time; a failed one once more)."""
    from lms.cli import fail
    from lms.jobs.services import job_summary, run_job_by_id

    try:
        job = run_job_by_id(job_id)
    except DomainError as exc:
        fail(f"job {job_id}: {exc.message}")
    if as_json:
        click.echo(json.dumps(job_summary(job)))
    else:
        click.echo(f"job {job.id} ({job.kind}): {job.state}; {job.message}")
    if job.state != JobState.FINISHED.value:
        raise SystemExit(1)


@jobs_group.command("run-due")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def run_due_command(as_json: bool) -> None:
    """Run the queued jobs whose time has come, and take over running jobs whose worker stopped."""
    from lms.jobs.services import job_summary, run_due

    report = run_due()
    if as_json:
        click.echo(json.dumps({"recovered": report.recovered, "ran": [job_summary(j) for j in report.ran]}))
        return
    for job_id in report.recovered:
        click.echo(_("job %(id)d: its worker had stopped; queued again", id=job_id))
    for j in report.ran:
        click.echo(f"job {j.id} ({j.kind}): {j.state}; {j.message}")
    click.echo(_("%(n)d job(s) run.", n=len(report.ran)))
