"""The ``lms courses`` command group: list, import and export courses (course packages)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import func, select

from courses.models import Course, Lesson, Module
from courses.package_source import PackageRefusedError
from courses.packages import PackageInvalidError, export_course, format_problem, get_course, import_package
from lms.cli import _academy, fail
from lms.exceptions import DomainError
from lms.extensions import db
from lms.registry import registry


@click.group("courses")
def courses_group() -> None:
    """List, import and export courses."""


def course_rows() -> list[dict]:
    """Every course with its languages and counts, in two grouped queries (no query per course)."""
    courses = db.session.scalars(select(Course).order_by(Course.slug)).all()
    counts = dict(db.session.execute(select(Module.course_id, func.count(Module.id)).group_by(Module.course_id)).all())
    lessons = dict(
        db.session.execute(
            select(Module.course_id, func.count(Lesson.id)).join(Lesson.module).group_by(Module.course_id)
        ).all()
    )
    # Plugins count what they add to a course (the quizzes plugin: its quizzes): {course_id: n}.
    extra = {key: provider([c.id for c in courses]) for key, provider in registry("course_counts").items()}
    return [
        {
            "slug": c.slug,
            "title": c.title,
            "language": c.language,
            "languages": [c.language, *sorted(lang for lang in (c.translations or {}) if lang != c.language)],
            "status": c.status.value,
            "modules": counts.get(c.id, 0),
            "lessons": lessons.get(c.id, 0),
            "quizzes": extra.get("quizzes", {}).get(c.id, 0),
            "academy": c.academy.slug,
        }
        for c in courses
    ]


@courses_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_command(as_json: bool) -> None:
    """List every course with its status, languages and size."""
    rows = course_rows()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['slug']:<40} {r['status']:<9} {','.join(r['languages']):<22} "
            f"{r['modules']:>2} modules {r['lessons']:>3} lessons {r['quizzes']:>2} quizzes  "
            f"{r['academy']}  {r['title']}"
        )
    if not rows:
        click.echo("No courses.")


@courses_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--academy", default=None, help="Academy slug that owns a new course (default: the only academy).")
@click.option("--dry-run", is_flag=True, help="Check the package and report, writing nothing.")
def import_command(path: Path, academy: str | None, dry_run: bool) -> None:
    """Import a course package (folder or .zip), all or nothing; an existing course with its slug is updated."""
    from lms.models import Academy

    target = _academy(academy)
    if target is None:
        academies = db.session.scalars(select(Academy).limit(2)).all()
        target = academies[0] if len(academies) == 1 else None
    try:
        result = import_package(path, academy=target, dry_run=dry_run)
    except PackageInvalidError as exc:
        for problem in exc.problems:
            click.echo(format_problem(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s); nothing was imported.", err=True)
        sys.exit(1)
    except DomainError as exc:
        fail(f"--{exc.field}: {exc.message}")
    summary = f"{result.modules} modules, {result.lessons} lessons, {result.media} media files"
    if dry_run:
        click.echo(f"{path}: no problems ({result.slug}: {summary}); nothing written (dry run).")
    else:
        version = f", version {result.version}" if result.version else ""
        click.echo(f"{result.slug}: {result.action} ({summary}{version}).")


@courses_group.command("export")
@click.argument("slug")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path), help="Folder or .zip")
def export_command(slug: str, output: Path) -> None:
    """Export a course (its current draft) as a course package folder or .zip."""
    course = get_course(slug)
    if course is None:
        fail(f"{slug}: no such course")
    try:
        count = export_course(course, output)
    except PackageRefusedError as exc:
        fail(f"{exc.file}: {exc.message}")
    click.echo(f"{slug}: {count} files written to {output}")
