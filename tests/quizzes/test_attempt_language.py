"""Quizzes in the attempt's language (issue 8): an attempt is fixed at its start to the language the learner
reads the course in; its questions are shown and graded in it (the source's ids, fractions and marks), a missing
translation falls back with a notice, short answers are accepted in the source, the translation and both
Serbian scripts; trainers' review and item analysis read the source."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courses import enrolment as enrolments
from lms.extensions import db
from lms.translit import to_script
from quizzes import attempts, bank, reports
from quizzes.formats.gift import parse_gift
from quizzes.models import Attempt
from quizzes.reports import ResultFilters
from quizzes.translations import item_config
from quizzes.types.match import Match
from tests.conftest import login
from tests.quizzes.test_learner_views import form_of, quiz_url, start

MC_SQ = {
    "text": "Cilat praktika e kufizojnë ritraumatizimin?",
    "config": {
        # An import gives the translation its own ids; it also tries to make the wrong answer right: neither counts.
        "answers": [
            {"id": "t1", "text": "Një intervistë e regjistruar", "fraction": -1.0, "feedback": "Po, një herë."},
            {"id": "t2", "text": "Intervista në një dhomë miqësore", "fraction": 0.0, "feedback": "Po, dhoma."},
            {"id": "t3", "text": "Pyetje të përsëritura nga çdo agjenci", "fraction": 1.0, "feedback": "Jo kurrë."},
        ],
    },
}
SA_SQ = {
    "text": "Emërtoni modelin nordik.",
    "config": {"answers": [{"text": "Shtëpia e fëmijëve"}, {"text": "Barnahuset"}]},
}
SA_SR = {"text": "Navedite nordijski model.", "config": {"answers": [{"text": "Dečja kuća"}, {"text": "Barnahuset"}]}}
TF_SR = {"text": "Lanzarotska konvencija je ugovor Saveta Evrope.", "config": {"feedback_true": "Jeste."}}
MATCH_GIFT = "::match::Match each country with its capital. {=Croatia -> Zagreb =Serbia -> Belgrade =Albania -> Tirana}"
MATCH_SQ = {
    "text": "Lidhni çdo vend me kryeqytetin e tij.",
    "config": {
        "pairs": [
            {"text": "Kroacia", "answer": "Zagrebi"},
            {"text": "Serbia", "answer": "Beogradi"},
            {"text": "Shqipëria", "answer": "Tirana"},
        ]
    },
}


@pytest.fixture
def course(quiz_course):
    quiz_course.translations = {"sq": {"title": "Reagimi"}, "sr_Latn": {"title": "Odgovor"}}
    parsed = parse_gift(MATCH_GIFT)
    assert parsed.errors == [] and bank.import_questions(None, quiz_course, parsed.questions).errors == []
    questions = {q.name: q for q in bank.bank_questions(quiz_course)}
    questions["mc"].current.translations = {"sq": MC_SQ}
    questions["sa"].current.translations = {"sq": SA_SQ, "sr_Latn": SA_SR}
    questions["tf"].current.translations = {"sr_Latn": TF_SR}
    questions["match"].current.translations = {"sq": MATCH_SQ}
    db.session.commit()
    return quiz_course


@pytest.fixture
def quiz(course, make_quiz):
    quiz = make_quiz(names=("mc", "tf", "sa", "match"), questions_per_page=0, shuffle_questions=False)
    quiz.translations = {"sq": {"title": "Kontrolli", "intro": "Katër pyetje."}}
    db.session.commit()
    return quiz


def reader(app, user, course, lang: str):
    """A signed-in client of ``user`` that picked ``lang`` to read the course in."""
    client = app.test_client()
    login(client, user)
    client.get(f"/courses/{course.slug}?read={lang}")
    return client


@pytest.fixture
def make_learner(make_user, course):
    def make():
        user = make_user()
        enrolments.self_enrol(user, course)
        return user

    return make


def by_name(attempt: Attempt, name: str):
    names = reports.question_names(i.question_id for i in attempt.items)
    return next(i for i in attempt.items if names[i.question_id] == name)


def right_answers(attempt: Attempt, typed: str = "barnahus") -> dict:
    """The right answers by the source's ids (a translation does not change them); ``typed`` for the short
    answer; the matching by the texts the learner sees (its choices are made from them)."""
    mc, tf, sa, match = (by_name(attempt, n) for n in ("mc", "tf", "sa", "match"))
    config = item_config(match)
    by_text = {text: choice for choice, text in Match.choices(config).items()}
    return {
        f"q{mc.position}-answer": [a["id"] for a in mc.version.config["answers"] if a["fraction"] > 0],
        f"q{tf.position}-answer": ["true"],
        f"q{sa.position}-answer": [typed],
        **{f"q{match.position}-answer.{p['id']}": by_text[p["answer"]] for p in config["pairs"] if p["text"]},
    }


def take(client, quiz, answers=right_answers) -> Attempt:
    """Start, answer on the one page, submit through the learner's pages; the finished attempt."""
    attempt, url = start(client, quiz)
    html = client.get(url).get_data(as_text=True)
    data = {**form_of(html), "positions": [i.position for i in attempt.items], "go": "finish", **answers(attempt)}
    assert client.post(url.split("?")[0], data=data).status_code == 302
    summary = client.get(f"/attempts/{attempt.id}/summary").get_data(as_text=True)
    assert client.post(f"/attempts/{attempt.id}/submit", data=form_of(summary)).status_code == 302
    db.session.expire_all()
    return db.session.get(Attempt, attempt.id)


def finished(user, quiz, language: str | None, typed: str) -> Attempt:
    """An attempt started in ``language`` through the service, every question right but the short answer
    ``typed``."""
    attempt = attempts.start_attempt(user, quiz, language=language)
    seq = attempts.save_responses(attempt, 0, right_answers(attempt, typed), [i.position for i in attempt.items])
    attempts.submit_attempt(attempt, seq, {}, [])
    return attempt


def test_an_albanian_reader_sees_albanian_and_is_graded_as_in_the_source(app, quiz, course, make_learner):
    client = reader(app, make_learner(), course, "sq")
    page = client.get(quiz_url(quiz)).get_data(as_text=True)
    assert "Kontrolli" in page and "Katër pyetje." in page
    attempt, url = start(client, quiz)
    assert attempt.language == "sq"
    html = client.get(url).get_data(as_text=True)
    for text in ("Kontrolli", MC_SQ["text"], "Një intervistë e regjistruar", "Pyetje të përsëritura nga çdo agjenci",
                 SA_SQ["text"], "Kroacia", "Zagrebi", 'lang="sq"'):  # fmt: skip
        assert text in html, text
    assert "Which practices limit re-traumatisation?" not in html and "One recorded interview" not in html
    for answer in by_name(attempt, "mc").version.config["answers"]:  # the choices carry the source's ids
        assert f'value="{answer["id"]}"' in html
    translated = take(client, quiz)
    assert translated.language == "sq" and translated.percent == Decimal("100.000") and translated.passed
    source = take(reader(app, make_learner(), course, "en"), quiz)
    assert source.language is None and source.percent == translated.percent
    assert [i.fraction for i in source.items] == [i.fraction for i in translated.items]


def test_a_translation_cannot_change_the_ids_or_fractions(app, quiz, course, make_learner):
    client = reader(app, make_learner(), course, "sq")

    def wrong(attempt):
        mc = by_name(attempt, "mc")
        worst = next(a["id"] for a in mc.version.config["answers"] if a["fraction"] < 0)
        return {f"q{mc.position}-answer": [worst]}  # "Repeated questioning": right in the translation's config

    assert by_name(take(client, quiz, wrong), "mc").fraction == 0

    def translation_ids(attempt):
        return {f"q{by_name(attempt, 'mc').position}-answer": ["t3"]}

    mc = by_name(take(client, quiz, translation_ids), "mc")
    assert mc.response == [] and mc.state == "not_answered" and mc.fraction == 0


def test_a_missing_translation_falls_back_to_the_source_with_the_notice(app, quiz, course, make_learner):
    client = reader(app, make_learner(), course, "sq")
    attempt, url = start(client, quiz)
    html = client.get(url).get_data(as_text=True)
    tf = by_name(attempt, "tf")
    section = html.split(f'id="question-{tf.position}"')[1].split("</section>")[0]
    assert "The Lanzarote Convention is a Council of Europe treaty." in section
    assert (
        "This question has not been translated into Shqip yet. It is shown in the original language, English."
        in section
    )
    assert html.count("has not been translated") == 1


def test_short_answer_accepts_the_source_the_translated_and_the_transliterated_answers(quiz, make_learner):
    typed_answers = [
        ("sq", "shtëpia e fëmijëve"),
        ("sq", "Barnahus"),
        ("sq", "barnahuset"),
        ("sr_Cyrl", "Дечја кућа"),
        ("sr_Cyrl", "dečja kuća"),
        ("sr_Latn", "ДЕЧЈА КУЋА"),
    ]
    for language, typed in typed_answers:
        attempt = finished(make_learner(), quiz, language, typed)
        assert attempt.language == language
        assert by_name(attempt, "sa").state == "correct", (language, typed)
        assert attempt.percent == Decimal("100.000")
    wrong = finished(make_learner(), quiz, "sq", "shtëpia")
    assert by_name(wrong, "sa").fraction == 0


def test_the_source_language_is_stored_as_none(quiz, make_learner):
    assert finished(make_learner(), quiz, "en", "barnahus").language is None


def test_a_cyrillic_reader_sees_cyrillic(app, quiz, course, make_learner):
    client = reader(app, make_learner(), course, "sr_Cyrl")
    attempt, url = start(client, quiz)
    assert attempt.language == "sr_Cyrl"
    html = client.get(url).get_data(as_text=True)
    assert to_script(TF_SR["text"], "Cyrl") in html and to_script(SA_SR["text"], "Cyrl") in html
    assert TF_SR["text"] not in html and 'lang="sr-Cyrl"' in html
    # The multiple-choice question has no Serbian translation: English, with the notice in the page's language.
    assert "Which practices limit re-traumatisation?" in html and "has not been translated into Српски" in html
    review = take(client, quiz)
    assert review.percent == Decimal("100.000")
    page = client.get(f"/attempts/{review.id}/review").get_data(as_text=True)
    assert to_script("Jeste.", "Cyrl") in page  # the feedback too


def test_the_review_shows_the_attempts_language_and_trainers_the_source(app, quiz, course, make_learner, users):
    user = make_learner()
    client = reader(app, user, course, "sq")
    attempt = take(client, quiz)
    client.get(f"/courses/{course.slug}?read=en")  # reading in English now does not change the past attempt
    page = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    for text in ("Kontrolli", MC_SQ["text"], "Po, një herë.", "Zagrebi"):
        assert text in page, text
    assert "Which practices limit re-traumatisation?" not in page
    staff = app.test_client()
    login(staff, users["trainer"])
    staff_page = staff.get(f"/teach/{course.id}/quizzes/{quiz.id}/attempts/{attempt.id}").get_data(as_text=True)
    assert "Language of the attempt" in staff_page and "Shqip" in staff_page
    assert "Which practices limit re-traumatisation?" in staff_page and MC_SQ["text"] not in staff_page
    entries = {e.name: e for e in reports.review_entries(attempt)}
    assert "Which practices limit re-traumatisation?" in str(entries["mc"].text)
    assert entries["mc"].response == "One recorded interview; Interviews in a child-friendly room"
    assert entries["match"].response == "Croatia → Zagreb; Serbia → Belgrade; Albania → Tirana"
    assert entries["sa"].response == "barnahus"


def test_item_analysis_groups_responses_by_the_source(app, quiz, course, make_learner):
    take(reader(app, make_learner(), course, "sq"), quiz)
    take(reader(app, make_learner(), course, "en"), quiz)
    take(reader(app, make_learner(), course, "sr_Cyrl"), quiz)
    analysis = reports.item_analysis(reports.load_analysis_items(quiz, ResultFilters()))
    rows = {row.name: row for row in analysis.questions}
    assert [(r.response, r.count) for r in rows["match"].responses] == [
        ("Croatia → Zagreb; Serbia → Belgrade; Albania → Tirana", 3)
    ]
    assert [(r.response, r.count) for r in rows["mc"].responses] == [
        ("One recorded interview; Interviews in a child-friendly room", 3)
    ]
    assert all(row.attempts == 3 for row in rows.values())
