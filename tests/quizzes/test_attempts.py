"""Attempts: the server's deadline with grace and extra time, stale saves refused, double submits graded once,
overdue attempts closed, grading methods, random draws, and the completion rule."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses import progress
from courses.models import Enrolment
from lms import signals
from lms.exceptions import DomainError
from lms.models.base import utcnow
from quizzes import attempts, authoring, bank
from quizzes.models import Attempt, AttemptState, GradingMethod


def right_form(attempt) -> dict:
    """A form answering every question of the attempt rightly, by position."""
    form = {}
    for item in attempt.items:
        config = item.version.config
        prefix = f"q{item.position}-answer"
        qtype = item.version.qtype
        if qtype == "multichoice":
            form[prefix] = [a["id"] for a in config["answers"] if a["fraction"] > 0]
        elif qtype == "truefalse":
            form[prefix] = ["true" if config["correct"] else "false"]
        elif qtype == "shortanswer":
            form[prefix] = ["barnahus"]
        elif qtype == "numerical":
            form[prefix] = ["24"]
        elif qtype == "essay":
            form[prefix] = ["We call the social welfare centre."]
    return form


def positions(attempt) -> list[int]:
    return [i.position for i in attempt.items]


def test_a_right_attempt_gets_full_marks_and_passes(make_quiz, learner):
    quiz = make_quiz()
    attempt = attempts.start_attempt(learner, quiz)
    assert attempt.number == 1 and len(attempt.items) == 4 and attempt.max_marks == 4
    seq = attempts.save_responses(attempt, 0, right_form(attempt), positions(attempt))
    assert seq == 1
    attempts.submit_attempt(attempt, seq, {}, [])
    assert attempt.state == AttemptState.FINISHED and attempt.finished_by == "learner"
    assert (attempt.marks, attempt.percent, attempt.passed) == (Decimal("4.0000"), Decimal("100.000"), True)


def test_negative_fractions_never_make_a_question_negative(make_quiz, learner):
    quiz = make_quiz(names=("mc",))
    attempt = attempts.start_attempt(learner, quiz)
    wrong = next(a["id"] for a in attempt.items[0].version.config["answers"] if a["fraction"] < 0)
    seq = attempts.save_responses(attempt, 0, {"q1-answer": [wrong]}, [1])
    attempts.submit_attempt(attempt, seq, {}, [])
    assert attempt.marks == 0 and attempt.passed is False


def test_resume_returns_the_same_attempt_and_answers_survive(make_quiz, learner, db):
    quiz = make_quiz()
    attempt = attempts.start_attempt(learner, quiz)
    attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3])
    db.session.expire_all()
    again = attempts.start_attempt(learner, quiz)
    assert again.id == attempt.id
    assert again.items[2].response == "Barnahus" and again.seq == 1


def test_a_stale_save_is_refused_and_overwrites_nothing(make_quiz, learner):
    quiz = make_quiz()
    attempt = attempts.start_attempt(learner, quiz)
    attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3])  # first tab: seq 0 -> 1
    with pytest.raises(attempts.StaleSaveError):
        attempts.save_responses(attempt, 0, {"q3-answer": ["wrong"]}, [3])  # second tab still at 0
    assert attempt.items[2].response == "Barnahus" and attempt.seq == 1


def test_the_deadline_is_held_by_the_server_with_grace(app, make_quiz, learner):
    quiz = make_quiz(time_limit_minutes=10)
    start = utcnow()
    attempt = attempts.start_attempt(learner, quiz, now=start)
    assert attempt.deadline_at == start + timedelta(minutes=10)
    grace = timedelta(seconds=app.config["QUIZZES_GRACE_SECONDS"])
    # Within the grace period an answer on its way is still stored ...
    seq = attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3], now=attempt.deadline_at + grace)
    # ... after it nothing is, and the attempt is graded on what was saved.
    with pytest.raises(attempts.TimeUpError):
        attempts.save_responses(attempt, seq, {"q4-answer": ["24"]}, [4], now=attempt.deadline_at + grace * 2)
    assert attempt.state == AttemptState.FINISHED and attempt.finished_by == "overdue"
    assert attempt.finished_at == attempt.deadline_at
    assert attempt.items[3].response is None and attempt.marks == 1


def test_a_late_submission_is_graded_on_what_was_saved(app, make_quiz, learner):
    quiz = make_quiz(time_limit_minutes=5)
    attempt = attempts.start_attempt(learner, quiz)
    seq = attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3])
    late = attempt.deadline_at + timedelta(minutes=5)
    _attempt, was_late = attempts.submit_attempt(attempt, seq, {"q4-answer": ["24"]}, [4], now=late)
    assert was_late and attempt.items[3].response is None and attempt.marks == 1


def test_extra_time_is_applied_and_capped_at_the_close_date(make_quiz, learner, users, db):
    start = utcnow()
    quiz = make_quiz(time_limit_minutes=60, close_at=start + timedelta(minutes=80))
    authoring.set_accommodation(users["registrar"], learner, extra_time_percent=50, extra_attempts=1)
    attempt = attempts.start_attempt(learner, quiz, now=start)
    assert attempt.deadline_at == start + timedelta(minutes=80)  # 90 minutes, capped by the close date
    attempts.submit_attempt(attempt, attempt.seq, {}, [], now=start + timedelta(minutes=1))
    quiz.close_at = None
    db.session.commit()
    second = attempts.start_attempt(learner, quiz, now=start + timedelta(minutes=2))
    assert second.deadline_at == start + timedelta(minutes=92)


def test_double_submit_grades_once(make_quiz, learner, db):
    quiz = make_quiz()
    attempt = attempts.start_attempt(learner, quiz)
    graded = []
    receiver = lambda sender, **kw: graded.append(kw["attempt"].id)  # noqa: E731
    signals.attempt_graded.connect(receiver)
    try:
        attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
        first_finish = attempt.finished_at
        attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
        assert attempts.finish_attempt(attempt, by="overdue") is False
    finally:
        signals.attempt_graded.disconnect(receiver)
    assert graded == [attempt.id] and attempt.finished_at == first_finish


def test_attempts_allowed_and_extra_attempts(make_quiz, learner, users):
    quiz = make_quiz(attempts_allowed=1)
    attempts.submit_attempt(attempts.start_attempt(learner, quiz), 0, {}, [])
    with pytest.raises(DomainError, match="all 1 attempts"):
        attempts.start_attempt(learner, quiz)
    authoring.set_accommodation(users["registrar"], learner, extra_time_percent=0, extra_attempts=1)
    assert attempts.start_attempt(learner, quiz).number == 2


def test_overrides_for_a_learner_win_over_the_quiz(make_quiz, learner):
    now = utcnow()
    quiz = make_quiz(close_at=now - timedelta(days=1))
    with pytest.raises(DomainError, match="closed"):
        attempts.start_attempt(learner, quiz)
    authoring.set_override(None, quiz, authoring.OverrideFields(close_at=now + timedelta(days=1)), user=learner)
    assert attempts.start_attempt(learner, quiz).deadline_at == now + timedelta(days=1)


def test_cohort_overrides_apply_to_members(make_quiz, learner, academy, db):
    from lms.models import Cohort, CohortMember

    cohort = Cohort(academy_id=academy.id, name="Shift B")
    cohort.members.append(CohortMember(user_id=learner.id))
    db.session.add(cohort)
    db.session.commit()
    quiz = make_quiz(time_limit_minutes=10)
    authoring.set_override(None, quiz, authoring.OverrideFields(time_limit_minutes=30), cohort=cohort)
    attempt = attempts.start_attempt(learner, quiz)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=30)


def test_overdue_attempts_are_closed_by_the_job_and_lazily(app, make_quiz, learner, users, make_user, academy):
    from courses import enrolment as enrolments

    quiz = make_quiz(time_limit_minutes=1)
    attempt = attempts.start_attempt(learner, quiz)
    other = make_user("other", roles={academy: ["learner"]})
    enrolments.self_enrol(other, quiz.course)
    second = attempts.start_attempt(other, quiz)
    later = utcnow() + timedelta(minutes=10)
    assert attempts.close_overdue(now=later) == 2
    assert attempt.state == second.state == AttemptState.FINISHED
    third = attempts.start_attempt(learner, quiz, now=later)
    assert third.number == 2 and third.state == AttemptState.IN_PROGRESS
    # Lazily: opening the quiz after the deadline closes the attempt in progress.
    assert attempts.open_attempt(quiz, learner, now=later + timedelta(minutes=10)) is None


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", Decimal("100")), ("first", Decimal("25")), ("last", Decimal("50")), ("average", Decimal("58.333"))],
)
def test_grading_methods(make_quiz, learner, method, expected):
    quiz = make_quiz(grading_method=GradingMethod(method))
    for answered in ([3], [1, 2, 3, 4], [3, 4]):
        attempt = attempts.start_attempt(learner, quiz)
        form = {k: v for k, v in right_form(attempt).items() if int(k[1:].split("-")[0]) in answered}
        attempts.submit_attempt(attempt, 0, form, positions(attempt))
    assert attempts.quiz_grade(quiz, attempts.user_attempts(quiz, learner)) == expected


def test_random_draws_take_distinct_questions_with_the_tags(make_quiz, learner, quiz_course, db):
    category = bank.category_for_path(quiz_course, "Basics")
    for question in bank.bank_questions(quiz_course, category.id):
        question.tags = ["core"] if question.name in ("mc", "tf", "sa") else []
    db.session.commit()
    quiz = make_quiz(names=())
    authoring.add_random_slot(None, quiz, category, count=3, tags=["core"])
    attempt = attempts.start_attempt(learner, quiz)
    names = sorted(bank.question_of_course(quiz_course, i.question_id).name for i in attempt.items)
    assert names == ["mc", "sa", "tf"]
    authoring.add_random_slot(None, quiz, category, count=1, tags=["core"])
    attempts.submit_attempt(attempt, 0, {}, [])
    with pytest.raises(DomainError, match="too few"):
        attempts.start_attempt(learner, quiz)


def test_an_edit_after_attempts_makes_a_new_version_and_old_attempts_keep_theirs(make_quiz, learner, quiz_course):
    quiz = make_quiz(names=("sa",))
    attempt = attempts.start_attempt(learner, quiz)
    attempts.submit_attempt(attempt, 0, {"q1-answer": ["Barnahus"]}, [1])
    question = bank.question_of_course(quiz_course, attempt.items[0].question_id)
    fields = bank.fields_of(question)
    fields.text = "Name the model (edited)."
    assert bank.update_question(None, question, fields) is True
    assert question.current.number == 2 and attempt.items[0].version.number == 1
    fields.text = "Edited again before anyone used version 2."
    assert bank.update_question(None, question, fields) is False and question.current.number == 2


def test_quizzes_passed_joins_the_completion_rule(make_quiz, users, quiz_course, db):
    from courses import authoring as course_authoring
    from courses import enrolment as enrolments

    quiz_course.completion_rule = {"required_lessons": "all", "quizzes_passed": True}
    db.session.commit()
    course_authoring.publish(None, quiz_course)  # the rule is frozen with the version learners start
    learner = users["learner"]
    enrolment = enrolments.self_enrol(learner, quiz_course)
    quiz = make_quiz(pass_mark=Decimal("75"))
    outline = progress.build_outline(enrolment)
    for state in outline.lessons:
        progress.complete_lesson(outline, state.lesson.lesson_id)
    assert enrolment.completed_at is None  # the quiz is not passed yet
    attempt = attempts.start_attempt(learner, quiz)
    attempts.submit_attempt(attempt, 0, {"q3-answer": ["Barnahus"]}, [3])
    assert db.session.get(Enrolment, enrolment.id).completed_at is None  # 25 % < 75 %
    attempt = attempts.start_attempt(learner, quiz)
    attempts.submit_attempt(attempt, 0, right_form(attempt), positions(attempt))
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None


def test_only_an_enrolled_learner_can_start(make_quiz, users):
    quiz = make_quiz()
    with pytest.raises(DomainError):
        attempts.start_attempt(users["registrar"], quiz)


def test_attempt_rows_are_unique_per_number(make_quiz, learner, db):
    quiz = make_quiz()
    attempts.start_attempt(learner, quiz)
    assert db.session.scalar(select(Attempt.number).where(Attempt.user_id == learner.id)) == 1
