"""Enrolment use cases: self-enrolment, enrolment by registrars (users, cohorts, CSV), unenrolment that keeps
history, and moving learners to a newer version of a course."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from courses.models import Course, CourseStatus, CourseVersion, Enrolment, EnrolmentStatus
from lms import audit, signals
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Cohort, CohortMember, User, UserStatus
from lms.models.base import utcnow


def course_visible_to(course: Course, user) -> bool:
    """Published courses are public; a restricted course shows only to its professions and to its staff."""
    if course.status == CourseStatus.DRAFT or course.current_version_id is None:
        return user.is_authenticated and course.user_can_edit(user)
    if not course.restricted:
        return course.status == CourseStatus.PUBLISHED or _enrolled(user, course)
    if not user.is_authenticated:
        return False
    return (
        user.profession in (course.professions or [])
        or course.user_can_manage_enrolments(user)
        or _enrolled(user, course)
    )


def _enrolled(user, course: Course) -> bool:
    return (
        user.is_authenticated
        and db.session.scalar(
            select(Enrolment.id).where(
                Enrolment.user_id == user.id,
                Enrolment.course_id == course.id,
                Enrolment.status != EnrolmentStatus.UNENROLLED,
            )
        )
        is not None
    )


def enrolment_of(user: User, course: Course) -> Enrolment | None:
    """The user's active or completed enrolment in the course, or None."""
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == user.id,
            Enrolment.course_id == course.id,
            Enrolment.status != EnrolmentStatus.UNENROLLED,
        )
    )


def prerequisites_pending(enrolment) -> bool:
    """True while the enrolment's course has prerequisites the learner has not completed; remembered once met."""
    if enrolment.prerequisites_met:
        return False
    if missing_prerequisites(enrolment.user, enrolment.course):
        return True
    enrolment.prerequisites_met = True
    db.session.commit()
    return False


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """Prerequisite courses the user has not completed yet."""
    if not course.prerequisites:
        return []
    done = set(
        db.session.scalars(
            select(Enrolment.course_id).where(
                Enrolment.user_id == user.id,
                Enrolment.status == EnrolmentStatus.COMPLETED,
                Enrolment.course_id.in_([c.id for c in course.prerequisites]),
            )
        )
    )
    return [c for c in course.prerequisites if c.id not in done]


def window_open(course: Course) -> bool:
    now = utcnow()
    return (course.enrolment_opens_at is None or course.enrolment_opens_at <= now) and (
        course.enrolment_closes_at is None or now < course.enrolment_closes_at
    )


def _activate(user: User, course: Course, actor: User | None, source: str) -> tuple[Enrolment, bool]:
    """Create the enrolment, or reactivate an earlier one (its progress kept); returns (enrolment, created)."""
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )
    if existing is not None and existing.status != EnrolmentStatus.UNENROLLED:
        return existing, False
    if existing is not None:
        existing.status = EnrolmentStatus.COMPLETED if existing.completed_at else EnrolmentStatus.ACTIVE
        existing.unenrolled_at = None
        existing.source, existing.enrolled_by_id = source, actor.id if actor else None
        enrolment = existing
    else:
        enrolment = Enrolment(
            user_id=user.id,
            course_id=course.id,
            version_id=course.current_version_id,
            source=source,
            enrolled_by_id=actor.id if actor else None,
        )
        db.session.add(enrolment)
    db.session.flush()
    audit.record(
        "course.enrolled",
        actor=actor or user,
        obj=enrolment,
        academy_id=course.academy_id,
        details={"user": user.email, "course": course.slug, "source": source},
    )
    return enrolment, True


def _send_enrolled(enrolments: list[Enrolment]) -> None:
    """``course_enrolled`` for each new enrolment, after the commit."""
    app = current_app._get_current_object()
    for enrolment in enrolments:
        signals.course_enrolled.send(app, user=enrolment.user, course=enrolment.course, enrolment=enrolment)


def self_enrol(user: User, course: Course) -> Enrolment:
    """A learner enrols themselves: the course must allow it, be open, visible to them and its prerequisites met."""
    if course.status != CourseStatus.PUBLISHED or not course_visible_to(course, user):
        raise NotFoundError(_("No such course."))
    if not course.self_enrolment:
        raise DomainError(_("Enrolment in this course is arranged by your academy's registrar."))
    if not window_open(course):
        raise DomainError(_("Enrolment in this course is closed."))
    missing = missing_prerequisites(user, course)
    if missing:
        raise DomainError(_("Complete these courses first: %(titles)s", titles=", ".join(c.title for c in missing)))
    enrolment, created = _activate(user, course, None, "self")
    db.session.commit()
    if created:
        _send_enrolled([enrolment])
    return enrolment


def _require_manager(actor: User, course: Course) -> None:
    if not course.user_can_manage_enrolments(actor):
        raise NotFoundError(_("No such course."))
    if course.current_version_id is None:
        raise DomainError(_("Publish the course before enrolling learners."))


@dataclass
class EnrolReport:
    enrolled: list[Enrolment] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row", "field", "message"}


def may_enrol(actor: User, course: Course, user: User) -> bool:
    """Whom ``actor`` may enrol in ``course``: users they manage as a registrar, and, for the course's trainers
    and registrars, members of the course's academy (administrators: anyone)."""
    if actor.is_admin or actor.can_manage(user):
        return True
    return course.user_can_manage_enrolments(actor) and course.academy_id in user.academy_ids()


def enrol_users(actor: User, course: Course, users: list[User], source: str = "registrar") -> EnrolReport:
    """Enrol users (a registrar's or trainer's choice) in one transaction; users must be ones the actor manages."""
    _require_manager(actor, course)
    report = EnrolReport()
    for user in users:
        if not may_enrol(actor, course, user):
            raise NotFoundError(_("No such user."))
        enrolment, created = _activate(user, course, actor, source)
        (report.enrolled.append(enrolment) if created else report.already.append(user))
    db.session.commit()
    _send_enrolled(report.enrolled)
    return report


def enrol_cohort(actor: User, course: Course, cohort: Cohort) -> EnrolReport:
    """Enrol every active member of a cohort of the course's academy."""
    if cohort.academy_id != course.academy_id and not actor.is_admin:
        raise DomainError(_("The cohort belongs to another academy."), field="cohort")
    users = list(
        db.session.scalars(
            select(User)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id, User.status == UserStatus.ACTIVE)
        )
    )
    return enrol_users(actor, course, users, source="cohort")


def import_enrolments_csv(actor: User, course: Course, data: bytes | str, dry_run: bool = False) -> EnrolReport:
    """Enrol the users named in a CSV file (column ``email`` or ``username``), all or nothing."""
    _require_manager(actor, course)
    report = EnrolReport()
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        report.errors.append(
            {"row": 1, "field": "", "message": _("The file is not UTF-8 text (byte %(n)d).", n=exc.start)}
        )
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "email" not in header and "username" not in header:
        report.errors.append(
            {"row": 1, "field": "email", "message": _("The header row needs a column 'email' or 'username'.")}
        )
        return report
    reader.fieldnames = header
    rows = [(reader.line_num, row) for row in reader if any((v or "").strip() for v in row.values())]
    wanted = {(row.get("email") or row.get("username") or "").strip().lower() for _line, row in rows}
    found = {
        key: u
        for u in db.session.scalars(
            select(User).where(or_(func.lower(User.email).in_(wanted), User.username.in_(wanted)))
        )
        for key in (u.email, u.username)
    }
    users, seen = [], {}
    for line, row in rows:
        key = (row.get("email") or row.get("username") or "").strip().lower()
        column = "email" if row.get("email") else "username"
        user = found.get(key)
        if user is None or not may_enrol(actor, course, user):
            report.errors.append(
                {"row": line, "field": column, "message": _("No user '%(value)s' in your academies.", value=key)}
            )
        elif user.status != UserStatus.ACTIVE and user.status != UserStatus.INVITED:
            report.errors.append(
                {"row": line, "field": column, "message": _("The account '%(value)s' is not active.", value=key)}
            )
        elif user.id in seen:
            report.errors.append(
                {"row": line, "field": column, "message": _("Also on row %(row)d of this file.", row=seen[user.id])}
            )
        else:
            seen[user.id] = line
            users.append(user)
    if not rows:
        report.errors.append({"row": 1, "field": "", "message": _("The file names no one.")})
    if report.errors or dry_run:
        return report
    return enrol_users(actor, course, users, source="import")


def unenrol(actor: User, enrolment: Enrolment) -> None:
    """End an enrolment; its progress and completion stay on record (re-enrolling brings them back)."""
    _require_manager(actor, enrolment.course)
    if enrolment.status == EnrolmentStatus.UNENROLLED:
        return
    enrolment.status = EnrolmentStatus.UNENROLLED
    enrolment.unenrolled_at = utcnow()
    audit.record(
        "course.unenrolled",
        actor=actor,
        obj=enrolment,
        academy_id=enrolment.course.academy_id,
        details={"user": enrolment.user.email, "course": enrolment.course.slug},
    )
    db.session.commit()


def migrate_learners(actor: User, course: Course) -> int:
    """Move learners still in progress to the course's current version (completed records stay as they are)."""
    from courses.progress import check_completion

    _require_manager(actor, course)
    moving = list(
        db.session.scalars(
            select(Enrolment).where(
                Enrolment.course_id == course.id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
                Enrolment.version_id != course.current_version_id,
            )
        )
    )
    version = db.session.get(CourseVersion, course.current_version_id)
    for enrolment in moving:
        enrolment.version_id = version.id
    audit.record(
        "course.learners_migrated",
        actor=actor,
        obj=course,
        academy_id=course.academy_id,
        details={"version": version.number, "count": len(moving)},
    )
    db.session.commit()
    for enrolment in moving:
        check_completion(enrolment)
    return len(moving)
