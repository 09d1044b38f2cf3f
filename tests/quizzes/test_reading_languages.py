"""Quiz attempts in the language a learner reads the course in: the same questions and marks whichever it is."""

from __future__ import annotations

from decimal import Decimal

from courses import enrolment as enrolments
from quizzes import attempts, bank


def test_quiz_attempts_grade_the_same_whatever_the_language(quiz_course, make_quiz, make_user, db):

    quiz_course.translations = {"sq": {"title": "Reagimi", "source_hash": ""}}
    by_name = {q.name: q for q in bank.bank_questions(quiz_course)}
    version = by_name["sa"].current
    version.translations = {
        "sq": {"text": "Emërtoni modelin nordik.", "config": {"answers": [{"text": "Shtëpia e fëmijëve"}, {}]}}
    }
    db.session.commit()
    quiz = make_quiz(names=("tf", "sa"))
    results = {}
    for language, answer in (("sq", "Shtëpia e fëmijëve"), (None, "Barnahus"), ("sq", "Barnahus")):
        learner = make_user()
        enrolments.self_enrol(learner, quiz_course)
        attempt = attempts.start_attempt(learner, quiz, language=language)
        assert attempt.language == language
        form = {}
        for item in attempt.items:
            if item.version.qtype == "truefalse":
                form[f"q{item.position}-answer"] = ["true"]
            else:
                form[f"q{item.position}-answer"] = [answer]
        seq = attempts.save_responses(attempt, 0, form, [i.position for i in attempt.items])
        attempts.submit_attempt(attempt, seq, {}, [])
        item_ids = tuple(sorted(i.version.question_id for i in attempt.items))
        results[(language, answer)] = (attempt.marks, attempt.max_marks, attempt.passed, item_ids)
    assert len(set(results.values())) == 1, results
    assert next(iter(results.values()))[:3] == (Decimal("2.0000"), Decimal("2.0000"), True)
