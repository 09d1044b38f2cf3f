"""The ``lms quizzes`` command group: GIFT and Moodle XML import and export, and the overdue-attempts job.

``import-gift FILE --dry-run --json`` prints ``{"questions": [...], "errors": [...]}`` and writes nothing; the
exit code is 0 without errors and 1 with any. Without ``--dry-run`` the import is all or nothing into the
question bank of ``--course`` or of ``--academy`` (shared by the academy's courses): exactly one of them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from courses.models import Course
from lms.cli import fail
from lms.extensions import db
from lms.models import Academy
from quizzes import bank
from quizzes.formats.gift import parse_gift, write_gift
from quizzes.formats.moodle_xml import parse_moodle_xml, write_moodle_xml


@click.group("quizzes")
def quizzes_group() -> None:
    """Question bank import and export (GIFT, Moodle XML) and quiz jobs."""


def _owner(course_slug: str | None, academy_slug: str | None, required: bool) -> bank.Owner | None:
    """The course or academy named by ``--course`` or ``--academy`` (exactly one when ``required``)."""
    if course_slug and academy_slug:
        fail("--course, --academy: give one of them, not both")
    if academy_slug:
        academy = db.session.scalar(select(Academy).where(Academy.slug == academy_slug))
        if academy is None:
            fail(f"--academy: no academy '{academy_slug}'")
        return academy
    if course_slug:
        course = db.session.scalar(select(Course).where(Course.slug == course_slug))
        if course is None:
            fail(f"--course: no course '{course_slug}'")
        return course
    if required:
        fail("--course or --academy: give the course or the academy whose question bank to use")
    return None


def _read_text(file: Path) -> str:
    try:
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 text (byte {exc.start})")
    return ""


def _report(file: Path, questions: list[dict], errors: list[dict], as_json: bool, dry_run: bool, created: int) -> None:
    if as_json:
        click.echo(json.dumps({"questions": questions, "errors": errors}, ensure_ascii=False, indent=2))
    else:
        for error in errors:
            where = f"{file}:{error['line']}" if error.get("line") else str(file)
            click.echo(f"{where}: question {error['index'] + 1}: {error['message']}", err=True)
    if errors:
        if not as_json:
            click.echo(f"{len(errors)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    if not as_json:
        if dry_run:
            click.echo(f"{file}: {len(questions)} question(s), no errors; nothing written (dry run).")
        else:
            click.echo(f"{created} question(s) imported.")


def _import(
    file: Path, course_slug: str | None, academy_slug: str | None, dry_run: bool, as_json: bool, parsed
) -> None:
    owner = _owner(course_slug, academy_slug, required=not dry_run)
    if owner is None:  # a dry run without a bank: check the file against the question types only
        errors = list(parsed.errors)
        for index, line, exc in bank.check_exchange(parsed.questions, parsed.lines, parsed.errors):
            if exc is not None:
                errors.append({"index": index, "line": line, "message": bank._error_text(exc)})
        _report(file, parsed.questions, sorted(errors, key=lambda e: e["index"]), as_json, True, 0)
        return
    report = bank.import_questions(
        None, owner, parsed.questions, parsed.lines, parsed.errors, dry_run=dry_run, source=file.name
    )
    _report(file, report.questions, sorted(report.errors, key=lambda e: e["index"]), as_json, dry_run, report.created)


@quizzes_group.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_slug", default=None, help="Course slug whose question bank receives them.")
@click.option("--academy", "academy_slug", default=None, help="Or the academy slug whose shared bank receives them.")
@click.option("--dry-run", is_flag=True, help="Parse and check, writing nothing.")
@click.option("--json", "as_json", is_flag=True, help='Print {"questions": [...], "errors": [...]}.')
def import_gift(file: Path, course_slug: str | None, academy_slug: str | None, dry_run: bool, as_json: bool) -> None:
    """Import questions from a Moodle GIFT file, all or nothing."""
    _import(file, course_slug, academy_slug, dry_run, as_json, parse_gift(_read_text(file)))


@quizzes_group.command("import-xml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "course_slug", default=None, help="Course slug whose question bank receives them.")
@click.option("--academy", "academy_slug", default=None, help="Or the academy slug whose shared bank receives them.")
@click.option("--dry-run", is_flag=True, help="Parse and check, writing nothing.")
@click.option("--json", "as_json", is_flag=True, help='Print {"questions": [...], "errors": [...]}.')
def import_xml(file: Path, course_slug: str | None, academy_slug: str | None, dry_run: bool, as_json: bool) -> None:
    """Import questions from a Moodle XML file, all or nothing."""
    _import(file, course_slug, academy_slug, dry_run, as_json, parse_moodle_xml(file.read_bytes()))


def _exchange(course_slug: str | None, academy_slug: str | None) -> list[dict]:
    owner = _owner(course_slug, academy_slug, required=True)
    return [bank.to_exchange(q) for q in bank.bank_questions(owner)]


@quizzes_group.command("export-gift")
@click.option("--course", "course_slug", default=None, help="Course slug whose question bank to export.")
@click.option("--academy", "academy_slug", default=None, help="Or the academy slug whose shared bank to export.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default: -)")
def export_gift(course_slug: str | None, academy_slug: str | None, output: Path | None) -> None:
    """Export a course's or an academy's question bank as GIFT (ordering and cloze questions are left out: GIFT
    has neither)."""
    questions = [q for q in _exchange(course_slug, academy_slug) if q["type"] not in ("ordering", "cloze")]
    text = write_gift(questions)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(questions)} question(s) written to {output}")
    else:
        click.echo(text, nl=False)


@quizzes_group.command("export-xml")
@click.option("--course", "course_slug", default=None, help="Course slug whose question bank to export.")
@click.option("--academy", "academy_slug", default=None, help="Or the academy slug whose shared bank to export.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default: -)")
def export_xml(course_slug: str | None, academy_slug: str | None, output: Path | None) -> None:
    """Export a course's or an academy's question bank as Moodle XML."""
    questions = [q for q in _exchange(course_slug, academy_slug) if q["type"] not in ("ordering", "cloze")]
    data = write_moodle_xml(questions)
    if output:
        output.write_bytes(data)
        click.echo(f"{len(questions)} question(s) written to {output}")
    else:
        sys.stdout.buffer.write(data)


@quizzes_group.command("close-overdue")
def close_overdue_command() -> None:
    """Finish and grade every attempt past its deadline plus grace, and run again what should have followed a
    grade whose process died first (run it every minute or so)."""
    from quizzes.attempts import close_overdue, replay_reactions

    click.echo(f"{close_overdue()} overdue attempt(s) closed and graded.")
    replayed = replay_reactions()
    if replayed:
        click.echo(f"{replayed} graded attempt(s) whose completion, certificates and records were run again.")
