"""Background jobs (lms/jobs): enqueue, progress, idempotent keys, retries with back-off, run-due, pages, CLI."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms import jobs
from lms.extensions import db as _db
from lms.jobs import services
from lms.jobs.models import Job, JobState
from lms.models import AuditEvent
from lms.models.base import utcnow
from lms.plugins import Plugin
from lms.registry import RegistryError
from tests.conftest import login

SEEN: list[dict] = []  # what the test job functions observed, for the assertions


def count_to(ctx: jobs.JobContext) -> dict:
    """Counts to params["n"], reporting progress, and notes the row as it stands after each report."""
    n = ctx.params["n"]
    for i in range(n):
        ctx.progress(i + 1, total=n, message=f"counted {i + 1}")
        row = _db.session.get(Job, ctx.job_id)
        SEEN.append({"done": row.done, "total": row.total, "message": row.message, "state": row.state})
    return {"counted": n}


def flaky(ctx: jobs.JobContext) -> dict | None:
    """Fails on its first params["fail_times"] attempts."""
    SEEN.append({"attempt": ctx.attempt})
    if ctx.attempt <= ctx.params["fail_times"]:
        raise RuntimeError(f"boom on attempt {ctx.attempt}")
    return None


class JobsTestPlugin(Plugin):
    name = "jobstest"

    def init_app(self, app):
        jobs.register("test.count", count_to, app=app)
        jobs.register("test.flaky", flaky, max_attempts=3, app=app)


@pytest.fixture
def japp(make_app):
    """An app with the test job kinds, inline runner, inside the test's transaction."""
    SEEN.clear()
    other = make_app(plugins=[JobsTestPlugin])
    with other.app_context():
        yield other


def test_enqueue_inline_runs_the_job_before_returning(japp, users):
    job = jobs.enqueue("test.count", actor=users["trainer"], params={"n": 3})
    assert job.state == JobState.FINISHED
    assert job.result == {"counted": 3}
    assert (job.done, job.total, job.percent, job.attempts) == (3, 3, 100, 0)
    assert job.created_by_id == users["trainer"].id
    assert job.started_at is not None and job.finished_at >= job.started_at


def test_progress_is_committed_while_the_job_runs(japp):
    job = jobs.enqueue("test.count", params={"n": 2})
    assert SEEN == [
        {"done": 1, "total": 2, "message": "counted 1", "state": "running"},
        {"done": 2, "total": 2, "message": "counted 2", "state": "running"},
    ]
    assert job.message == "counted 2"


def test_enqueue_refuses_unknown_kinds_and_non_json_params(japp):
    with pytest.raises(ValueError, match="no job kind"):
        jobs.enqueue("test.nothing", params={})
    with pytest.raises(ValueError, match="JSON"):
        jobs.enqueue("test.count", params={"n": object()})


def test_a_kind_registers_once(japp):
    with pytest.raises(RegistryError):
        jobs.register("test.count", count_to, app=japp)


def test_a_key_returns_the_unfinished_job_and_frees_once_it_ends(japp):
    first = jobs.enqueue("test.flaky", params={"fail_times": 1}, key="k-1")
    assert first.state == JobState.QUEUED  # its first attempt failed: unfinished, waiting for a retry
    again = jobs.enqueue("test.flaky", params={"fail_times": 0}, key="k-1")
    assert again.id == first.id
    services.run_due(now=utcnow() + timedelta(hours=1))
    assert _db.session.get(Job, first.id).state == JobState.FINISHED
    new = jobs.enqueue("test.flaky", params={"fail_times": 0}, key="k-1")
    assert new.id != first.id and new.state == JobState.FINISHED


def test_the_database_settles_two_enqueues_of_one_key(japp, monkeypatch):
    first = jobs.enqueue("test.flaky", params={"fail_times": 1}, key="race")
    # The second request looked before the first committed: only the partial unique index stops it.
    real = services._unfinished_with_key
    calls = iter([None])
    monkeypatch.setattr(services, "_unfinished_with_key", lambda key: next(calls, None) or real(key))
    second = jobs.enqueue("test.flaky", params={"fail_times": 0}, key="race")
    assert second.id == first.id
    assert _db.session.scalar(select(func.count(Job.id)).where(Job.key == "race")) == 1


def test_backoff_doubles_and_is_capped():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.backoff_seconds(50) == services.BACKOFF_CAP_SECONDS


def test_a_failing_job_is_retried_with_backoff_then_fails(japp, caplog, monkeypatch):
    # Alembic's fileConfig (migrations/env.py) disables the loggers that exist when the test schema is built.
    monkeypatch.setattr(services.log, "disabled", False)
    job = jobs.enqueue("test.flaky", params={"fail_times": 99})
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert job.run_after == job.updated_at + timedelta(seconds=30)
    assert "boom on attempt 1" in job.message and "boom on attempt 1" in caplog.text
    # Not due yet: a pass now leaves it alone.
    assert services.run_due(now=job.updated_at + timedelta(seconds=29)).ran == []
    services.run_due(now=job.updated_at + timedelta(seconds=31))
    job = _db.session.get(Job, job.id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 2)
    assert job.run_after == job.updated_at + timedelta(seconds=60)
    services.run_due(now=job.updated_at + timedelta(seconds=61))
    job = _db.session.get(Job, job.id)
    assert (job.state, job.attempts, job.max_attempts) == (JobState.FAILED, 3, 3)
    assert "boom on attempt 3" in job.message and job.finished_at is not None
    assert [s["attempt"] for s in SEEN] == [1, 2, 3]
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.action == "jobs.failed"))
    assert event.object_id == str(job.id) and event.details["attempts"] == 3
    # Failed for good: no pass picks it again.
    assert services.run_due(now=utcnow() + timedelta(days=1)).ran == []


def _row(db, **fields) -> Job:
    job = Job(kind=fields.pop("kind", "test.flaky"), params=fields.pop("params", {"fail_times": 0}), **fields)
    db.session.add(job)
    db.session.commit()
    return job


def test_run_due_runs_due_jobs_and_takes_over_stale_running_ones(japp, db):
    now = utcnow()
    due = _row(db, run_after=now - timedelta(seconds=1))
    later = _row(db, run_after=now + timedelta(minutes=5))
    stale = _row(db, state="running", started_at=now - timedelta(hours=2), updated_at=now - timedelta(hours=2))
    busy = _row(db, state="running", started_at=now - timedelta(hours=2), updated_at=now - timedelta(minutes=1))
    ids = (due.id, later.id, stale.id, busy.id)
    report = services.run_due(now=now)
    assert report.recovered == [stale.id]
    assert sorted(j.id for j in report.ran) == sorted([due.id, stale.id])
    states = {j.id: (j.state, j.attempts) for j in db.session.scalars(select(Job).where(Job.id.in_(ids)))}
    assert states == {
        due.id: ("finished", 0),
        later.id: ("queued", 0),
        stale.id: ("finished", 1),  # the lost run counts as an attempt
        busy.id: ("running", 0),
    }


def test_a_stale_job_that_used_its_last_attempt_fails(japp, db):
    old = utcnow() - timedelta(hours=2)
    job = _row(db, state="running", attempts=2, max_attempts=3, started_at=old, updated_at=old)
    report = services.run_due()
    assert report.recovered == [job.id] and report.ran == []
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FAILED and "worker stopped" in job.message


def test_the_core_registers_the_retention_purge_as_a_job(app, db):
    job = jobs.enqueue("privacy.purge", params={"dry_run": True})
    assert job.state == JobState.FINISHED
    assert job.result["dry_run"] is True and {"audit", "jobs"} <= set(job.result["purged"])


def test_old_ended_jobs_are_purged_and_unfinished_ones_kept(app, db):
    old = utcnow() - timedelta(days=400)
    ended = _row(db, state="finished", finished_at=old).id
    waiting = _row(db, created_at=old).id
    assert services.purge_jobs(utcnow() - timedelta(days=90)) == 1
    db.session.commit()
    assert db.session.get(Job, ended) is None and db.session.get(Job, waiting) is not None


# Status pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("learner", 200), ("trainer", 404), ("registrar", 404), ("admin", 200)])
def test_a_job_page_is_for_its_creator_and_administrators(app, db, client, users, role, status):
    job = _row(db, kind="test.count", created_by_id=users["learner"].id, total=4, done=1, state="running")
    login(client, users[role])
    response = client.get(f"/jobs/{job.id}")
    assert response.status_code == status
    if status == 200:
        html = response.get_data(as_text=True)
        assert '<progress max="100" value="25"' in html
        assert 'http-equiv="refresh" content="3"' in html


def test_a_finished_job_page_shows_the_result_and_stops_refreshing(app, db, client, users):
    job = _row(db, created_by_id=users["learner"].id, state="finished", result={"sent": 12, "url": "/jobs/"})
    login(client, users["learner"])
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "refresh" not in html and "sent" in html and "12" in html
    assert 'href="/jobs/">' in html


def test_the_job_list_shows_own_jobs_and_administrators_all(app, db, client, users, make_user):
    mine = _row(db, created_by_id=users["learner"].id)
    theirs = _row(db, created_by_id=users["trainer"].id)
    login(client, users["learner"])
    html = client.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{mine.id}" in html and f"/jobs/{theirs.id}" not in html
    admin = app.test_client()
    login(admin, users["admin"])
    html = admin.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{mine.id}" in html and f"/jobs/{theirs.id}" in html


def test_only_administrators_get_the_jobs_nav_item(app, client, users):
    login(client, users["registrar"])
    assert 'href="/jobs/"' not in client.get("/dashboard").get_data(as_text=True)
    admin = app.test_client()
    login(admin, users["admin"])
    assert 'href="/jobs/"' in admin.get("/dashboard").get_data(as_text=True)


# Command line ------------------------------------------------------------------------------------------


def test_cli_list_json(japp, db):
    job = jobs.enqueue("test.count", params={"n": 1}, key="cli-list")
    result = japp.test_cli_runner().invoke(args=["lms", "jobs", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    row = next(r for r in rows if r["id"] == job.id)
    assert row["kind"] == "test.count" and row["state"] == "finished" and row["key"] == "cli-list"
    assert row["result"] == {"counted": 1}


def test_cli_run_runs_a_queued_job_before_its_time_and_refuses_finished_ones(japp, db):
    job = _row(db, run_after=utcnow() + timedelta(hours=1))
    runner = japp.test_cli_runner()
    result = runner.invoke(args=["lms", "jobs", "run", str(job.id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["state"] == "finished"
    result = runner.invoke(args=["lms", "jobs", "run", str(job.id)])
    assert result.exit_code == 1 and "finished already" in result.output
    result = runner.invoke(args=["lms", "jobs", "run", "987654"])
    assert result.exit_code == 1 and "No such job" in result.output


def test_cli_run_gives_a_failed_job_one_more_attempt(japp, db):
    job = _row(db, state="failed", attempts=3, max_attempts=3, params={"fail_times": 3})
    result = japp.test_cli_runner().invoke(args=["lms", "jobs", "run", str(job.id)])
    assert result.exit_code == 0, result.output
    assert db.session.get(Job, job.id).state == JobState.FINISHED


def test_cli_run_due_and_worker_burst(japp, db):
    now = utcnow()
    first = _row(db, run_after=now - timedelta(seconds=1))
    runner = japp.test_cli_runner()
    result = runner.invoke(args=["lms", "jobs", "run-due", "--json"])
    assert result.exit_code == 0, result.output
    assert [j["id"] for j in json.loads(result.output)["ran"]] == [first.id]
    second = _row(db, run_after=now - timedelta(seconds=1))
    result = runner.invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert f"job {second.id} (test.flaky): finished" in result.output
    assert db.session.get(Job, second.id).state == JobState.FINISHED


# Runners -----------------------------------------------------------------------------------------------


def test_auto_runner_is_rq_with_redis_else_thread(make_app):
    from lms.jobs.runners import runner_name

    assert runner_name(make_app(LMS_JOB_RUNNER="auto")) == "thread"
    assert runner_name(make_app(LMS_JOB_RUNNER="auto", LMS_REDIS_URL="redis://127.0.0.1:1/0")) == "rq"
    with pytest.raises(ValueError, match="LMS_JOB_RUNNER"):
        runner_name(make_app(LMS_JOB_RUNNER="cron"))


def test_thread_runner_runs_the_job_in_its_own_app_context(committed_app):
    committed_app.config["LMS_JOB_RUNNER"] = "thread"
    with committed_app.app_context():
        job_id = jobs.enqueue("privacy.purge", params={"dry_run": True}).id
        _db.session.commit()  # reading the id began a transaction: end it, or SQLite's writer lock stays here
        for thread in threading.enumerate():
            if thread.name == f"lms-job-{job_id}":
                thread.join()
        _db.session.remove()
        job = _db.session.get(Job, job_id)
        assert job.state == JobState.FINISHED and job.result["dry_run"] is True
