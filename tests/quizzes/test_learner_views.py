"""The learner's quiz pages: no answer key in any page or JSON before review allows it, answers kept through
reloads, stale saves refused without losing what was typed, autosave, double submit, review options."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from lms.extensions import db
from lms.models.base import utcnow
from quizzes import attempts
from quizzes.models import Attempt, AttemptState
from tests.conftest import csrf_from, login

KEY_TEXTS = ["Yes.", "No.", "It is one.", "Barnahus", "fraction", "feedback", "24", "-100", "correct"]


def quiz_url(quiz) -> str:
    return f"/learn/{quiz.course.slug}/quizzes/{quiz.id}"


@pytest.fixture
def learner_client(app, learner):
    client = app.test_client()
    login(client, learner)
    return client


def start(learner_client, quiz) -> tuple[Attempt, str]:
    page = learner_client.get(quiz_url(quiz)).get_data(as_text=True)
    response = learner_client.post(quiz_url(quiz) + "/start", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[-1].split("?")[0])
    return db.session.get(Attempt, attempt_id), response.headers["Location"]


def form_of(html: str) -> dict:
    return {"csrf_token": csrf_from(html), "seq": re.search(r'name="seq" value="(\d+)"', html).group(1)}


def test_no_answer_key_reaches_the_learner_before_review(learner_client, make_quiz):
    quiz = make_quiz(questions_per_page=0)
    attempt, url = start(learner_client, quiz)
    html = learner_client.get(url).get_data(as_text=True)
    body = html.split('<main id="main"', 1)[1]
    # Tokens and ids are random or sequential and may happen to contain a key such as "24".
    body = re.sub(r'<input[^>]*type="hidden"[^>]*>|(?:content|action|href|data-[a-z-]+)="[^"]*"', "", body)
    for text in KEY_TEXTS:
        assert text not in body, text
    assert "Which practices limit re-traumatisation?" in body
    response = learner_client.post(
        f"/attempts/{attempt.id}/autosave", data={**form_of(html), "positions": "1", "q1-answer": "x"}
    )
    assert set(response.get_json()) == {"seq", "saved_at"}


def test_answers_survive_a_reload_and_page_changes(learner_client, make_quiz):
    quiz = make_quiz(questions_per_page=2)
    attempt, url = start(learner_client, quiz)
    html = learner_client.get(url).get_data(as_text=True)
    positions = [i.position for i in attempt.items if i.page == 1]
    sa = next(i for i in attempt.items if i.version.qtype == "shortanswer")
    data = {**form_of(html), "positions": positions, "go": "next", f"q{sa.position}-answer": "barnahus"}
    if sa.page != 1:
        data["positions"] = [sa.position]
    response = learner_client.post(url.split("?")[0], data=data)
    assert response.status_code == 302
    again = learner_client.get(f"/attempts/{attempt.id}?page={sa.page}").get_data(as_text=True)
    assert 'value="barnahus"' in again


def test_a_stale_page_is_refused_and_keeps_what_was_typed(learner_client, make_quiz):
    quiz = make_quiz(questions_per_page=0)
    attempt, url = start(learner_client, quiz)
    old_tab = learner_client.get(url).get_data(as_text=True)
    sa = next(i for i in attempt.items if i.version.qtype == "shortanswer")
    learner_client.post(url, data={**form_of(old_tab), "positions": [sa.position], f"q{sa.position}-answer": "first"})
    response = learner_client.post(
        url, data={**form_of(old_tab), "positions": [sa.position], f"q{sa.position}-answer": "from the old tab"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "another tab or window" in page and 'value="from the old tab"' in page
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).items[sa.position - 1].response == "first"


def test_autosave_json_errors_have_one_shape(app, learner_client, make_quiz, db):
    quiz = make_quiz(time_limit_minutes=1)
    attempt, url = start(learner_client, quiz)
    html = learner_client.get(url).get_data(as_text=True)
    form = form_of(html)
    ok = learner_client.post(f"/attempts/{attempt.id}/autosave", data={**form, "positions": "1"})
    assert ok.status_code == 200 and ok.get_json()["seq"] == 1
    # Other answers under the old number: stale (the very same save again would be a retry, and succeed).
    stale = learner_client.post(f"/attempts/{attempt.id}/autosave", data={**form, "positions": "3", "q3-answer": "x"})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale"
    db.session.expire_all()
    row = db.session.get(Attempt, attempt.id)
    row.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    late = learner_client.post(f"/attempts/{attempt.id}/autosave", data={**form, "seq": "1", "positions": "1"})
    assert late.status_code == 410 and set(late.get_json()["error"]) == {"code", "message", "field"}
    db.session.refresh(row)
    assert row.state == AttemptState.FINISHED


def test_submitting_twice_grades_once_and_review_follows_the_options(learner_client, make_quiz, db):
    quiz = make_quiz(questions_per_page=0)
    attempt, url = start(learner_client, quiz)
    html = learner_client.get(f"/attempts/{attempt.id}/summary").get_data(as_text=True)
    first = learner_client.post(f"/attempts/{attempt.id}/submit", data=form_of(html))
    second = learner_client.post(f"/attempts/{attempt.id}/submit", data=form_of(html))
    assert first.status_code == second.status_code == 302
    db.session.expire_all()
    row = db.session.get(Attempt, attempt.id)
    assert row.state == AttemptState.FINISHED and row.finished_by == "learner"
    review = learner_client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "The right answer:" not in review  # after submit: marks and feedback, not the right answers
    assert "Marks: 0" in review
    quiz.close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "The right answer:" in learner_client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)


def test_review_with_nothing_allowed_shows_nothing(learner_client, make_quiz, db):
    closed = {k: False for k in ("responses", "marks", "feedback", "right_answers")}
    quiz = make_quiz(review={"after_submit": closed, "after_close": closed})
    attempt, _url = start(learner_client, quiz)
    attempts.submit_attempt(db.session.get(Attempt, attempt.id), 0, {}, [])
    review = learner_client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    body = review.split('<main id="main"', 1)[1]
    for text in KEY_TEXTS + ["Which practices"]:
        assert text not in body, text


def test_other_peoples_attempts_and_quizzes_are_404(app, learner_client, make_quiz, make_user, academy):
    quiz = make_quiz()
    attempt, url = start(learner_client, quiz)
    stranger = app.test_client()
    login(stranger, make_user("stranger", roles={academy: ["learner"]}))
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/attempts/{attempt.id}/review").status_code == 404
    assert stranger.get(quiz_url(quiz)).status_code == 404  # not enrolled


def test_the_quiz_appears_on_the_course_outline(learner_client, make_quiz):
    quiz = make_quiz(title="Module check")
    page = learner_client.get(f"/courses/{quiz.course.slug}").get_data(as_text=True)
    assert "Module check" in page and quiz_url(quiz) in page


def test_autosave_payload_is_json(learner_client, make_quiz):
    quiz = make_quiz()
    attempt, url = start(learner_client, quiz)
    html = learner_client.get(url).get_data(as_text=True)
    response = learner_client.post(f"/attempts/{attempt.id}/autosave", data={**form_of(html), "positions": "1"})
    assert json.loads(response.get_data(as_text=True))["seq"] == 1
