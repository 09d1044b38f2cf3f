"""``lms records export``: the completion exports on the command line (see /work/shared/INTERFACES.md).

The command runs on the server, so it sees every academy (``--academy`` narrows it) and is audited with no
actor, as the other commands are. A wrong option value (an unknown academy, course or cohort, a bad date) is a
usage error: the message names the option and the exit code is 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from courses.models import Course
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import COUNTRIES, PROFESSIONS, Academy
from records import exports
from records.filters import FORMATS, KINDS

OPTIONS = {"academy": "--academy", "course": "--course", "cohort": "--cohort", "profession": "--profession"}
OPTIONS |= {"country": "--country", "since": "--since", "until": "--until", "kind": "--kind", "format": "--format"}


def records_group(app: Flask) -> click.Group:
    """The ``lms records`` group (shared by the records plugin's commands): the one already added, or a new one."""
    from lms.cli import add_command

    group = app.extensions["lms.cli"].commands.get("records")
    if group is None:
        group = click.Group("records", help="Exports of the learning records and xAPI pushes.")
        add_command(app, group)
    return group


def _by_slug(model, slug: str | None, option: str) -> int | None:
    if not slug:
        return None
    found = db.session.scalar(select(model.id).where(model.slug == slug))
    if found is None:
        raise click.BadParameter(f"no {model.__name__.lower()} '{slug}'", param_hint=option)
    return found


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="File format.")
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="progress",
    show_default=True,
    help="Which records: progress is the completion record (one row per learner and course: status, progress, "
    "enrolled, last activity, completed, as the course progress report); enrolments; results (finished quiz "
    "attempts); certificates (with CPD hours). With --format xapi: the statements of that kind.",
)
@click.option("--academy", "academy_slug", help="Only this academy (its slug); default: every academy.")
@click.option("--course", "course_slug", help="Only this course (its slug).")
@click.option("--cohort", "cohort_id", type=int, help="Only members of this cohort (its id).")
@click.option("--profession", type=click.Choice(sorted(PROFESSIONS)), help="Only learners of this profession.")
@click.option(
    "--country", type=click.Choice(sorted(COUNTRIES), case_sensitive=False), help="Only learners from this country."
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this UTC day (YYYY-MM-DD), inclusive.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="To this UTC day (YYYY-MM-DD), inclusive.")
@click.option("-o", "--output", required=True, help="File to write, or - for standard output (XLSX is binary).")
def export_command(
    fmt: str,
    kind: str,
    academy_slug: str | None,
    course_slug: str | None,
    cohort_id: int | None,
    profession: str | None,
    country: str | None,
    since,
    until,
    output: str,
) -> None:
    """Export completion records: progress (default), enrolments, quiz results or certificates.

    The date range applies to each record's own date: last activity (progress), enrolment, the attempt's
    finish, the certificate's issue. Audited."""
    wanted = exports.FilterInput(
        academy_id=_by_slug(Academy, academy_slug, "--academy"),
        course_id=_by_slug(Course, course_slug, "--course"),
        cohort_id=cohort_id,
        profession=profession or "",
        country=country or "",
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    try:
        filters = exports.build_filters(None, wanted)
        job = exports.start_export(None, kind, fmt, filters)
    except DomainError as exc:
        raise click.BadParameter(exc.message, param_hint=OPTIONS.get(exc.field or "", None)) from exc
    if output == "-":
        _write(job, sys.stdout.buffer)  # bytes: an XLSX is binary
        click.echo(f"{job.rows} record(s) written.", err=True)
        return
    path = Path(output)
    try:
        out = path.open("wb")
    except OSError as exc:
        raise click.BadParameter(f"cannot write '{path}': {exc.strerror}", param_hint="-o") from exc
    try:
        with out:
            _write(job, out)
    except BaseException:
        path.unlink(missing_ok=True)  # no half-written file left behind
        raise
    click.echo(f"{job.rows} record(s) written to {path}.")


def _write(job: exports.Export, out) -> None:
    for chunk in job.chunks():
        out.write(chunk)
    out.flush()


def init_app(app: Flask) -> None:
    """Add ``lms records export``."""
    records_group(app).add_command(export_command)
