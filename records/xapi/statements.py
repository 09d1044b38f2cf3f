"""xAPI 1.0.3 statements of the learning records: pure builders, and the stream of them from the database.

The events and their ADL verbs (``iter_statements`` kinds are those of :data:`records.filters.KINDS`):

- ``enrolments``: *registered* in a course (enrolled_at) and *completed* the course (completed_at);
- ``progress``: *launched* a lesson (first opened) and *completed* a lesson;
- ``results``: *attempted* a quiz (started_at) and *passed* / *failed* it once graded (finished_at), with the
  score (scaled 0..1, raw marks of max);
- ``certificates``: *completed* the accredited course, with the certificate (serial, code, credit hours, the
  public verification page) in the result's extensions (issued_at).

Identity: the actor is an account on ``LMS_BASE_URL`` named by an opaque id (an HMAC of the user id with a key
derived from ``SECRET_KEY``: stable, not guessable from the user id, and no personal data), unless the academy
opted in to e-mail (then ``mbox`` and the name). Activity ids are IRIs under ``LMS_BASE_URL`` built from ids,
which stay the same when titles or slugs change. Statement ids are UUIDv5 over a namespace of this site and the
event, so the same event always gives the same id and a re-send is idempotent at the LRS; a regrade is a new
event (the score is part of it). Timestamps are UTC with a ``Z``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select

from certificates.codes import format_code
from certificates.models import Accreditation, Certificate
from courses.models import Course, Enrolment, LessonProgress, VersionLesson
from lms.extensions import db
from lms.models import Academy, CohortMember, User
from lms.urls import absolute_url
from quizzes.models import Attempt, AttemptState, Quiz
from records.filters import KINDS, ExportFilters
from records.xapi.models import LrsSettings

XAPI_VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi"
VERBS = {
    name: f"{ADL}/verbs/{name}" for name in ("registered", "launched", "completed", "passed", "failed", "attempted")
}
ACTIVITY_TYPES = {
    "course": f"{ADL}/activities/course",
    "lesson": f"{ADL}/activities/lesson",
    "quiz": f"{ADL}/activities/assessment",
}
BATCH = 500
_LANGTAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


# Plain values ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """What every statement of this installation shares: its base URL and the key of the actors' names."""

    base_url: str
    actor_key: bytes
    platform: str = "LMS"
    # Actors' names already worked out (an export names the same learners again and again).
    _names: dict[int, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @cached_property
    def home(self) -> str:
        return self.base_url.rstrip("/")

    @cached_property
    def namespace(self) -> uuid.UUID:
        # Per site: two installations never give the same statement id to their own events.
        return uuid.uuid5(uuid.NAMESPACE_URL, self.home + "/xapi")

    def statement_id(self, event: str) -> str:
        return str(uuid.uuid5(self.namespace, event))

    def activity_id(self, kind: str, key: int | str) -> str:
        return f"{self.home}/xapi/activities/{kind}/{key}"

    def extension(self, name: str) -> str:
        return f"{self.home}/xapi/extensions/{name}"

    def account_name(self, user_id: int) -> str:
        name = self._names.get(user_id)
        if name is None:
            name = hmac.new(self.actor_key, f"actor:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
            self._names[user_id] = name
        return name


@dataclass(frozen=True)
class Learner:
    """The actor: ``email`` (and ``name``) only when the academy opted in to identify learners by e-mail."""

    user_id: int
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Thing:
    """An activity: a course, lesson or quiz (``kind``), or an academy (the grouping of its statements)."""

    kind: str
    id: int
    title: str
    language: str = "en"
    more_info: str | None = None


@dataclass(frozen=True)
class Score:
    marks: Decimal | float
    max_marks: Decimal | float
    percent: Decimal | float
    passed: bool


@dataclass(frozen=True)
class CertificateFacts:
    id: int
    code: str
    serial: str
    credit_hours: Decimal | float
    verify_url: str


def site_from_app(app=None) -> Site:
    """The :class:`Site` of the current app: ``LMS_BASE_URL`` and a key derived from ``SECRET_KEY``."""
    config = (app or current_app).config
    secret = config["SECRET_KEY"]
    secret = secret.encode("utf-8") if isinstance(secret, str) else secret
    key = hmac.new(secret, b"records.xapi-actor.v1", hashlib.sha256).digest()
    return Site(config["LMS_BASE_URL"], key, config.get("RECORDS_XAPI_PLATFORM", "LMS"))


# Pure builders --------------------------------------------------------------------------------------------


def language_tag(language: str | None) -> str:
    """An RFC 5646 tag from the LMS's language code (``sr_Latn`` -> ``sr-Latn``); ``und`` when unknown."""
    tag = (language or "").replace("_", "-")
    return tag if _LANGTAG.match(tag) else "und"


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z`` (a naive datetime is taken as UTC, as the database keeps it)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def duration(seconds: float) -> str:
    """ISO 8601 duration, seconds with at most two decimals (what xAPI allows)."""
    return f"PT{max(round(seconds, 2), 0):g}S"


def agent(site: Site, learner: Learner) -> dict[str, Any]:
    if learner.email:
        actor = {"objectType": "Agent", "mbox": f"mailto:{learner.email}"}
        return actor | ({"name": learner.name} if learner.name else {})
    return {"objectType": "Agent", "account": {"homePage": site.home, "name": site.account_name(learner.user_id)}}


def activity(site: Site, thing: Thing) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": {language_tag(thing.language): thing.title}}
    if thing.kind in ACTIVITY_TYPES:
        definition["type"] = ACTIVITY_TYPES[thing.kind]
    if thing.more_info:
        definition["moreInfo"] = thing.more_info
    return {"objectType": "Activity", "id": site.activity_id(thing.kind, thing.id), "definition": definition}


def verb(name: str) -> dict[str, Any]:
    return {"id": VERBS[name], "display": {"en-US": name}}


def statement(
    site: Site,
    event: str,
    verb_name: str,
    learner: Learner,
    obj: Thing,
    at: datetime,
    *,
    academy: Thing | None = None,
    parent: Thing | None = None,
    registration: str | None = None,
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One statement about ``obj``; ``event`` names what happened, uniquely on this site (it makes the id)."""
    context: dict[str, Any] = {"platform": site.platform, "language": language_tag(obj.language)}
    if registration:
        context["registration"] = registration
    activities = {}
    if parent is not None:
        activities["parent"] = [activity(site, parent)]
    if academy is not None:
        activities["grouping"] = [activity(site, academy)]
    if activities:
        context["contextActivities"] = activities
    built = {
        "id": site.statement_id(event),
        "actor": agent(site, learner),
        "verb": verb(verb_name),
        "object": activity(site, obj),
        "context": context,
        "timestamp": timestamp(at),
    }
    if result is not None:
        built["result"] = result
    return built


def registration(site: Site, enrolment_id: int | None) -> str | None:
    """The xAPI registration of an enrolment: ties together the statements of one learner in one course."""
    return site.statement_id(f"registration:enrolment:{enrolment_id}") if enrolment_id else None


def registered(
    site: Site, learner: Learner, course: Thing, at: datetime, *, enrolment_id: int, academy: Thing | None = None
) -> dict[str, Any]:
    """The learner was enrolled in ``course``."""
    return statement(
        site,
        f"registered:enrolment:{enrolment_id}",
        "registered",
        learner,
        course,
        at,
        academy=academy,
        registration=registration(site, enrolment_id),
    )


def launched(
    site: Site,
    learner: Learner,
    lesson: Thing,
    course: Thing,
    at: datetime,
    *,
    enrolment_id: int,
    academy: Thing | None = None,
) -> dict[str, Any]:
    """The learner first opened ``lesson`` of ``course``."""
    return statement(
        site,
        f"launched:enrolment:{enrolment_id}:lesson:{lesson.id}",
        "launched",
        learner,
        lesson,
        at,
        academy=academy,
        parent=course,
        registration=registration(site, enrolment_id),
    )


def completed_lesson(
    site: Site,
    learner: Learner,
    lesson: Thing,
    course: Thing,
    at: datetime,
    *,
    enrolment_id: int,
    academy: Thing | None = None,
) -> dict[str, Any]:
    """The learner completed ``lesson`` of ``course``."""
    return statement(
        site,
        f"completed:enrolment:{enrolment_id}:lesson:{lesson.id}",
        "completed",
        learner,
        lesson,
        at,
        academy=academy,
        parent=course,
        registration=registration(site, enrolment_id),
        result={"completion": True},
    )


def completed_course(
    site: Site, learner: Learner, course: Thing, at: datetime, *, enrolment_id: int, academy: Thing | None = None
) -> dict[str, Any]:
    """The learner met the course's completion rule."""
    return statement(
        site,
        f"completed:enrolment:{enrolment_id}",
        "completed",
        learner,
        course,
        at,
        academy=academy,
        registration=registration(site, enrolment_id),
        result={"completion": True},
    )


def attempted(
    site: Site,
    learner: Learner,
    quiz: Thing,
    course: Thing,
    at: datetime,
    *,
    attempt_id: int,
    enrolment_id: int | None = None,
    academy: Thing | None = None,
) -> dict[str, Any]:
    """The learner started an attempt at ``quiz``."""
    return statement(
        site,
        f"attempted:attempt:{attempt_id}",
        "attempted",
        learner,
        quiz,
        at,
        academy=academy,
        parent=course,
        registration=registration(site, enrolment_id),
    )


def score_result(score: Score, seconds: float | None = None) -> dict[str, Any]:
    """``result`` of a graded attempt: scaled score in 0..1, raw marks between 0 and the maximum."""
    scaled = min(max(float(score.percent) / 100, 0.0), 1.0)
    result: dict[str, Any] = {
        "score": {"scaled": round(scaled, 4), "raw": float(score.marks), "min": 0, "max": float(score.max_marks)},
        "success": bool(score.passed),
        "completion": True,
    }
    if seconds is not None:
        result["duration"] = duration(seconds)
    return result


def graded(
    site: Site,
    learner: Learner,
    quiz: Thing,
    course: Thing,
    at: datetime,
    score: Score,
    *,
    attempt_id: int,
    seconds: float | None = None,
    enrolment_id: int | None = None,
    academy: Thing | None = None,
) -> dict[str, Any]:
    """*passed* or *failed* a graded attempt (the verb follows ``score.passed``). The score is part of the event:
    a regrade is a new statement, the same grade sent again is the same one."""
    name = "passed" if score.passed else "failed"
    return statement(
        site,
        f"{name}:attempt:{attempt_id}:{Decimal(score.marks):f}/{Decimal(score.max_marks):f}",
        name,
        learner,
        quiz,
        at,
        academy=academy,
        parent=course,
        registration=registration(site, enrolment_id),
        result=score_result(score, seconds),
    )


def passed(site: Site, learner: Learner, quiz: Thing, course: Thing, at: datetime, score: Score, **kw) -> dict:
    """The learner passed ``quiz`` (``score.passed`` must be true)."""
    if not score.passed:
        raise ValueError("a passed statement needs a passing score")
    return graded(site, learner, quiz, course, at, score, **kw)


def failed(site: Site, learner: Learner, quiz: Thing, course: Thing, at: datetime, score: Score, **kw) -> dict:
    """The learner failed ``quiz`` (``score.passed`` must be false)."""
    if score.passed:
        raise ValueError("a failed statement needs a failing score")
    return graded(site, learner, quiz, course, at, score, **kw)


def certified(
    site: Site,
    learner: Learner,
    course: Thing,
    at: datetime,
    certificate: CertificateFacts,
    *,
    enrolment_id: int | None = None,
    academy: Thing | None = None,
) -> dict[str, Any]:
    """A certificate was issued: *completed* the accredited course, the certificate in the result."""
    facts = {
        "serial": certificate.serial,
        "code": certificate.code,
        "credit_hours": float(certificate.credit_hours),
        "verification": certificate.verify_url,
    }
    return statement(
        site,
        f"completed:certificate:{certificate.id}",
        "completed",
        learner,
        course,
        at,
        academy=academy,
        registration=registration(site, enrolment_id),
        result={"completion": True, "success": True, "extensions": {site.extension("certificate"): facts}},
    )


# From the database -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queued:
    """A statement with what the outbox keeps beside it."""

    academy_id: int
    user_id: int | None
    verb: str
    statement: dict[str, Any] = field(compare=False)


class _Window:
    """The filters' inclusive UTC days as a half-open datetime range."""

    def __init__(self, filters: ExportFilters) -> None:
        self.start = datetime.combine(filters.since, time(), UTC) if filters.since else None
        self.end = datetime.combine(filters.until + timedelta(days=1), time(), UTC) if filters.until else None

    def sql(self, column):
        parts = [column.is_not(None)]
        if self.start is not None:
            parts.append(column >= self.start)
        if self.end is not None:
            parts.append(column < self.end)
        return and_(*parts)

    def holds(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def _people(query, filters: ExportFilters, user_column):
    if filters.cohort_id is not None:
        query = query.where(
            user_column.in_(select(CohortMember.user_id).where(CohortMember.cohort_id == filters.cohort_id))
        )
    if filters.profession:
        query = query.where(User.profession == filters.profession)
    if filters.country:
        query = query.where(User.country == filters.country)
    return query


class _Rows:
    """Turns result rows into the plain values of the builders; knows each academy's e-mail opt-in."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.email_academies = set(
            db.session.scalars(select(LrsSettings.academy_id).where(LrsSettings.actor_uses_email.is_(True)))
        )
        self.academies = {a.id: a.name for a in db.session.scalars(select(Academy))}
        self._courses: dict[tuple, Thing] = {}

    def learner(self, academy_id: int, row) -> Learner:
        # An anonymised account is never named, whatever the academy chose.
        if academy_id in self.email_academies and row.anonymised_at is None:
            return Learner(row.user_id, row.email, row.display_name)
        return Learner(row.user_id)

    def academy(self, academy_id: int) -> Thing:
        return Thing("academy", academy_id, self.academies.get(academy_id, str(academy_id)), "en")

    def course(self, row) -> Thing:
        key = (row.course_id, row.course_title, row.course_language)
        course = self._courses.get(key)
        if course is None:
            slug = getattr(row, "course_slug", None)
            more_info = absolute_url("courses.detail", slug=slug) if slug else None
            course = self._courses[key] = Thing(
                "course", row.course_id, row.course_title, row.course_language, more_info
            )
        return course


def _person_columns():
    return (User.email, User.display_name, User.anonymised_at)


def _enrolments(rows: _Rows, filters: ExportFilters, window: _Window, where) -> Iterator[Queued]:
    query = (
        select(
            Enrolment.id.label("enrolment_id"),
            Enrolment.user_id,
            Enrolment.enrolled_at,
            Enrolment.completed_at,
            Course.id.label("course_id"),
            Course.slug.label("course_slug"),
            Course.title.label("course_title"),
            Course.language.label("course_language"),
            Course.academy_id,
            *_person_columns(),
        )
        .join(Course, Course.id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id)
        .where(or_(window.sql(Enrolment.enrolled_at), window.sql(Enrolment.completed_at)))
        .order_by(Enrolment.id)
    )
    query = _scoped(query, filters, Course.academy_id, Course.id, Enrolment.user_id, where)
    for row in _stream(query):
        learner, course, academy = rows.learner(row.academy_id, row), rows.course(row), rows.academy(row.academy_id)
        if window.holds(row.enrolled_at):
            built = registered(
                rows.site, learner, course, row.enrolled_at, enrolment_id=row.enrolment_id, academy=academy
            )
            yield Queued(row.academy_id, row.user_id, "registered", built)
        if window.holds(row.completed_at):
            built = completed_course(
                rows.site, learner, course, row.completed_at, enrolment_id=row.enrolment_id, academy=academy
            )
            yield Queued(row.academy_id, row.user_id, "completed", built)


def _progress(rows: _Rows, filters: ExportFilters, window: _Window, where) -> Iterator[Queued]:
    query = (
        select(
            LessonProgress.lesson_id,
            LessonProgress.first_viewed_at,
            LessonProgress.completed_at,
            VersionLesson.title.label("lesson_title"),
            Enrolment.id.label("enrolment_id"),
            Enrolment.user_id,
            Course.id.label("course_id"),
            Course.slug.label("course_slug"),
            Course.title.label("course_title"),
            Course.language.label("course_language"),
            Course.academy_id,
            *_person_columns(),
        )
        .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
        .join(Course, Course.id == Enrolment.course_id)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(
            VersionLesson,
            (VersionLesson.version_id == Enrolment.version_id) & (VersionLesson.lesson_id == LessonProgress.lesson_id),
        )
        .where(or_(window.sql(LessonProgress.first_viewed_at), window.sql(LessonProgress.completed_at)))
        .order_by(LessonProgress.id)
    )
    query = _scoped(query, filters, Course.academy_id, Course.id, Enrolment.user_id, where)
    for row in _stream(query):
        learner, course, academy = rows.learner(row.academy_id, row), rows.course(row), rows.academy(row.academy_id)
        lesson = Thing("lesson", row.lesson_id, row.lesson_title or f"Lesson {row.lesson_id}", row.course_language)
        common = {"enrolment_id": row.enrolment_id, "academy": academy}
        if window.holds(row.first_viewed_at):
            built = launched(rows.site, learner, lesson, course, row.first_viewed_at, **common)
            yield Queued(row.academy_id, row.user_id, "launched", built)
        if window.holds(row.completed_at):
            built = completed_lesson(rows.site, learner, lesson, course, row.completed_at, **common)
            yield Queued(row.academy_id, row.user_id, "completed", built)


def _results(rows: _Rows, filters: ExportFilters, window: _Window, where) -> Iterator[Queued]:
    query = (
        select(
            Attempt.id.label("attempt_id"),
            Attempt.user_id,
            Attempt.started_at,
            Attempt.finished_at,
            Attempt.state,
            Attempt.marks,
            Attempt.max_marks,
            Attempt.percent,
            Attempt.passed,
            Quiz.id.label("quiz_id"),
            Quiz.title.label("quiz_title"),
            Enrolment.id.label("enrolment_id"),
            Course.id.label("course_id"),
            Course.slug.label("course_slug"),
            Course.title.label("course_title"),
            Course.language.label("course_language"),
            Course.academy_id,
            *_person_columns(),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(Enrolment, (Enrolment.user_id == Attempt.user_id) & (Enrolment.course_id == Course.id))
        .where(or_(window.sql(Attempt.started_at), window.sql(Attempt.finished_at)))
        .order_by(Attempt.id)
    )
    query = _scoped(query, filters, Course.academy_id, Course.id, Attempt.user_id, where)
    for row in _stream(query):
        learner, course, academy = rows.learner(row.academy_id, row), rows.course(row), rows.academy(row.academy_id)
        quiz = Thing("quiz", row.quiz_id, row.quiz_title, row.course_language)
        common = {"attempt_id": row.attempt_id, "enrolment_id": row.enrolment_id, "academy": academy}
        if window.holds(row.started_at):
            built = attempted(rows.site, learner, quiz, course, row.started_at, **common)
            yield Queued(row.academy_id, row.user_id, "attempted", built)
        is_graded = row.state == AttemptState.FINISHED and row.marks is not None and row.passed is not None
        if is_graded and window.holds(row.finished_at):
            score = Score(row.marks, row.max_marks, row.percent, row.passed)
            seconds = (row.finished_at - row.started_at).total_seconds()
            built = graded(rows.site, learner, quiz, course, row.finished_at, score, seconds=seconds, **common)
            yield Queued(row.academy_id, row.user_id, built["verb"]["display"]["en-US"], built)


def _certificates(rows: _Rows, filters: ExportFilters, window: _Window, where) -> Iterator[Queued]:
    query = (
        select(
            Certificate.id.label("certificate_id"),
            Certificate.code,
            Certificate.serial,
            Certificate.credit_hours,
            Certificate.issued_at,
            Certificate.user_id,
            Certificate.enrolment_id,
            Certificate.academy_id,
            Certificate.course_title,
            Certificate.language.label("course_language"),
            Accreditation.course_id,
            *_person_columns(),
        )
        .join(Accreditation, Accreditation.id == Certificate.accreditation_id)
        .join(User, User.id == Certificate.user_id)
        .where(window.sql(Certificate.issued_at))
        .order_by(Certificate.id)
    )
    query = _scoped(query, filters, Certificate.academy_id, Accreditation.course_id, Certificate.user_id, where)
    for row in _stream(query):
        facts = CertificateFacts(
            row.certificate_id,
            row.code,
            row.serial,
            row.credit_hours,
            absolute_url("certificates.verify", code=format_code(row.code)),
        )
        built = certified(
            rows.site,
            rows.learner(row.academy_id, row),
            rows.course(row),
            row.issued_at,
            facts,
            enrolment_id=row.enrolment_id,
            academy=rows.academy(row.academy_id),
        )
        yield Queued(row.academy_id, row.user_id, "completed", built)


def _scoped(query, filters: ExportFilters, academy_column, course_column, user_column, where):
    if filters.academy_ids is not None:
        query = query.where(academy_column.in_(filters.academy_ids or {-1}))
    if filters.course_id is not None:
        query = query.where(course_column == filters.course_id)
    if where is not None:
        query = query.where(where)
    return _people(query, filters, user_column)


def _stream(query):
    # Rows, not objects, read in batches: memory stays flat however many records, and no lazy load per row.
    return db.session.execute(query.execution_options(yield_per=BATCH))


_KINDS = {"enrolments": _enrolments, "progress": _progress, "results": _results, "certificates": _certificates}


def queued_statements(filters: ExportFilters, kind: str | None = None, where=None) -> Iterator[Queued]:
    """The statements of ``kind`` (all kinds when None) with their academy, user and verb. ``where`` narrows
    the query of that kind further (the receivers pass the id of the row that changed)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    rows, window = _Rows(site_from_app()), _Window(filters)
    for name in (kind,) if kind else KINDS:
        yield from _KINDS[name](rows, filters, window, where)


def iter_statements(filters: ExportFilters, kind: str | None = None) -> Iterator[dict]:
    """Stream the xAPI statements of the records ``filters`` covers (each statement's own time in the date
    range), kind by kind in the order of :data:`records.filters.KINDS`, oldest row first within a kind.

    A few queries whatever the number of records (one per kind, read in batches, plus the academies and their
    e-mail opt-ins); nothing is written."""
    for queued in queued_statements(filters, kind):
        yield queued.statement
