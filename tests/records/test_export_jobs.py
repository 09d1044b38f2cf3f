"""Exports made in the background (records.export_jobs): the job writes the same rows as a direct export and
audits them, only its creator (and administrators) fetch the file, the creator's scope is checked again when the
job runs, a retry overwrites its own file, the page's button queues the job, and the retention purge deletes old
files (not in a dry run)."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from lms import jobs
from lms.jobs.models import Job, JobState
from lms.models import AuditEvent, Membership
from lms.privacy.services import purge
from records import export_jobs, exports
from tests.conftest import csrf_from, login
from tests.records.test_exports import _filters, world  # noqa: F401 (the fixture)


@pytest.fixture
def folder(app, tmp_path, monkeypatch) -> Path:
    target = tmp_path / "exports"
    monkeypatch.setitem(app.config, "RECORDS_EXPORT_DIR", str(target))
    return target


def _direct(actor, kind: str, fmt: str) -> tuple[bytes, int]:
    out = io.BytesIO()
    rows = exports.export(actor, kind, fmt, _filters(actor), out)
    return out.getvalue(), rows


def _file(job: Job, folder: Path) -> Path:
    return folder / job.params["file"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_job_writes_the_rows_of_a_direct_export_and_audits_them(world, folder, db, fmt):  # noqa: F811
    registrar = world["users"]["registrar"]
    job = export_jobs.start_export_job(registrar, "results", fmt, exports.FilterInput())
    assert job.state == JobState.FINISHED.value  # the test config runs jobs inline
    written = _file(job, folder).read_bytes()
    direct, rows = _direct(registrar, "results", fmt)
    assert written == direct and rows >= 1
    assert job.result == {"url": f"/records/exports/files/{job.id}", "rows": rows, "filename": job.result["filename"]}
    assert job.result["filename"].startswith("results-") and job.result["filename"].endswith(f".{fmt}")
    if fmt == "json":
        assert len(json.loads(written)) == rows
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "records.exported")).all()
    made = [e for e in events if e.details.get("job") == job.id]
    assert len(made) == 1 and made[0].details["rows"] == rows and made[0].actor_id == registrar.id
    assert not list(folder.glob("*.part"))


def test_a_rerun_overwrites_its_own_file(world, folder):  # noqa: F811
    registrar = world["users"]["registrar"]
    job = export_jobs.start_export_job(registrar, "enrolments", "csv", exports.FilterInput())
    path = _file(job, folder)
    expected = path.read_bytes()
    path.write_bytes(b"half a file")
    ctx = jobs.JobContext(job.id, job.kind, dict(job.params), job.academy_id, job.created_by_id)
    assert export_jobs.run_export_job(ctx)["rows"] == job.result["rows"]
    assert path.read_bytes() == expected and len(list(folder.iterdir())) == 1


def test_the_scope_is_checked_again_when_the_job_runs(world, folder, db):  # noqa: F811
    registrar = world["users"]["registrar"]
    job = jobs.enqueue(
        export_jobs.JOB_KIND,
        actor=registrar,
        params={"kind": "results", "format": "csv", "filters": {}, "file": "x.csv"},
        dispatch=False,
    )
    # The registrar loses the role before the job runs: it fails, and writes nothing.
    for membership in db.session.scalars(select(Membership).where(Membership.user_id == registrar.id)):
        db.session.delete(membership)
    db.session.commit()
    ran = jobs.services.run_job(job.id)
    assert ran.state != JobState.FINISHED.value and ran.attempts == 1 and not ran.result
    assert not (folder / "x.csv").exists()


def test_another_academy_cannot_be_asked_for(world, folder):  # noqa: F811
    registrar = world["users"]["registrar"]
    wanted = exports.FilterInput(academy_id=world["theirs"].academy.id)
    with pytest.raises(exports.NotFoundError):
        export_jobs.start_export_job(registrar, "results", "csv", wanted)
    assert not folder.exists() or not list(folder.iterdir())


def _prepare(client, query: str = ""):
    token = csrf_from(client.get(f"/records/exports?{query}").get_data(as_text=True))
    fields = dict(pair.split("=", 1) for pair in query.split("&") if pair)
    return client.post("/records/exports/prepare", data={"csrf_token": token, **fields})


def test_the_page_button_queues_the_job_and_the_creator_downloads_the_file(
    app,
    client,
    world,  # noqa: F811
    folder,
    make_user,
    academy,
    db,
):
    registrar = world["users"]["registrar"]
    login(client, registrar)
    page = client.get("/records/exports?kind=results").get_data(as_text=True)
    assert "Prepare the file in the background" in page and 'formaction="/records/exports/prepare"' in page
    response = _prepare(client, "kind=results&format=csv")
    assert response.status_code == 302
    job = db.session.scalars(select(Job).where(Job.kind == export_jobs.JOB_KIND)).one()
    assert response.headers["Location"] == f"/jobs/{job.id}"
    assert f"/records/exports/files/{job.id}" in client.get(f"/jobs/{job.id}").get_data(as_text=True)

    download = client.get(f"/records/exports/files/{job.id}")
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and job.result["filename"] in disposition
    assert download.get_data() == _file(job, folder).read_bytes()

    others = {
        "registrar of the same academy": (make_user("registrar3", roles={academy: ["registrar"]}), 404),
        "registrar of another academy": (world["theirs"].registrar, 404),
        "learner": (world["users"]["learner"], 403),
        "admin": (world["users"]["admin"], 200),
    }
    for who, (user, status) in others.items():
        other = app.test_client()
        login(other, user)
        assert other.get(f"/records/exports/files/{job.id}").status_code == status, who

    _file(job, folder).unlink()
    assert client.get(f"/records/exports/files/{job.id}").status_code == 404


def test_the_button_needs_its_token_and_valid_filters(client, world, folder):  # noqa: F811
    login(client, world["users"]["registrar"])
    assert client.post("/records/exports/prepare", data={"kind": "results"}).status_code == 400
    assert _prepare(client, f"academy={world['theirs'].academy.id}").status_code == 400
    assert client.get("/records/exports/prepare").status_code == 405


def test_files_of_other_jobs_are_not_served(client, world, folder, db):  # noqa: F811
    admin = world["users"]["admin"]
    other = jobs.enqueue("privacy.purge", actor=admin, params={"dry_run": True})
    login(client, admin)
    assert client.get(f"/records/exports/files/{other.id}").status_code == 404


def test_the_purge_deletes_old_files_but_not_in_a_dry_run(app, world, folder, monkeypatch):  # noqa: F811
    registrar = world["users"]["registrar"]
    old = _file(export_jobs.start_export_job(registrar, "results", "csv", exports.FilterInput()), folder)
    new = _file(export_jobs.start_export_job(registrar, "results", "json", exports.FilterInput()), folder)
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))

    counts = {r.policy.key: r.count for r in purge(dry_run=True)}
    assert counts["records_export_files"] == 1 and old.exists()
    counts = {r.policy.key: r.count for r in purge()}
    assert counts["records_export_files"] == 1 and not old.exists() and new.exists()

    monkeypatch.setitem(app.config, "RECORDS_EXPORT_FILE_DAYS", 0)  # 0: kept forever
    os.utime(new, (eight_days_ago, eight_days_ago))
    assert {r.policy.key: r.count for r in purge()}["records_export_files"] is None and new.exists()


def test_the_job_kind_and_purger_are_registered(app):
    from lms.registry import registry

    with app.app_context():
        assert jobs.services.job_kind(export_jobs.JOB_KIND) is not None
        assert "records_export_files" in registry("data_retention")
