"""What the courses plugin holds about a learner, for their data download (``registry("personal_data")``)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from courses.models import Enrolment, Lesson, LessonProgress
from lms.extensions import db


def personal_data(user) -> dict[str, Any]:
    """The user's enrolments (course, version, status, dates) with the progress of each lesson (two queries)."""
    # The course and version are joined eagerly by the Enrolment mapping: one query.
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at, Enrolment.id)
    ).all()
    lessons: dict[int, list[dict[str, Any]]] = {}
    progress = db.session.execute(
        select(LessonProgress, Lesson.title)
        .outerjoin(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.enrolment_id.in_([e.id for e in enrolments] or [-1]))
        .order_by(LessonProgress.enrolment_id, LessonProgress.first_viewed_at, LessonProgress.id)
    )
    for p, title in progress:
        lessons.setdefault(p.enrolment_id, []).append(
            {
                "lesson_id": p.lesson_id,
                "lesson": title,
                "first_viewed_at": p.first_viewed_at,
                "completed_at": p.completed_at,
                "notice_acknowledged_at": p.notice_acknowledged_at,
            }
        )
    return {
        "enrolments": [
            {
                "course": e.course.slug,
                "course_title": e.course.title,
                "version": e.version.number,
                "status": e.status.value,
                "source": e.source,
                "enrolled_at": e.enrolled_at,
                "last_activity_at": e.last_activity_at,
                "completed_at": e.completed_at,
                "unenrolled_at": e.unenrolled_at,
                "lessons": lessons.get(e.id, []),
            }
            for e in enrolments
        ]
    }


def init_app(app: Flask) -> None:
    """Register the courses part of a user's data download."""
    from lms.registry import registry

    registry("personal_data", app).register("courses", personal_data)
