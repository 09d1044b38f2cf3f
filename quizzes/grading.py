"""Grades beyond the automatic: the quiz condition of the completion rule, trainers grading essays and
overriding grades (with a reason, audited), and regrading after a question is fixed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from courses.models import Course
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import User
from lms.models.base import utcnow
from quizzes.attempts import after_grading, grade_item, quiz_passed, reactions_due, total_up
from quizzes.bank import question_type
from quizzes.models import Attempt, AttemptQuestion, AttemptState, Question, Quiz
from quizzes.types import GradingError


def passed_all_quizzes(user: User, course: Course) -> bool:
    """Every published quiz of the course that counts for completion is passed by ``user`` (two queries)."""
    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.published.is_(True), Quiz.counts_for_completion.is_(True))
    ).all()
    if not quizzes:
        return True
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id.in_([q.id for q in quizzes]))
    ).all()
    by_quiz: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    return all(quiz_passed(q, by_quiz.get(q.id, [])) for q in quizzes)


def require_grader(actor: User, quiz: Quiz) -> None:
    if not quiz.course.user_can_edit(actor):
        raise NotFoundError(_("No such quiz."))


def item_of_quiz(quiz: Quiz, item_id: int) -> AttemptQuestion:
    item = db.session.get(AttemptQuestion, item_id)
    if item is None or item.attempt.quiz_id != quiz.id or item.attempt.state != AttemptState.FINISHED:
        raise NotFoundError(_("No such answer."))
    return item


def _fraction(value: Decimal | float | str) -> float:
    try:
        fraction = float(value)
    except (TypeError, ValueError):
        raise DomainError(_("Give the marks as a number."), field="marks") from None
    if not 0.0 <= fraction <= 1.0:
        raise DomainError(_("The marks must lie between 0 and the question's maximum."), field="marks")
    return fraction


def _apply(actor: User, item: AttemptQuestion, marks: Decimal, comment: str, overridden: bool) -> Decimal | None:
    if item.max_mark <= 0:
        raise DomainError(_("This question carries no marks."), field="marks")
    fraction = _fraction(Decimal(marks) / item.max_mark)
    qtype = question_type(item.version.qtype)
    try:
        grade = qtype.grade_manually(item.version.config, item.response, fraction, comment)
    except GradingError as exc:
        raise DomainError(str(exc), field="marks") from exc
    before = item.fraction
    item.fraction = Decimal(str(round(grade.earned, 7)))
    item.state, item.comment = grade.state.value, grade.comment
    item.graded_by_id, item.graded_at, item.overridden = actor.id, utcnow(), overridden or item.overridden
    total_up(item.attempt)
    return before


def grade_essay(actor: User, quiz: Quiz, item: AttemptQuestion, marks: Decimal, comment: str) -> None:
    """A trainer grades a response that waits for one (an essay), with a comment on the rubric."""
    require_grader(actor, quiz)
    if not question_type(item.version.qtype).manual:
        raise DomainError(_("Only essays are graded by hand: override the grade instead."), field="marks")
    _apply(actor, item, marks, comment, overridden=False)
    reactions_due(item.attempt)
    audit.record(
        "quizzes.graded",
        actor=actor,
        obj=item.attempt,
        academy_id=quiz.course.academy_id,
        details={"item": item.id, "marks": str(marks)},
    )
    db.session.commit()
    after_grading(item.attempt)


def override_grade(actor: User, quiz: Quiz, item: AttemptQuestion, marks: Decimal, reason: str) -> None:
    """A trainer replaces a question's grade in an attempt; the reason is required and audited."""
    require_grader(actor, quiz)
    if not (reason or "").strip():
        raise DomainError(_("Say why the grade is changed."), field="reason")
    before = _apply(actor, item, marks, reason.strip(), overridden=True)
    reactions_due(item.attempt)
    audit.record(
        "quizzes.grade_overridden",
        actor=actor,
        obj=item.attempt,
        academy_id=quiz.course.academy_id,
        details={
            "item": item.id,
            "learner": item.attempt.user_id,
            "before": None if before is None else str(before * item.max_mark),
            "after": str(marks),
            "reason": reason.strip(),
        },
    )
    db.session.commit()
    after_grading(item.attempt)


def waiting_for_grading(quiz: Quiz) -> list[AttemptQuestion]:
    """Responses of finished attempts that wait for a trainer, oldest first (one query)."""
    return list(
        db.session.scalars(
            select(AttemptQuestion)
            .join(AttemptQuestion.attempt)
            .where(
                Attempt.quiz_id == quiz.id,
                Attempt.state == AttemptState.FINISHED,
                AttemptQuestion.fraction.is_(None),
                AttemptQuestion.max_mark > 0,
            )
            .order_by(Attempt.finished_at, AttemptQuestion.position)
        ).unique()
    )


@dataclass
class RegradeChange:
    attempt: Attempt
    before: Decimal | None
    after: Decimal | None


def regrade(actor: User, quiz: Quiz, question: Question) -> list[RegradeChange]:
    """Move every finished attempt's use of ``question`` to its current version and grade again (manual
    grades and overrides are kept); returns the attempts whose percentage changed (audited)."""
    require_grader(actor, quiz)
    items = db.session.scalars(
        select(AttemptQuestion)
        .join(AttemptQuestion.attempt)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.FINISHED,
            AttemptQuestion.question_id == question.id,
        )
    ).all()
    changes, attempts = [], {}
    for item in items:
        attempts.setdefault(item.attempt.id, (item.attempt, item.attempt.percent))
        if item.version_id != question.current_version_id:
            item.version_id = question.current_version_id
            db.session.flush()
            db.session.refresh(item, ["version"])
        grade_item(item)
    for attempt, before in attempts.values():
        total_up(attempt)
        if attempt.percent != before:
            changes.append(RegradeChange(attempt, before, attempt.percent))
            reactions_due(attempt)
    audit.record(
        "quizzes.regraded",
        actor=actor,
        obj=quiz,
        academy_id=quiz.course.academy_id,
        details={"question": question.id, "changed": [c.attempt.id for c in changes]},
    )
    db.session.commit()
    for change in changes:
        after_grading(change.attempt)
    return changes
