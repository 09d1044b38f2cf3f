"""Building quizzes: settings, slots (fixed questions and random draws), overrides and accommodations.

Trainers of the course's academy edit its quizzes; registrars of a learner's academy set accommodations.
Each function commits one transaction and records an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from courses import languages
from courses.authoring import SLUG_RE
from courses.models import Course, Module
from lms import audit
from lms.accounts.services import managed_academies
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Cohort, Membership, User
from quizzes.bank import question_type, require_bank_editor, usable_by
from quizzes.models import (
    REVIEW_ITEMS,
    REVIEW_TIMES,
    Accommodation,
    GradingMethod,
    Question,
    QuestionCategory,
    Quiz,
    QuizOverride,
    QuizSlot,
    default_review,
)


@dataclass
class QuizFields:
    title: str
    slug: str
    module_id: int | None = None
    intro: str = ""
    pass_mark: Decimal = Decimal("70")
    attempts_allowed: int = 0
    grading_method: GradingMethod = GradingMethod.HIGHEST
    open_at: datetime | None = None
    close_at: datetime | None = None
    time_limit_minutes: int | None = None
    shuffle_questions: bool = False
    shuffle_answers: bool = True
    questions_per_page: int = 5
    review: dict = field(default_factory=default_review)
    counts_for_completion: bool = True
    published: bool = True


def check_quiz_fields(course: Course, fields: QuizFields, quiz: Quiz | None) -> None:
    """Validate quiz settings; DomainError names the field."""
    if not fields.title.strip():
        raise DomainError(_("Give the quiz a title."), field="title")
    if not SLUG_RE.match(fields.slug or ""):
        raise DomainError(_("Use lowercase letters, digits and hyphens."), field="slug")
    clash = db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.slug == fields.slug))
    if clash is not None and (quiz is None or clash != quiz.id):
        raise DomainError(_("Another quiz of this course already uses this short name."), field="slug")
    if fields.module_id is not None:
        module = db.session.get(Module, fields.module_id)
        if module is None or module.course_id != course.id:
            raise DomainError(_("Choose a module of this course."), field="module_id")
    if not Decimal("0") <= Decimal(fields.pass_mark) <= Decimal("100"):
        raise DomainError(_("The pass mark is a percentage from 0 to 100."), field="pass_mark")
    if fields.attempts_allowed < 0:
        raise DomainError(_("Give 0 (unlimited) or more attempts."), field="attempts_allowed")
    if fields.time_limit_minutes is not None and not 1 <= fields.time_limit_minutes <= 24 * 60:
        raise DomainError(_("The time limit is from 1 minute to 24 hours."), field="time_limit_minutes")
    if fields.open_at and fields.close_at and fields.close_at <= fields.open_at:
        raise DomainError(_("The quiz must close after it opens."), field="close_at")
    if fields.questions_per_page < 0:
        raise DomainError(_("Give 0 (all on one page) or more questions per page."), field="questions_per_page")
    fields.review = clean_review(fields.review)


def clean_review(review: dict | None) -> dict:
    """Review options with every time and item present as booleans."""
    base = default_review()
    for time in REVIEW_TIMES:
        given = (review or {}).get(time) or {}
        base[time] = {item: bool(given.get(item, base[time][item])) for item in REVIEW_ITEMS}
    return base


def _apply(quiz: Quiz, fields: QuizFields) -> None:
    for name in (
        "title", "slug", "module_id", "intro", "pass_mark", "attempts_allowed", "grading_method", "open_at",
        "close_at", "time_limit_minutes", "shuffle_questions", "shuffle_answers", "questions_per_page", "review",
        "counts_for_completion", "published",
    ):  # fmt: skip
        setattr(quiz, name, getattr(fields, name))
    quiz.title = fields.title.strip()


def create_quiz(actor: User | None, course: Course, fields: QuizFields) -> Quiz:
    """A new quiz in a course (in a module, or the course's final assessment without one)."""
    require_bank_editor(actor, course)
    check_quiz_fields(course, fields, None)
    quiz = Quiz(course_id=course.id)
    _apply(quiz, fields)
    db.session.add(quiz)
    db.session.flush()
    audit.record("quizzes.quiz_created", actor=actor, obj=quiz, academy_id=course.academy_id)
    db.session.commit()
    return quiz


def update_quiz(actor: User | None, quiz: Quiz, fields: QuizFields) -> None:
    """Save a quiz's settings; its translations become outdated when its title or introduction change."""
    require_bank_editor(actor, quiz.course)
    check_quiz_fields(quiz.course, fields, quiz)
    quiz.translations = languages.pinned(quiz.translations, languages.object_hash("quiz", quiz))
    _apply(quiz, fields)
    audit.record("quizzes.quiz_changed", actor=actor, obj=quiz, academy_id=quiz.course.academy_id)
    db.session.commit()


def quiz_of_course(course: Course, quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != course.id:
        raise NotFoundError(_("No such quiz."))
    return quiz


def course_quizzes(course: Course) -> list[Quiz]:
    return list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id)))


def _next_position(quiz: Quiz) -> int:
    return max((s.position for s in quiz.slots), default=0) + 1


def _mark(mark: Decimal | None, default: float) -> Decimal:
    value = Decimal(str(default)) if mark is None else Decimal(mark)
    if value < 0 or value > 1000:
        raise DomainError(_("Marks are from 0 to 1000."), field="mark")
    return value


def add_question_slot(actor: User | None, quiz: Quiz, question: Question, mark: Decimal | None = None) -> QuizSlot:
    """Put a question of the course's bank, or of its academy's, in the quiz (once)."""
    require_bank_editor(actor, quiz.course)
    if not usable_by(quiz.course, question.category):
        raise NotFoundError(_("No such question."))
    if any(s.question_id == question.id for s in quiz.slots):
        raise DomainError(_("The question is already in the quiz."), field="question")
    qtype = question_type(question.qtype)
    slot = QuizSlot(
        position=_next_position(quiz),
        question_id=question.id,
        mark=_mark(mark, float(question.current.default_mark) if qtype.gradable else 0.0),
    )
    quiz.slots.append(slot)
    db.session.flush()
    audit.record("quizzes.slot_added", actor=actor, obj=quiz, academy_id=quiz.course.academy_id)
    db.session.commit()
    return slot


def add_random_slot(
    actor: User | None,
    quiz: Quiz,
    category: QuestionCategory,
    count: int = 1,
    tags: list[str] | None = None,
    mark: Decimal | None = None,
    include_subcategories: bool = False,
) -> QuizSlot:
    """``count`` questions drawn at random, for each attempt, from a category of the course's bank or of its
    academy's (with tags)."""
    require_bank_editor(actor, quiz.course)
    if not usable_by(quiz.course, category):
        raise NotFoundError(_("No such category."))
    if not 1 <= count <= 100:
        raise DomainError(_("Draw from 1 to 100 questions."), field="count")
    slot = QuizSlot(
        position=_next_position(quiz),
        category_id=category.id,
        count=count,
        tags=sorted({t.strip() for t in tags or [] if t.strip()}),
        mark=_mark(mark, 1.0),
        include_subcategories=include_subcategories,
    )
    quiz.slots.append(slot)
    db.session.flush()
    audit.record("quizzes.slot_added", actor=actor, obj=quiz, academy_id=quiz.course.academy_id)
    db.session.commit()
    return slot


def remove_slot(actor: User | None, quiz: Quiz, slot_id: int) -> None:
    require_bank_editor(actor, quiz.course)
    slot = next((s for s in quiz.slots if s.id == slot_id), None)
    if slot is None:
        raise NotFoundError(_("No such question in the quiz."))
    quiz.slots.remove(slot)
    for position, other in enumerate(quiz.slots, start=1):
        other.position = position
    audit.record("quizzes.slot_removed", actor=actor, obj=quiz, academy_id=quiz.course.academy_id)
    db.session.commit()


def move_slot(actor: User | None, quiz: Quiz, slot_id: int, direction: int) -> None:
    """Move a slot one place up (-1) or down (+1)."""
    require_bank_editor(actor, quiz.course)
    slots = list(quiz.slots)
    index = next((i for i, s in enumerate(slots) if s.id == slot_id), None)
    if index is None:
        raise NotFoundError(_("No such question in the quiz."))
    target = index + direction
    if 0 <= target < len(slots):
        slots[index], slots[target] = slots[target], slots[index]
        # Positions are unique per attempt item, not per slot, so they can be renumbered in one pass.
        for position, slot in enumerate(slots, start=1):
            slot.position = position
    db.session.commit()


# --- overrides and accommodations ------------------------------------------------------------------------------


@dataclass
class OverrideFields:
    open_at: datetime | None = None
    close_at: datetime | None = None
    time_limit_minutes: int | None = None
    attempts_allowed: int | None = None


def set_override(
    actor: User | None, quiz: Quiz, fields: OverrideFields, user: User | None = None, cohort: Cohort | None = None
) -> QuizOverride:
    """Set (or replace) a learner's or a cohort's dates, time limit or attempts for a quiz."""
    require_bank_editor(actor, quiz.course)
    if (user is None) == (cohort is None):
        raise DomainError(_("Choose a learner or a cohort."), field="target")
    if cohort is not None and cohort.academy_id != quiz.course.academy_id:
        raise NotFoundError(_("No such cohort."))
    if fields.open_at and fields.close_at and fields.close_at <= fields.open_at:
        raise DomainError(_("The quiz must close after it opens."), field="close_at")
    query = select(QuizOverride).where(QuizOverride.quiz_id == quiz.id)
    query = query.where(QuizOverride.user_id == user.id) if user else query.where(QuizOverride.cohort_id == cohort.id)
    override = db.session.scalar(query) or QuizOverride(
        quiz_id=quiz.id, user_id=user.id if user else None, cohort_id=cohort.id if cohort else None
    )
    override.open_at, override.close_at = fields.open_at, fields.close_at
    override.time_limit_minutes, override.attempts_allowed = fields.time_limit_minutes, fields.attempts_allowed
    db.session.add(override)
    db.session.flush()
    audit.record(
        "quizzes.override_set",
        actor=actor,
        obj=quiz,
        academy_id=quiz.course.academy_id,
        details={"user": user.id if user else None, "cohort": cohort.id if cohort else None},
    )
    db.session.commit()
    return override


def delete_override(actor: User | None, quiz: Quiz, override_id: int) -> None:
    require_bank_editor(actor, quiz.course)
    override = db.session.get(QuizOverride, override_id)
    if override is None or override.quiz_id != quiz.id:
        raise NotFoundError(_("No such override."))
    db.session.delete(override)
    audit.record("quizzes.override_deleted", actor=actor, obj=quiz, academy_id=quiz.course.academy_id)
    db.session.commit()


def may_accommodate(actor: User, learner: User) -> bool:
    """Administrators, and registrars of an academy the learner belongs to."""
    if actor.is_admin:
        return True
    academies = {a.id for a in managed_academies(actor)}
    member_of = set(db.session.scalars(select(Membership.academy_id).where(Membership.user_id == learner.id)))
    return bool(academies & member_of)


def set_accommodation(
    actor: User, learner: User, extra_time_percent: int, extra_attempts: int, note: str = ""
) -> Accommodation | None:
    """Set a learner's accommodation (0 and 0 removes it); applied to every timed quiz from the next attempt."""
    if not may_accommodate(actor, learner):
        raise NotFoundError(_("No such user."))
    if not 0 <= extra_time_percent <= 400:
        raise DomainError(_("Extra time is from 0 to 400 %."), field="extra_time_percent")
    if not 0 <= extra_attempts <= 20:
        raise DomainError(_("Extra attempts are from 0 to 20."), field="extra_attempts")
    accommodation = db.session.scalar(select(Accommodation).where(Accommodation.user_id == learner.id))
    if not extra_time_percent and not extra_attempts:
        if accommodation is not None:
            db.session.delete(accommodation)
        accommodation = None
    else:
        accommodation = accommodation or Accommodation(user_id=learner.id)
        accommodation.extra_time_percent, accommodation.extra_attempts = extra_time_percent, extra_attempts
        accommodation.note, accommodation.set_by_id = note[:500], actor.id
        db.session.add(accommodation)
    audit.record(
        "quizzes.accommodation_set",
        actor=actor,
        obj=learner,
        details={"extra_time_percent": extra_time_percent, "extra_attempts": extra_attempts},
    )
    db.session.commit()
    return accommodation


def accommodation_of(learner: User) -> Accommodation | None:
    return db.session.scalar(select(Accommodation).where(Accommodation.user_id == learner.id))
