"""How far a course's quizzes and their questions are translated: the quizzes' rows of the trainer's
translation-status table (courses.translating), a quiz's list of its questions with their status, and whether
a learner reads a quiz in an outdated translation.

A quiz's title and introduction are translated like the course's texts (``Quiz.translations``, kind "quiz" of
courses.languages), in the translation form, and read by learners at once. A question's translation lives on
its current version (``QuestionVersion.translations``, see quizzes.translations) and comes from the course
package's translated GIFT files (quizzes.package); the table shows its status only. The course table gives each
quiz one row for its title and introduction and one summary row for its questions (how many are translated,
outdated, incomplete or missing per language), which links to the quiz's own list: with sixty questions a row
each would bury the course's texts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from courses import languages
from courses.models import Course, Module
from courses.translating import (
    INCOMPLETE,
    MISSING,
    OUTDATED,
    TRANSLATED,
    StatusRow,
    TranslationPart,
    status_of,
    tally,
    target_languages,
    worst,
)
from lms.extensions import db
from lms.models import User
from quizzes.attempts import _pool
from quizzes.bank import require_bank_editor
from quizzes.models import Question, QuestionVersion, Quiz, QuizSlot
from quizzes.translations import text_pairs, translation_outdated

DETAIL_ENDPOINT = "quizzes_teach.quiz_translations"


def question_status(version: QuestionVersion | None, lang: str) -> str:
    """A question's translation into ``lang``: missing (no text translated), outdated (made from other source
    texts than the current ones), incomplete (some text the source has is not translated) or translated."""
    if version is None:
        return MISSING
    translation = (version.translations or {}).get(lang)
    pairs = text_pairs(version.text, version.config or {}, translation)
    pairs = [(source, given) for source, given in pairs if source.strip()]  # texts the source leaves empty: none
    if not any(given.strip() for _source, given in pairs):
        return MISSING
    if translation_outdated(translation, version.text, version.config or {}):
        return OUTDATED
    if any(not given.strip() for _source, given in pairs):
        return INCOMPLETE
    return TRANSLATED


def quiz_questions(quiz: Quiz) -> list[Question]:
    """The questions a quiz asks or may draw, in slot order: its fixed questions, then those of each random
    draw's pool (each question once)."""
    seen: set[int] = set()
    questions: list[Question] = []
    for slot in quiz.slots:
        for question in [slot.question] if slot.question_id else _pool(slot):
            if question is not None and question.id not in seen:
                seen.add(question.id)
                questions.append(question)
    return questions


def _course_quizzes(course: Course) -> list[Quiz]:
    """The course's quizzes: the modules' in module order, then those outside a module (the final one)."""
    quizzes = db.session.scalars(
        select(Quiz)
        .outerjoin(Module, Module.id == Quiz.module_id)
        .where(Quiz.course_id == course.id)
        .order_by(Module.position.is_(None), Module.position, Quiz.id)
        .options(selectinload(Quiz.slots).joinedload(QuizSlot.question))
    ).all()
    return list(quizzes)


def _versions_languages(questions: list[Question]) -> frozenset[str]:
    return frozenset(lang for q in questions if q.current for lang in (q.current.translations or {}))


def status_rows(course: Course, langs: list[str]) -> list[StatusRow]:
    """The quizzes' rows of the course's translation-status table: per quiz, its title and introduction, then
    (when it has questions) one summary row of its questions linking to :func:`quiz_translation_status`."""
    rows: list[StatusRow] = []
    for quiz in _course_quizzes(course):
        rows.append(
            StatusRow(
                "quiz",
                quiz,
                {lang: status_of("quiz", quiz, lang) for lang in langs},
                languages=frozenset(quiz.translations or {}),
            )
        )
        questions = quiz_questions(quiz)
        if not questions:
            continue
        per_lang = {lang: [question_status(q.current, lang) for q in questions] for lang in langs}
        rows.append(
            StatusRow(
                "questions",
                quiz,
                {lang: worst(statuses) for lang, statuses in per_lang.items()},
                tally={lang: tally(statuses) for lang, statuses in per_lang.items()},
                size=len(questions),
                detail=(DETAIL_ENDPOINT, {"course_id": course.id, "quiz_id": quiz.id}),
                languages=_versions_languages(questions),
            )
        )
    return rows


def quiz_item(course: Course, item_id: int) -> Quiz | None:
    """The translation form's loader of kind "quiz": the course's quiz ``item_id``, or None."""
    quiz = db.session.get(Quiz, item_id)
    return quiz if quiz is not None and quiz.course_id == course.id else None


PART = TranslationPart(name="quizzes", rows=status_rows, items={"quiz": quiz_item})


@dataclass(frozen=True)
class QuestionRow:
    """One question of a quiz with the status of its translation into each language."""

    question: Question
    statuses: dict[str, str]


@dataclass
class QuestionTable:
    """A quiz's questions x the languages they are (or are being) translated into, with the totals."""

    quiz: Quiz
    languages: list[str]
    rows: list[QuestionRow]
    counts: dict[str, dict[str, int]]


def quiz_translation_status(actor: User | None, quiz: Quiz, extra: tuple[str, ...] = ()) -> QuestionTable:
    """The status of each question of ``quiz`` in each language its questions (or its title) are translated
    into, plus ``extra``, in the installation's order; for trainers who edit the course (others: NotFoundError)."""
    course = quiz.course
    require_bank_editor(actor, course)
    questions = quiz_questions(quiz)
    used = _versions_languages(questions) | set(quiz.translations or {}) | set(extra)
    langs = [lang for lang in target_languages(course) if lang in used]
    rows = [QuestionRow(q, {lang: question_status(q.current, lang) for lang in langs}) for q in questions]
    counts = {lang: tally([row.statuses[lang] for row in rows]) for lang in langs}
    return QuestionTable(quiz, langs, rows, counts)


def quiz_outdated(quiz: Quiz, key: str) -> bool:
    """Whether a learner reading translation ``key`` ("" = the source) reads the quiz's title and introduction
    in a translation made from other texts than the current ones."""
    translation = (quiz.translations or {}).get(key) if key else None
    if not translation:
        return False
    return translation.get("outdated") is True or languages.is_outdated(
        translation, languages.object_hash("quiz", quiz)
    )
