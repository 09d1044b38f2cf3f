"""What trainers and registrars read about a quiz: results per learner, a staff review of an attempt, the
grading queue, regrade outcomes, item analysis, and learners' accommodations.

Each page loads its data in a constant number of queries (``load_*``); the ``*_rows`` functions that turn the
loaded objects into rows are pure, and the screen and its CSV download are both written from those rows, so they
say the same. Cells are typed: :func:`display` formats them for both, and :func:`csv_lines` escapes text that a
spreadsheet would run as a formula (numbers we computed are left as numbers, so ``-12.50`` stays one).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, contains_eager

from courses.models import Course
from courses.reports import csv_cell
from lms import audit
from lms.accounts.services import managed_academies, search_users
from lms.extensions import db
from lms.models import COUNTRIES, PROFESSIONS, Cohort, CohortMember, Membership, User
from quizzes.analysis import AttemptScores, ItemScore, QuizAnalysis, analyse_quiz, summary_row, to_rows
from quizzes.attempts import quiz_grade
from quizzes.bank import question_type
from quizzes.grading import RegradeChange, waiting_for_grading
from quizzes.models import GRADING_LABELS, Accommodation, Attempt, AttemptQuestion, AttemptState, Question, Quiz
from quizzes.rendering import render_text
from quizzes.translations import source_response
from quizzes.types.cloze import gaps
from quizzes.types.fields import normalise_text, parse_number, plain_number

Cell = str | int | float | Decimal | None

# Below this discrimination index (a percentage) a question hardly tells strong learners from weak ones.
LOW_DISCRIMINATION = 20.0
MAX_KEY = 200  # characters of a response shown in the frequency tables

STATE_LABELS = {
    "correct": _l("Correct"),
    "partial": _l("Partly correct"),
    "incorrect": _l("Incorrect"),
    "needs_grading": _l("Needs grading"),
    "not_answered": _l("Not answered"),
    "info": _l("Information"),
}


# --- cells and CSV -----------------------------------------------------------------------------------------


def display(value: Cell) -> str:
    """A cell as the screen and the CSV show it: numbers with two decimals, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float | Decimal):
        return f"{value:.2f}"
    return str(value)


def _csv_value(value: Cell) -> str:
    # Only text can come from people (names, answers); our numbers may start with "-" and stay numbers.
    return display(value) if isinstance(value, int | float | Decimal) else csv_cell(display(value))


def csv_lines(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """Rows as CSV lines, UTF-8 with a BOM (as the course progress report), formula-like text escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def record_export(actor: User, quiz: Quiz, kind: str, rows: int, filters: ResultFilters) -> None:
    """Audit a CSV download of a quiz's ``kind`` of report ("results", "analysis") with its filters."""
    audit.record(
        f"quizzes.{kind}_exported",
        actor=actor,
        obj=quiz,
        academy_id=quiz.course.academy_id,
        details={"rows": rows, "filters": filters.active()},
    )
    db.session.commit()


# --- filters -----------------------------------------------------------------------------------------------


@dataclass
class ResultFilters:
    cohort: int | None = None
    profession: str = ""
    country: str = ""

    def active(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


def filtered(query: Select, course: Course, filters: ResultFilters) -> Select:
    """``query`` (which joins User) narrowed to learners of a cohort of the course's academy, a profession,
    a country."""
    if filters.cohort:
        members = (
            select(CohortMember.user_id)
            .join(Cohort, Cohort.id == CohortMember.cohort_id)
            .where(CohortMember.cohort_id == filters.cohort, Cohort.academy_id == course.academy_id)
        )
        query = query.where(User.id.in_(members))
    if filters.profession:
        query = query.where(User.profession == filters.profession)
    if filters.country:
        query = query.where(User.country == filters.country)
    return query


def course_cohorts(course: Course) -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).where(Cohort.academy_id == course.academy_id).order_by(Cohort.name)))


# --- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptLink:
    attempt_id: int
    number: int
    percent: Decimal | None
    state: str  # finished | in_progress | needs_grading


@dataclass(frozen=True)
class ResultRow:
    name: str
    email: str
    profession: str
    country: str
    attempts: int
    grade: Decimal | None
    passed: str
    last_finished: str
    links: tuple[AttemptLink, ...] = ()

    def cells(self) -> list[Cell]:
        return [
            self.name,
            self.email,
            self.profession,
            self.country,
            self.attempts,
            self.grade,
            self.passed,
            self.last_finished,
        ]


def result_columns(quiz: Quiz) -> list[str]:
    return [
        _("Name"),
        _("E-mail address"),
        _("Profession"),
        _("Country"),
        _("Attempts"),
        _("Grade (%%) · %(method)s", method=GRADING_LABELS[quiz.grading_method]),
        _("Passed"),
        _("Last finished (UTC)"),
    ]


def load_attempts(quiz: Quiz, filters: ResultFilters) -> list[Attempt]:
    """The quiz's attempts of the learners the filters keep, by learner then number (two queries: the attempts
    with their learners, and the learners' memberships)."""
    query = select(Attempt).join(User, User.id == Attempt.user_id).where(Attempt.quiz_id == quiz.id)
    query = filtered(query, quiz.course, filters).order_by(User.display_name, User.id, Attempt.number)
    return list(db.session.scalars(query))


def result_rows(quiz: Quiz, attempts: list[Attempt]) -> list[ResultRow]:
    """One row per learner among ``attempts`` (ordered by learner), graded by the quiz's grading method."""
    by_user: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_user.setdefault(attempt.user_id, []).append(attempt)
    return [_result_row(quiz, own) for own in by_user.values()]


def _result_row(quiz: Quiz, attempts: list[Attempt]) -> ResultRow:
    user = attempts[0].user
    grade = quiz_grade(quiz, attempts)
    finished = [a.finished_at for a in attempts if a.state == AttemptState.FINISHED and a.finished_at]
    return ResultRow(
        name=user.display_name,
        email=user.email,
        profession=str(PROFESSIONS.get(user.profession, user.profession)),
        country=str(COUNTRIES.get(user.country, user.country)),
        attempts=len(attempts),
        grade=grade,
        passed=_passed_label(quiz, grade, attempts),
        last_finished=_minute(max(finished)) if finished else "",
        links=tuple(AttemptLink(a.id, a.number, a.percent, _attempt_state(a)) for a in attempts),
    )


def _attempt_state(attempt: Attempt) -> str:
    if attempt.state == AttemptState.IN_PROGRESS:
        return "in_progress"
    return "needs_grading" if attempt.needs_grading else "finished"


def _passed_label(quiz: Quiz, grade: Decimal | None, attempts: list[Attempt]) -> str:
    if grade is not None:
        return _("Yes") if grade >= Decimal(quiz.pass_mark) else _("No")
    if any(a.needs_grading for a in attempts if a.state == AttemptState.FINISHED):
        return _("Waiting for grading")
    return _("In progress") if any(a.state == AttemptState.IN_PROGRESS for a in attempts) else ""


def _minute(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def results_csv(quiz: Quiz, rows: list[ResultRow]) -> Iterator[str]:
    return csv_lines([result_columns(quiz), *(row.cells() for row in rows)])


# --- links for the quiz's staff ----------------------------------------------------------------------------


def waiting_count(quiz: Quiz) -> int:
    """How many responses of finished attempts wait for a trainer (one query)."""
    return db.session.scalar(
        select(func.count(AttemptQuestion.id))
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.FINISHED,
            AttemptQuestion.fraction.is_(None),
            AttemptQuestion.max_mark > 0,
        )
    )


def quiz_staff_links(quiz: Quiz, actor: User | None = None) -> list[tuple[str, str]]:
    """(label, url) of the quiz's results, grading queue (with the number waiting) and item analysis; with
    ``actor``, the grading queue only when they may grade."""
    args = {"course_id": quiz.course_id, "quiz_id": quiz.id}
    links = [(_("Results"), url_for("quizzes_reports.results", **args))]
    if actor is None or quiz.course.user_can_edit(actor):
        label = _("Grading (%(n)d)", n=waiting_count(quiz))
        links.append((label, url_for("quizzes_reports.grading", **args)))
    links.append((_("Item analysis"), url_for("quizzes_reports.analysis", **args)))
    return links


# --- responses as text -------------------------------------------------------------------------------------


def response_text(qtype: str, config: dict, response: Any) -> str:
    """A stored response as a person reads it: the chosen answers' texts, the text typed, the pairs matched
    ("" for no response)."""
    reader = _READERS.get(qtype)
    if reader is None:
        return "" if response in (None, "", [], {}) else json.dumps(response, ensure_ascii=False, sort_keys=True)
    return reader(config, response)


def response_key(qtype: str, config: dict, response: Any) -> str | None:
    """The response as item analysis counts it: :func:`response_text`, with typed text compared the way
    grading compares it, any essay counted as "Answered", and None for no response."""
    if qtype == "essay":
        return _("Answered") if str(response or "").strip() else None
    if qtype == "shortanswer" and isinstance(response, str):
        text = normalise_text(response, bool(config.get("case_sensitive")))
    elif qtype == "numerical" and isinstance(response, str) and (number := parse_number(response)) is not None:
        text = plain_number(number)
    else:
        text = response_text(qtype, config, response)
    return text[:MAX_KEY] or None


def _choices(config: dict, response: Any) -> str:
    chosen = response if isinstance(response, list) else [response]
    return "; ".join(a["text"] for a in config.get("answers", []) if a["id"] in chosen)


def _true_false(config: dict, response: Any) -> str:
    return "" if not isinstance(response, bool) else (_("True") if response else _("False"))


def _typed(config: dict, response: Any) -> str:
    return response.strip() if isinstance(response, str) else ""


def _matched(config: dict, response: Any) -> str:
    from quizzes.types.match import Match

    response = response if isinstance(response, dict) else {}
    if not response:
        return ""
    choices = Match.choices(config)
    stems = [p for p in config.get("pairs", []) if p.get("text")]
    picked = {stem: choices.get(c, "—") if isinstance(c, str) else "—" for stem, c in response.items()}
    return "; ".join(f"{p['text']} → {picked.get(p['id'], '—')}" for p in stems)


def _ordered(config: dict, response: Any) -> str:
    texts = {item["id"]: item["text"] for item in config.get("items", [])}
    order = [texts[i] for i in response if i in texts] if isinstance(response, list) else []
    return " | ".join(order)


def _gaps(config: dict, response: Any) -> str:
    response = response if isinstance(response, dict) else {}
    parts = [
        (gap.key, response_text(gap.qtype.slug, gap.config, response.get(gap.key))) for gap in gaps(config["text"])
    ]
    return "; ".join(f"{key}: {text or '—'}" for key, text in parts) if any(t for _k, t in parts) else ""


_READERS = {
    "multichoice": _choices,
    "truefalse": _true_false,
    "shortanswer": _typed,
    "numerical": _typed,
    "essay": _typed,
    "match": _matched,
    "ordering": _ordered,
    "cloze": _gaps,
    "description": lambda config, response: "",
}


# --- staff review of an attempt ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewEntry:
    item: AttemptQuestion
    name: str
    type_label: str
    text: Markup
    response: str
    right_answer: str
    rubric: str
    manual: bool
    state: str
    marks: str


def question_names(question_ids: Iterable[int]) -> dict[int, str]:
    ids = set(question_ids)
    rows = db.session.execute(select(Question.id, Question.name).where(Question.id.in_(ids or {-1})))
    return {qid: name for qid, name in rows}


def review_entries(attempt: Attempt) -> list[ReviewEntry]:
    """Every question of the attempt with the response, the right answer, marks, state and comment (two
    queries: the items with their versions, and the questions' names)."""
    names = question_names(i.question_id for i in attempt.items)
    return [_review_entry(item, names.get(item.question_id, "")) for item in attempt.items]


def _review_entry(item: AttemptQuestion, name: str) -> ReviewEntry:
    version = item.version
    qtype = question_type(version.qtype)
    return ReviewEntry(
        item=item,
        name=name,
        type_label=str(qtype.label),
        # Trainers read the source texts, whatever language the attempt was in (the response in source ids).
        text=render_text(version.text, version.text_format) if version.qtype != "cloze" else Markup(""),
        response=response_text(version.qtype, version.config, source_response(item)),
        right_answer=qtype.right_answer_summary(version.config),
        rubric=version.config.get("rubric", ""),
        manual=qtype.manual,
        state=str(STATE_LABELS.get(item.state, item.state)),
        marks=marks_text(item),
    )


def marks_text(item: AttemptQuestion) -> str:
    if item.max_mark <= 0:
        return ""
    if item.fraction is None:
        return _("Waiting for grading (of %(max)s)", max=display(item.max_mark))
    return _("%(earned)s of %(max)s", earned=display(item.fraction * item.max_mark), max=display(item.max_mark))


def earned_marks(item: AttemptQuestion) -> Decimal | None:
    return None if item.fraction is None else (item.fraction * item.max_mark).quantize(Decimal("0.01"))


# --- the grading queue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    item: AttemptQuestion
    attempt: Attempt
    learner: str
    name: str
    text: Markup
    rubric: str
    response: str


def grading_queue(quiz: Quiz) -> list[QueueEntry]:
    """Essays waiting for a trainer, oldest first, with their rubric and response (three queries)."""
    items = waiting_for_grading(quiz)
    # One query loads the attempts (with their learners); item.attempt then comes from the identity map.
    attempts = {
        a.id: a
        for a in db.session.scalars(select(Attempt).where(Attempt.id.in_({i.attempt_id for i in items} or {-1})))
    }
    names = question_names(i.question_id for i in items)
    return [_queue_entry(item, attempts[item.attempt_id], names.get(item.question_id, "")) for item in items]


def _queue_entry(item: AttemptQuestion, attempt: Attempt, name: str) -> QueueEntry:
    version = item.version
    return QueueEntry(
        item=item,
        attempt=attempt,
        learner=attempt.user.display_name,
        name=name,
        text=render_text(version.text, version.text_format),
        rubric=version.config.get("rubric", ""),
        response=response_text(version.qtype, version.config, item.response),
    )


# --- regrading ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegradeRow:
    name: str
    email: str
    attempt: int
    before: Decimal | None
    after: Decimal | None


def regrade_choices(quiz: Quiz) -> list[tuple[int, str]]:
    """The questions finished attempts of the quiz used (a fixed slot's, or drawn at random), by name."""
    used = select(AttemptQuestion.question_id).join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
    used = used.where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.FINISHED)
    rows = db.session.execute(select(Question.id, Question.name).where(Question.id.in_(used)).order_by(Question.name))
    return [(qid, name) for qid, name in rows]


def regrade_rows(changes: list[RegradeChange]) -> list[RegradeRow]:
    rows = [
        RegradeRow(c.attempt.user.display_name, c.attempt.user.email, c.attempt.number, c.before, c.after)
        for c in changes
    ]
    return sorted(rows, key=lambda r: (r.name, r.attempt))


# --- item analysis -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInfo:
    position: int
    name: str
    type_label: str


@dataclass(frozen=True)
class ResponseRow:
    response: str
    count: int
    percent: float | None

    def cells(self) -> list[Cell]:
        return [self.response, self.count, self.percent]


@dataclass(frozen=True)
class QuestionRow:
    position: int
    question_id: int
    name: str
    type_label: str
    attempts: int
    facility: float | None
    standard_deviation: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    intended_weight: float | None
    effective_weight: float | None
    flag: str
    responses: tuple[ResponseRow, ...] = ()

    def cells(self) -> list[Cell]:
        return [
            self.position,
            self.name,
            self.type_label,
            self.flag,
            self.attempts,
            self.facility,
            self.standard_deviation,
            self.discrimination_index,
            self.discriminative_efficiency,
            self.intended_weight,
            self.effective_weight,
        ]


@dataclass(frozen=True)
class SummaryRow:
    label: str
    value: Cell
    percent: Cell = None

    def cells(self) -> list[Cell]:
        return [self.label, self.value, self.percent]


@dataclass
class ItemAnalysis:
    analysis: QuizAnalysis
    summary: list[SummaryRow]
    questions: list[QuestionRow]
    legend: list[tuple[str, str]] = field(default_factory=list)


def load_analysis_items(quiz: Quiz, filters: ResultFilters) -> list[tuple[AttemptQuestion, str]]:
    """The marked items of the finished attempts the filters keep, with their attempts, versions and question
    names, in one query."""
    query = (
        select(AttemptQuestion, Question.name)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .options(contains_eager(AttemptQuestion.attempt))  # the attempt's language, for source_response
        .join(User, User.id == Attempt.user_id)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.FINISHED, AttemptQuestion.max_mark > 0)
    )
    query = filtered(query, quiz.course, filters).order_by(Attempt.id, AttemptQuestion.position)
    return [(item, name) for item, name in db.session.execute(query)]


def attempt_scores(items: Iterable[AttemptQuestion]) -> list[AttemptScores]:
    """One AttemptScores per attempt (items ordered by attempt): marks earned, response keys, quiz positions."""
    by_attempt: dict[int, list[ItemScore]] = {}
    for item in items:
        by_attempt.setdefault(item.attempt_id, []).append(_item_score(item))
    return [AttemptScores(attempt_id, scores) for attempt_id, scores in by_attempt.items()]


def _item_score(item: AttemptQuestion) -> ItemScore:
    version = item.version
    return ItemScore(
        question_id=item.question_id,
        earned=None if item.fraction is None else float(item.fraction * item.max_mark),
        max_mark=float(item.max_mark),
        # Counted per source answer, whatever language the attempt was in.
        response_key=response_key(version.qtype, version.config, source_response(item)),
        slot=item.slot_position,
    )


def question_infos(rows: Iterable[tuple[AttemptQuestion, str]]) -> dict[int, QuestionInfo]:
    infos: dict[int, QuestionInfo] = {}
    for item, name in rows:
        if item.question_id not in infos:
            label = str(question_type(item.version.qtype).label)
            infos[item.question_id] = QuestionInfo(item.slot_position, name, label)
    return infos


def item_analysis(rows: list[tuple[AttemptQuestion, str]], sort: str = "position") -> ItemAnalysis:
    """Moodle's quiz statistics of the loaded items (:func:`quizzes.analysis.analyse_quiz`) as rows; ``sort``
    "discrimination" puts the least discriminating questions first."""
    analysis = analyse_quiz(attempt_scores(item for item, _name in rows))
    questions = question_rows(analysis, question_infos(rows))
    if sort == "discrimination":
        questions.sort(key=_discrimination_order)
    return ItemAnalysis(analysis, summary_rows(analysis), questions, legend())


def _discrimination_order(row: QuestionRow) -> tuple:
    index = row.discrimination_index
    return (index is None, index if index is not None else 0.0, row.position, row.name)


def question_rows(analysis: QuizAnalysis, infos: dict[int, QuestionInfo]) -> list[QuestionRow]:
    """One row per question, by quiz position, with its responses counted."""
    responses = {q.question_id: q.responses for q in analysis.questions}
    rows = []
    for figures in to_rows(analysis):
        qid = figures["question_id"]
        info = infos.get(qid, QuestionInfo(0, str(qid), ""))
        rows.append(
            QuestionRow(
                position=info.position,
                question_id=qid,
                name=info.name,
                type_label=info.type_label,
                attempts=figures["attempts"],
                facility=figures["facility"],
                standard_deviation=figures["standard_deviation"],
                discrimination_index=figures["discrimination_index"],
                discriminative_efficiency=figures["discriminative_efficiency"],
                intended_weight=figures["intended_weight"],
                effective_weight=figures["effective_weight"],
                flag=review_flag(figures["discrimination_index"]),
                responses=tuple(_response_row(r) for r in responses[qid]),
            )
        )
    return sorted(rows, key=lambda r: (r.position, r.name))


def _response_row(count) -> ResponseRow:
    percent = None if count.percent is None else round(count.percent, 2) + 0.0
    return ResponseRow(count.response_key or _("No response"), count.count, percent)


def review_flag(discrimination_index: float | None) -> str:
    """Advice for a question that does not tell strong learners from weak ones ("" when it does, or when there
    are too few attempts to say)."""
    if discrimination_index is None:
        return ""
    if discrimination_index < 0:
        return _("Review this question: negative discrimination")
    if discrimination_index < LOW_DISCRIMINATION:
        return _("Review this question: very low discrimination")
    return ""


def summary_rows(analysis: QuizAnalysis) -> list[SummaryRow]:
    """The quiz-level figures: value (in marks, or as labelled) and its percentage of the maximum."""
    row = summary_row(analysis)
    return [
        SummaryRow(_("Number of graded attempts"), row["attempts"]),
        SummaryRow(_("Maximum marks"), row["max_total"]),
        SummaryRow(_("Mean"), row["mean"], row["mean_percent"]),
        SummaryRow(_("Median"), row["median"], row["median_percent"]),
        SummaryRow(_("Standard deviation"), row["standard_deviation"], row["standard_deviation_percent"]),
        SummaryRow(_("Skewness"), row["skewness"]),
        SummaryRow(_("Kurtosis"), row["kurtosis"]),
        SummaryRow(_("Cronbach's alpha: coefficient of internal consistency (%)"), row["cic"]),
        SummaryRow(_("Error ratio (%)"), row["error_ratio"]),
        SummaryRow(_("Standard error"), row["standard_error"], row["standard_error_percent"]),
    ]


def question_columns() -> list[str]:
    return [
        _("Position"),
        _("Question"),
        _("Type"),
        _("Advice"),
        _("Attempts"),
        _("Facility (%)"),
        _("Standard deviation (%)"),
        _("Discrimination index"),
        _("Discriminative efficiency (%)"),
        _("Intended weight (%)"),
        _("Effective weight (%)"),
    ]


def summary_columns() -> list[str]:
    return [_("Figure"), _("Value"), _("Share of the maximum marks (%)")]


def response_columns() -> list[str]:
    return [_("Position"), _("Question"), _("Response"), _("Count"), _("Share of attempts (%)")]


def legend() -> list[tuple[str, str]]:
    """What each figure means, in a sentence."""
    return [
        (_("Facility"), _("The average share of the question's marks that learners earned: high is easy.")),
        (_("Standard deviation"), _("How much the marks of the question vary between learners.")),
        (
            _("Discrimination index"),
            _(
                "The correlation of the question's marks with the rest of the quiz, from −100 to 100: above 30 "
                "is good; below 20 the question hardly tells strong learners from weak ones; negative means "
                "learners who did well elsewhere did worse here (a wrong key or a misleading text?)."
            ),  # fmt: skip
        ),
        (
            _("Discriminative efficiency"),
            _("The discrimination index as a share of the best this question could reach with these marks."),
        ),
        (_("Intended weight"), _("The question's share of the quiz's maximum marks.")),
        (_("Effective weight"), _("The question's actual share in spreading learners' totals.")),
        (
            _("Cronbach's alpha"),
            _(
                "The coefficient of internal consistency: do the questions measure the same thing? Above 75 percent "
                "is good, below 64 percent is unsatisfactory."
            ),  # fmt: skip
        ),
        (_("Error ratio"), _("The share of the spread of totals due to chance rather than ability: lower is better.")),
        (_("Standard error"), _("How far a learner's total may lie from their true score, in marks.")),
        (_("Skewness and kurtosis"), _("The shape of the totals' distribution: lopsided, and peaked or flat.")),
        (_("An empty cell"), _("Too few graded attempts, or no spread, to compute the figure.")),
    ]


def analysis_csv(report: ItemAnalysis) -> Iterator[str]:
    """The summary, the questions and the responses, each under its title, as on the screen."""
    responses = [[q.position, q.name, *r.cells()] for q in report.questions for r in q.responses]
    return csv_lines(
        [
            [_("Quiz summary")],
            summary_columns(),
            *(row.cells() for row in report.summary),
            [],
            [_("Questions")],
            question_columns(),
            *(row.cells() for row in report.questions),
            [],
            [_("Responses")],
            response_columns(),
            *responses,
        ]
    )


# --- accommodations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccommodationRow:
    user_id: int
    name: str
    email: str
    extra_time_percent: int
    extra_attempts: int
    note: str
    set_by: str
    updated_on: str


def accommodation_rows(actor: User) -> list[AccommodationRow]:
    """Accommodations of the learners of ``actor``'s academies (all for administrators), in one query."""
    set_by = aliased(User)
    query = (
        select(Accommodation, User, set_by.display_name)
        .join(User, User.id == Accommodation.user_id)
        .outerjoin(set_by, set_by.id == Accommodation.set_by_id)
    )
    if not actor.is_admin:
        academies = [a.id for a in managed_academies(actor)] or [-1]
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.academy_id.in_(academies))))
    rows = db.session.execute(query.order_by(User.display_name, User.id))
    return [
        AccommodationRow(
            user.id,
            user.display_name,
            user.email,
            acc.extra_time_percent,
            acc.extra_attempts,
            acc.note,
            by or "",
            acc.updated_at.date().isoformat() if acc.updated_at else "",
        )
        for acc, user, by in rows
    ]


def find_learners(actor: User, text: str, limit: int = 20) -> list[User]:
    """Learners of ``actor``'s academies whose name, e-mail or sign-in name contains ``text``."""
    if not text.strip():
        return []
    return search_users(actor, {"q": text, "role": "learner"}, 1, limit)[0]
