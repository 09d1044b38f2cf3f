"""Issuing certificates: on course completion (exactly once), by a registrar (one person, or a list of
attendees all or nothing), and as recertification (a refresher course, or a renewal quiz).

Every path goes through :func:`_issue`, which, in one savepoint of the caller's transaction, locks the
academy's serial counter for the year (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already serialises writers), skips the holders who already have a certificate with the same issue key, and
numbers the new certificates one after the other. The lock makes serials gap-free and, because it is held
until the commit, makes the issue-key check race-free: a second request for the same completion waits, then
finds the first one's certificate. The unique constraints stay as the last line of defence.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from certificates.accreditations import issuer_for
from certificates.codes import add_months, format_serial, new_code
from certificates.models import Accreditation, Certificate, SerialCounter
from courses.languages import Reading, choose
from courses.models import Course, Enrolment
from lms import audit, signals
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import User, UserStatus
from lms.models.base import utcnow
from lms.names import certificate_name_for
from lms.plugins import plugin_enabled

log = logging.getLogger(__name__)


@dataclass
class IssueSpec:
    """One certificate to issue: to whom, for what completion, under which key."""

    user: User
    completed_on: date
    key: str
    source: str
    enrolment_id: int | None = None
    renews: Certificate | None = None
    credit_hours: Decimal | None = None  # None: the accreditation's


# --- the one way in -------------------------------------------------------------------------------------------


def _lock_counter(academy_id: int, year: int) -> SerialCounter:
    """The academy's counter row for ``year``, created if missing, locked until the transaction ends."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(SerialCounter.__table__)
        .values(academy_id=academy_id, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["academy_id", "year"])
    )
    return db.session.scalars(
        select(SerialCounter)
        .where(SerialCounter.academy_id == academy_id, SerialCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _reading_for(course: Course, user: User) -> Reading:
    """The language of the certificate: the one its holder reads (their interface language) when the course is
    offered in it, Serbian in the holder's script; else the course's own language. English stands beside it."""
    reading = choose(course, user.language or course.language)
    return choose(course, course.language) if reading.fallback else reading


def _english_title(course: Course, language: str) -> str | None:
    if language == "en":
        return None
    if course.language == "en":
        return course.title
    return ((course.translations or {}).get("en") or {}).get("title") or None


def _expiry(accreditation: Accreditation, spec: IssueSpec) -> date | None:
    if not accreditation.validity_months:
        return None
    start = spec.completed_on
    # Renewed before it lapsed: the new validity runs on from the old one's end, so renewing early costs nothing.
    if spec.renews is not None and spec.renews.expires_on and spec.renews.expires_on > start:
        start = spec.renews.expires_on
    return add_months(start, accreditation.validity_months)


def _new_certificate(
    accreditation: Accreditation, prefix: str, spec: IssueSpec, number: int, now: datetime, actor: User | None
) -> Certificate:
    course = accreditation.course
    reading = _reading_for(course, spec.user)
    return Certificate(
        code=new_code(),
        serial=format_serial(prefix, now.year, number),
        academy_id=accreditation.academy_id,
        year=now.year,
        number=number,
        accreditation_id=accreditation.id,
        issue_key=spec.key,
        source=spec.source,
        user_id=spec.user.id,
        course_id=course.id,
        enrolment_id=spec.enrolment_id,
        renews_id=spec.renews.id if spec.renews is not None else None,
        # The spelling of the name at issue (official override, chosen script); kept as issued from then on.
        holder_name=certificate_name_for(spec.user),
        course_title=reading.text(course.title, course.translations, "title").text,
        course_title_en=_english_title(course, reading.lang),
        language=reading.lang,
        academy_name=accreditation.academy.name,
        curriculum_code=accreditation.curriculum_code,
        credit_hours=accreditation.credit_hours if spec.credit_hours is None else spec.credit_hours,
        template=accreditation.template,
        signatories=[
            {"name": s.name, "title": s.title, "signature_id": s.signature_id} for s in accreditation.signatories
        ],
        completed_on=spec.completed_on,
        issued_on=now.date(),
        issued_at=now,
        expires_on=_expiry(accreditation, spec),
        issued_by_id=actor.id if actor is not None else None,
    )


def _issue_once(
    accreditation: Accreditation, specs: list[IssueSpec], actor: User | None
) -> list[tuple[Certificate, bool]]:
    prefix = issuer_for(accreditation.academy).serial_prefix
    now = utcnow()
    results = []
    with db.session.begin_nested():
        counter = _lock_counter(accreditation.academy_id, now.year)
        existing = {
            c.issue_key: c
            for c in db.session.scalars(
                select(Certificate).where(
                    Certificate.accreditation_id == accreditation.id,
                    Certificate.issue_key.in_([s.key for s in specs]),
                )
            )
        }
        for spec in specs:
            if spec.key in existing:
                results.append((existing[spec.key], False))
                continue
            counter.last_number += 1
            certificate = _new_certificate(accreditation, prefix, spec, counter.last_number, now, actor)
            db.session.add(certificate)
            existing[spec.key] = certificate
            results.append((certificate, True))
        db.session.flush()
    return results


def _issue(accreditation: Accreditation, specs: list[IssueSpec], actor: User | None) -> list[tuple[Certificate, bool]]:
    """Issue ``specs`` in the caller's transaction; (certificate, created) for each, in order. Nothing commits."""
    try:
        return _issue_once(accreditation, specs, actor)
    except IntegrityError:
        # Only when the lock could not order the two: the same key issued across a new year's counter, or a
        # repeated random code. The savepoint is undone; the second try sees what the other one committed.
        log.warning("certificate issue for accreditation %s retried after a conflict", accreditation.id)
        return _issue_once(accreditation, specs, actor)


def _sent(certificates: list[Certificate]) -> None:
    app = current_app._get_current_object()
    for certificate in certificates:
        signals.certificate_issued.send(app, certificate=certificate)


# --- eligibility ----------------------------------------------------------------------------------------------


def quiz_grade_met(accreditation: Accreditation, user: User) -> bool:
    """The accreditation's minimum quiz grade: every published quiz of the course that counts for completion,
    graded by its own method, at least ``min_quiz_percent``. Unknowable without the quizzes plugin: not met."""
    if accreditation.min_quiz_percent is None:
        return True
    if not plugin_enabled(current_app, "quizzes"):
        log.warning("accreditation %s sets a minimum quiz grade but quizzes are off", accreditation.id)
        return False
    from quizzes.attempts import quiz_grade
    from quizzes.models import Attempt, Quiz

    quizzes = db.session.scalars(
        select(Quiz).where(
            Quiz.course_id == accreditation.course_id,
            Quiz.published.is_(True),
            Quiz.counts_for_completion.is_(True),
        )
    ).all()
    attempts: dict[int, list] = {}
    for attempt in db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id.in_([q.id for q in quizzes] or [-1]))
    ):
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    minimum = Decimal(accreditation.min_quiz_percent)
    return all((quiz_grade(q, attempts.get(q.id, [])) or Decimal("-1")) >= minimum for q in quizzes)


def renewable_certificate(user: User, accreditation_id: int, *, window_days: int | None = None) -> Certificate | None:
    """The holder's latest certificate of ``accreditation_id`` or of a refresher of it that is not revoked and not
    renewed yet; with ``window_days``, only one that has expired or expires within that many days."""
    renewal = aliased(Certificate)
    family = select(Accreditation.id).where(
        or_(Accreditation.id == accreditation_id, Accreditation.renews_id == accreditation_id)
    )
    query = select(Certificate).where(
        Certificate.user_id == user.id,
        Certificate.accreditation_id.in_(family),
        Certificate.revoked_at.is_(None),
        ~exists().where(renewal.renews_id == Certificate.id, renewal.revoked_at.is_(None)),
    )
    if window_days is not None:
        limit = utcnow().date() + timedelta(days=window_days)
        query = query.where(Certificate.expires_on.is_not(None), Certificate.expires_on <= limit)
    return db.session.scalars(query.order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1)).first()


def _completion_spec(accreditation: Accreditation, enrolment: Enrolment) -> IssueSpec | None:
    user = enrolment.user
    if not quiz_grade_met(accreditation, user):
        return None
    completed_on = enrolment.completed_at.date()
    if accreditation.renews_id is None:
        return IssueSpec(user, completed_on, f"enrolment:{enrolment.id}", "completion", enrolment_id=enrolment.id)
    # A refresher course renews the holder's certificate; without one to renew it certifies nothing.
    old = renewable_certificate(user, accreditation.renews_id)
    if old is None:
        return None
    return IssueSpec(user, completed_on, f"renews:{old.id}", "renewal", enrolment_id=enrolment.id, renews=old)


# --- use cases ------------------------------------------------------------------------------------------------


def issue_for_completion(enrolment: Enrolment) -> list[Certificate]:
    """Issue the certificates of every active accreditation of a completed enrolment's course whose rule the
    learner meets; safe to call again (what was issued is not issued twice). One transaction per academy."""
    if enrolment.completed_at is None:
        return []
    accreditations = db.session.scalars(
        select(Accreditation)
        .where(Accreditation.course_id == enrolment.course_id, Accreditation.active.is_(True))
        .order_by(Accreditation.id)
    ).all()
    issued = []
    for accreditation in accreditations:
        spec = _completion_spec(accreditation, enrolment)
        if spec is None:
            continue
        certificate, created = _issue(accreditation, [spec], None)[0]
        if created:
            _audit_issued(None, certificate)
            issued.append(certificate)
        db.session.commit()
    _sent(issued)
    return issued


def renew_by_quiz(attempt) -> list[Certificate]:
    """A passed renewal quiz renews the holder's certificate of each accreditation naming that quiz, when the
    certificate has expired or expires within the renewal window (``CERTIFICATES_RENEWAL_WINDOW_DAYS``)."""
    if not attempt.passed or attempt.finished_at is None:
        return []
    accreditations = db.session.scalars(
        select(Accreditation).where(Accreditation.renewal_quiz_id == attempt.quiz_id, Accreditation.active.is_(True))
    ).all()
    window = current_app.config["CERTIFICATES_RENEWAL_WINDOW_DAYS"]
    issued = []
    for accreditation in accreditations:
        old = renewable_certificate(attempt.user, accreditation.id, window_days=window)
        if old is None:
            continue
        spec = IssueSpec(
            attempt.user,
            attempt.finished_at.date(),
            f"renews:{old.id}",
            "renewal",
            renews=old,
            credit_hours=accreditation.renewal_credit_hours,
        )
        certificate, created = _issue(accreditation, [spec], None)[0]
        if created:
            _audit_issued(None, certificate)
            issued.append(certificate)
        db.session.commit()
    _sent(issued)
    return issued


def _require_manager(actor: User | None, accreditation: Accreditation) -> None:
    if actor is not None and not accreditation.user_can_manage(actor):
        raise NotFoundError(_("No such accreditation."))
    if not accreditation.active:
        raise DomainError(_("This accreditation is switched off: switch it on to issue certificates."))


def _completion_date(completed_on: date | None, field_name: str = "completed_on") -> date:
    today = utcnow().date()
    completed_on = completed_on or today
    if completed_on > today:
        raise DomainError(_("The completion date cannot be in the future."), field=field_name)
    return completed_on


def _manual_spec(accreditation: Accreditation, user: User, completed_on: date, source: str) -> IssueSpec:
    renews = renewable_certificate(user, accreditation.renews_id) if accreditation.renews_id else None
    return IssueSpec(user, completed_on, f"manual:{user.id}:{completed_on.isoformat()}", source, renews=renews)


def _audit_issued(actor: User | None, certificate: Certificate) -> None:
    audit.record(
        "certificates.issued",
        actor=actor,
        obj=certificate,
        academy_id=certificate.academy_id,
        details={
            "serial": certificate.serial,
            "holder": certificate.holder_name,
            "user": certificate.user_id,
            "accreditation": certificate.accreditation_id,
            "source": certificate.source,
        },
    )


def issue_certificate(
    actor: User | None, accreditation: Accreditation, user: User, completed_on: date | None = None
) -> Certificate:
    """A registrar of the accrediting academy issues a certificate for in-person or blended training that
    ``user`` completed on ``completed_on`` (default today). ``actor`` None: the command line."""
    _require_manager(actor, accreditation)
    completed_on = _completion_date(completed_on)
    if actor is not None and not actor.can_manage(user):
        raise NotFoundError(_("No such user."))
    if user.status == UserStatus.DEACTIVATED:
        raise DomainError(_("The account of %(name)s is deactivated.", name=user.display_name), field="user")
    certificate, created = _issue(accreditation, [_manual_spec(accreditation, user, completed_on, "registrar")], actor)[
        0
    ]
    if not created:
        raise DomainError(
            _(
                "%(name)s already holds certificate %(serial)s for this course and date.",
                name=user.display_name,
                serial=certificate.serial,
            ),
            field="user",
        )
    _audit_issued(actor, certificate)
    db.session.commit()
    _sent([certificate])
    return certificate


@dataclass
class AttendeeReport:
    issued: list[Certificate] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row", "field", "message"}


def _read_attendees(data: bytes | str, report: AttendeeReport) -> list[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        report.errors.append(
            {"row": 1, "field": "", "message": _("The file is not UTF-8 text (byte %(n)d).", n=exc.start)}
        )
        return []
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "email" not in header and "username" not in header:
        report.errors.append(
            {"row": 1, "field": "email", "message": _("The header row needs a column 'email' or 'username'.")}
        )
        return []
    reader.fieldnames = header
    rows = [
        (reader.line_num, row) for row in reader if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]
    if not rows:
        report.errors.append({"row": 1, "field": "", "message": _("The file names no one.")})
    return rows


def _row_date(value: str | None, default: date, line: int, report: AttendeeReport) -> date | None:
    value = (value or "").strip()
    if not value:
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError:
        report.errors.append({"row": line, "field": "completed_on", "message": _("Write the date as YYYY-MM-DD.")})
        return None
    if day > utcnow().date():
        report.errors.append(
            {"row": line, "field": "completed_on", "message": _("The completion date cannot be in the future.")}
        )
        return None
    return day


def _find_users(rows: list[tuple[int, dict]]) -> dict[str, User]:
    wanted = {(row.get("email") or row.get("username") or "").strip().lower() for _line, row in rows}
    users = db.session.scalars(select(User).where(or_(func.lower(User.email).in_(wanted), User.username.in_(wanted))))
    return {key: u for u in users for key in (u.email.lower(), u.username)}


def issue_to_attendees(
    actor: User | None,
    accreditation: Accreditation,
    data: bytes | str,
    completed_on: date | None = None,
    dry_run: bool = False,
) -> AttendeeReport:
    """Issue certificates to the attendees a CSV file lists (column ``email`` or ``username``, optional
    ``completed_on``), all or nothing: any problem in any row and nothing is issued."""
    _require_manager(actor, accreditation)
    default_day = _completion_date(completed_on)
    report = AttendeeReport()
    rows = _read_attendees(data, report)
    found = _find_users(rows)
    specs, seen = [], {}
    for line, row in rows:
        key = (row.get("email") or row.get("username") or "").strip().lower()
        column = "email" if row.get("email") else "username"
        user = found.get(key)
        day = _row_date(row.get("completed_on"), default_day, line, report)
        if user is None or (actor is not None and not actor.can_manage(user)):
            report.errors.append(
                {"row": line, "field": column, "message": _("No user '%(value)s' in your academies.", value=key)}
            )
        elif user.status == UserStatus.DEACTIVATED:
            report.errors.append(
                {"row": line, "field": column, "message": _("The account '%(value)s' is deactivated.", value=key)}
            )
        elif user.id in seen:
            report.errors.append(
                {"row": line, "field": column, "message": _("Also on row %(row)d of this file.", row=seen[user.id])}
            )
        elif day is not None:
            seen[user.id] = line
            specs.append((line, column, _manual_spec(accreditation, user, day, "attendees")))
    _already_issued(accreditation, specs, report)
    if report.errors or dry_run:
        return report
    results = _issue(accreditation, [spec for _line, _column, spec in specs], actor)
    if not all(created for _certificate, created in results):  # issued meanwhile by someone else: start over
        db.session.rollback()
        return issue_to_attendees(actor, accreditation, data, completed_on, dry_run)
    report.issued = [certificate for certificate, _created in results]
    audit.record(
        "certificates.attendees_issued",
        actor=actor,
        obj=accreditation,
        academy_id=accreditation.academy_id,
        details={"count": len(report.issued), "serials": [c.serial for c in report.issued]},
    )
    db.session.commit()
    _sent(report.issued)
    return report


def _already_issued(accreditation: Accreditation, specs: list, report: AttendeeReport) -> None:
    where = {spec.key: (line, column) for line, column, spec in specs}
    for certificate in db.session.scalars(
        select(Certificate).where(
            Certificate.accreditation_id == accreditation.id, Certificate.issue_key.in_(list(where) or [""])
        )
    ):
        line, column = where[certificate.issue_key]
        report.errors.append(
            {
                "row": line,
                "field": column,
                "message": _("Already holds certificate %(serial)s for this date.", serial=certificate.serial),
            }
        )
    report.errors.sort(key=lambda e: e["row"])


def issue_batch(
    actor: User | None, accreditation: Accreditation, users: list[User], completed_on: date, source: str
) -> tuple[list[Certificate], int]:
    """Issue to ``users`` (a chunk of a bulk job) in one transaction; returns (new certificates, how many held one
    already). Used by :mod:`certificates.jobs`."""
    specs = [_manual_spec(accreditation, user, completed_on, source) for user in users]
    results = _issue(accreditation, specs, actor)
    issued = [c for c, created in results if created]
    db.session.commit()
    _sent(issued)
    return issued, len(results) - len(issued)


def completed_without_certificate(accreditation: Accreditation) -> list[Enrolment]:
    """Completed enrolments of the accredited course that have no certificate of it yet (e.g. learners who
    completed before the course was accredited)."""
    issued = select(Certificate.enrolment_id).where(
        Certificate.accreditation_id == accreditation.id, Certificate.enrolment_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(Enrolment).where(
                Enrolment.course_id == accreditation.course_id,
                Enrolment.completed_at.is_not(None),
                Enrolment.id.not_in(issued),
            )
        )
    )
