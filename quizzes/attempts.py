"""Attempts that never lose an answer: start, save, submit, close when overdue, grade.

The server holds the deadline: start + the time limit (stretched by the learner's accommodation), capped at
the close date, plus a short grace period (``QUIZZES_GRACE_SECONDS``) for answers already on their way. Saves
carry the attempt's sequence number; a save naming an older number (a second tab, a stale page) is refused with
:class:`StaleSaveError` and nothing is overwritten. The same save sent again after its answer was lost (a dropped
connection, a server process killed after the commit) finds its responses stored and succeeds, so a client may
always retry. A submission after the deadline plus grace is graded on what was saved in time. Finishing is one
conditional UPDATE, so submitting twice (a double click, two tabs, the overdue job at the same moment) grades once.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from courses.models import Enrolment, EnrolmentStatus
from lms import signals
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import CohortMember, User
from lms.models.base import utcnow
from quizzes.bank import question_type, same_owner
from quizzes.models import (
    Accommodation,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Question,
    QuestionCategory,
    Quiz,
    QuizOverride,
    QuizSlot,
)
from quizzes.translations import item_config
from quizzes.types import State

log = logging.getLogger(__name__)


class StaleSaveError(DomainError):
    """The save names an older sequence number than the attempt has: another tab or window saved since."""


class TimeUpError(DomainError):
    """The deadline (plus grace) has passed: nothing more is saved; the attempt is graded on what was saved."""


# --- what applies to one learner -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """A quiz's dates, time limit and attempts for one learner, after overrides and accommodations."""

    open_at: datetime | None
    close_at: datetime | None
    time_limit: timedelta | None
    attempts_allowed: int  # 0 = unlimited


def _most_generous(overrides: list[QuizOverride]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for o in overrides:
        if o.open_at is not None:
            merged["open_at"] = min(merged.get("open_at", o.open_at), o.open_at)
        if o.close_at is not None:
            merged["close_at"] = max(merged.get("close_at", o.close_at), o.close_at)
        if o.time_limit_minutes is not None:
            merged["time_limit_minutes"] = max(merged.get("time_limit_minutes", 0), o.time_limit_minutes)
        if o.attempts_allowed is not None:
            previous = merged.get("attempts_allowed")
            unlimited = o.attempts_allowed == 0 or previous == 0
            merged["attempts_allowed"] = 0 if unlimited else max(previous or 0, o.attempts_allowed)
    return merged


def settings_for(quiz: Quiz, user: User) -> Settings:
    """The quiz's settings for ``user``: the user's own override wins field by field over the most generous of
    their cohorts' overrides, which wins over the quiz; then the accommodation stretches the time limit and
    adds attempts (two queries)."""
    cohorts = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
    overrides = db.session.scalars(
        select(QuizOverride).where(
            QuizOverride.quiz_id == quiz.id,
            (QuizOverride.user_id == user.id) | QuizOverride.cohort_id.in_(cohorts),
        )
    ).all()
    values = {
        "open_at": quiz.open_at,
        "close_at": quiz.close_at,
        "time_limit_minutes": quiz.time_limit_minutes,
        "attempts_allowed": quiz.attempts_allowed,
    }
    values.update(_most_generous([o for o in overrides if o.cohort_id is not None]))
    values.update(_most_generous([o for o in overrides if o.user_id is not None]))
    accommodation = db.session.scalar(select(Accommodation).where(Accommodation.user_id == user.id))
    minutes, attempts = values["time_limit_minutes"], values["attempts_allowed"]
    limit = timedelta(minutes=minutes) if minutes else None
    if accommodation is not None:
        if limit is not None and accommodation.extra_time_percent:
            limit = limit * (1 + accommodation.extra_time_percent / 100)
        if attempts and accommodation.extra_attempts:
            attempts += accommodation.extra_attempts
    return Settings(values["open_at"], values["close_at"], limit, attempts)


def deadline_for(settings: Settings, started_at: datetime) -> datetime | None:
    """When an attempt started at ``started_at`` must end: the time limit, capped at the close date."""
    ends = [t for t in (started_at + settings.time_limit if settings.time_limit else None, settings.close_at) if t]
    return min(ends) if ends else None


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZZES_GRACE_SECONDS"])


def overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    """Past the deadline plus grace (an attempt without a deadline is never overdue)."""
    return attempt.deadline_at is not None and (now or utcnow()) > attempt.deadline_at + grace()


# --- starting --------------------------------------------------------------------------------------------------


def learner_enrolment(user: User, quiz: Quiz) -> Enrolment:
    """The learner's active enrolment in the quiz's course, or NotFoundError (the quiz is invisible)."""
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == quiz.course_id)
    )
    if enrolment is None or enrolment.status == EnrolmentStatus.UNENROLLED or not quiz.published:
        raise NotFoundError(_("No such quiz."))
    return enrolment


def user_attempts(quiz: Quiz, user: User) -> list[Attempt]:
    return list(
        db.session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id).order_by(Attempt.number)
        )
    )


def open_attempt(quiz: Quiz, user: User, now: datetime | None = None) -> Attempt | None:
    """The learner's attempt in progress, closed first if it is overdue (then None)."""
    for attempt in user_attempts(quiz, user):
        if attempt.state == AttemptState.IN_PROGRESS:
            if overdue(attempt, now):
                finish_attempt(attempt, by="overdue", at=attempt.deadline_at)
                return None
            return attempt
    return None


def why_not_start(quiz: Quiz, user: User, settings: Settings, attempts: list[Attempt], now: datetime) -> str | None:
    """The reason the learner cannot start a new attempt now, or None."""
    if settings.open_at and now < settings.open_at:
        return _("The quiz opens on %(date)s.", date=settings.open_at.strftime("%Y-%m-%d %H:%M UTC"))
    if settings.close_at and now >= settings.close_at:
        return _("The quiz closed on %(date)s.", date=settings.close_at.strftime("%Y-%m-%d %H:%M UTC"))
    if settings.attempts_allowed and len(attempts) >= settings.attempts_allowed:
        return _("You have used all %(n)d attempts.", n=settings.attempts_allowed)
    if not quiz.slots:
        return _("The quiz has no questions yet.")
    return None


def start_attempt(user: User, quiz: Quiz, now: datetime | None = None, language: str | None = None) -> Attempt:
    """Resume the learner's attempt in progress, or start a new one (drawing random questions and fixing
    their order from the attempt's seed) in ``language``, the one the learner reads the course in (None or the
    course's own: the source). Raises DomainError with the reason when it cannot start."""
    now = now or utcnow()
    learner_enrolment(user, quiz)
    current = open_attempt(quiz, user, now)
    if current is not None:
        return current
    settings = settings_for(quiz, user)
    attempts = user_attempts(quiz, user)
    reason = why_not_start(quiz, user, settings, attempts, now)
    if reason:
        raise DomainError(reason)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=len(attempts) + 1,
        seed=secrets.randbelow(2**31),
        started_at=now,
        deadline_at=deadline_for(settings, now),
        # Fixed at the start: resuming in another reading language does not change what was shown or graded.
        language=None if language in (None, "", quiz.course.language) else language,
    )
    attempt.items = _draw(quiz, attempt.seed)
    attempt.max_marks = sum((i.max_mark for i in attempt.items), Decimal("0"))
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request (a double click) started the same attempt number first: use that one.
        db.session.rollback()
        found = open_attempt(quiz, user, now)
        if found is None:
            raise DomainError(_("The attempt could not be started; try again.")) from None
        return found
    db.session.commit()
    signals.attempt_started.send(current_app._get_current_object(), attempt=attempt)
    return attempt


def _draw(quiz: Quiz, seed: int) -> list[AttemptQuestion]:
    """The attempt's questions: fixed slots as they are, random slots drawn without repeats, then shuffled
    when the quiz says so, and paginated."""
    rng = random.Random(seed)
    chosen: set[int] = {s.question_id for s in quiz.slots if s.question_id}
    picks: list[tuple[QuizSlot, Question]] = []
    for slot in quiz.slots:
        if slot.question_id is not None:
            picks.append((slot, slot.question))
            continue
        pool = [q for q in _pool(slot) if q.id not in chosen]
        if len(pool) < slot.count:
            raise DomainError(_("The quiz is not ready: a random question has too few questions to draw from."))
        for question in rng.sample(pool, slot.count):
            chosen.add(question.id)
            picks.append((slot, question))
    if quiz.shuffle_questions:
        rng.shuffle(picks)
    per_page = quiz.questions_per_page or len(picks) or 1
    return [
        AttemptQuestion(
            position=i,
            page=(i - 1) // per_page + 1,
            slot_position=slot.position,
            question_id=question.id,
            version_id=question.current_version_id,
            max_mark=Decimal(slot.mark) if question_type(question.qtype).gradable else Decimal("0"),
            state=State.NOT_ANSWERED.value,
        )
        for i, (slot, question) in enumerate(picks, start=1)
    ]


def _pool(slot: QuizSlot) -> list[Question]:
    """The questions a random slot draws from: its category (of the course's or the academy's bank), with the
    subcategories of the same bank by path when asked, having all the slot's tags."""
    category = slot.category
    query = select(Question).join(Question.category).where(Question.archived.is_(False))
    if slot.include_subcategories and category.path:
        query = query.where(
            same_owner(category),
            (QuestionCategory.id == category.id)
            | QuestionCategory.path.startswith(category.path + "/", autoescape=True),
        )
    elif slot.include_subcategories:
        query = query.where(same_owner(category))
    else:
        query = query.where(Question.category_id == category.id)
    questions = list(db.session.scalars(query.order_by(Question.id)).unique())
    wanted = set(slot.tags or [])
    return [q for q in questions if wanted <= set(q.tags or []) and q.current_version_id]


# --- saving ----------------------------------------------------------------------------------------------------


def attempt_of(user: User, attempt_id: int) -> Attempt:
    """The learner's own attempt, or NotFoundError."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFoundError(_("No such attempt."))
    return attempt


def _parse(attempt: Attempt, form: Any, positions: list[int]) -> dict[int, Any]:
    by_position = {i.position: i for i in attempt.items}
    parsed = {}
    for position in positions:
        item = by_position.get(position)
        if item is not None:
            qtype = question_type(item.version.qtype)
            if qtype.gradable or qtype.manual:
                parsed[position] = qtype.parse_response(item_config(item), form, f"q{position}-")
    return parsed


def save_responses(attempt: Attempt, seq: int, form: Any, positions: list[int], now: datetime | None = None) -> int:
    """Store the responses to the questions at ``positions`` read from ``form``; returns the new sequence
    number. Raises StaleSaveError (nothing stored) when ``seq`` is not the attempt's current number (unless
    this is the last save repeated, see :func:`_repeated`), and TimeUpError (nothing stored; the attempt is
    then closed) after the deadline plus grace."""
    now = now or utcnow()
    if attempt.state != AttemptState.IN_PROGRESS:
        raise TimeUpError(_("This attempt is finished: nothing more can be saved."))
    if overdue(attempt, now):
        finish_attempt(attempt, by="overdue", at=attempt.deadline_at)
        raise TimeUpError(_("Time is up: the answers saved before the deadline have been graded."))
    parsed = _parse(attempt, form, positions)
    won = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.seq == seq, Attempt.state == AttemptState.IN_PROGRESS)
        .values(seq=Attempt.seq + 1, last_saved_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        if _repeated(attempt, seq, parsed):
            return seq + 1
        raise StaleSaveError(
            _(
                "These answers were changed in another tab or window since this page was loaded. Nothing was "
                "overwritten: reload the page to see the latest answers, then continue."
            )  # fmt: skip
        )
    for item in attempt.items:
        if item.position in parsed:
            item.response, item.saved_at = parsed[item.position], now
    db.session.commit()
    # The conditional UPDATE above succeeded, so the number is now exactly one more (no reload needed).
    return seq + 1


def _repeated(attempt: Attempt, seq: int, parsed: dict[int, Any]) -> bool:
    """Whether a refused save is the last save again: the attempt is one number past ``seq`` and already holds
    exactly these responses. That happens when the answer to a save that was stored got lost on the way (a
    dropped connection, a server process killed after its commit) and the client sends it once more; nothing
    would be overwritten, so it succeeds instead of being refused as stale."""
    db.session.refresh(attempt)
    if attempt.state != AttemptState.IN_PROGRESS or attempt.seq != seq + 1:
        return False
    by_position = {i.position: i for i in attempt.items}
    return all(by_position[p].response == response for p, response in parsed.items())


def submit_attempt(
    attempt: Attempt, seq: int, form: Any, positions: list[int], now: datetime | None = None
) -> tuple[Attempt, bool]:
    """Save the last page's responses (when still in time) and finish; returns (attempt, late) where ``late``
    says the submission came after the deadline plus grace and was graded on what had been saved."""
    now = now or utcnow()
    if attempt.state != AttemptState.IN_PROGRESS:
        return attempt, False
    late = overdue(attempt, now)
    if not late and positions:
        save_responses(attempt, seq, form, positions, now)
    finish_attempt(attempt, by="overdue" if late else "learner", at=attempt.deadline_at if late else now)
    return attempt, late


# --- finishing and grading -------------------------------------------------------------------------------------


def finish_attempt(attempt: Attempt, by: str, at: datetime | None = None) -> bool:
    """Finish and grade the attempt once: returns False when it was already finished (by another request)."""
    won = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.FINISHED, finished_at=at or utcnow(), finished_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        db.session.refresh(attempt)
        return False
    db.session.refresh(attempt)
    for item in attempt.items:
        grade_item(item)
    total_up(attempt)
    reactions_due(attempt)
    db.session.commit()
    after_grading(attempt)
    return True


def grade_item(item: AttemptQuestion) -> None:
    """Grade one saved response automatically (manual grades and overrides are kept)."""
    if item.overridden or (item.graded_by_id is not None and item.fraction is not None):
        return
    qtype = question_type(item.version.qtype)
    if not qtype.gradable and not qtype.manual:
        item.fraction, item.state = None, "info"
        return
    grade = qtype.grade(item_config(item), item.response)
    item.fraction = None if grade.earned is None else Decimal(str(round(grade.earned, 7)))
    item.state = grade.state.value


def total_up(attempt: Attempt) -> None:
    """The attempt's marks, percentage and pass from its items (None while essays wait for a trainer)."""
    gradable = [i for i in attempt.items if i.max_mark > 0]
    attempt.max_marks = sum((i.max_mark for i in gradable), Decimal("0"))
    attempt.needs_grading = any(i.fraction is None for i in gradable)
    if attempt.needs_grading:
        attempt.marks = attempt.percent = attempt.passed = None
        return
    attempt.marks = sum((i.max_mark * i.fraction for i in gradable), Decimal("0")).quantize(Decimal("0.0001"))
    attempt.percent = (
        (attempt.marks * 100 / attempt.max_marks).quantize(Decimal("0.001")) if attempt.max_marks else Decimal("100")
    )
    attempt.passed = attempt.percent >= Decimal(attempt.quiz.pass_mark)


def reactions_due(attempt: Attempt) -> None:
    """Mark, in the transaction that commits a grade, that :func:`after_grading` must follow it."""
    attempt.reactions_due_at = utcnow()


def after_grading(attempt: Attempt) -> None:
    """Signals and the course's completion rule, after the grade is committed (with :func:`reactions_due`).
    Everything here may run twice for one grade (see :func:`replay_reactions`): the receivers and the rule
    do nothing the second time."""
    from courses.progress import check_completion

    # What this run covers: grades committed before it started. A grade committed meanwhile (a trainer's
    # override while the learner's submission runs this) keeps its mark until its own run clears it.
    started = utcnow()
    signals.attempt_graded.send(current_app._get_current_object(), attempt=attempt)
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == attempt.user_id, Enrolment.course_id == attempt.quiz.course_id)
    )
    if enrolment is not None and attempt.passed:
        check_completion(enrolment)
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.reactions_due_at <= started)
        .values(reactions_due_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


REACTIONS_REPLAY_AFTER = timedelta(minutes=2)


def replay_reactions(now: datetime | None = None, batch: int = 200) -> int:
    """Run :func:`after_grading` again for grades whose process died before it ran (kill -9, a lost machine):
    those still marked due REACTIONS_REPLAY_AFTER after grading. Part of the ``quizzes.close_overdue`` job;
    returns how many it ran."""
    cutoff = (now or utcnow()) - REACTIONS_REPLAY_AFTER
    replayed, failed = 0, set()
    while True:
        query = select(Attempt).where(Attempt.reactions_due_at < cutoff)
        if failed:  # left due for the next run, but not tried again in this one
            query = query.where(Attempt.id.not_in(failed))
        due = db.session.scalars(query.order_by(Attempt.id).limit(batch)).all()
        if not due:
            return replayed
        for attempt in due:
            log.warning("attempt %s: running again what follows its grade (its process stopped before)", attempt.id)
            try:
                after_grading(attempt)
            except Exception:
                db.session.rollback()
                log.exception("attempt %s: what follows its grade failed again", attempt.id)
                failed.add(attempt.id)
            else:
                replayed += 1


def close_overdue(now: datetime | None = None, batch: int = 200) -> int:
    """Finish every attempt past its deadline plus grace (the ``lms quizzes close-overdue`` job); returns how
    many this call finished."""
    now = now or utcnow()
    closed = 0
    while True:
        candidates = db.session.scalars(
            select(Attempt)
            .where(
                Attempt.state == AttemptState.IN_PROGRESS,
                Attempt.deadline_at.is_not(None),
                Attempt.deadline_at < now - grace(),
            )
            .order_by(Attempt.id)
            .limit(batch)
        ).all()
        if not candidates:
            return closed
        for attempt in candidates:
            closed += finish_attempt(attempt, by="overdue", at=attempt.deadline_at)


# --- the quiz grade --------------------------------------------------------------------------------------------


def quiz_grade(quiz: Quiz, attempts: list[Attempt]) -> Decimal | None:
    """The learner's grade (percent) by the quiz's grading method over graded finished attempts."""
    graded = [a for a in attempts if a.state == AttemptState.FINISHED and a.percent is not None]
    if not graded:
        return None
    graded.sort(key=lambda a: a.number)
    method = quiz.grading_method.value
    if method == "highest":
        return max(a.percent for a in graded)
    if method == "first":
        return graded[0].percent
    if method == "last":
        return graded[-1].percent
    return (sum((a.percent for a in graded), Decimal("0")) / len(graded)).quantize(Decimal("0.001"))


def quiz_passed(quiz: Quiz, attempts: list[Attempt]) -> bool:
    grade = quiz_grade(quiz, attempts)
    return grade is not None and grade >= Decimal(quiz.pass_mark)
