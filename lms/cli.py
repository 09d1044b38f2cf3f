"""The ``lms`` command group: ``flask --app wsgi lms ...`` or the installed ``lms`` command.

Exit codes: 0 success, 1 bad input (stderr says what and where), 2 usage. ``--json`` prints one JSON document
on stdout and nothing else there. Plugins add their groups with :func:`add_command`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyotp
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy import select

from lms.exceptions import DomainError
from lms.extensions import db
from lms.jobs.cli import jobs_group, worker_command
from lms.models import COUNTRIES, PROFESSIONS, ROLES, Academy, User
from lms.privacy.cli import privacy_group


def add_command(app: Flask, command: click.Command) -> None:
    """Add a command or group under ``lms`` for this app."""
    app.extensions["lms.cli"].add_command(command)


def fail(message: str) -> None:
    """Print ``message`` to stderr and exit 1 (bad input)."""
    click.echo(message, err=True)
    sys.exit(1)


def init_app(app: Flask) -> None:
    group = AppGroup("lms", help="Learning-management system commands.")
    group.add_command(demo_command)
    group.add_command(users_group)
    group.add_command(privacy_group)
    group.add_command(jobs_group)
    group.add_command(worker_command)
    app.cli.add_command(group)
    app.extensions["lms.cli"] = group


def main() -> None:
    """Entry point of the installed ``lms`` command: the same group, on the app built from the environment."""
    from lms import create_app

    app = create_app()
    # `flask --app wsgi lms ...` runs every command in an app context; this entry point must give them one too.
    with app.app_context():
        app.extensions["lms.cli"].main(prog_name="lms", obj=ScriptInfo(create_app=lambda *_: app))


@click.command("demo")
@click.option("--password", help="Give every demo account this password (default: a printed random one each).")
def demo_command(password: str | None) -> None:
    """Load (or refresh) the demo academy, accounts and curricula, and print the sign-ins."""
    from lms.demo import load_demo

    accounts, context = load_demo(password)
    base = current_app.config["LMS_BASE_URL"]
    click.echo(f"\nDemo sign-ins for {base}/auth/login (sign-in name or e-mail, then password):\n")
    width = max(len(a.username) for a in accounts)
    for a in accounts:
        click.echo(f"  {a.username:<{width}}  {a.password}   ({a.roles}; {a.email})")
    totp = [a for a in accounts if a.totp_secret]
    if totp:
        click.echo("\nTwo-factor sign-in is required for administrators and registrars. Add the secret to an")
        click.echo("authenticator app, or print the current code with: flask --app wsgi lms users otp NAME")
        for a in totp:
            click.echo(f"  {a.username:<{width}}  TOTP secret {a.totp_secret}")
    for message in context.messages:
        click.echo(message)
    click.echo("")


@click.group("users")
def users_group() -> None:
    """Create and import user accounts."""


def _academy(slug: str | None) -> Academy | None:
    if not slug:
        return None
    academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
    if academy is None:
        known = ", ".join(db.session.scalars(select(Academy.slug)).all()) or "none"
        fail(f"--academy: no academy '{slug}' (known: {known})")
    return academy


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True, help="Display name, exactly as written.")
@click.option("--username", default="", help="Sign-in name (default: from the e-mail address).")
@click.option("--role", type=click.Choice(list(ROLES)), default="learner", show_default=True)
@click.option("--profession", type=click.Choice(list(PROFESSIONS)), default="other", show_default=True)
@click.option("--country", type=click.Choice(list(COUNTRIES)), default="other", show_default=True)
@click.option("--language", default=None)
@click.option("--academy", default=None, help="Academy slug (required for learner, trainer and registrar).")
def users_create(email, name, username, role, profession, country, language, academy) -> None:
    """Create a user; the password is read from standard input (none: an invitation is mailed)."""
    from lms.accounts.services import NewUser, create_user

    password = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    target = _academy(academy)
    if role != "administrator" and target is None:
        fail("--academy: required for the role " + role)
    if language and language not in current_app.config["LMS_LANGUAGES"]:
        fail(f"--language: unknown language '{language}'")
    spec = NewUser(
        email=email,
        display_name=name,
        username=username,
        profession=profession,
        country=country,
        language=language,
        role=role,
        academy=target,
        password=password or None,
    )
    try:
        user = create_user(None, spec)
    except DomainError as exc:
        fail(f"--{exc.field or 'email'}: {exc.message}")
    state = "active" if password else "invited (invitation mailed)"
    click.echo(f"created {user.username} <{user.email}> as {role}, {state}")


@users_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--academy", default=None, help="Academy slug for rows whose academy column is empty.")
@click.option("--dry-run", is_flag=True, help="Check the file and report, writing nothing.")
def users_import(file: Path, academy: str | None, dry_run: bool) -> None:
    """Create the users of a CSV file (columns: email, name, username, profession, country, language, role,
    academy), all or nothing."""
    from lms.accounts.services import import_users_csv

    try:
        report = import_users_csv(None, file.read_bytes(), default_academy=_academy(academy), dry_run=dry_run)
    except UnicodeDecodeError as exc:
        fail(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    if report.errors:
        for e in report.errors:
            click.echo(f"{file}:{e['row']}: {e['field']}: {e['message']}", err=True)
        click.echo(f"{len(report.errors)} error(s); nothing was imported.", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"{file}: no errors; nothing written (dry run).")
    else:
        click.echo(f"{len(report.created)} user(s) created and invited.")


@users_group.command("otp")
@click.argument("username")
def users_otp(username: str) -> None:
    """Print the current two-factor code of a demo account (accounts @demo.example only)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.email.endswith("@demo.example") or not user.totp_secret:
        fail(f"{username}: not a demo account with two-factor sign-in")
    click.echo(pyotp.TOTP(user.totp_secret).now())
