"""The catalog: published courses a visitor may see, filtered by profession, language, academy, topic and title."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from courses.languages import offered_languages
from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus
from lms.extensions import db
from lms.translit import cyrillic_to_latin


@dataclass
class CatalogFilters:
    profession: str = ""
    language: str = ""
    academy: int | None = None
    topic: str = ""
    q: str = ""


def catalog(user, filters: CatalogFilters) -> list[Course]:
    """Published courses matching ``filters``; restricted ones only for their professions, their academy's staff
    and learners already enrolled. Two queries whatever the number of courses."""
    query = select(Course).where(Course.status == CourseStatus.PUBLISHED)
    if filters.academy:
        query = query.where(Course.academy_id == filters.academy)
    courses = list(db.session.scalars(query.order_by(Course.title)))
    signed_in = user.is_authenticated
    enrolled = _enrolled_ids(user) if signed_in else set()
    staff = (user.academy_ids("trainer") | user.academy_ids("registrar")) if signed_in else set()

    def visible(course: Course) -> bool:
        if not course.restricted:
            return True
        return signed_in and (
            user.is_admin
            or user.profession in (course.professions or [])
            or course.academy_id in staff
            or course.id in enrolled
        )

    # JSON list columns are filtered here, the same on SQLite and PostgreSQL.
    return [
        c
        for c in courses
        if visible(c)
        and (not filters.profession or filters.profession in (c.professions or []))
        and (not filters.topic or filters.topic in (c.topics or []))
        and (not filters.language or filters.language in offered_languages(c))
        and (not filters.q or _matches(c, filters.q))
    ]


def _folded(text: str) -> str:
    """Lowercase and in Latin script, so that a search in either Serbian script finds both."""
    return cyrillic_to_latin(text or "").casefold()


def _matches(course: Course, q: str) -> bool:
    """Whether the search text is in the course's title or summary, in its source or any translation."""
    wanted = _folded(q.strip())
    texts = [course.title, course.summary] + [
        value for t in (course.translations or {}).values() for value in (t.get("title"), t.get("summary")) if value
    ]
    return any(wanted in _folded(text) for text in texts)


def _enrolled_ids(user) -> set[int]:
    return set(
        db.session.scalars(
            select(Enrolment.course_id).where(
                Enrolment.user_id == user.id, Enrolment.status != EnrolmentStatus.UNENROLLED
            )
        )
    )
