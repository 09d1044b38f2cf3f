"""Trainers build the question bank and quizzes through the pages: import and export (GIFT, Moodle XML), the GIFT
editor with versions, the preview, quiz settings and slots, overrides; other academies' trainers get 404."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses import enrolment as enrolments
from lms.models import Cohort
from quizzes import attempts, authoring, bank
from quizzes.models import Question, Quiz, QuizOverride
from tests.conftest import csrf_token, login, post_form

GOOD_GIFT = """$CATEGORY: Imported
::sum::2 + 2 = {=4 ~3 ~5}

::capital::The capital of Serbia? {=Belgrade =Beograd}
"""

# Question 2 (line 3) does not parse; question 3 (line 5) parses but its weights add up to 30 %.
BAD_GIFT = """::ok::Fine? {=yes ~no}

::broken::Never closed {=a ~b

::weights::Which? {~%30%a ~b}
"""


def bank_url(course) -> str:
    return f"/teach/{course.id}/questions"


def upload(client, course, content: bytes, filename: str = "questions.gift", dry_run: bool = False, **extra):
    top = next((c.id for c in bank.course_categories(course) if not c.path), 0)  # 0: the top category, not made yet
    data = {"import-file": (io.BytesIO(content), filename), "import-category": str(top), **extra}
    if dry_run:
        data["import-dry_run"] = "y"
    return post_form(
        client,
        f"{bank_url(course)}/import",
        data,
        page=bank_url(course),
        field="import-csrf_token",
        content_type="multipart/form-data",
    )


def names(course) -> set[str]:
    return {q.name for q in bank.bank_questions(course)}


def by_name(course) -> dict[str, Question]:
    return {q.name: q for q in bank.bank_questions(course)}


def exchange(course) -> list[dict]:
    return sorted((bank.to_exchange(q) for q in bank.bank_questions(course)), key=lambda q: q["name"])


@pytest.fixture
def trainer(client, users):
    login(client, users["trainer"])
    return users["trainer"]


# --- import and export -----------------------------------------------------------------------------------------


def test_a_gift_file_imported_through_the_page_fills_the_bank(client, trainer, make_course):
    course = make_course(modules=1, lessons=1)
    response = upload(client, course, GOOD_GIFT.encode())
    assert response.status_code == 302
    assert names(course) == {"sum", "capital"}
    page = client.get(bank_url(course)).get_data(as_text=True)
    assert "sum" in page and "capital" in page and "Imported" in page and "Short answer" in page


def test_a_malformed_file_shows_each_problem_with_its_line_and_imports_nothing(client, trainer, quiz_course):
    before = names(quiz_course)
    page = upload(client, quiz_course, BAD_GIFT.encode()).get_data(as_text=True)
    assert names(quiz_course) == before
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\d*)</td><td>([^<]+)</td></tr>", page)
    assert [(number, line) for number, line, _message in rows] == [("2", "3"), ("3", "5")]
    assert "never closed" in rows[0][2] and "100" in rows[1][2]
    assert "2 problems: nothing was imported" in page


def test_only_checking_a_file_writes_nothing(client, trainer, quiz_course):
    before = names(quiz_course)
    page = upload(client, quiz_course, GOOD_GIFT.encode(), dry_run=True).get_data(as_text=True)
    assert "No problems found in 2 questions" in page and names(quiz_course) == before


def test_questions_without_a_category_go_to_the_chosen_one(client, trainer, quiz_course):
    basics = next(c for c in bank.course_categories(quiz_course) if c.path == "Basics")
    upload(client, quiz_course, b"::loose::Loose? {TRUE}", "loose.txt", **{"import-category": str(basics.id)})
    assert by_name(quiz_course)["loose"].category.path == "Basics"


def test_moodle_xml_with_a_broken_question_is_refused_with_its_line(client, trainer, quiz_course):
    xml = b"""<?xml version="1.0"?>
<quiz>
  <question type="numerical">
    <name><text>n</text></name>
    <questiontext><text>How many?</text></questiontext>
    <answer fraction="100"><text>many</text></answer>
  </question>
</quiz>
"""
    before = names(quiz_course)
    page = upload(client, quiz_course, xml, "bank.xml").get_data(as_text=True)
    assert names(quiz_course) == before
    assert re.search(r"<tr><td>1</td><td>\d+</td><td>[^<]+</td></tr>", page)


@pytest.mark.parametrize(("fmt", "filename"), [("gift", "bank.gift"), ("xml", "bank.xml")])
def test_export_then_import_into_another_course_gives_the_same_questions(
    client, trainer, quiz_course, make_course, fmt, filename
):
    bank.create_question(
        None,
        quiz_course,
        bank.QuestionFields("ordering", "steps", "Put in order.", {"items": [{"text": "a"}, {"text": "b"}]}),
    )
    response = client.get(f"{bank_url(quiz_course)}/export?format={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="ocsea.{fmt}"'
    other = make_course(modules=1, lessons=1, slug="copy")
    assert upload(client, other, response.data, filename).status_code == 302
    expected = [q for q in exchange(quiz_course) if q["type"] != "ordering"]  # neither format holds ordering
    assert exchange(other) == expected and len(expected) == 5


def test_one_category_can_be_exported(client, trainer, quiz_course):
    essays = next(c for c in bank.course_categories(quiz_course) if c.path == "Essays")
    response = client.get(f"{bank_url(quiz_course)}/export?format=gift&category={essays.id}")
    text = response.get_data(as_text=True)
    assert "::essay::" in text and "::mc::" not in text
    assert response.headers["Content-Disposition"] == 'attachment; filename="ocsea-essays.gift"'


def test_filtering_moving_and_categories(client, trainer, quiz_course):
    basics = next(c for c in bank.course_categories(quiz_course) if c.path == "Basics")
    bank.update_question(None, by_name(quiz_course)["tf"], _fields(by_name(quiz_course)["tf"], tags=["treaty"]))
    page = client.get(f"{bank_url(quiz_course)}?category={basics.id}").get_data(as_text=True)
    assert "Describe your referral path" not in page and ">essay<" not in page and ">mc<" in page
    page = client.get(f"{bank_url(quiz_course)}?tag=treaty").get_data(as_text=True)
    assert ">tf<" in page and ">mc<" not in page
    response = post_form(
        client,
        f"{bank_url(quiz_course)}/categories",
        {"category-parent": basics.id, "category-name": "Hard"},
        page=bank_url(quiz_course),
        field="category-csrf_token",
    )
    assert response.status_code == 302
    hard = next(c for c in bank.course_categories(quiz_course) if c.path == "Basics/Hard")
    questions = [by_name(quiz_course)[n].id for n in ("mc", "sa")]
    response = post_form(
        client,
        f"{bank_url(quiz_course)}/move",
        {"move-questions": questions, "move-category": hard.id},
        page=bank_url(quiz_course),
        field="move-csrf_token",
    )
    assert response.status_code == 302
    assert {by_name(quiz_course)[n].category.path for n in ("mc", "sa")} == {"Basics/Hard"}


def test_duplicate(client, trainer, quiz_course):
    question = by_name(quiz_course)["sa"]
    response = post_form(client, f"{bank_url(quiz_course)}/{question.id}/duplicate", page=bank_url(quiz_course))
    assert response.status_code == 302 and "sa (copy)" in names(quiz_course)


def _fields(question: Question, **changes) -> bank.QuestionFields:
    fields = bank.fields_of(question)
    for key, value in changes.items():
        setattr(fields, key, value)
    return fields


# --- the editor ------------------------------------------------------------------------------------------------


def editor_data(course, source: str, **extra) -> dict:
    basics = next(c for c in bank.course_categories(course) if c.path == "Basics")
    data = {"kind": "gift", "source": source, "name": "", "category": basics.id, "tags": "", "default_mark": "1"}
    return {**data, **extra}


def test_a_question_written_in_gift_is_created(client, trainer, quiz_course):
    url = f"{bank_url(quiz_course)}/new"
    data = editor_data(quiz_course, "::hours::How many hours in a week?{#168}", tags="time, basics", default_mark="2")
    assert post_form(client, url, data).status_code == 302
    question = by_name(quiz_course)["hours"]
    assert (question.qtype, question.tags, question.category.path) == ("numerical", ["basics", "time"], "Basics")
    assert question.current.default_mark == Decimal("2") and question.current.config["answers"][0]["value"] == "168"


def test_the_name_field_wins_over_the_gift_name(client, trainer, quiz_course):
    data = editor_data(quiz_course, "::gift-name::Is it?{T}", name="Field name")
    post_form(client, f"{bank_url(quiz_course)}/new", data)
    assert "Field name" in names(quiz_course) and "gift-name" not in names(quiz_course)


def test_gift_errors_show_on_the_text_with_their_line(client, trainer, quiz_course):
    before = names(quiz_course)
    page = post_form(client, f"{bank_url(quiz_course)}/new", editor_data(quiz_course, "Fine?\n{=a ~b")).get_data(
        as_text=True
    )
    assert 'id="source-error"' in page and "Line 2:" in page and names(quiz_course) == before
    page = post_form(client, f"{bank_url(quiz_course)}/new", editor_data(quiz_course, "Which? {~%30%a ~b}")).get_data(
        as_text=True
    )
    assert 'id="source-error"' in page and "100" in page and names(quiz_course) == before


def test_cloze_and_ordering_are_written_in_their_own_syntax(client, trainer, quiz_course):
    url = f"{bank_url(quiz_course)}/new"
    cloze = "The capital of Croatia is {1:MC:=Zagreb~Split}; a day has {1:NM:=24:0} hours."
    post_form(client, url, editor_data(quiz_course, cloze, kind="cloze", name="gaps", general_feedback="Facts."))
    question = by_name(quiz_course)["gaps"]
    assert question.qtype == "cloze" and question.current.config == {"text": cloze, "general_feedback": "Facts."}
    assert question.current.text == ""  # the markup, which holds the answers, stays in the config
    ordering = "Put the steps in order.\n\nListen\nReassure\nReport"
    post_form(client, url, editor_data(quiz_course, ordering, kind="ordering"))
    question = by_name(quiz_course)["Put the steps in order."]
    assert [i["text"] for i in question.current.config["items"]] == ["Listen", "Reassure", "Report"]
    page = client.get(f"{bank_url(quiz_course)}/{question.id}/edit").get_data(as_text=True)
    assert "Put the steps in order.\n\nListen\nReassure\nReport" in page


def test_editing_a_question_used_in_an_attempt_makes_version_2(client, trainer, quiz_course, make_quiz, learner, db):
    quiz = make_quiz()
    attempt = attempts.start_attempt(learner, quiz)
    question = by_name(quiz_course)["sa"]
    url = f"{bank_url(quiz_course)}/{question.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "Version 1; used in attempts: yes" in page and "=Barnahus" in page
    source = "::sa::Name the Nordic model.{=Barnahus =Barnahuset =Children's house}"
    response = post_form(client, url, editor_data(quiz_course, source, name="sa"))
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Saved as version 2" in page and "Version 2; used in attempts: no" in page
    db.session.expire_all()
    db_question = by_name(quiz_course)["sa"]
    assert db_question.current.number == 2 and len(db_question.current.config["answers"]) == 3
    item = next(i for i in attempt.items if i.question_id == question.id)
    assert item.version.number == 1 and len(item.version.config["answers"]) == 2


def test_editing_an_unused_question_keeps_its_version(client, trainer, quiz_course, db):
    question = by_name(quiz_course)["essay"]
    url = f"{bank_url(quiz_course)}/{question.id}/edit"
    post_form(client, url, editor_data(quiz_course, "::essay::Describe your referral path in detail.{}", name="essay"))
    assert "Saved (version 1" in client.get(url).get_data(as_text=True)
    db.session.expire_all()
    assert by_name(quiz_course)["essay"].current.text == "Describe your referral path in detail."


def test_the_type_of_a_question_cannot_change(client, trainer, quiz_course):
    question = by_name(quiz_course)["sa"]
    url = f"{bank_url(quiz_course)}/{question.id}/edit"
    page = post_form(client, url, editor_data(quiz_course, "::sa::Is it?{TRUE}", name="sa")).get_data(as_text=True)
    assert "cannot change" in page and by_name(quiz_course)["sa"].qtype == "shortanswer"


# --- preview ---------------------------------------------------------------------------------------------------


def test_the_preview_shows_the_learner_view_then_the_right_answer(app, client, trainer, quiz_course, users):
    question = by_name(quiz_course)["sa"]
    url = f"{bank_url(quiz_course)}/{question.id}/preview"
    page = client.get(url).get_data(as_text=True)
    learner_part, trainer_part = page.split("For trainers only", 1)
    assert 'name="q1-answer"' in learner_part and "Barnahus" not in learner_part
    assert "Barnahus" in trainer_part and "Barnahuset" in trainer_part
    mc = by_name(quiz_course)["mc"]
    page = client.get(f"{bank_url(quiz_course)}/{mc.id}/preview?seed=7").get_data(as_text=True)
    assert 'type="checkbox"' in page and "-100 %" in page and "Yes." in page
    other = app.test_client()
    login(other, users["learner"])
    assert other.get(url).status_code == 403


# --- quizzes ---------------------------------------------------------------------------------------------------


def quiz_data(course, **extra) -> dict:
    data = {
        "title": "Module check",
        "slug": "",
        "module_id": course.modules[0].id,
        "intro": "Ten minutes.",
        "pass_mark": "80",
        "attempts_allowed": "2",
        "grading_method": "last",
        "open_at": "2030-01-01T09:00",
        "close_at": "2030-01-31T17:00",
        "time_limit_minutes": "20",
        "shuffle_questions": "y",
        "questions_per_page": "1",
        "review_after_submit_marks": "y",
        "review_after_close_right_answers": "y",
        "published": "y",
    }
    return {**data, **extra}


def test_a_quiz_is_created_with_its_settings_and_fixed_and_random_questions(client, trainer, quiz_course):
    response = post_form(client, f"/teach/{quiz_course.id}/quizzes/new", quiz_data(quiz_course))
    assert response.status_code == 302
    quiz = next(q for q in quiz_course_quizzes(quiz_course) if q.slug == "module-check")
    assert (quiz.module_id, quiz.pass_mark, quiz.attempts_allowed, quiz.grading_method) == (
        quiz_course.modules[0].id,
        Decimal("80"),
        2,
        "last",
    )
    assert quiz.open_at == datetime(2030, 1, 1, 9, 0, tzinfo=UTC) and quiz.time_limit_minutes == 20
    assert (quiz.shuffle_questions, quiz.shuffle_answers, quiz.counts_for_completion) == (True, False, False)
    assert quiz.review == {
        "after_submit": {"responses": False, "marks": True, "feedback": False, "right_answers": False},
        "after_close": {"responses": False, "marks": False, "feedback": False, "right_answers": True},
    }
    questions_url = f"/teach/{quiz_course.id}/quizzes/{quiz.id}/questions"
    assert response.headers["Location"] == questions_url
    chosen = [by_name(quiz_course)[n].id for n in ("mc", "tf")]
    response = post_form(
        client,
        f"{questions_url}/add",
        {"fixed-questions": chosen, "fixed-mark": "2"},
        page=questions_url,
        field="fixed-csrf_token",
    )
    assert response.status_code == 302
    basics = next(c for c in bank.course_categories(quiz_course) if c.path == "Basics")
    response = post_form(
        client,
        f"{questions_url}/random",
        {"random-category": basics.id, "random-count": "2", "random-tags": "", "random-mark": "1.5"},
        page=questions_url,
        field="random-csrf_token",
    )
    assert response.status_code == 302
    refreshed = quiz_course_quizzes(quiz_course)[0]
    assert [(s.question_id, s.category_id, s.count, s.mark) for s in refreshed.slots] == [
        (chosen[0], None, 1, Decimal("2")),
        (chosen[1], None, 1, Decimal("2")),
        (None, basics.id, 2, Decimal("1.5")),
    ]
    page = client.get(questions_url).get_data(as_text=True)
    assert "4 questions" in page and "Total marks: 7" in page and "2 random questions from Basics" in page
    listing = client.get(f"/teach/{quiz_course.id}/quizzes").get_data(as_text=True)
    assert "Module check" in listing and "80 %" in listing and "20 minutes" in listing


def quiz_course_quizzes(course) -> list[Quiz]:
    return authoring.course_quizzes(course)


def test_slots_move_and_go(client, trainer, quiz_course, make_quiz, db):
    quiz = make_quiz(names=("mc", "tf", "sa"))
    url = f"/teach/{quiz_course.id}/quizzes/{quiz.id}/questions"
    first, second, third = quiz.slots
    post_form(client, f"/teach/{quiz_course.id}/quizzes/{quiz.id}/slots/{third.id}/up", page=url)
    db.session.expire_all()
    assert [s.id for s in quiz.slots] == [first.id, third.id, second.id]
    post_form(client, f"/teach/{quiz_course.id}/quizzes/{quiz.id}/slots/{first.id}/remove", page=url)
    db.session.expire_all()
    assert [s.id for s in quiz.slots] == [third.id, second.id]
    assert [s.position for s in quiz.slots] == [1, 2]


def test_quiz_settings_are_saved(client, trainer, quiz_course, make_quiz, db):
    quiz = make_quiz()
    url = f"/teach/{quiz_course.id}/quizzes/{quiz.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Check"' in page and 'name="review_after_close_right_answers"' in page
    data = quiz_data(quiz_course, title="Final", slug="check", module_id="0", open_at="", close_at="")
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert (quiz.title, quiz.module_id, quiz.open_at) == ("Final", None, None)
    page = post_form(client, url, quiz_data(quiz_course, slug="check", close_at="2029-01-01T00:00")).get_data(
        as_text=True
    )
    assert "must close after it opens" in page


# --- overrides -------------------------------------------------------------------------------------------------


def test_an_override_for_a_learner_and_one_for_a_cohort(client, trainer, quiz_course, make_quiz, learner, academy, db):
    quiz = make_quiz()
    url = f"/teach/{quiz_course.id}/quizzes/{quiz.id}/overrides"
    page = post_form(client, url, {"learner": "nobody@example.org", "cohort": "0"}).get_data(as_text=True)
    assert "No learner enrolled in this course" in page
    data = {"learner": learner.email.upper(), "cohort": "0", "time_limit_minutes": "90", "attempts_allowed": "3"}
    assert post_form(client, url, data).status_code == 302
    override = db.session.scalar(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id))
    assert (override.user_id, override.time_limit_minutes, override.attempts_allowed) == (learner.id, 90, 3)
    assert attempts.settings_for(quiz, learner).time_limit == timedelta(minutes=90)
    cohort = Cohort(academy_id=academy.id, name="Spring group")
    db.session.add(cohort)
    db.session.commit()
    data = {"learner": "", "cohort": str(cohort.id), "close_at": "2031-05-01T12:00"}
    assert post_form(client, url, data).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert learner.display_name in page and "Cohort Spring group" in page and "2031-05-01 12:00 UTC" in page
    page = post_form(client, url, {"learner": "", "cohort": "0"}).get_data(as_text=True)
    assert "Choose a learner or a cohort" in page
    post_form(client, f"{url}/{override.id}/delete", page=url)
    assert db.session.scalar(select(QuizOverride).where(QuizOverride.user_id == learner.id)) is None


def test_only_enrolled_learners_get_overrides(client, trainer, quiz_course, make_quiz, make_user, academy):
    quiz = make_quiz()
    stranger = make_user("stranger", roles={academy: ["learner"]})
    url = f"/teach/{quiz_course.id}/quizzes/{quiz.id}/overrides"
    page = post_form(client, url, {"learner": stranger.username, "cohort": "0"}).get_data(as_text=True)
    assert "No learner enrolled in this course" in page
    enrolments.self_enrol(stranger, quiz_course)
    assert post_form(client, url, {"learner": stranger.username, "cohort": "0"}).status_code == 302


# --- access ----------------------------------------------------------------------------------------------------

PAGES = [
    "/teach/{course}/questions",
    "/teach/{course}/questions?category={category}",
    "/teach/{course}/questions/new",
    "/teach/{course}/questions/{question}/edit",
    "/teach/{course}/questions/{question}/preview",
    "/teach/{course}/questions/export?format=gift",
    "/teach/{course}/questions/export?format=xml",
    "/teach/{course}/quizzes",
    "/teach/{course}/quizzes/new",
    "/teach/{course}/quizzes/{quiz}/edit",
    "/teach/{course}/quizzes/{quiz}/questions",
    "/teach/{course}/quizzes/{quiz}/overrides",
]
ACTIONS = [
    "/teach/{course}/questions/categories",
    "/teach/{course}/questions/move",
    "/teach/{course}/questions/import",
    "/teach/{course}/questions/new",
    "/teach/{course}/questions/{question}/edit",
    "/teach/{course}/questions/{question}/duplicate",
    "/teach/{course}/quizzes/new",
    "/teach/{course}/quizzes/{quiz}/edit",
    "/teach/{course}/quizzes/{quiz}/questions/add",
    "/teach/{course}/quizzes/{quiz}/questions/random",
    "/teach/{course}/quizzes/{quiz}/slots/{slot}/up",
    "/teach/{course}/quizzes/{quiz}/overrides",
    "/teach/{course}/quizzes/{quiz}/overrides/{override}/delete",
]


@pytest.fixture
def ids(quiz_course, make_quiz, learner, db) -> dict:
    quiz = make_quiz()
    override = QuizOverride(quiz_id=quiz.id, user_id=learner.id, attempts_allowed=5)
    db.session.add(override)
    db.session.commit()
    question = by_name(quiz_course)["mc"]
    return {
        "course": quiz_course.id,
        "category": question.category_id,
        "question": question.id,
        "quiz": quiz.id,
        "slot": quiz.slots[0].id,
        "override": override.id,
    }


@pytest.fixture
def outsider(app, make_user, other_academy):
    client = app.test_client()
    login(client, make_user("outsider", roles={other_academy: ["trainer", "learner"]}))
    return client


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_for_the_trainer_is_404_for_another_academy_and_403_for_a_learner(
    app, client, trainer, outsider, users, ids, page
):
    url = page.format(**ids)
    assert client.get(url).status_code == 200
    assert outsider.get(url).status_code == 404
    learner = app.test_client()
    login(learner, users["learner"])
    assert learner.get(url).status_code == 403


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_404_for_another_academy(outsider, ids, db, action):
    token = csrf_token(outsider, "/dashboard")
    assert outsider.post(action.format(**ids), data={"csrf_token": token}).status_code == 404
    assert db.session.get(QuizOverride, ids["override"]) is not None


def test_the_course_tabs_link_the_bank_and_the_quizzes(client, trainer, quiz_course):
    page = client.get(f"/teach/{quiz_course.id}/outline").get_data(as_text=True)
    assert f'href="/teach/{quiz_course.id}/questions"' in page and f'href="/teach/{quiz_course.id}/quizzes"' in page
