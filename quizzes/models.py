"""Quizzes: the question bank (categories, questions and their versions), quizzes placed in a course, attempts
with their questions and saved responses, accommodations and overrides.

A question's content lives in :class:`QuestionVersion` rows: editing a question that attempts already use
makes a new version, so a past attempt always shows and grades what the learner saw. A question row stores
the question type's slug and its JSON config (``quizzes.types``): a new type needs no migration.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course
from lms.extensions import db
from lms.models import User
from lms.models.base import UTCDateTime, string_enum, utcnow


class QuestionCategory(db.Model):
    """A folder of the question bank: of one course, or of an academy (shared by its courses)."""

    __tablename__ = "quizzes_category"
    __table_args__ = (
        CheckConstraint("(course_id IS NULL) <> (academy_id IS NULL)", name="one_owner"),
        Index("ix_quizzes_category_owner", "course_id", "academy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"))
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("lms_academy.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes_category.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # The full path ("Forensics/Hashing"), unique per owner: what GIFT's $CATEGORY: names.
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course | None] = relationship()


class Question(db.Model):
    """A question's identity in the bank; its content is in versions (``current`` is what new attempts use)."""

    __tablename__ = "quizzes_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("quizzes_category.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    qtype: Mapped[str] = mapped_column(String(32))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("quizzes_question_version.id", use_alter=True, ondelete="SET NULL")
    )
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    category: Mapped[QuestionCategory] = relationship(lazy="joined")
    current: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id], lazy="joined")


class QuestionVersion(db.Model):
    """What a question says and how it is graded, frozen once an attempt uses it. The general feedback, the
    answers and their feedback are part of the type's ``config``."""

    __tablename__ = "quizzes_question_version"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quizzes_question.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    qtype: Mapped[str] = mapped_column(String(32))
    config_version: Mapped[int] = mapped_column(Integer, default=1)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    text_format: Mapped[str] = mapped_column(String(16), default="markdown")
    default_mark: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("1"))
    # Other languages: {"sq": {"text": ..., "config": {...the same config with its texts translated...}}}.
    translations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship(foreign_keys=[question_id])


class GradingMethod(enum.StrEnum):
    HIGHEST = "highest"
    AVERAGE = "average"
    FIRST = "first"
    LAST = "last"


GRADING_LABELS = {
    GradingMethod.HIGHEST: _l("Highest grade"),
    GradingMethod.AVERAGE: _l("Average grade"),
    GradingMethod.FIRST: _l("First attempt"),
    GradingMethod.LAST: _l("Last attempt"),
}

# What a learner may see of a finished attempt, and when. Keys of Quiz.review.
REVIEW_TIMES = ("after_submit", "after_close")
REVIEW_ITEMS = ("responses", "marks", "feedback", "right_answers")


def default_review() -> dict[str, dict[str, bool]]:
    return {
        "after_submit": {"responses": True, "marks": True, "feedback": True, "right_answers": False},
        "after_close": {"responses": True, "marks": True, "feedback": True, "right_answers": True},
    }


class Quiz(db.Model):
    """A quiz placed in a module of a course (or, with no module, the course's final assessment)."""

    __tablename__ = "quizzes_quiz"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("courses_module.id", ondelete="SET NULL"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    intro: Mapped[str] = mapped_column(Text, default="")
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    pass_mark: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("70"))  # percent
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unlimited
    grading_method: Mapped[GradingMethod] = mapped_column(string_enum(GradingMethod), default=GradingMethod.HIGHEST)
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_answers: Mapped[bool] = mapped_column(Boolean, default=True)
    questions_per_page: Mapped[int] = mapped_column(Integer, default=5)
    review: Mapped[dict[str, dict[str, bool]]] = mapped_column(JSON, default=default_review)
    counts_for_completion: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )


class QuizSlot(db.Model):
    """One place in a quiz: a fixed question, or a random draw of ``count`` questions from a category."""

    __tablename__ = "quizzes_slot"
    __table_args__ = (CheckConstraint("(question_id IS NULL) <> (category_id IS NULL)", name="question_or_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes_quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes_question.id", ondelete="RESTRICT"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("quizzes_category.id", ondelete="RESTRICT"))
    include_subcategories: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # a random draw takes questions with all of them
    count: Mapped[int] = mapped_column(Integer, default=1)
    mark: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("1"))  # per question

    quiz: Mapped[Quiz] = relationship(back_populates="slots")
    question: Mapped[Question | None] = relationship(lazy="joined")
    category: Mapped[QuestionCategory | None] = relationship(lazy="joined")


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"  # submitted (by the learner, or closed when overdue)


class Attempt(db.Model):
    __tablename__ = "quizzes_attempt"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        Index("ix_quizzes_attempt_user", "user_id", "quiz_id"),
        Index("ix_quizzes_attempt_open", "state", "deadline_at"),
        Index("ix_quizzes_attempt_reactions_due", "reactions_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes_quiz.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[AttemptState] = mapped_column(string_enum(AttemptState), default=AttemptState.IN_PROGRESS)
    seed: Mapped[int] = mapped_column(Integer)
    # Each accepted save increments it; a save naming an older number (another tab) is refused.
    seq: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: no time limit, no close date
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_by: Mapped[str | None] = mapped_column(String(16))  # learner | overdue | trainer
    marks: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))  # earned; None while ungraded parts remain
    max_marks: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("0"))
    percent: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # The language the learner read the quiz in (set at start; see quizzes.localized): the same questions,
    # answer ids and marks whichever it is. None: the source language.
    language: Mapped[str | None] = mapped_column(String(16))
    # Set in the transaction that commits a grade, cleared once what follows a grade has run (the attempt_graded
    # receivers and the course's completion rule): a process killed in between leaves it set, and
    # quizzes.attempts.replay_reactions runs them again.
    reactions_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    quiz: Mapped[Quiz] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )


class AttemptQuestion(db.Model):
    """A question as it stands in one attempt: its version, its mark, the learner's saved response, its grade."""

    __tablename__ = "quizzes_attempt_question"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quizzes_attempt.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based, as the learner sees it
    page: Mapped[int] = mapped_column(Integer, default=1)
    slot_position: Mapped[int] = mapped_column(Integer)  # the quiz slot it was drawn for (item analysis)
    question_id: Mapped[int] = mapped_column(ForeignKey("quizzes_question.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("quizzes_question_version.id", ondelete="RESTRICT"))
    max_mark: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    response: Mapped[Any | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fraction: Mapped[Decimal | None] = mapped_column(Numeric(9, 7))  # 0..1 of max_mark; None: not graded
    state: Mapped[str] = mapped_column(String(16), default="not_answered")
    comment: Mapped[str] = mapped_column(Text, default="")  # trainer's comment (essays, overrides)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship(lazy="joined")


class Accommodation(db.Model):
    """A learner's accommodation, set by a registrar, applied to every timed quiz."""

    __tablename__ = "quizzes_accommodation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), unique=True)
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class QuizOverride(db.Model):
    """Other dates, time limit or attempts for one learner or one cohort in one quiz (None: the quiz's own).

    A learner's own override wins over a cohort's; of several cohorts' overrides, the most generous wins."""

    __tablename__ = "quizzes_override"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (cohort_id IS NULL)", name="user_or_cohort"),
        Index("ix_quizzes_override_target", "quiz_id", "user_id", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes_quiz.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("lms_cohort.id", ondelete="CASCADE"))
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    attempts_allowed: Mapped[int | None] = mapped_column(Integer)
