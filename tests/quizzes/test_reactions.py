"""What follows a grade (the attempt_graded receivers, the course's completion rule) survives the death of the
process that graded: the grade's transaction marks it due, and quizzes.attempts.replay_reactions runs it again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from courses import authoring as course_authoring
from courses import enrolment as enrolments
from courses import progress
from courses.models import Enrolment
from lms import signals
from lms.models.base import utcnow
from quizzes import attempts, grading
from quizzes.models import Attempt
from tests.quizzes.test_attempts import positions, right_form


@pytest.fixture
def course_waiting_for_the_quiz(make_quiz, users, quiz_course, db):
    """A learner who has done every lesson of a course that also wants its quiz passed."""
    quiz_course.completion_rule = {"required_lessons": "all", "quizzes_passed": True}
    db.session.commit()
    course_authoring.publish(None, quiz_course)
    learner = users["learner"]
    quiz = make_quiz(pass_mark=Decimal("75"))
    enrolment = enrolments.self_enrol(learner, quiz_course)
    outline = progress.build_outline(enrolment)
    for state in outline.lessons:
        progress.complete_lesson(outline, state.lesson.lesson_id)
    assert enrolment.completed_at is None  # the quiz is still to pass
    return learner, enrolment, quiz


@pytest.fixture
def graded(app):
    seen = []

    def receiver(sender, attempt, **_extra):
        seen.append(attempt.id)

    signals.attempt_graded.connect(receiver)
    yield seen
    signals.attempt_graded.disconnect(receiver)


def _die_after_the_grade(monkeypatch):
    """The process stops right after the grade's commit: nothing of after_grading runs."""
    monkeypatch.setattr(attempts, "after_grading", lambda attempt: None)


def test_a_grade_whose_reactions_ran_is_not_due(course_waiting_for_the_quiz, graded, db):
    learner, enrolment, quiz = course_waiting_for_the_quiz
    attempt = attempts.start_attempt(learner, quiz)
    attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
    db.session.refresh(attempt)
    assert attempt.reactions_due_at is None and graded == [attempt.id]
    assert db.session.get(Enrolment, enrolment.id).completed_at is not None
    assert attempts.replay_reactions(now=utcnow() + timedelta(hours=1)) == 0


def test_reactions_lost_with_the_process_run_again_once(course_waiting_for_the_quiz, graded, db, monkeypatch):
    learner, enrolment, quiz = course_waiting_for_the_quiz
    completed = []
    signals.course_completed.connect(receiver := lambda sender, enrolment, **kw: completed.append(enrolment.id))
    try:
        with monkeypatch.context() as m:
            _die_after_the_grade(m)
            attempt = attempts.start_attempt(learner, quiz)
            attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
        db.session.refresh(attempt)
        assert attempt.passed and attempt.reactions_due_at is not None
        assert db.session.get(Enrolment, enrolment.id).completed_at is None and graded == []

        # Not at once (the request that graded may still be running them), but after REACTIONS_REPLAY_AFTER.
        assert attempts.replay_reactions() == 0
        later = utcnow() + attempts.REACTIONS_REPLAY_AFTER + timedelta(seconds=1)
        assert attempts.replay_reactions(now=later) == 1
        db.session.refresh(attempt)
        assert attempt.reactions_due_at is None and graded == [attempt.id]
        assert db.session.get(Enrolment, enrolment.id).completed_at is not None and completed == [enrolment.id]
        assert attempts.replay_reactions(now=later) == 0
    finally:
        signals.course_completed.disconnect(receiver)


def test_a_trainers_grade_is_marked_due_in_its_own_transaction(make_quiz, learner, users, db, monkeypatch):
    quiz = make_quiz(names=("essay",))
    attempt = attempts.start_attempt(learner, quiz)
    attempts.submit_attempt(attempt, 0, {"q1-answer": ["A referral to the Barnahus."]}, [1])
    db.session.refresh(attempt)
    assert attempt.needs_grading and attempt.reactions_due_at is None
    with monkeypatch.context() as m:
        m.setattr(grading, "after_grading", lambda attempt: None)
        grading.grade_essay(users["trainer"], quiz, attempt.items[0], Decimal("1"), "Clear and complete.")
    db.session.refresh(attempt)
    assert attempt.passed and attempt.reactions_due_at is not None
    assert attempts.replay_reactions(now=utcnow() + timedelta(minutes=5)) == 1
    db.session.refresh(attempt)
    assert attempt.reactions_due_at is None


def test_a_replay_that_fails_is_left_due_and_does_not_stop_the_others(
    course_waiting_for_the_quiz, users, make_user, academy, quiz_course, db, monkeypatch
):
    learner, _enrolment, quiz = course_waiting_for_the_quiz
    other = make_user("second", roles={academy: ["learner"]})
    enrolments.self_enrol(other, quiz_course)
    with monkeypatch.context() as m:
        _die_after_the_grade(m)
        first = attempts.start_attempt(learner, quiz)
        attempts.submit_attempt(first, 0, right_form(first), positions(first))
        second = attempts.start_attempt(other, quiz)
        attempts.submit_attempt(second, 0, right_form(second), positions(second))
    real = attempts.after_grading

    def flaky(attempt):
        if attempt.id == first.id:
            raise RuntimeError("the certificate store is down")
        real(attempt)

    monkeypatch.setattr(attempts, "after_grading", flaky)
    later = utcnow() + timedelta(minutes=5)
    assert attempts.replay_reactions(now=later) == 1
    assert db.session.get(Attempt, first.id).reactions_due_at is not None
    assert db.session.get(Attempt, second.id).reactions_due_at is None
    monkeypatch.setattr(attempts, "after_grading", real)
    assert attempts.replay_reactions(now=later) == 1
    assert db.session.get(Attempt, first.id).reactions_due_at is None


def test_the_close_overdue_job_replays_them(course_waiting_for_the_quiz, db, monkeypatch):
    from lms import jobs
    from quizzes.jobs import KIND_CLOSE_OVERDUE

    learner, enrolment, quiz = course_waiting_for_the_quiz
    with monkeypatch.context() as m:
        _die_after_the_grade(m)
        attempt = attempts.start_attempt(learner, quiz)
        attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
    db.session.refresh(attempt)
    attempt.reactions_due_at -= attempts.REACTIONS_REPLAY_AFTER + timedelta(seconds=1)  # graded a while ago
    db.session.commit()
    job = jobs.enqueue(KIND_CLOSE_OVERDUE, params={})
    assert (job.state, job.result) == (jobs.JobState.FINISHED, {"closed": 0, "replayed": 1})
    assert db.session.get(Enrolment, enrolment.id).completed_at is not None


def test_a_grade_committed_while_reactions_run_keeps_its_mark(course_waiting_for_the_quiz, db, monkeypatch):
    learner, _enrolment, quiz = course_waiting_for_the_quiz
    attempt = attempts.start_attempt(learner, quiz)
    later_grade = []

    def override_meanwhile(sender, attempt, **_extra):
        # Another request commits a new grade of the same attempt while this one's reactions run.
        if not later_grade:
            later_grade.append(utcnow() + timedelta(seconds=1))
            db.session.execute(
                Attempt.__table__.update().where(Attempt.id == attempt.id).values(reactions_due_at=later_grade[0])
            )
            db.session.commit()

    signals.attempt_graded.connect(override_meanwhile)
    try:
        attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
    finally:
        signals.attempt_graded.disconnect(override_meanwhile)
    db.session.refresh(attempt)
    assert attempt.reactions_due_at == later_grade[0]  # left for that grade's own run (or the replay)
