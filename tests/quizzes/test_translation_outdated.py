"""Outdated question and quiz translations (issue 8): a translation is stamped with the hash of the source texts
it translates; editing those texts makes it outdated (not ids or fractions); a package import stamps it, honouring
``outdated`` marks; learners see a notice; the trainer's status table counts quizzes and questions; the data
download shows questions in the attempt's language."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses import enrolment as enrolments
from courses import languages, packages, translating
from courses.models import Course
from lms.extensions import db
from quizzes import attempts, authoring, bank, privacy
from quizzes import translating as quiz_translating
from quizzes.models import Question, Quiz
from quizzes.package import OUTDATED_LINE
from quizzes.translations import question_hash, source_texts, translation_outdated, version_hash
from tests.conftest import login, post_form
from tests.courses.test_packages import write
from tests.quizzes.test_learner_views import quiz_url, start
from tests.quizzes.test_package import COURSE_YAML, FINAL_GIFT, M1_GIFT, M1_GIFT_SQ

MC_SQ = {
    "text": "Cilat praktika e kufizojnë ritraumatizimin?",
    "config": {
        "answers": [
            {"text": "Një intervistë e regjistruar", "feedback": "Po."},
            {"text": "Intervista në një dhomë miqësore", "feedback": "Po."},
            {"text": "Pyetje të përsëritura nga çdo agjenci", "feedback": "Jo."},
        ]
    },
}
TF_SQ = {
    "text": "Konventa e Lanzarotes është traktat i Këshillit të Evropës.",
    "config": {"feedback_true": "Është.", "feedback_false": "Është një."},
}
OUTDATED_NOTICE = "The original of this question has changed since it was translated"
QUIZ_NOTICE = "The original of this quiz has changed since it was translated"


def stamped(version, values: dict) -> dict:
    """``values`` as a translation made from ``version``'s current texts."""
    return dict(values) | {"source_hash": version_hash(version)}


def questions_of(course) -> dict[str, Question]:
    return {q.name: q for q in bank.bank_questions(course)}


def edit(question: Question, **changes) -> bool:
    """Save the question through the bank's service with ``changes`` to its fields; True for a new version."""
    fields = bank.fields_of(question)
    for name, value in changes.items():
        setattr(fields, name, value)
    return bank.update_question(None, question, fields)


@pytest.fixture
def course(quiz_course):
    """The quiz course read in Albanian too: its multiple choice and true/false questions translated from
    their current texts."""
    quiz_course.translations = {"sq": {"title": "Reagimi"}}
    questions = questions_of(quiz_course)
    for name, values in (("mc", MC_SQ), ("tf", TF_SQ)):
        version = questions[name].current
        version.translations = {"sq": stamped(version, values)}
    db.session.commit()
    return quiz_course


@pytest.fixture
def quiz(course, make_quiz):
    quiz = make_quiz(names=("mc", "tf", "sa"), questions_per_page=0, shuffle_questions=False)
    quiz.translations = languages.stamp({"sq": {"title": "Kontrolli"}}, languages.object_hash("quiz", quiz))
    db.session.commit()
    return quiz


# --- the hash ---------------------------------------------------------------------------------------------------


def test_the_hash_covers_the_texts_only():
    config = {
        "single": True,
        "answers": [
            {"id": "a1", "text": "Yes", "fraction": 1.0, "feedback": "Right."},
            {"id": "a2", "text": "No", "fraction": 0.0, "feedback": ""},
        ],
        "general_feedback": "Because.",
    }
    assert source_texts("Q?", config) == ["Q?", "Because.", "Yes", "Right.", "No", ""]
    other_ids = copy.deepcopy(config)
    other_ids["answers"][0].update(id="zz", fraction=0.5)
    other_ids["single"] = False
    assert question_hash("Q?", other_ids) == question_hash("Q?", config)
    for changed_text, changed_config in (
        ("Q!", config),
        ("Q?", {**config, "general_feedback": "Since."}),
        ("Q?", {**config, "answers": [config["answers"][1], config["answers"][0]]}),  # by position
    ):
        assert question_hash(changed_text, changed_config) != question_hash("Q?", config)
    translation = {"text": "P?", "source_hash": question_hash("Q?", config)}
    assert not translation_outdated(translation, "Q?", other_ids)
    assert translation_outdated(translation, "Q!", config)
    assert not translation_outdated({"text": "P?"}, "Q!", config)  # made before hashes were kept: current
    assert translation_outdated({"text": "P?", "source_hash": ""}, "Q?", config)  # marked outdated


# --- editing the source -----------------------------------------------------------------------------------------


def test_editing_a_source_question_marks_its_translation_outdated(course):
    mc = questions_of(course)["mc"]
    assert quiz_translating.question_status(mc.current, "sq") == "translated"
    config = copy.deepcopy(mc.current.config)
    config["answers"][0]["fraction"], config["answers"][1]["fraction"] = 0.6, 0.4  # marks only: no text changed
    assert edit(mc, config=config) is False
    assert quiz_translating.question_status(mc.current, "sq") == "translated"
    assert edit(mc, text="Which practices limit re-traumatisation of a child?") is False  # unused: in place
    assert quiz_translating.question_status(mc.current, "sq") == "outdated"
    assert mc.current.translations["sq"]["text"] == MC_SQ["text"]  # kept, so learners still read it


def test_a_new_version_keeps_the_translation_as_outdated(course, quiz, make_user):
    tf = questions_of(course)["tf"]
    learner = make_user()
    enrolments.self_enrol(learner, course)
    attempts.start_attempt(learner, quiz, language="sq")  # uses the current version
    first = tf.current
    assert edit(tf, text="The Lanzarote Convention is a treaty of the Council of Europe.") is True
    assert tf.current.id != first.id
    assert tf.current.translations["sq"]["text"] == TF_SQ["text"]
    assert quiz_translating.question_status(tf.current, "sq") == "outdated"
    assert quiz_translating.question_status(first, "sq") == "translated"  # what past attempts read


def test_a_translation_without_a_hash_becomes_outdated_when_the_source_changes(course):
    sa = questions_of(course)["sa"]
    sa.current.translations = {"sq": {"text": "Emërtoni modelin nordik.", "config": {}}}  # an old import
    db.session.commit()
    assert quiz_translating.question_status(sa.current, "sq") == "incomplete"  # current, answers untranslated
    edit(sa, text="Name the Nordic model of services for children under one roof.")
    assert quiz_translating.question_status(sa.current, "sq") == "outdated"


def test_editing_a_quiz_title_marks_its_translation_outdated(quiz):
    quiz.translations = {"sq": {"title": "Kontrolli"}}  # made before hashes were kept
    db.session.commit()
    fields = authoring.QuizFields(title=quiz.title, slug=quiz.slug, intro=quiz.intro)
    authoring.update_quiz(None, quiz, fields)  # the same texts
    assert translating.status_of("quiz", quiz, "sq") == "translated"
    fields.title = "Check your understanding"
    authoring.update_quiz(None, quiz, fields)
    assert translating.status_of("quiz", quiz, "sq") == "outdated"
    assert quiz.translations["sq"]["title"] == "Kontrolli"


# --- packages ---------------------------------------------------------------------------------------------------


@pytest.fixture
def package(tmp_path):
    return write(
        tmp_path / "pkg",
        {
            "course.yaml": COURSE_YAML,
            "lessons/m1/l1.md": "Text.\n",
            "quizzes/m1-check.gift": M1_GIFT,
            "quizzes/m1-check.sq.gift": M1_GIFT_SQ,
            "quizzes/final.gift": FINAL_GIFT,
        },
    )


def imported(package, academy) -> tuple[Course, Quiz, dict[str, Question]]:
    packages.import_package(package, academy=academy)
    db.session.expire_all()
    course = db.session.scalar(select(Course).where(Course.slug == "q-course"))
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == "m1-check"))
    return course, quiz, {s.question.name: s.question for s in quiz.slots}


def test_an_import_stamps_translations_and_a_reimport_keeps_them_current(db, academy, package):
    course, quiz, questions = imported(package, academy)
    assert all(q.current.translations["sq"]["source_hash"] == version_hash(q.current) for q in questions.values())
    assert quiz.translations["sq"]["source_hash"] == languages.object_hash("quiz", quiz)
    assert {quiz_translating.question_status(q.current, "sq") for q in questions.values()} == {"translated"}
    again = packages.import_package(package, academy=academy)
    assert again.action == "unchanged"
    course, quiz, questions = imported(package, academy)
    assert {quiz_translating.question_status(q.current, "sq") for q in questions.values()} == {"translated"}
    assert OUTDATED_LINE not in packages.export_files(course)["quizzes/m1-check.sq.gift"].decode()


def test_outdated_marks_are_honoured_on_import_and_written_on_export(db, academy, package, tmp_path):
    marked = M1_GIFT_SQ.replace("::mc1::", f"{OUTDATED_LINE}\n::mc1::")
    (package / "quizzes/m1-check.sq.gift").write_text(marked)
    yaml = package / "course.yaml"
    yaml.write_text(
        yaml.read_text().replace("{sq: {title: Kontrolloni}}", "{sq: {title: Kontrolloni, outdated: true}}")
    )
    course, quiz, questions = imported(package, academy)
    assert quiz_translating.question_status(questions["mc1"].current, "sq") == "outdated"
    assert quiz_translating.question_status(questions["tf1"].current, "sq") == "translated"
    assert translating.status_of("quiz", quiz, "sq") == "outdated"
    files = packages.export_files(course)
    gift = files["quizzes/m1-check.sq.gift"].decode()
    assert f"{OUTDATED_LINE}\n::mc1::" in gift and gift.count(OUTDATED_LINE) == 1
    assert "outdated: true" in files["course.yaml"].decode()
    assert "source_hash" not in files["course.yaml"].decode()
    # The marks survive a round trip, byte for byte.
    packages.write_package(files, tmp_path / "out")
    packages.import_package(tmp_path / "out", academy=academy)
    assert packages.export_files(course) == files


def test_editing_the_source_after_an_import_exports_the_mark(db, academy, package):
    course, _quiz, questions = imported(package, academy)
    edit(questions["tf1"], text="The Lanzarote Convention is a treaty of the Council of Europe.")
    gift = packages.export_files(course)["quizzes/m1-check.sq.gift"].decode()
    assert f"{OUTDATED_LINE}\n::tf1::" in gift and gift.count(OUTDATED_LINE) == 1


# --- the learner's notice ---------------------------------------------------------------------------------------


def reader(app, user, course, lang: str):
    client = app.test_client()
    login(client, user)
    client.get(f"/courses/{course.slug}?read={lang}")
    return client


def test_the_learner_sees_a_notice_on_an_outdated_question_only(app, course, quiz, make_user):
    edit(questions_of(course)["mc"], text="Which practices limit re-traumatisation of a child?")
    learner = make_user()
    enrolments.self_enrol(learner, course)
    client = reader(app, learner, course, "sq")
    page = client.get(quiz_url(quiz)).get_data(as_text=True)
    assert "Kontrolli" in page and QUIZ_NOTICE not in page
    attempt, url = start(client, quiz)
    html = client.get(url).get_data(as_text=True)
    assert MC_SQ["text"] in html and TF_SQ["text"] in html  # the outdated translation is still shown
    assert html.count(OUTDATED_NOTICE) == 1
    sections = {s.split('"', 1)[0]: s for s in html.split('<section class="question" id="question-')[1:]}
    positions = {i.question_id: i.position for i in attempt.items}
    assert OUTDATED_NOTICE in sections[str(positions[questions_of(course)["mc"].id])]
    # A reader of the source sees no notice.
    other = make_user()
    enrolments.self_enrol(other, course)
    source = reader(app, other, course, "en")
    _attempt, url = start(source, quiz)
    assert OUTDATED_NOTICE not in source.get(url).get_data(as_text=True)


def test_the_quiz_page_says_when_its_translation_is_outdated(app, course, quiz, make_user):
    quiz.title = "Check your understanding"  # the source changes; the Albanian title was made from "Check"
    db.session.commit()
    learner = make_user()
    enrolments.self_enrol(learner, course)
    page = reader(app, learner, course, "sq").get(quiz_url(quiz)).get_data(as_text=True)
    assert "Kontrolli" in page and QUIZ_NOTICE in page
    source = reader(app, learner, course, "en").get(quiz_url(quiz)).get_data(as_text=True)
    assert QUIZ_NOTICE not in source


# --- the trainer's status table ---------------------------------------------------------------------------------


def test_the_status_table_counts_the_quiz_and_its_questions(course, quiz, users):
    edit(questions_of(course)["tf"], text="The Lanzarote Convention is a treaty of the Council of Europe.")
    table = translating.translation_status(users["trainer"], course)
    assert table.languages == ["sq"]
    quiz_row = next(r for r in table.rows if r.kind == "quiz")
    questions_row = next(r for r in table.rows if r.kind == "questions")
    assert quiz_row.item == quiz and quiz_row.statuses["sq"] == "translated"
    assert questions_row.size == 3 and questions_row.statuses["sq"] == "missing"
    assert questions_row.tally["sq"] == {"translated": 1, "outdated": 1, "incomplete": 0, "missing": 1}
    course_rows = [r for r in table.rows if r.kind in ("course", "module", "lesson")]
    expected = {status: sum(r.statuses["sq"] == status for r in course_rows) for status in translating.STATUSES}
    expected["translated"] += 2  # the quiz's title and the multiple choice question
    expected["outdated"] += 1
    expected["missing"] += 1
    assert table.counts["sq"] == expected
    breakdown = quiz_translating.quiz_translation_status(users["trainer"], quiz)
    assert [(r.question.name, r.statuses["sq"]) for r in breakdown.rows] == [
        ("mc", "translated"),
        ("tf", "outdated"),
        ("sa", "missing"),
    ]
    assert breakdown.counts["sq"] == questions_row.tally["sq"]


def test_the_table_page_links_the_questions_to_their_list(client, course, quiz, users):
    login(client, users["trainer"])
    page = client.get(f"/teach/{course.id}/translations").get_data(as_text=True)
    detail = f"/teach/{course.id}/quizzes/{quiz.id}/translations"
    assert f'href="{detail}"' in page and "3 questions" in page
    assert f'href="{detail}?lang=sq"' in page
    assert f'href="/teach/{course.id}/translations/quiz/{quiz.id}/sq"' in page
    assert "quizzes/&lt;quiz&gt;.&lt;language&gt;.gift" in page
    listing = client.get(detail).get_data(as_text=True)
    assert "quizzes/check.&lt;language&gt;.gift" in listing
    assert listing.count("status-translated") == 2 and listing.count("status-missing") == 1
    assert client.get(f"/teach/{course.id}/quizzes/{quiz.id}/questions").status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"), [("learner", 403), ("other trainer", 404), ("trainer", 200), ("admin", 200)]
)
def test_access_to_the_question_list(client, users, make_user, other_academy, quiz, role, expected):
    people = users | {"other trainer": make_user("trainer2", roles={other_academy: ["trainer"]})}
    login(client, people[role])
    assert client.get(f"/teach/{quiz.course_id}/quizzes/{quiz.id}/translations").status_code == expected
    assert client.get(f"/teach/{quiz.course_id}/translations/quiz/{quiz.id}/sq").status_code == expected


def test_a_quiz_of_another_course_is_not_found(client, users, quiz, make_course):
    other = make_course(slug="other-course")
    login(client, users["trainer"])
    assert client.get(f"/teach/{other.id}/quizzes/{quiz.id}/translations").status_code == 404
    assert client.get(f"/teach/{other.id}/translations/quiz/{quiz.id}/sq").status_code == 404


def test_saving_an_outdated_quiz_title_brings_it_up_to_date(client, course, quiz, users):
    quiz.intro = "Three questions."
    db.session.commit()
    assert translating.status_of("quiz", quiz, "sq") == "outdated"
    login(client, users["trainer"])
    url = f"/teach/{course.id}/translations/quiz/{quiz.id}/sq"
    form = client.get(url).get_data(as_text=True)
    assert "Three questions." in form and 'name="intro"' in form and 'name="summary"' not in form
    response = post_form(client, url, {"title": "Kontrolli", "intro": "Tri pyetje."})
    assert response.status_code == 302
    db.session.refresh(quiz)
    assert quiz.translations["sq"]["intro"] == "Tri pyetje."
    assert translating.status_of("quiz", quiz, "sq") == "translated"


# --- the data download ------------------------------------------------------------------------------------------


def test_the_data_download_shows_the_questions_in_the_attempts_language(course, quiz, make_user):
    learner = make_user()
    enrolments.self_enrol(learner, course)
    for language in ("sq", None):
        attempt = attempts.start_attempt(learner, quiz, language=language)
        attempts.submit_attempt(attempt, 0, {}, [])
    first, second = privacy.personal_data(learner)["attempts"]
    assert (first["language"], first["quiz"]) == ("sq", "Kontrolli")
    assert MC_SQ["text"] in [q["question"] for q in first["questions"]]
    assert "Which practices limit re-traumatisation?" not in [q["question"] for q in first["questions"]]
    sa = questions_of(course)["sa"].current
    assert sa.text in [q["question"] for q in first["questions"]]  # untranslated: the source
    assert (second["language"], second["quiz"]) == ("en", "Check")
    assert "Which practices limit re-traumatisation?" in [q["question"] for q in second["questions"]]
    assert Decimal(first["max_marks"]) == Decimal(second["max_marks"])
