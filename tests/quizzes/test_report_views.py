"""Trainers' and registrars' quiz pages: results and their CSV with filters, constant queries, grading essays,
overriding grades, regrading, item analysis against quizzes.analysis, accommodations, and who may see what."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from courses import authoring as course_authoring
from courses import enrolment as enrolments
from courses import progress
from courses.models import Enrolment
from lms.models import AuditEvent, Cohort, CohortMember
from lms.models.base import utcnow
from quizzes import attempts, bank
from quizzes.analysis import AttemptScores, ItemScore, analyse_quiz, summary_row, to_rows
from quizzes.models import Attempt, AttemptState, Question
from quizzes.reports import display, quiz_staff_links, response_key
from tests.conftest import login, post_form
from tests.quizzes.test_attempts import positions, right_form

# --- helpers -----------------------------------------------------------------------------------------------


class Tables(HTMLParser):
    """The text of each table's header and body rows, by table id, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.heads: dict[str, list[str]] = {}
        self._id = self._row = self._cell = None
        self._part = ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._id = dict(attrs).get("id", "")
            self.tables[self._id], self.heads[self._id] = [], []
        elif tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr" and self._id is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            (self.heads if self._part == "thead" else self.tables)[self._id].extend(
                [self._row] if self._part == "tbody" else self._row
            )
            self._row = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def sections(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    """A CSV of titled sections (title row, header, rows, blank row) by title."""
    found, title = {}, None
    for row in rows:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            found[title] = []
        else:
            found[title].append(row)
    return found


@contextmanager
def counted_statements():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def finish(learner, quiz, form: dict | None = None, keep: tuple[int, ...] | None = None) -> Attempt:
    """A finished attempt answering rightly (the positions in ``keep`` only, when given) plus ``form``."""
    attempt = attempts.start_attempt(learner, quiz)
    answers = {k: v for k, v in right_form(attempt).items() if keep is None or int(k[1:].split("-")[0]) in keep}
    attempts.submit_attempt(attempt, attempt.seq, {**answers, **(form or {})}, positions(attempt))
    return attempt


@pytest.fixture
def make_learner(make_user, academy, quiz_course):
    def make(username: str, **kwargs):
        user = make_user(username, roles={academy: ["learner"]}, **kwargs)
        enrolments.self_enrol(user, quiz_course)
        return user

    return make


@pytest.fixture
def trainer_client(app, users):
    client = app.test_client()
    login(client, users["trainer"])
    return client


def base_url(quiz) -> str:
    return f"/teach/{quiz.course_id}/quizzes/{quiz.id}"


# --- results -----------------------------------------------------------------------------------------------


@pytest.fixture
def three_learners(make_learner, make_quiz, academy, db):
    quiz = make_quiz()
    ana = make_learner("ana", display_name="Ana Anić", profession="police_officer", country="RS")
    bojan = make_learner("bojan", display_name="Bojan Babić", profession="judge", country="BA")
    cvijeta = make_learner("cvijeta", display_name="=Cvijeta", profession="social_worker", country="RS")
    finish(ana, quiz)
    finish(bojan, quiz, keep=(1, 2))
    finish(cvijeta, quiz, keep=(3,))
    finish(cvijeta, quiz, keep=(3, 4))
    cohort = Cohort(academy_id=academy.id, name="Intake 2025")
    cohort.members.append(CohortMember(user_id=cvijeta.id))
    db.session.add(cohort)
    db.session.commit()
    return quiz, cohort


def test_results_table_and_csv_say_the_same(trainer_client, three_learners):
    quiz, _cohort = three_learners
    page = trainer_client.get(base_url(quiz) + "/results")
    assert page.status_code == 200
    tables = Tables(page.get_data(as_text=True))
    screen = [row[:8] for row in tables.tables["results"]]
    rows = csv_rows(trainer_client.get(base_url(quiz) + "/results?format=csv"))
    assert rows[0] == tables.heads["results"][:8]
    # The CSV escapes the formula-like name; the screen shows it as written.
    assert rows[1:] == [[("'" + c if c.startswith("=") else c) for c in row] for row in screen]
    assert [r[0] for r in screen] == ["=Cvijeta", "Ana Anić", "Bojan Babić"]  # by name
    assert screen[0][4:7] == ["2", "50.00", "No"]  # the highest of 25 % and 50 %
    assert screen[1][4:7] == ["1", "100.00", "Yes"]
    assert screen[2][4:7] == ["1", "50.00", "No"]
    assert screen[2][2:4] == ["Judge", "Bosnia and Herzegovina"]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("profession=judge", ["Bojan Babić"]),
        ("country=RS", ["=Cvijeta", "Ana Anić"]),
        ("cohort={cohort}", ["=Cvijeta"]),
        ("country=RS&profession=police_officer", ["Ana Anić"]),
    ],
)
def test_results_are_filtered_on_screen_and_in_csv(trainer_client, three_learners, query, names):
    quiz, cohort = three_learners
    query = query.format(cohort=cohort.id)
    screen = Tables(trainer_client.get(f"{base_url(quiz)}/results?{query}").get_data(as_text=True))
    assert [r[0] for r in screen.tables["results"]] == names
    rows = csv_rows(trainer_client.get(f"{base_url(quiz)}/results?{query}&format=csv"))
    assert [r[0].lstrip("'") for r in rows[1:]] == names


def test_a_csv_download_is_audited(trainer_client, three_learners, db):
    quiz, _cohort = three_learners
    trainer_client.get(base_url(quiz) + "/results?format=csv&country=RS")
    event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quizzes.results_exported"))
    assert event_.details == {"rows": 2, "filters": {"country": "RS"}}


def test_staff_review_links_lead_to_each_attempt(trainer_client, three_learners, db):
    quiz, _cohort = three_learners
    html = trainer_client.get(base_url(quiz) + "/results").get_data(as_text=True)
    ids = db.session.scalars(select(Attempt.id).where(Attempt.quiz_id == quiz.id)).all()
    for attempt_id in ids:
        assert f"{base_url(quiz)}/attempts/{attempt_id}" in html
    review = trainer_client.get(f"{base_url(quiz)}/attempts/{ids[0]}").get_data(as_text=True)
    assert "Barnahus" in review and "Override grade" in review and "Right answer" in review


@pytest.mark.parametrize("page", ["results", "analysis"])
def test_pages_load_in_a_constant_number_of_queries(trainer_client, make_learner, make_quiz, page):
    quiz = make_quiz()
    counts = []
    for total in (2, 20):
        for n in range(_learners(quiz), total):
            finish(make_learner(f"many{n}", display_name=f"Learner {n:02d}"), quiz, keep=tuple(range(1, n % 4 + 2)))
        with counted_statements() as statements:
            response = trainer_client.get(f"{base_url(quiz)}/{page}")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _learners(quiz) -> int:
    from lms.extensions import db

    return len(set(db.session.scalars(select(Attempt.user_id).where(Attempt.quiz_id == quiz.id))))


# --- grading essays and overriding -------------------------------------------------------------------------


def test_grading_an_essay_completes_the_course(app, trainer_client, make_quiz, users, quiz_course, db):
    quiz_course.completion_rule = {"required_lessons": "all", "quizzes_passed": True}
    db.session.commit()
    course_authoring.publish(None, quiz_course)
    essay = next(q for q in bank.bank_questions(quiz_course) if q.name == "essay")
    fields = bank.fields_of(essay)
    fields.config = {**fields.config, "rubric": "Names the social welfare centre and the police."}
    bank.update_question(None, essay, fields)
    quiz = make_quiz(names=("sa", "essay"), pass_mark=Decimal("75"))
    learner = users["learner"]
    enrolment = enrolments.self_enrol(learner, quiz_course)
    outline = progress.build_outline(enrolment)
    for state in outline.lessons:
        progress.complete_lesson(outline, state.lesson.lesson_id)
    attempt = finish(learner, quiz)
    assert attempt.needs_grading and attempt.passed is None and enrolment.completed_at is None

    queue = trainer_client.get(base_url(quiz) + "/grading")
    html = queue.get_data(as_text=True)
    assert "Names the social welfare centre" in html and "We call the social welfare centre." in html
    item = attempt.items[1]
    url = f"{base_url(quiz)}/grading/{item.id}"
    field = f"g{item.id}-csrf_token"
    page = base_url(quiz) + "/grading"
    too_many = post_form(trainer_client, url, {f"g{item.id}-marks": "2"}, page=page, field=field)
    assert too_many.status_code == 400 and "between 0 and the question" in too_many.get_data(as_text=True)
    graded = post_form(
        trainer_client, url, {f"g{item.id}-marks": "1", f"g{item.id}-comment": "Both named."}, page=page, field=field
    )
    assert graded.status_code == 302 and graded.headers["Location"].endswith("/grading")
    assert "Nothing waits for grading." in trainer_client.get(page).get_data(as_text=True)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert (attempt.needs_grading, attempt.percent, attempt.passed) == (False, Decimal("100.000"), True)
    assert attempt.items[1].state == "correct" and attempt.items[1].comment == "Both named."
    assert db.session.get(Enrolment, enrolment.id).completed_at is not None


def test_an_override_needs_a_reason_and_is_audited(trainer_client, make_quiz, learner, db):
    quiz = make_quiz()
    attempt = finish(learner, quiz)
    item = attempt.items[2]
    review = f"{base_url(quiz)}/attempts/{attempt.id}"
    url = f"{review}/items/{item.id}/override"
    field = f"o{item.id}-csrf_token"
    refused = post_form(
        trainer_client, url, {f"o{item.id}-marks": "0", f"o{item.id}-reason": " "}, page=review, field=field
    )
    assert refused.status_code == 400 and "Say why the grade is changed." in refused.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quizzes.grade_overridden")) is None
    done = post_form(
        trainer_client,
        url,
        {f"o{item.id}-marks": "0.5", f"o{item.id}-reason": "Spelling accepted, half marks."},
        page=review,
        field=field,
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"#item-{item.id}")
    audited = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quizzes.grade_overridden"))
    assert audited.details["reason"] == "Spelling accepted, half marks." and audited.details["after"] == "0.5"
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.percent == Decimal("87.500") and attempt.items[2].overridden
    assert "overridden" in trainer_client.get(review).get_data(as_text=True)


def test_only_essays_get_the_grade_form(trainer_client, make_quiz, learner):
    quiz = make_quiz(names=("sa",))
    attempt = finish(learner, quiz)
    item = attempt.items[0]
    review = f"{base_url(quiz)}/attempts/{attempt.id}"
    response = post_form(
        trainer_client,
        f"{review}/items/{item.id}/grade",
        {f"o{item.id}-marks": "1"},
        page=review,
        field=f"o{item.id}-csrf_token",
    )
    assert response.status_code == 404


# --- regrading ---------------------------------------------------------------------------------------------


def test_regrade_after_fixing_a_question_says_whose_result_changed(
    trainer_client, make_quiz, make_learner, quiz_course
):
    quiz = make_quiz(names=("sa",))
    right = make_learner("right", display_name="Right Rita")
    fixed = make_learner("fixed", display_name="Fixed Filip")
    finish(right, quiz)
    finish(fixed, quiz, {"q1-answer": ["Children's house"]})
    question = next(q for q in bank.bank_questions(quiz_course) if q.name == "sa")
    fields = bank.fields_of(question)
    answers = [*fields.config["answers"], {"text": "Children's house", "fraction": 1.0, "feedback": ""}]
    fields.config = {**fields.config, "answers": answers}
    assert bank.update_question(None, question, fields) is True
    results = base_url(quiz) + "/results"
    response = post_form(
        trainer_client, base_url(quiz) + "/regrade", {"regrade-question": str(question.id)}, page=results,
        field="regrade-csrf_token",
    )  # fmt: skip
    assert response.status_code == 200
    rows = Tables(response.get_data(as_text=True)).tables["regrade"]
    assert rows == [["Fixed Filip", "fixed@example.org", "1", "0.00", "100.00"]]


# --- item analysis -----------------------------------------------------------------------------------------


@pytest.fixture
def analysed_quiz(make_quiz, make_learner):
    quiz = make_quiz()
    wrong_mc = None
    for n, keep in enumerate([(1, 2, 3, 4), (1, 2), (3,), (2, 3, 4), (1, 3), (1, 2, 3), ()]):
        learner = make_learner(f"a{n}", profession="judge" if n % 2 else "police_officer")
        attempt = attempts.start_attempt(learner, quiz)
        wrong_mc = wrong_mc or next(a["id"] for a in attempt.items[0].version.config["answers"] if a["fraction"] < 0)
        extra = {} if 1 in keep else {"q1-answer": [wrong_mc]}
        form = {k: v for k, v in right_form(attempt).items() if int(k[1:].split("-")[0]) in keep}
        attempts.submit_attempt(attempt, attempt.seq, {**form, **extra}, positions(attempt))
    return quiz


def _expected(quiz, db, profession: str | None = None):
    finished = db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.FINISHED)
    )
    scores = [
        AttemptScores(
            a.id,
            [
                ItemScore(i.question_id, float(i.fraction * i.max_mark), float(i.max_mark), slot=i.slot_position)
                for i in a.items
            ],
        )
        for a in finished
        if profession is None or a.user.profession == profession
    ]
    return analyse_quiz(scores)


def test_the_analysis_shows_what_quizzes_analysis_computes(trainer_client, analysed_quiz, db):
    quiz = analysed_quiz
    tables = Tables(trainer_client.get(base_url(quiz) + "/analysis").get_data(as_text=True))
    expected = _expected(quiz, db)
    names = {qid: name for qid, name in db.session.execute(select(Question.id, Question.name))}
    by_name = {row[1]: row for row in tables.tables["questions"]}
    keys = ("attempts", "facility", "standard_deviation", "discrimination_index", "discriminative_efficiency",
            "intended_weight", "effective_weight")  # fmt: skip
    for figures in to_rows(expected):
        row = by_name[names[figures["question_id"]]]
        assert row[4:11] == [display(figures[k]) for k in keys]
    summary = {row[0]: row[1:] for row in tables.tables["summary"]}
    figures = summary_row(expected)
    assert summary["Mean"] == [display(figures["mean"]), display(figures["mean_percent"])]
    assert summary["Number of graded attempts"][0] == "7"
    assert summary["Cronbach's alpha: coefficient of internal consistency (%)"][0] == display(figures["cic"])
    mc_responses = tables.tables[f"responses-{next(i for i, n in names.items() if n == 'mc')}"]
    assert ["Repeated questioning by each agency", "3", "42.86"] in mc_responses


def test_the_analysis_csv_equals_the_screen_and_follows_the_filters(trainer_client, analysed_quiz, db):
    quiz = analysed_quiz
    url = base_url(quiz) + "/analysis?profession=judge&sort=discrimination"
    tables = Tables(trainer_client.get(url).get_data(as_text=True))
    found = sections(csv_rows(trainer_client.get(url + "&format=csv")))
    assert found["Quiz summary"][1:] == tables.tables["summary"]
    assert found["Questions"][0] == tables.heads["questions"]
    assert found["Questions"][1:] == tables.tables["questions"]
    screen_responses = [
        [row[0], row[1], *cells]
        for row in tables.tables["questions"]
        for cells in tables.tables[f"responses-{_question_id(db, row[1])}"]
    ]
    assert found["Responses"][1:] == screen_responses
    assert tables.tables["summary"][0][1] == "3"  # three judges
    expected = _expected(quiz, db, profession="judge")
    assert tables.tables["summary"][2][1] == display(summary_row(expected)["mean"])
    indexes = [float(r[7]) if r[7] else None for r in tables.tables["questions"]]
    numbers = [i for i in indexes if i is not None]
    assert numbers == sorted(numbers) and indexes[: len(numbers)] == numbers


def _question_id(db, name: str) -> int:
    return db.session.scalar(select(Question.id).where(Question.name == name))


def test_questions_with_low_discrimination_are_flagged(trainer_client, analysed_quiz, db):
    tables = Tables(trainer_client.get(base_url(analysed_quiz) + "/analysis").get_data(as_text=True))
    for row in tables.tables["questions"]:
        index = float(row[7]) if row[7] else None
        if index is not None and index < 20:
            assert row[3].startswith("Review this question")
        else:
            assert row[3] == ""


def test_response_keys_are_readable():
    mc = {"single": False, "answers": [{"id": "a1", "text": "Yes"}, {"id": "a2", "text": "No"}]}
    assert response_key("multichoice", mc, ["a2", "a1"]) == "Yes; No"
    assert response_key("multichoice", mc, []) is None
    assert response_key("truefalse", {}, False) == "False"
    assert response_key("shortanswer", {"case_sensitive": False}, "  BARNAHUS ") == "barnahus"
    assert response_key("numerical", {}, "24,0") == "24"
    assert response_key("essay", {}, "A long text") == "Answered"
    order = {"items": [{"id": "i1", "text": "Report"}, {"id": "i2", "text": "Interview"}]}
    assert response_key("ordering", order, ["i2", "i1"]) == "Interview | Report"


# --- who may see what --------------------------------------------------------------------------------------


@pytest.fixture
def attempted(make_quiz, learner):
    quiz = make_quiz()
    return quiz, finish(learner, quiz)


def _pages(quiz, attempt) -> dict[str, str]:
    return {
        "results": base_url(quiz) + "/results",
        "analysis": base_url(quiz) + "/analysis",
        "review": f"{base_url(quiz)}/attempts/{attempt.id}",
        "grading": base_url(quiz) + "/grading",
    }


def test_another_academys_staff_get_404_and_learners_403(app, attempted, make_user, other_academy, users):
    quiz, attempt = attempted
    pages = _pages(quiz, attempt)
    outsiders = {
        "trainer": make_user("far-trainer", roles={other_academy: ["trainer"]}),
        "registrar": make_user("far-registrar", roles={other_academy: ["registrar"]}),
    }
    for role, user in outsiders.items():
        client = app.test_client()
        login(client, user)
        for name, url in pages.items():
            expected = 403 if (role, name) == ("registrar", "grading") else 404
            assert client.get(url).status_code == expected, (role, name)
    client = app.test_client()
    login(client, users["learner"])
    for name, url in pages.items():
        assert client.get(url).status_code == 403, name


def test_registrars_read_results_and_analysis_but_do_not_grade(app, attempted, users):
    quiz, attempt = attempted
    pages = _pages(quiz, attempt)
    client = app.test_client()
    login(client, users["registrar"])
    for name in ("results", "analysis", "review"):
        html = client.get(pages[name]).get_data(as_text=True)
        assert "Override grade" not in html and "Regrade" not in html and "Grading (" not in html, name
    assert client.get(pages["grading"]).status_code == 403
    assert post_form(client, base_url(quiz) + "/regrade", page=pages["results"]).status_code == 403


def test_staff_links_count_what_waits_for_grading(app, make_quiz, learner):
    quiz = make_quiz(names=("essay",))
    finish(learner, quiz)
    with app.test_request_context():
        links = quiz_staff_links(quiz)
    assert [label for label, _url in links] == ["Results", "Grading (1)", "Item analysis"]
    assert links[1][1] == base_url(quiz) + "/grading"


# --- accommodations ----------------------------------------------------------------------------------------


def test_a_registrar_gives_extra_time_that_the_next_attempt_gets(app, make_quiz, learner, users, db):
    quiz = make_quiz(time_limit_minutes=60)
    client = app.test_client()
    login(client, users["registrar"])
    found = client.get("/manage/accommodations?q=learner1").get_data(as_text=True)
    assert f"/manage/accommodations?user={learner.id}" in found
    url = f"/manage/accommodations?user={learner.id}"
    refused = post_form(client, url, {"extra_time_percent": "500", "extra_attempts": "0"})
    assert refused.status_code == 200 and "between 0 and 400" in refused.get_data(as_text=True)
    saved = post_form(client, url, {"extra_time_percent": "50", "extra_attempts": "1", "note": "Dyslexia"})
    assert saved.status_code == 302
    listed = Tables(client.get("/manage/accommodations").get_data(as_text=True)).tables["accommodations"]
    assert listed[0][:6] == [
        learner.display_name,
        learner.email,
        "50",
        "1",
        "Dyslexia",
        users["registrar"].display_name,
    ]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quizzes.accommodation_set")) is not None
    start = utcnow()
    attempt = attempts.start_attempt(learner, quiz, now=start)
    assert attempt.deadline_at == start + timedelta(minutes=90)


def test_accommodations_are_for_registrars_of_the_learners_academy(app, learner, users, make_user, other_academy):
    client = app.test_client()
    login(client, users["learner"])
    assert client.get("/manage/accommodations").status_code == 403
    far = make_user("far-registrar", roles={other_academy: ["registrar"]})
    client = app.test_client()
    login(client, far)
    assert client.get(f"/manage/accommodations?user={learner.id}").status_code == 404
    assert learner.email not in client.get("/manage/accommodations?q=learner1").get_data(as_text=True)
