"""REST API use cases: API tokens (create, revoke, authenticate) and what an academy's system may read and do.

What a token of academy A sees (and nothing else: anything outside is "not found"):
- users: members of A (any role) and learners enrolled in a course A owns;
- courses: the courses A owns and the courses A accredits;
- enrolments, lesson progress and quiz attempts: those in courses A owns (attempts as results only);
- certificates: those A issued.

What a write token may do, acting as the registrar who made the token (the audit log names both):
- create users in A (learners or trainers; an invitation is mailed to set the password);
- enrol a member of A in a course A owns;
- record an in-person completion by a member of A: the certificate is issued under A's accreditation.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, String, cast, or_, select, update

from certificates import issuing
from certificates.models import Accreditation, Certificate, Status
from courses.models import Course, Enrolment, EnrolmentStatus, LessonProgress
from courses.progress import EnrolmentSummary, summaries, version_outline
from lms import audit
from lms.accounts import services as accounts
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.i18n import languages
from lms.models import COUNTRIES, PROFESSIONS, Academy, Membership, User
from lms.models.base import utcnow
from quizzes.models import Attempt, Quiz
from records import scope
from records.api.models import SCOPES, ApiToken

TOKEN_PREFIX = "lms_"  # noqa: S105 - the visible start of every token, not a secret
VISIBLE_PREFIX_LENGTH = 12  # "lms_" and 8 random characters: enough to tell tokens apart, useless to guess
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database
API_ROLES = ("learner", "trainer")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --- tokens --------------------------------------------------------------------------------------------------


def _require_registrar(actor: User, academy: Academy) -> None:
    if not (actor.is_admin or "registrar" in actor.roles_in(academy.id)):
        raise NotFoundError(_("No such academy."))


def token_academies(actor: User) -> list[Academy]:
    """Academies for which ``actor`` may make API tokens (a registrar's own; all for administrators)."""
    return accounts.managed_academies(actor)


def tokens_of(actor: User) -> list[ApiToken]:
    """The tokens of the academies ``actor`` manages, newest first (revoked ones too, for the record)."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not actor.is_admin:
        query = query.where(ApiToken.academy_id.in_(actor.academy_ids("registrar") or {-1}))
    return list(db.session.scalars(query))


def get_managed_token(actor: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or not token.user_can_manage(actor):
        raise NotFoundError(_("No such token."))
    return token


def create_token(actor: User, academy: Academy, name: str, scope: str) -> tuple[ApiToken, str]:
    """A registrar of ``academy`` makes a token for one of its systems. Returns the token and its raw value,
    which is shown this once: only its SHA-256 is kept."""
    _require_registrar(actor, academy)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError(_("Give the token a name of at most 100 characters."), field="name")
    if scope not in SCOPES:
        raise DomainError(_("Choose read or write."), field="scope")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        academy_id=academy.id,
        name=name,
        scope=scope,
        token_hash=hash_token(raw),
        prefix=raw[:VISIBLE_PREFIX_LENGTH],
        created_by_id=actor.id,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api.token_created",
        actor=actor,
        obj=token,
        academy_id=academy.id,
        details={"name": name, "scope": scope, "prefix": token.prefix},
    )
    db.session.commit()
    return token, raw


def revoke_token(actor: User, token: ApiToken) -> None:
    """End a token for good; calls with it are refused from now on."""
    if not token.user_can_manage(actor):
        raise NotFoundError(_("No such token."))
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id
    audit.record(
        "api.token_revoked",
        actor=actor,
        obj=token,
        academy_id=token.academy_id,
        details={"name": token.name, "prefix": token.prefix},
    )
    db.session.commit()


def authenticate(raw: str) -> ApiToken | None:
    """The usable token whose value is ``raw``, or None. Notes when it was last used, at most once a minute
    (so a busy system does not write on every call)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or not token.usable():
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return token


# --- what an academy sees ------------------------------------------------------------------------------------


def _own_course_ids(academy_id: int) -> Select:
    return scope.own_course_ids({academy_id})


def visible_user_ids(academy_id: int) -> Select:
    """Members of the academy and learners enrolled in its courses."""
    members = select(Membership.user_id).where(Membership.academy_id == academy_id)
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id.in_(_own_course_ids(academy_id)))
    return members.union(enrolled)


def _page(query: Select, column, after: int | None, limit: int) -> tuple[list, bool]:
    """Keyset page: rows with ``column`` above ``after``, ascending; and whether more follow."""
    if after is not None:
        query = query.where(column > after)
    rows = list(db.session.scalars(query.order_by(column).limit(limit + 1)).unique())
    return rows[:limit], len(rows) > limit


def _since(value: datetime | None, *columns):
    return or_(*(c >= value for c in columns))


def list_users(token: ApiToken, filters: dict, after: int | None, limit: int) -> tuple[list[User], bool]:
    """Users the academy sees, filtered by profession, country, status, e-mail and role in the academy."""
    query = select(User).where(User.id.in_(visible_user_ids(token.academy_id)))
    for name in ("profession", "country", "status"):
        if filters.get(name):
            query = query.where(getattr(User, name) == filters[name])
    if filters.get("email"):
        query = query.where(User.email == filters["email"].strip().lower())
    if filters.get("role"):
        query = query.where(
            User.id.in_(
                select(Membership.user_id).where(
                    Membership.academy_id == token.academy_id, Membership.role == filters["role"]
                )
            )
        )
    if filters.get("created_since"):
        query = query.where(User.created_at >= filters["created_since"])
    return _page(query, User.id, after, limit)


def _in_range(object_id: int) -> bool:
    return 0 < object_id <= MAX_ID


def get_user(token: ApiToken, user_id: int) -> User:
    user = (
        db.session.scalar(select(User).where(User.id == user_id, User.id.in_(visible_user_ids(token.academy_id))))
        if _in_range(user_id)
        else None
    )
    if user is None:
        raise NotFoundError(_("No such user."), field="user")
    return user


def _visible_courses(academy_id: int) -> Select:
    accredited = select(Accreditation.course_id).where(Accreditation.academy_id == academy_id)
    return select(Course).where(or_(Course.academy_id == academy_id, Course.id.in_(accredited)))


def list_courses(token: ApiToken, filters: dict, after: int | None, limit: int) -> tuple[list[Course], bool]:
    """Courses the academy owns or accredits, filtered by status, language, profession and change date."""
    query = _visible_courses(token.academy_id)
    if filters.get("status"):
        query = query.where(Course.status == filters["status"])
    if filters.get("language"):
        query = query.where(Course.language == filters["language"])
    if filters.get("owned") is not None:
        owned = Course.academy_id == token.academy_id
        query = query.where(owned if filters["owned"] else ~owned)
    if filters.get("updated_since"):
        query = query.where(Course.updated_at >= filters["updated_since"])
    if filters.get("profession"):
        # A JSON list on both databases: its text holds the (validated) slug in quotes.
        query = query.where(cast(Course.professions, String).like(f'%"{filters["profession"]}"%'))
    rows, more = _page(query, Course.id, after, limit)
    return rows, more


def get_course(token: ApiToken, course_id: int) -> Course:
    course = (
        db.session.scalar(_visible_courses(token.academy_id).where(Course.id == course_id))
        if _in_range(course_id)
        else None
    )
    if course is None:
        raise NotFoundError(_("No such course."), field="course")
    return course


def accreditations_by_course(token: ApiToken, course_ids: list[int]) -> dict[int, Accreditation]:
    """The academy's own accreditations of these courses, in one query."""
    rows = db.session.scalars(
        select(Accreditation).where(
            Accreditation.academy_id == token.academy_id, Accreditation.course_id.in_(course_ids or [-1])
        )
    )
    return {a.course_id: a for a in rows}


def _visible_enrolments(academy_id: int) -> Select:
    return select(Enrolment).where(scope.enrolments_of({academy_id}))


def list_enrolments(
    token: ApiToken, filters: dict, after: int | None, limit: int
) -> tuple[list[EnrolmentSummary], bool]:
    """Enrolments in the academy's courses with their progress counts, filtered by course, user, status,
    the learner's profession and country, and the time of the last change."""
    query = _visible_enrolments(token.academy_id)
    for name in ("course", "user"):
        if filters.get(name):
            query = query.where(getattr(Enrolment, f"{name}_id") == filters[name])
    if filters.get("status"):
        query = query.where(Enrolment.status == EnrolmentStatus(filters["status"]))
    if filters.get("profession") or filters.get("country"):
        people = select(User.id)
        if filters.get("profession"):
            people = people.where(User.profession == filters["profession"])
        if filters.get("country"):
            people = people.where(User.country == filters["country"])
        query = query.where(Enrolment.user_id.in_(people))
    if filters.get("updated_since"):
        query = query.where(
            _since(
                filters["updated_since"],
                Enrolment.enrolled_at,
                Enrolment.last_activity_at,
                Enrolment.completed_at,
                Enrolment.unenrolled_at,
            )
        )
    rows, more = _page(query, Enrolment.id, after, limit)
    return summaries(rows), more


def get_enrolment(token: ApiToken, enrolment_id: int) -> EnrolmentSummary:
    enrolment = (
        db.session.scalar(_visible_enrolments(token.academy_id).where(Enrolment.id == enrolment_id))
        if _in_range(enrolment_id)
        else None
    )
    if enrolment is None:
        raise NotFoundError(_("No such enrolment."), field="enrolment")
    return summaries([enrolment])[0]


@dataclass
class LessonRecord:
    lesson_id: int
    module_id: int
    title: str
    required: bool
    first_viewed_at: datetime | None
    completed_at: datetime | None


@dataclass
class ProgressRecord:
    enrolment_id: int
    status: str
    completed_lessons: int
    required_lessons: int
    percent: int
    completed_at: datetime | None
    lessons: list[LessonRecord]


def enrolment_progress(token: ApiToken, enrolment_id: int) -> ProgressRecord:
    """Lesson by lesson progress of an enrolment, in the order of the version the learner follows."""
    summary = get_enrolment(token, enrolment_id)
    enrolment = summary.enrolment
    _modules, lessons = version_outline(enrolment.version_id, enrolment.version.published_at.isoformat())
    progress = {
        p.lesson_id: p
        for p in db.session.scalars(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id))
    }
    records = [
        LessonRecord(
            lesson.lesson_id,
            lesson.module_id,
            lesson.title,
            lesson.required,
            progress[lesson.lesson_id].first_viewed_at if lesson.lesson_id in progress else None,
            progress[lesson.lesson_id].completed_at if lesson.lesson_id in progress else None,
        )
        for lesson in lessons
    ]
    return ProgressRecord(
        enrolment.id,
        str(enrolment.status),
        summary.completed,
        summary.required,
        summary.percent,
        enrolment.completed_at,
        records,
    )


def _visible_attempts(academy_id: int) -> Select:
    return select(Attempt).where(scope.attempts_of({academy_id}))


def list_attempts(token: ApiToken, filters: dict, after: int | None, limit: int) -> tuple[list[Attempt], bool]:
    """Quiz attempts in the academy's courses (results only), filtered by course, quiz, user, passed, state and
    the time they finished."""
    query = _visible_attempts(token.academy_id)
    if filters.get("course"):
        query = query.where(Attempt.quiz_id.in_(select(Quiz.id).where(Quiz.course_id == filters["course"])))
    if filters.get("quiz"):
        query = query.where(Attempt.quiz_id == filters["quiz"])
    if filters.get("user"):
        query = query.where(Attempt.user_id == filters["user"])
    if filters.get("passed") is not None:
        query = query.where(Attempt.passed.is_(filters["passed"]))
    if filters.get("state"):
        query = query.where(Attempt.state == filters["state"])
    if filters.get("finished_since"):
        query = query.where(Attempt.finished_at >= filters["finished_since"])
    return _page(query, Attempt.id, after, limit)


def get_attempt(token: ApiToken, attempt_id: int) -> Attempt:
    attempt = (
        db.session.scalar(_visible_attempts(token.academy_id).where(Attempt.id == attempt_id))
        if _in_range(attempt_id)
        else None
    )
    if attempt is None:
        raise NotFoundError(_("No such attempt."), field="attempt")
    return attempt


def list_certificates(token: ApiToken, filters: dict, after: int | None, limit: int) -> tuple[list[Certificate], bool]:
    """Certificates the academy issued, filtered by user, course, status and the time of issue or revocation."""
    query = select(Certificate).where(scope.certificates_of({token.academy_id}))
    if filters.get("user"):
        query = query.where(Certificate.user_id == filters["user"])
    if filters.get("course"):
        query = query.where(Certificate.course_id == filters["course"])
    status, today = filters.get("status"), utcnow().date()
    if status == Status.REVOKED:
        query = query.where(Certificate.revoked_at.is_not(None))
    elif status == Status.EXPIRED:
        query = query.where(Certificate.revoked_at.is_(None), Certificate.expires_on < today)
    elif status == Status.VALID:
        query = query.where(
            Certificate.revoked_at.is_(None),
            or_(Certificate.expires_on.is_(None), Certificate.expires_on >= today),
        )
    if filters.get("updated_since"):
        query = query.where(_since(filters["updated_since"], Certificate.issued_at, Certificate.revoked_at))
    return _page(query, Certificate.id, after, limit)


def get_certificate(token: ApiToken, certificate_id: int) -> Certificate:
    certificate = (
        db.session.scalar(
            select(Certificate).where(Certificate.id == certificate_id, Certificate.academy_id == token.academy_id)
        )
        if _in_range(certificate_id)
        else None
    )
    if certificate is None:
        raise NotFoundError(_("No such certificate."), field="certificate")
    return certificate


# --- what a write token does ---------------------------------------------------------------------------------


def _actor(token: ApiToken) -> User:
    if not token.can_write:
        raise DomainError(_("This token may only read."))
    return token.created_by


def _audit(token: ApiToken, action: str, obj, details: dict) -> None:
    audit.record(
        action,
        actor=token.created_by,
        obj=obj,
        academy_id=token.academy_id,
        details={"token": token.name, "token_prefix": token.prefix, **details},
    )


def _member(token: ApiToken, user_id: int) -> User:
    """A user the academy sees who is also one of its members (only members are enrolled or certified)."""
    user = get_user(token, user_id)
    if token.academy_id not in user.academy_ids():
        raise DomainError(
            _("%(name)s is not a member of %(academy)s.", name=user.display_name, academy=token.academy.name),
            field="user",
        )
    return user


@dataclass
class UserFields:
    email: str
    display_name: str
    username: str = ""
    profession: str = "other"
    country: str = "other"
    language: str | None = None
    role: str = "learner"


def create_user(token: ApiToken, fields: UserFields) -> User:
    """Create an account in the token's academy; without a password, so an invitation to set one is mailed."""
    actor = _actor(token)
    if fields.role not in API_ROLES:
        raise DomainError(_("The role is learner or trainer."), field="role")
    if fields.profession not in PROFESSIONS:
        raise DomainError(_("Unknown profession '%(value)s'.", value=fields.profession), field="profession")
    if fields.country not in COUNTRIES:
        raise DomainError(_("Unknown country '%(value)s'.", value=fields.country), field="country")
    if fields.language and fields.language not in languages():
        raise DomainError(_("Unknown language '%(value)s'.", value=fields.language), field="language")
    spec = accounts.NewUser(
        email=fields.email,
        display_name=fields.display_name,
        username=fields.username,
        profession=fields.profession,
        country=fields.country,
        language=fields.language,
        role=fields.role,
        academy=token.academy,
    )
    user = accounts.create_user(actor, spec)
    _audit(token, "api.user_created", user, {"email": user.email, "role": fields.role})
    db.session.commit()
    return user


def enrol(token: ApiToken, user_id: int, course_id: int) -> tuple[EnrolmentSummary, bool]:
    """Enrol a member of the academy in one of its courses; (enrolment, created). Enrolling someone already
    enrolled changes nothing."""
    from courses.enrolment import enrol_users

    actor = _actor(token)
    user = _member(token, user_id)
    course = get_course(token, course_id)
    if course.academy_id != token.academy_id:
        raise DomainError(_("Learners are enrolled only in the academy's own courses."), field="course")
    try:
        report = enrol_users(actor, course, [user], source="api")
    except NotFoundError as exc:
        raise DomainError(exc.message, field="user") from exc
    except DomainError as exc:
        raise DomainError(exc.message, field=exc.field or "course") from exc
    if report.enrolled:
        enrolment = report.enrolled[0]
        _audit(token, "api.enrolment_created", enrolment, {"user": user.email, "course": course.slug})
        db.session.commit()
        return summaries([enrolment])[0], True
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id)
    )
    return summaries([existing])[0], False


def record_completion(token: ApiToken, user_id: int, course_id: int, completed_on: date | None) -> Certificate:
    """A member of the academy completed a course in person: the certificate is issued under the academy's
    accreditation of that course (none: refused, naming the course)."""
    actor = _actor(token)
    user = _member(token, user_id)
    course = get_course(token, course_id)
    accreditation = db.session.scalar(
        select(Accreditation).where(Accreditation.course_id == course.id, Accreditation.academy_id == token.academy_id)
    )
    if accreditation is None:
        raise DomainError(_("%(academy)s does not accredit this course.", academy=token.academy.name), field="course")
    try:
        certificate = issuing.issue_certificate(actor, accreditation, user, completed_on)
    except NotFoundError as exc:
        raise DomainError(exc.message, field="user") from exc
    except DomainError as exc:
        raise DomainError(exc.message, field=exc.field or "course") from exc
    _audit(
        token,
        "api.completion_recorded",
        certificate,
        {"user": user.email, "course": course.slug, "serial": certificate.serial},
    )
    db.session.commit()
    return certificate
