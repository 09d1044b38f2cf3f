"""What records an academy sees, as query conditions shared by the REST API and the exports (one rule, one place).

Academy A sees the enrolments, lesson progress and quiz attempts in the courses A owns, and the certificates A
issued. ``academy_ids`` None means every academy (administrators, the command line): no condition at all.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, select, true

from certificates.models import Certificate
from courses.models import Course, Enrolment
from quizzes.models import Attempt, Quiz

AcademyIds = Collection[int] | None


def own_course_ids(academy_ids: AcademyIds) -> Select:
    """Ids of the courses the academies own."""
    query = select(Course.id)
    return query if academy_ids is None else query.where(Course.academy_id.in_(list(academy_ids) or [-1]))


def enrolments_of(academy_ids: AcademyIds) -> ColumnElement[bool]:
    """Enrolments (and so lesson progress) in the academies' own courses."""
    return true() if academy_ids is None else Enrolment.course_id.in_(own_course_ids(academy_ids))


def attempts_of(academy_ids: AcademyIds) -> ColumnElement[bool]:
    """Quiz attempts in the academies' own courses."""
    if academy_ids is None:
        return true()
    return Attempt.quiz_id.in_(select(Quiz.id).where(Quiz.course_id.in_(own_course_ids(academy_ids))))


def certificates_of(academy_ids: AcademyIds) -> ColumnElement[bool]:
    """Certificates the academies issued (whoever owns the course)."""
    return true() if academy_ids is None else Certificate.academy_id.in_(list(academy_ids) or [-1])
