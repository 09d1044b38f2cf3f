"""What the quizzes plugin holds about a learner (their data download) and what it erases when the account is
anonymised (the attempts stay, linked to the anonymous account; the accommodation, a note about the person, goes).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from courses.languages import Reading, choose
from courses.models import Course
from lms.extensions import db
from lms.plugins import plugin_enabled
from quizzes.models import Accommodation, Attempt, AttemptQuestion, Quiz, QuizOverride
from quizzes.translations import localized_item


def _item(item: AttemptQuestion, reading: Reading | None) -> dict[str, Any]:
    earned = item.fraction * item.max_mark if item.fraction is not None else None
    return {
        "position": item.position,
        # As the learner read it: in the attempt's language (None: the source, as written).
        "question": localized_item(item, reading).text if reading is not None else item.version.text,
        "type": item.version.qtype,
        "response": item.response,
        "saved_at": item.saved_at,
        "state": item.state,
        "mark": earned,
        "max_mark": item.max_mark,
        "comment": item.comment,
        "graded_at": item.graded_at,
    }


def _attempt(attempt: Attempt, course: Course) -> dict[str, Any]:
    # None: the source language, shown as written (no work); else the course read in the attempt's language.
    reading = choose(course, attempt.language) if attempt.language else None
    quiz = attempt.quiz
    return {
        "course": course.slug,
        "quiz": str(reading.text(quiz.title, quiz.translations, "title")) if reading else quiz.title,
        "language": attempt.language or course.language,
        "number": attempt.number,
        "state": attempt.state.value,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "finished_by": attempt.finished_by,
        "marks": attempt.marks,
        "max_marks": attempt.max_marks,
        "percent": attempt.percent,
        "passed": attempt.passed,
        "questions": [_item(item, reading) for item in attempt.items],
    }


def personal_data(user) -> dict[str, Any]:
    """The user's attempts with their answers and grades, their accommodation and quiz overrides (four queries:
    attempts with quiz and course, their questions with the versions seen, the accommodation, the overrides).
    Quiz titles and question texts are in the attempt's language, as the learner read them."""
    rows = db.session.execute(
        select(Attempt, Course)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .options(selectinload(Attempt.items))
        .where(Attempt.user_id == user.id)
        .order_by(Attempt.started_at, Attempt.id)
    ).all()
    attempts = [_attempt(a, course) for a, course in rows]
    accommodation = db.session.scalar(select(Accommodation).where(Accommodation.user_id == user.id))
    overrides = db.session.execute(
        select(QuizOverride, Quiz.title)
        .join(Quiz, Quiz.id == QuizOverride.quiz_id)
        .where(QuizOverride.user_id == user.id)
    )
    return {
        "attempts": attempts,
        "accommodation": None
        if accommodation is None
        else {
            "extra_time_percent": accommodation.extra_time_percent,
            "extra_attempts": accommodation.extra_attempts,
            "note": accommodation.note,
            "updated_at": accommodation.updated_at,
        },
        "overrides": [
            {
                "quiz": title,
                "open_at": o.open_at,
                "close_at": o.close_at,
                "time_limit_minutes": o.time_limit_minutes,
                "attempts_allowed": o.attempts_allowed,
            }
            for o, title in overrides
        ],
    }


def on_user_anonymised(sender: Flask, user, **_extra) -> None:
    """``user_anonymised``: delete the learner's accommodation (its note may describe the person's needs)."""
    if not plugin_enabled(sender, "quizzes"):
        return
    db.session.execute(delete(Accommodation).where(Accommodation.user_id == user.id))
    db.session.commit()


def init_app(app: Flask) -> None:
    """Register the quizzes part of a user's data download and the anonymisation receiver."""
    from lms import signals
    from lms.registry import registry

    registry("personal_data", app).register("quizzes", personal_data)
    signals.user_anonymised.connect(on_user_anonymised)
