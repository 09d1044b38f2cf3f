"""The ``lms certificates`` command group (see /work/shared/INTERFACES.md for the fixed part).

Exit codes: 0 success, 1 bad input (stderr names the option and the problem), 2 usage (click).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from certificates.models import Accreditation, Certificate
from courses.models import Course
from lms.cli import _academy, fail
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import Cohort, User


@click.group("certificates")
def certificates_group() -> None:
    """Issue, verify, revoke and print certificates; expiry reminders; bulk jobs."""


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: write the date as YYYY-MM-DD (got '{value}')")


def _accreditation(slug: str, academy_slug: str | None) -> Accreditation:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        fail(f"--course: no course '{slug}'")
    academy = _academy(academy_slug)
    rows = db.session.scalars(select(Accreditation).where(Accreditation.course_id == course.id)).all()
    if academy is not None:
        rows = [a for a in rows if a.academy_id == academy.id]
    if not rows:
        where = f" by '{academy_slug}'" if academy_slug else ""
        fail(f"--course: '{slug}' is not accredited{where}")
    if len(rows) > 1:
        fail(f"--academy: '{slug}' is accredited by {', '.join(a.academy.slug for a in rows)}; name one")
    return rows[0]


def _certificate(code: str) -> Certificate:
    from certificates.verification import find_by_code

    certificate = find_by_code(code)
    if certificate is None:
        fail(f"CODE: no certificate has the code '{code}'")
    return certificate


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@certificates_group.command("issue")
@click.option("--user", "email", required=True, help="The holder's e-mail address (or sign-in name).")
@click.option("--course", "slug", required=True, help="Slug of the accredited course.")
@click.option("--academy", default=None, help="Slug of the accrediting academy (when several accredit the course).")
@click.option("--completed-on", default=None, help="Date of completion, YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def issue_command(email: str, slug: str, academy: str | None, completed_on: str | None, as_json: bool) -> None:
    """Issue a certificate for in-person or blended training."""
    from certificates.issuing import issue_certificate
    from certificates.verification import verification

    user = User.find_by_login(email)
    if user is None:
        fail(f"--user: no user '{email}'")
    accreditation = _accreditation(slug, academy)
    try:
        certificate = issue_certificate(None, accreditation, user, _date(completed_on, "--completed-on"))
    except DomainError as exc:
        fail(f"--{(exc.field or 'course').replace('_', '-')}: {exc.message}")
    data = verification(certificate)
    if as_json:
        _echo_json(data)
    else:
        click.echo(f"issued {data['serial']} to {data['holder']}; verification code {data['code']}")


@certificates_group.command("verify")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def verify_command(code: str, as_json: bool) -> None:
    """Show what the public verification page shows for CODE."""
    from certificates.verification import verification

    data = verification(_certificate(code))
    if as_json:
        _echo_json(data)
        return
    for key, value in data.items():
        if value is not None:
            click.echo(f"{key:<18} {value}")


@certificates_group.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why; verification shows it.")
def revoke_command(code: str, reason: str) -> None:
    """Revoke a certificate (the record is kept; verification shows the date and the reason)."""
    from certificates.verification import revoke_certificate

    certificate = _certificate(code)
    try:
        revoke_certificate(None, certificate, reason)
    except DomainError as exc:
        fail(f"--{exc.field or 'reason'}: {exc.message}" if exc.field else f"CODE: {exc.message}")
    click.echo(f"revoked {certificate.serial}")


@certificates_group.command("pdf")
@click.argument("code")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def pdf_command(code: str, output: Path) -> None:
    """Write the certificate's PDF to FILE."""
    from certificates.rendering import certificate_pdf

    data = certificate_pdf(_certificate(code))
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(f"-o: cannot write {output}: {exc.strerror}")
    click.echo(f"{output}: {len(data)} bytes")


@certificates_group.command("remind")
@click.option("--today", default=None, help="Run as if today were this date (YYYY-MM-DD).")
def remind_command(today: str | None) -> None:
    """Mail holders whose certificates expire in 60 or 14 days (each reminder once); run it daily."""
    from certificates.expiry import send_reminders

    report = send_reminders(_date(today, "--today"))
    for serial, days in report.sent:
        click.echo(f"reminded {serial} ({days} days)")
    for serial, error in report.failed:
        click.echo(f"{serial}: not sent: {error}", err=True)
    click.echo(f"{len(report.sent)} reminder(s) sent, {len(report.failed)} failed.")
    if report.failed:
        sys.exit(1)


@certificates_group.command("expiring")
@click.option("--within", default=90, show_default=True, type=click.IntRange(1, 3650), help="Days ahead.")
@click.option("--academy", default=None, help="Only this academy's certificates.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def expiring_command(within: int, academy: str | None, as_json: bool) -> None:
    """List certificates that expire within the next days (not renewed, not revoked)."""
    from certificates.expiry import expiring
    from certificates.verification import verification

    target = _academy(academy)
    rows = [verification(c) for c in expiring(academy_ids={target.id} if target else None, within_days=within)]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['expires_on']}  {row['serial']:<18} {row['holder']}  {row['course']}")
    click.echo(f"{len(rows)} certificate(s).")


@certificates_group.command("sync")
@click.option("--course", "slug", default=None, help="Only this course.")
def sync_command(slug: str | None) -> None:
    """Issue the certificates completed enrolments are owed (e.g. completed before the course was accredited)."""
    from certificates.issuing import completed_without_certificate, issue_for_completion

    query = select(Accreditation).where(Accreditation.active.is_(True))
    if slug:
        query = query.join(Accreditation.course).where(Course.slug == slug)
    issued = 0
    for accreditation in db.session.scalars(query).all():
        for enrolment in completed_without_certificate(accreditation):
            issued += len(issue_for_completion(enrolment))
    click.echo(f"{issued} certificate(s) issued.")


@certificates_group.command("issue-cohort")
@click.option("--cohort", required=True, help="Cohort name.")
@click.option("--course", "slug", required=True)
@click.option("--academy", default=None)
@click.option("--completed-on", default=None, help="YYYY-MM-DD (default: today).")
def issue_cohort_command(cohort: str, slug: str, academy: str | None, completed_on: str | None) -> None:
    """Issue certificates to every active member of a cohort, as a job (runs here, printing its result)."""
    from certificates.jobs import start_cohort_issue
    from lms.jobs.services import run_job_by_id
    from lms.models.base import utcnow

    accreditation = _accreditation(slug, academy)
    group = db.session.scalar(
        select(Cohort).where(Cohort.name == cohort, Cohort.academy_id == accreditation.academy_id)
    )
    if group is None:
        fail(f"--cohort: no cohort '{cohort}' in {accreditation.academy.slug}")
    day = _date(completed_on, "--completed-on") or utcnow().date()
    try:
        job = start_cohort_issue(None, accreditation, group, day, run=False)
    except DomainError as exc:
        fail(f"--{(exc.field or 'cohort').replace('_', '-')}: {exc.message}")
    try:
        job = run_job_by_id(job.id)
    except DomainError as exc:  # the same issue is running elsewhere already
        fail(f"job {job.id}: {exc.message}")
    click.echo(f"job {job.id}: {job.state}; {job.message}")
    if job.state != "finished":
        sys.exit(1)


@certificates_group.command("run-job")
@click.argument("job_id", type=int)
def run_job_command(job_id: int) -> None:
    """Run a queued or failed job here (the same as ``lms jobs run JOB_ID``)."""
    from lms.jobs.services import run_job_by_id

    try:
        job = run_job_by_id(job_id)
    except DomainError as exc:
        fail(f"JOB_ID: {exc.message}")
    click.echo(f"job {job.id}: {job.state}; {job.message}")
    if job.state != "finished":
        sys.exit(1)


@certificates_group.command("credential")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default -)")
def credential_command(code: str, output: Path | None) -> None:
    """Print the certificate's signed Open Badges 3.0 credential (OpenBadgeCredential, JSON-LD)."""
    from certificates.credentials import signed_credential

    certificate = _certificate(code)
    try:
        document = json.dumps(signed_credential(certificate), ensure_ascii=False, indent=2)
    except DomainError as exc:
        fail(f"{code}: {exc.message}")
    if output:
        output.write_text(document + "\n", encoding="utf-8")
        click.echo(f"{certificate.serial}: credential written to {output}")
    else:
        click.echo(document)
