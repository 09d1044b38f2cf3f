"""The academy's shared question bank: its trainers fill it (pages, services, CLI); every course of the academy
uses its questions as fixed slots and random draws; other academies' courses and trainers never see it."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from courses import enrolment as enrolments
from lms.exceptions import NotFoundError
from quizzes import attempts, authoring, bank
from quizzes.models import Question, QuestionCategory
from tests.conftest import csrf_token, login, post_form
from tests.quizzes.conftest import gift_questions

SHARED_GIFT = """$CATEGORY: Shared/Law
::convention::The Lanzarote Convention protects children.{T}

::article::Which article of the Convention covers grooming?{#23}

$CATEGORY: Shared/Law/Cases
::case::Name the court of the Convention's states.{=European Court of Human Rights =ECHR}
"""


def academy_bank_url(course) -> str:
    return f"/teach/{course.id}/questions"


def names(owner) -> set[str]:
    return {q.name for q in bank.bank_questions(owner)}


def by_name(owner) -> dict[str, Question]:
    return {q.name: q for q in bank.bank_questions(owner)}


def category(owner, path: str) -> QuestionCategory:
    return next(c for c in bank.bank_categories(owner) if c.path == path)


@pytest.fixture
def shared(academy, db) -> dict[str, Question]:
    """The academy's bank filled from a GIFT file: Shared/Law (2 questions) and Shared/Law/Cases (1)."""
    report = bank.import_questions(None, academy, gift_questions_of(SHARED_GIFT))
    assert report.errors == [] and report.created == 3
    return by_name(academy)


def gift_questions_of(text: str) -> list[dict]:
    from quizzes.formats.gift import parse_gift

    parsed = parse_gift(text)
    assert parsed.errors == []
    return parsed.questions


@pytest.fixture
def trainer(client, users):
    login(client, users["trainer"])
    return users["trainer"]


@pytest.fixture
def outsider(make_user, other_academy):
    return make_user("outsider", roles={other_academy: ["trainer", "learner"]})


@pytest.fixture
def foreign_course(make_course, other_academy):
    """A course of another academy, with a bank of its own."""
    course = make_course(modules=1, lessons=1, academy_=other_academy, slug="judicial-course")
    bank.import_questions(None, course, gift_questions())
    return course


@pytest.fixture
def quiz(quiz_course, db):
    return authoring.create_quiz(None, quiz_course, authoring.QuizFields(title="Shared check", slug="shared"))


# --- filling the academy's bank --------------------------------------------------------------------------------


def test_an_academy_trainer_fills_the_academy_bank_through_the_services(users, academy, quiz_course):
    trainer = users["trainer"]
    bank.create_category(trainer, academy, "Shared/Ethics")
    fields = bank.QuestionFields("truefalse", "consent", "Consent is needed.", {"correct": True})
    fields.category_path = "Shared/Ethics"
    question = bank.create_question(trainer, academy, fields)
    report = bank.import_questions(trainer, academy, gift_questions_of(SHARED_GIFT))
    assert report.errors == [] and report.created == 3
    assert names(academy) == {"consent", "convention", "article", "case"}
    assert question.category.academy_id == academy.id and question.category.course_id is None
    assert bank.owner_of(question) == academy and bank.course_of(question) is None
    assert "consent" not in names(quiz_course)  # the course's own bank stays apart
    copy = bank.duplicate_question(trainer, question)
    assert bank.owner_of(copy) == academy
    moved = bank.move_questions(trainer, academy, [copy.id], category(academy, "Shared/Law"))
    assert moved == 1 and copy.category.path == "Shared/Law"


def test_an_academy_trainer_fills_the_academy_bank_through_the_pages(client, trainer, academy, quiz_course):
    url = f"{academy_bank_url(quiz_course)}?bank=academy"
    page = client.get(url).get_data(as_text=True)
    assert "Shared questions of Police Academy" in page and "This course's questions" in page
    assert f"/teach/{quiz_course.id}/questions/import?bank=academy" in page
    response = post_form(
        client,
        f"{academy_bank_url(quiz_course)}/categories?bank=academy",
        {"category-parent": "0", "category-name": "Shared/Ethics"},
        page=url,
        field="category-csrf_token",
    )
    assert response.status_code == 302 and "bank=academy" in response.headers["Location"]
    top = category(academy, "")  # made with the new category, its parent
    response = post_form(
        client,
        f"{academy_bank_url(quiz_course)}/import?bank=academy",
        {"import-file": (io.BytesIO(SHARED_GIFT.encode()), "shared.gift"), "import-category": top.id},
        page=url,
        field="import-csrf_token",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "bank=academy" in response.headers["Location"]
    ethics = category(academy, "Shared/Ethics")
    data = {"kind": "gift", "source": "::consent::Consent is needed.{T}", "name": "", "tags": "", "default_mark": "1"}
    new_url = f"{academy_bank_url(quiz_course)}/new?bank=academy"
    response = post_form(client, new_url, {**data, "category": ethics.id})
    assert response.status_code == 302
    assert names(academy) == {"convention", "article", "case", "consent"}
    assert not names(quiz_course) & names(academy)
    page = client.get(url).get_data(as_text=True)
    assert ">consent<" in page and ">mc<" not in page
    article = by_name(academy)["article"]
    assert client.get(f"{academy_bank_url(quiz_course)}/{article.id}/preview?bank=academy").status_code == 200
    export = client.get(f"{academy_bank_url(quiz_course)}/export?format=gift&bank=academy")
    assert export.headers["Content-Disposition"] == 'attachment; filename="police.gift"'
    assert "::consent::" in export.get_data(as_text=True) and "::mc::" not in export.get_data(as_text=True)


def test_the_course_bank_page_lists_only_the_course_questions(client, trainer, shared, quiz_course):
    page = client.get(academy_bank_url(quiz_course)).get_data(as_text=True)
    assert ">mc<" in page and ">convention<" not in page
    assert f'href="/teach/{quiz_course.id}/questions?bank=academy"' in page


def test_moving_never_crosses_banks(users, academy, shared, quiz_course):
    basics = category(quiz_course, "Basics")
    with pytest.raises(NotFoundError):
        bank.move_questions(users["trainer"], quiz_course, [shared["article"].id], basics)
    with pytest.raises(NotFoundError):
        bank.move_questions(users["trainer"], academy, [shared["article"].id], basics)


# --- using it in a course of the academy -----------------------------------------------------------------------


def test_a_course_uses_a_shared_question_and_draws_from_a_shared_category(users, shared, academy, quiz, quiz_course):
    trainer = users["trainer"]
    law = category(academy, "Shared/Law")
    assert bank.question_of_course(quiz_course, shared["convention"].id) == shared["convention"]
    assert bank.category_of_course(quiz_course, law.id) == law
    authoring.add_question_slot(trainer, quiz, shared["convention"], Decimal("1"))
    authoring.add_random_slot(trainer, quiz, law, count=2, include_subcategories=True)
    enrolments.self_enrol(users["learner"], quiz_course)
    attempt = attempts.start_attempt(users["learner"], quiz)
    drawn = {i.question_id for i in attempt.items}
    assert shared["convention"].id in drawn and len(drawn) == 3
    assert drawn == {q.id for q in shared.values()}  # the draw took article and case (a subcategory)


def test_a_draw_with_subcategories_stays_in_the_academy_bank(
    users, shared, academy, other_academy, quiz, quiz_course, foreign_course
):
    bank.import_questions(None, quiz_course, gift_questions_of("$CATEGORY: Shared/Law/Cases\n::own::Own?{T}\n"))
    bank.import_questions(None, other_academy, gift_questions_of("$CATEGORY: Shared/Law\n::foreign::Foreign?{F}\n"))
    authoring.add_random_slot(None, quiz, category(academy, "Shared/Law"), count=3, include_subcategories=True)
    pool = {q.name for q in attempts._pool(quiz.slots[0])}
    assert pool == {"convention", "article", "case"}
    authoring.add_random_slot(None, quiz, category(academy, "Shared/Law/Cases"), count=1)
    assert {q.name for q in attempts._pool(quiz.slots[1])} == {"case"}


def test_the_quiz_page_offers_both_banks_labelled(client, trainer, shared, academy, quiz, quiz_course):
    url = f"/teach/{quiz_course.id}/quizzes/{quiz.id}/questions"
    page = client.get(url).get_data(as_text=True)
    assert "convention (True/false) · shared by Police Academy" in page and "mc (Multiple choice)" in page
    assert "Shared (Police Academy): Shared/Law (2)" in page and "Basics (4)" in page
    law = category(academy, "Shared/Law")
    response = post_form(
        client, f"{url}/add", {"fixed-questions": [shared["case"].id]}, page=url, field="fixed-csrf_token"
    )
    assert response.status_code == 302
    data = {"random-category": law.id, "random-count": "2", "random-tags": "", "random-mark": "1"}
    assert post_form(client, f"{url}/random", data, page=url, field="random-csrf_token").status_code == 302
    assert [(s.question_id, s.category_id) for s in quiz.slots] == [(shared["case"].id, None), (None, law.id)]
    page = client.get(url).get_data(as_text=True)
    assert "2 random questions from Shared (Police Academy): Shared/Law" in page
    assert client.get(f"{url}?category={law.id}").status_code == 200


def test_questions_and_slots_labels_on_the_quiz_page(client, trainer, shared, quiz, quiz_course):
    authoring.add_question_slot(None, quiz, shared["article"])
    page = client.get(f"/teach/{quiz_course.id}/quizzes/{quiz.id}/questions").get_data(as_text=True)
    assert f"/questions/{shared['article'].id}/preview?bank=academy" in page


# --- other academies -------------------------------------------------------------------------------------------


def test_a_course_of_another_academy_cannot_use_the_shared_bank(shared, academy, foreign_course):
    other_quiz = authoring.create_quiz(None, foreign_course, authoring.QuizFields(title="Other", slug="other"))
    with pytest.raises(NotFoundError):
        bank.question_of_course(foreign_course, shared["convention"].id)
    with pytest.raises(NotFoundError):
        bank.category_of_course(foreign_course, category(academy, "Shared/Law").id)
    with pytest.raises(NotFoundError):
        authoring.add_question_slot(None, other_quiz, shared["convention"])
    with pytest.raises(NotFoundError):
        authoring.add_random_slot(None, other_quiz, category(academy, "Shared/Law"))
    assert other_quiz.slots == []


def test_a_course_of_another_academy_gets_404_for_shared_questions(
    app, make_user, other_academy, shared, academy, foreign_course
):
    client = app.test_client()
    login(client, make_user("judge", roles={other_academy: ["trainer", "learner"]}))
    other_quiz = authoring.create_quiz(None, foreign_course, authoring.QuizFields(title="Other", slug="other"))
    url = f"/teach/{foreign_course.id}/quizzes/{other_quiz.id}/questions"
    page = client.get(url).get_data(as_text=True)
    assert "convention" not in page and "Shared/Law" not in page and "mc (Multiple choice)" in page
    law = category(academy, "Shared/Law")
    data = {"random-category": law.id, "random-count": "1", "random-mark": "1"}
    page = post_form(client, f"{url}/random", data, page=url, field="random-csrf_token").get_data(as_text=True)
    assert "Not a valid choice" in page  # not offered, so refused
    data = {"fixed-questions": [shared["convention"].id]}
    page = post_form(client, f"{url}/add", data, page=url, field="fixed-csrf_token").get_data(as_text=True)
    assert "valid choice" in page
    assert other_quiz.slots == []
    for page_url in (
        f"{url}?category={law.id}",
        f"/teach/{foreign_course.id}/questions/{shared['convention'].id}/edit?bank=academy",
        f"/teach/{foreign_course.id}/questions/{shared['convention'].id}/preview",
        f"/teach/{foreign_course.id}/questions?bank=academy&category={law.id}",
    ):
        assert client.get(page_url).status_code == 404, page_url


ACADEMY_PAGES = [
    "/teach/{course}/questions?bank=academy",
    "/teach/{course}/questions?bank=academy&category={category}",
    "/teach/{course}/questions/new?bank=academy",
    "/teach/{course}/questions/{question}/edit?bank=academy",
    "/teach/{course}/questions/{question}/preview?bank=academy",
    "/teach/{course}/questions/export?format=gift&bank=academy",
    "/teach/{course}/questions/export?format=xml&bank=academy",
]
ACADEMY_ACTIONS = [
    "/teach/{course}/questions/categories?bank=academy",
    "/teach/{course}/questions/move?bank=academy",
    "/teach/{course}/questions/import?bank=academy",
    "/teach/{course}/questions/new?bank=academy",
    "/teach/{course}/questions/{question}/edit?bank=academy",
    "/teach/{course}/questions/{question}/duplicate?bank=academy",
]


@pytest.fixture
def ids(shared, academy, quiz_course) -> dict:
    question = shared["convention"]
    return {"course": quiz_course.id, "category": question.category_id, "question": question.id}


@pytest.mark.parametrize("page", ACADEMY_PAGES)
def test_academy_bank_pages_work_for_its_trainer_and_are_404_for_another_academy(
    app, client, trainer, outsider, ids, page
):
    url = page.format(**ids)
    assert client.get(url).status_code == 200
    other = app.test_client()
    login(other, outsider)
    assert other.get(url).status_code == 404


@pytest.mark.parametrize("action", ACADEMY_ACTIONS)
def test_academy_bank_actions_are_404_for_another_academy(app, outsider, ids, academy, action):
    other = app.test_client()
    login(other, outsider)
    before = names(academy)
    token = csrf_token(other, "/dashboard")
    assert other.post(action.format(**ids), data={"csrf_token": token}).status_code == 404
    assert names(academy) == before


def test_the_services_refuse_a_trainer_of_another_academy(outsider, shared, academy):
    fields = bank.fields_of(shared["convention"])
    for call in (
        lambda: bank.require_bank_editor(outsider, academy),
        lambda: bank.create_category(outsider, academy, "Intruder"),
        lambda: bank.create_question(outsider, academy, fields),
        lambda: bank.import_questions(outsider, academy, gift_questions_of(SHARED_GIFT)),
        lambda: bank.update_question(outsider, shared["convention"], fields),
        lambda: bank.duplicate_question(outsider, shared["convention"]),
        lambda: bank.move_questions(outsider, academy, [shared["case"].id], category(academy, "Shared/Law")),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert names(academy) == {"convention", "article", "case"}


def test_registrars_and_learners_of_the_academy_cannot_edit_its_bank(users, academy):
    for role in ("registrar", "learner"):
        with pytest.raises(NotFoundError):
            bank.require_bank_editor(users[role], academy)
    bank.require_bank_editor(users["admin"], academy)
    bank.require_bank_editor(users["trainer"], academy)


# --- versions --------------------------------------------------------------------------------------------------


def test_editing_a_shared_question_used_in_attempts_makes_a_new_version(users, shared, quiz, quiz_course):
    question = shared["case"]
    authoring.add_question_slot(None, quiz, question)
    enrolments.self_enrol(users["learner"], quiz_course)
    attempt = attempts.start_attempt(users["learner"], quiz)
    fields = bank.fields_of(question)
    fields.text = "Name the court (edited)."
    assert bank.update_question(users["trainer"], question, fields) is True
    assert question.current.number == 2 and attempt.items[0].version.number == 1
    assert question.category.academy_id is not None  # the edit keeps it in the academy's bank


def test_editing_a_shared_question_through_the_page_makes_a_new_version(
    client, trainer, users, shared, academy, quiz, quiz_course, db
):
    question = shared["article"]
    authoring.add_question_slot(None, quiz, question)
    enrolments.self_enrol(users["learner"], quiz_course)
    attempts.start_attempt(users["learner"], quiz)
    url = f"/teach/{quiz_course.id}/questions/{question.id}/edit?bank=academy"
    page = client.get(url).get_data(as_text=True)
    assert "A shared question of Police Academy" in page and "saving makes a new version" in page
    data = {
        "kind": "gift",
        "source": "::article::Which article covers grooming (edited)?{#23}",
        "name": "article",
        "category": question.category_id,
        "tags": "",
        "default_mark": "1",
    }
    response = post_form(client, url, data)
    assert response.status_code == 302 and response.headers["Location"].endswith("?bank=academy")
    db.session.expire_all()
    assert question.current.number == 2 and bank.owner_of(question) == academy


# --- the CLI ---------------------------------------------------------------------------------------------------


def test_cli_imports_into_and_exports_the_academy_bank(runner, db, academy, quiz_course, tmp_path):
    gift = tmp_path / "shared.gift"
    gift.write_text(SHARED_GIFT, encoding="utf-8")
    result = runner.invoke(args=["lms", "quizzes", "import-gift", str(gift), "--academy", "police"])
    assert result.exit_code == 0, result.output
    assert names(academy) == {"convention", "article", "case"} and not names(quiz_course) & names(academy)
    out, xml = tmp_path / "out.gift", tmp_path / "out.xml"
    args = ["lms", "quizzes", "export-gift", "--academy", "police", "-o", str(out)]
    assert runner.invoke(args=args).exit_code == 0
    args = ["lms", "quizzes", "export-xml", "--academy", "police", "-o", str(xml)]
    assert runner.invoke(args=args).exit_code == 0
    first = json.loads(runner.invoke(args=["lms", "quizzes", "import-gift", str(out), "--dry-run", "--json"]).output)
    from_xml = json.loads(runner.invoke(args=["lms", "quizzes", "import-xml", str(xml), "--dry-run", "--json"]).output)
    expected = sorted(bank.to_exchange(q)["name"] for q in bank.bank_questions(academy))
    assert sorted(q["name"] for q in first["questions"]) == expected
    assert sorted(q["name"] for q in from_xml["questions"]) == expected
    assert {q["category"] for q in first["questions"]} == {"Shared/Law", "Shared/Law/Cases"}
    before = db.session.scalar(select(func.count(Question.id)))
    result = runner.invoke(args=["lms", "quizzes", "import-xml", str(xml), "--academy", "police"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Question.id))) == before + 3


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["import-gift", "{file}"], "--academy"),
        (["import-gift", "{file}", "--course", "ocsea", "--academy", "police"], "--academy"),
        (["import-xml", "{file}", "--academy", "nowhere"], "--academy"),
        (["export-gift"], "--academy"),
        (["export-xml", "--course", "ocsea", "--academy", "police"], "--course"),
        (["export-gift", "--academy", "nowhere"], "--academy"),
    ],
)
def test_cli_needs_exactly_one_known_bank(runner, quiz_course, academy, tmp_path, args, named):
    gift = tmp_path / "shared.gift"
    gift.write_text(SHARED_GIFT, encoding="utf-8")
    result = runner.invoke(args=["lms", "quizzes", *(a.format(file=gift) for a in args)])
    assert result.exit_code == 1 and named in result.output, result.output


def test_cli_dry_run_without_a_bank_still_only_validates(runner, db, tmp_path):
    gift = tmp_path / "shared.gift"
    gift.write_text(SHARED_GIFT, encoding="utf-8")
    result = runner.invoke(args=["lms", "quizzes", "import-gift", str(gift), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"questions", "errors"} and document["errors"] == [] and len(document["questions"]) == 3
    assert db.session.scalar(select(func.count(Question.id))) == 0
