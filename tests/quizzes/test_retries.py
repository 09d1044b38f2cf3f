"""A save or submission sent again after its answer was lost (a dropped connection, a server process killed after
the commit): the same save succeeds without writing again, other answers under the old number are still stale,
and a submission whose save was stored but whose grading was not is graded once on the retry.
(tests/faults/test_faults.py does this against gunicorn with real kills.)"""

from __future__ import annotations

import pytest

from lms import signals
from quizzes import attempts
from quizzes.models import AttemptState


def test_the_same_save_again_succeeds_and_writes_nothing_new(make_quiz, learner):
    attempt = attempts.start_attempt(learner, make_quiz())
    assert attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3]) == 1
    saved_at = attempt.last_saved_at
    # The answer of that save was lost; the client sends it once more under the number it had.
    assert attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3]) == 1
    assert attempt.seq == 1 and attempt.items[2].response == "Barnahus" and attempt.last_saved_at == saved_at


def test_other_answers_under_the_old_number_are_still_stale(make_quiz, learner):
    attempt = attempts.start_attempt(learner, make_quiz())
    attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3])
    with pytest.raises(attempts.StaleSaveError):
        attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"], "q4-answer": ["24"]}, [3, 4])
    attempts.save_responses(attempt, 1, {"q4-answer": ["24"]}, [4])
    with pytest.raises(attempts.StaleSaveError):  # two saves behind: not the last save repeated
        attempts.save_responses(attempt, 0, {"q3-answer": ["Barnahus"]}, [3])
    assert attempt.seq == 2 and [i.response for i in attempt.items[2:]] == ["Barnahus", "24"]


def test_a_submission_retried_after_its_save_was_stored_is_graded_once(make_quiz, learner):
    attempt = attempts.start_attempt(learner, make_quiz())
    form = {"q3-answer": ["Barnahus"], "q4-answer": ["24"]}
    graded = []

    def receiver(sender, **extra):
        graded.append(extra["attempt"].id)

    # The first submission stored its save, then its process died before grading: as far as the database
    # knows, only the save happened.
    attempts.save_responses(attempt, 0, form, [3, 4])
    signals.attempt_graded.connect(receiver)
    try:
        attempts.submit_attempt(attempt, 0, form, [3, 4])  # the retry, with the number the page had
        attempts.submit_attempt(attempt, 0, form, [3, 4])  # and once more: already finished
    finally:
        signals.attempt_graded.disconnect(receiver)
    assert attempt.state == AttemptState.FINISHED and attempt.seq == 1
    assert graded == [attempt.id] and attempt.marks == 2
