"""Large exports as a background job (``records.export``): the same export as the download of /records/exports,
written into a file under ``RECORDS_EXPORT_DIR`` (default ``instance/exports/``, never a static folder) and
fetched from ``/records/exports/files/<job id>`` by the person who asked for it (and administrators).

The job's parameters hold what was asked for as plain values (the filters as chosen, ids not objects), so each
run rebuilds the filters with the page's own scope check for the job's creator: someone who is no longer a
registrar of the academy gets no file. A run writes to its own random file name, fixed when the job is queued:
a retry overwrites what an earlier attempt left. The export is audited as a download is (``records.exported``),
with the job's id. Files older than ``RECORDS_EXPORT_FILE_DAYS`` go in ``lms privacy purge``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms import jobs
from lms.exceptions import DomainError
from lms.extensions import db
from lms.jobs.services import job_for
from lms.models import User, UserStatus
from records import exports

JOB_KIND = "records.export"
PURGE_KEY = "records.export_files_to_delete"


def register(app: Flask) -> None:
    """Register the job kind and the files' retention purger (from the plugin's ``init_app``)."""
    from lms.registry import registry

    jobs.register(JOB_KIND, run_export_job, max_attempts=3, label=_l("Records export file"), app=app)
    registry("data_retention", app).register("records_export_files", purge_files)
    if not event.contains(Session, "after_commit", _delete_after_commit):
        event.listen(Session, "after_commit", _delete_after_commit)
        event.listen(Session, "after_rollback", _keep_after_rollback)


def export_folder() -> Path:
    """Where the export files are written: ``RECORDS_EXPORT_DIR`` or ``instance/exports``."""
    folder = current_app.config.get("RECORDS_EXPORT_DIR") or Path(current_app.instance_path) / "exports"
    return Path(folder)


def start_export_job(actor: User, kind: str, fmt: str, wanted: exports.FilterInput) -> jobs.Job:
    """Check that ``actor`` may export ``kind`` in ``fmt`` with the filters ``wanted`` (raises DomainError or
    NotFoundError, as the download does) and queue the job that writes the file; returns the job."""
    filters = exports.build_filters(actor, wanted)
    exports.start_export(actor, kind, fmt, filters)  # checks the kind and format before anything is queued
    params = {
        "kind": kind,
        "format": fmt,
        "filters": _plain(wanted),
        # Fixed now, so that every attempt of this job writes (and overwrites) the same file.
        "file": f"{secrets.token_hex(16)}.{exports.EXTENSIONS[fmt]}",
    }
    return jobs.enqueue(JOB_KIND, actor=actor, academy_id=wanted.academy_id, params=params)


def _plain(wanted: exports.FilterInput) -> dict[str, Any]:
    values = asdict(wanted)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _wanted(values: dict[str, Any]) -> exports.FilterInput:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return exports.FilterInput(
        academy_id=values.get("academy_id"),
        course_id=values.get("course_id"),
        cohort_id=values.get("cohort_id"),
        profession=values.get("profession") or "",
        country=values.get("country") or "",
        since=day(values.get("since")),
        until=day(values.get("until")),
    )


def _creator(ctx: jobs.JobContext) -> User:
    # Only a person starts this job; without one (deleted, or deactivated since) there is nobody to export for.
    user = db.session.get(User, ctx.created_by_id) if ctx.created_by_id is not None else None
    if user is None or user.status != UserStatus.ACTIVE:
        raise DomainError(_("The person who asked for the export can no longer export records."))
    return user


def run_export_job(ctx: jobs.JobContext) -> dict[str, Any]:
    """Job kind ``records.export``: rebuild the filters for the job's creator (the page's scope check: raises
    when they may no longer export them), write the file, and return its link, rows and file name.
    Idempotent: a run writes a temporary file next to the job's own and then replaces it."""
    actor = _creator(ctx)
    filters = exports.build_filters(actor, _wanted(ctx.params["filters"]))
    export = exports.start_export(actor, ctx.params["kind"], ctx.params["format"], filters)
    export.job_id = ctx.job_id
    folder = export_folder()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(ctx.params["file"]).name
    partial = target.with_name(target.name + ".part")
    with partial.open("wb") as out:
        for chunk in export.chunks():
            out.write(chunk)
    os.replace(partial, target)  # readers see the whole file or none
    return {"url": _path(ctx.job_id), "rows": export.rows, "filename": export.filename}


def _path(job_id: int) -> str:
    # A job may run outside any request (a worker, a thread), where url_for has no request to build from.
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="http")
    return adapter.build("records_exports.export_file", {"job_id": job_id}, force_external=False)


@dataclass(frozen=True)
class ExportFile:
    path: Path
    filename: str
    mimetype: str


def export_file(actor: User, job_id: int) -> ExportFile | None:
    """The file of export job ``job_id`` if ``actor`` may have it (its creator or an administrator) and it is
    still there; else None. Reads only: the export was audited when the file was made."""
    job = job_for(actor, job_id)
    if job is None or job.kind != JOB_KIND or job.state != jobs.JobState.FINISHED.value or not job.result:
        return None
    path = export_folder() / Path(job.params["file"]).name
    if not path.is_file():
        return None
    return ExportFile(path, job.result["filename"], exports.MIMETYPES[job.params["format"]])


# Retention ----------------------------------------------------------------------------------------------


def purge_files(cutoff: datetime) -> int:
    """``data_retention`` purger (``RECORDS_EXPORT_FILE_DAYS``, see lms.privacy): the export files last written
    before ``cutoff``. They are deleted when the purge commits, so a dry run (which rolls back) keeps them."""
    folder = export_folder()
    if not folder.is_dir():
        return 0
    limit = (cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=UTC)).timestamp()
    old = [p for p in folder.iterdir() if p.is_file() and p.stat().st_mtime < limit]
    db.session().info.setdefault(PURGE_KEY, []).extend(old)
    return len(old)


purge_files.retention_setting = "RECORDS_EXPORT_FILE_DAYS"  # type: ignore[attr-defined]


def _delete_after_commit(session: Session) -> None:
    for path in session.info.pop(PURGE_KEY, []):
        path.unlink(missing_ok=True)


def _keep_after_rollback(session: Session) -> None:
    session.info.pop(PURGE_KEY, None)
