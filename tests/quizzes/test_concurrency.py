"""Submissions at the same moment (a double click, two tabs, the overdue job): the attempt is graded once; saves
from two tabs at once: one wins, the other is refused as stale, nothing is half-written."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import func, select

from courses import authoring as course_authoring
from courses import enrolment as enrolments
from lms import signals
from lms.extensions import db
from lms.models import Academy, User
from quizzes import attempts, authoring, bank
from quizzes.formats.gift import parse_gift
from quizzes.models import Attempt, AttemptQuestion, AttemptState


def _setup(app) -> tuple[int, int]:
    with app.app_context():
        academy = Academy(slug="a", name="A", country="RS")
        user = User(username="u", email="u@example.org", display_name="U")
        db.session.add_all([academy, user])
        db.session.commit()
        course = course_authoring.create_course(
            None, academy, course_authoring.CourseFields(title="C", slug="c", self_enrolment=True)
        )
        module = course_authoring.add_module(None, course, "M")
        course_authoring.add_lesson(None, module, course_authoring.LessonFields(title="L"))
        course_authoring.publish(None, course)
        bank.import_questions(None, course, parse_gift("::q1::One?{=yes ~no}\n\n::q2::Name it.{=Barnahus}\n").questions)
        quiz = authoring.create_quiz(None, course, authoring.QuizFields(title="Q", slug="q"))
        for question in bank.bank_questions(course):
            authoring.add_question_slot(None, quiz, question, Decimal("1"))
        enrolments.self_enrol(user, course)
        attempt = attempts.start_attempt(user, quiz)
        return attempt.id, user.id


def _run(app, count: int, work) -> list[str]:
    errors, barrier = [], threading.Barrier(count)

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(index)
            except Exception as exc:  # collected: a thread's exception would not fail the test by itself
                errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_simultaneous_submissions_grade_once(committed_app):
    app = committed_app
    attempt_id, _user = _setup(app)
    graded, lock = [], threading.Lock()

    def receiver(sender, **kw):
        with lock:
            graded.append(kw["attempt"].id)

    def submit(index: int) -> None:
        attempt = db.session.get(Attempt, attempt_id)
        attempts.submit_attempt(attempt, attempt.seq, {}, [])

    signals.attempt_graded.connect(receiver)
    try:
        errors = _run(app, 4, submit)
    finally:
        signals.attempt_graded.disconnect(receiver)
    assert errors == []
    assert graded == [attempt_id]
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state == AttemptState.FINISHED


def test_simultaneous_saves_one_wins_and_nothing_is_mixed(committed_app):
    app = committed_app
    attempt_id, _user = _setup(app)
    outcomes, lock = [], threading.Lock()

    def save(index: int) -> None:
        attempt = db.session.get(Attempt, attempt_id)
        try:
            attempts.save_responses(attempt, 0, {"q2-answer": [f"tab {index}"]}, [2])
            result = "saved"
        except attempts.StaleSaveError:
            result = "stale"
        with lock:
            outcomes.append((index, result))

    assert _run(app, 4, save) == []
    winners = [i for i, r in outcomes if r == "saved"]
    assert len(winners) == 1 and len(outcomes) == 4
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.seq == 1
        item = db.session.scalar(
            select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == 2)
        )
        assert item.response == f"tab {winners[0]}"
        assert db.session.scalar(select(func.count(Attempt.id))) == 1
