"""The quizzes' share of course packages (docs/course-package.md): each module's ``quiz``, the course's
``final_quiz``, and their questions in ``quizzes/<quiz-slug>.gift`` (translations in
``quizzes/<quiz-slug>.<lang>.gift``: the same questions, names and order).

On import the questions join the course's question bank, matched by category and name (so importing a
changed package edits them in place, making a new version where attempts use the old one), and each quiz gets
one fixed slot per question in file order. Quizzes with random draws export only their fixed questions.

Outdated translations are marked as lessons' are (courses.languages): a quiz's ``translations`` entry may say
``outdated: true``, and in a translated GIFT file a comment line ``// outdated: true`` just before a question
marks that question's translation. Importing stamps every other translation as current (made from the source
texts as imported); exporting writes the marks where the source has changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from courses import languages
from courses.authoring import SLUG_RE
from courses.models import Course, Module
from courses.packages import PackagePart, PartInput, PartOutput, Problems
from lms.exceptions import DomainError
from lms.extensions import db
from quizzes import bank
from quizzes.formats.gift import CATEGORY_LINE, parse_gift, write_gift
from quizzes.models import GradingMethod, Question, Quiz, QuizSlot
from quizzes.translations import translation_outdated, version_hash
from quizzes.types import ConfigError

QUIZ_KEYS = (
    "slug", "title", "translations", "pass_mark", "attempts_allowed", "time_limit_minutes", "grading_method",
    "shuffle_questions", "shuffle_answers", "questions_per_page", "counts_for_completion",
)  # fmt: skip
FOLDER = "quizzes"
UNSUPPORTED_IN_GIFT = ("ordering", "cloze")
# The comment before a question of a translated GIFT file that marks its translation outdated (GIFT readers
# ignore comments, so the file stays plain Moodle GIFT).
OUTDATED_LINE = "// outdated: true"


@dataclass
class QuizPlan:
    slug: str
    title: str
    module_slug: str | None
    settings: dict[str, Any]
    translations: dict[str, dict[str, str]]
    questions: list[bank.QuestionFields] = field(default_factory=list)
    question_translations: dict[str, list[dict]] = field(default_factory=dict)  # lang -> exchange dicts
    outdated: dict[str, list[bool]] = field(default_factory=dict)  # lang -> per question: marked outdated


def _problem(problems: Problems, message: str, path: str) -> None:
    problems.add(message, path)


def _settings(raw: dict, path: str, problems: Problems) -> dict[str, Any]:
    def number(key: str, default, low, high, integer=True):
        value = raw.get(key, default)
        if value is None and key == "time_limit_minutes":
            return None
        try:
            parsed = int(value) if integer else Decimal(str(value))
        except (TypeError, ValueError, InvalidOperation):
            parsed = None
        if parsed is None or isinstance(value, bool) or not low <= parsed <= high:
            _problem(problems, _("Give a number from %(low)s to %(high)s.", low=low, high=high), f"{path}.{key}")
            return default
        return parsed

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            _problem(problems, _("Must be true or false."), f"{path}.{key}")
            return default
        return value

    method = raw.get("grading_method", "highest")
    if method not in {m.value for m in GradingMethod}:
        _problem(problems, _("Use highest, average, first or last."), f"{path}.grading_method")
        method = "highest"
    return {
        "pass_mark": number("pass_mark", Decimal("70"), 0, 100, integer=False),
        "attempts_allowed": number("attempts_allowed", 0, 0, 100),
        "time_limit_minutes": number("time_limit_minutes", None, 1, 1440),
        "grading_method": GradingMethod(method),
        "shuffle_questions": flag("shuffle_questions", False),
        "shuffle_answers": flag("shuffle_answers", True),
        "questions_per_page": number("questions_per_page", 5, 0, 1000),
        "counts_for_completion": flag("counts_for_completion", True),
    }


def _read_quiz(raw: Any, path: str, module_slug: str | None, part: PartInput) -> QuizPlan | None:
    problems = part.problems
    if not isinstance(raw, dict):
        _problem(problems, _("Must be a mapping of keys to values."), path)
        return None
    for key in raw:
        if key not in QUIZ_KEYS:
            _problem(problems, _("Unknown key."), f"{path}.{key}")
    slug, title = str(raw.get("slug") or ""), str(raw.get("title") or "").strip()
    if not SLUG_RE.match(slug):
        _problem(problems, _("Use lowercase letters, digits and hyphens."), f"{path}.slug")
    if not title:
        _problem(problems, _("Required."), f"{path}.title")
    translations = raw.get("translations") or {}
    if not isinstance(translations, dict):
        _problem(problems, _("Must be a mapping of keys to values."), f"{path}.translations")
        translations = {}
    plan = QuizPlan(
        slug, title, module_slug, _settings(raw, path, problems), {k: dict(v) for k, v in translations.items()}
    )
    plan.questions = _questions(part, f"{FOLDER}/{slug}.gift", required=True)
    for lang in sorted(translations):
        name = f"{FOLDER}/{slug}.{lang}.gift"
        translated, lines = _parsed(part, name, required=True)
        _check_translation(plan, translated, name, problems)
        plan.question_translations[lang] = translated
        plan.outdated[lang] = _outdated_marks(part.files.get(name), lines)
    return plan


def _outdated_marks(data: bytes | None, lines: list[int]) -> list[bool]:
    """For each question starting on ``lines`` (1-based), whether the comment lines just before it hold
    :data:`OUTDATED_LINE`."""
    if data is None:
        return []
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    marks = []
    for line in lines:
        index, marked = line - 2, False
        while index >= 0 and text[index].strip().startswith("//"):
            marked = marked or _is_outdated_mark(text[index])
            index -= 1
        marks.append(marked)
    return marks


def _is_outdated_mark(line: str) -> bool:
    words = line.strip().removeprefix("//").strip().lower()
    return words in ("outdated: true", "outdated")


def _parsed(part: PartInput, name: str, required: bool) -> tuple[list[dict], list[int]]:
    """The question dicts of a GIFT file and the line each starts on; problems go to the part's list."""
    data = part.files.get(name)
    if data is None:
        if required:
            part.problems.add(_("The quiz's question file is missing."), file=name)
        return [], []
    try:
        result = parse_gift(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        part.problems.add(_("Not UTF-8 text (byte %(n)d).", n=exc.start), file=name)
        return [], []
    for error in result.errors:
        part.problems.add(error["message"], file=name, line=error["line"])
    return result.questions, result.lines


def _questions(part: PartInput, name: str, required: bool) -> list[bank.QuestionFields]:
    questions = []
    parsed, lines = _parsed(part, name, required)
    for index, question in enumerate(parsed):
        try:
            fields = bank.fields_from_exchange(question)
            bank._check(fields)
        except (ConfigError, DomainError) as exc:
            part.problems.add(bank._error_text(exc), file=name, line=lines[index] if index < len(lines) else None)
            continue
        questions.append(fields)
    if required and not parsed and name in part.files and not part.problems:
        part.problems.add(_("The quiz has no questions."), file=name)
    return questions


def _check_translation(plan: QuizPlan, translated: list[dict], name: str, problems: Problems) -> None:
    source = [(q.name, q.qtype) for q in plan.questions]
    given = [(q.get("name"), q.get("type")) for q in translated]
    if translated and given != source:
        problems.add(_("A translation must hold the same questions (names and types) in the same order."), file=name)


def check(part: PartInput) -> list[QuizPlan]:
    """Validate the quizzes of a package (see :class:`courses.packages.PackagePart`)."""
    plans: list[QuizPlan] = []
    for module_slug, path, keys in part.modules:
        if "quiz" in keys:
            plan = _read_quiz(keys["quiz"], f"{path}.quiz", module_slug, part)
            plans += [plan] if plan else []
    if "final_quiz" in part.course:
        plan = _read_quiz(part.course["final_quiz"], "final_quiz", None, part)
        plans += [plan] if plan else []
    slugs = [p.slug for p in plans]
    for slug in {s for s in slugs if slugs.count(s) > 1}:
        part.problems.add(_("Two quizzes use the slug '%(value)s'.", value=slug), file="course.yaml")
    expected = {f"{FOLDER}/{p.slug}.gift" for p in plans} | {
        f"{FOLDER}/{p.slug}.{lang}.gift" for p in plans for lang in p.question_translations
    }
    for name in sorted(set(part.files) - expected):
        part.problems.add(_("No quiz of course.yaml uses this file (misnamed?)."), file=name)
    return plans


# --- writing ---------------------------------------------------------------------------------------------------


def apply(course: Course, plans: list[QuizPlan] | None, modules: dict[str, Module]) -> None:
    """Create or update the package's quizzes and their questions in the import's transaction."""
    plans = plans or []
    existing = {q.slug: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    for plan in plans:
        quiz = existing.pop(plan.slug, None) or Quiz(course_id=course.id, slug=plan.slug)
        quiz.title = plan.title
        quiz.translations = languages.stamp(plan.translations, languages.object_hash("quiz", quiz))
        quiz.module_id = modules[plan.module_slug].id if plan.module_slug else None
        for key, value in plan.settings.items():
            setattr(quiz, key, value)
        db.session.add(quiz)
        db.session.flush()
        questions = [_upsert_question(course, fields) for fields in plan.questions]
        _translate(questions, plan.question_translations, plan.outdated)
        _set_slots(quiz, questions)
    for quiz in existing.values():  # quizzes the package no longer holds stay, unpublished (attempts keep them)
        quiz.published = False


def _upsert_question(course: Course, fields: bank.QuestionFields) -> Question:
    category = bank.category_for_path(course, fields.category_path)
    question = db.session.scalar(
        select(Question).where(Question.category_id == category.id, Question.name == fields.name.strip())
    )
    if question is None:
        return bank.add_question(None, course, fields)
    current = question.current
    same = (
        question.qtype == fields.qtype
        and current is not None
        and current.config == bank.question_type(fields.qtype).validate_config(fields.config)
        and (current.text, current.text_format) == (fields.text, fields.text_format)
    )
    if not same:
        if question.qtype != fields.qtype:
            question.archived = True
            return bank.add_question(None, course, fields)
        qtype, config = bank._check(fields)
        if bank.version_used(current.id):
            bank._new_version(question, qtype, config, fields, None)
        else:
            current.config, current.text, current.text_format = config, fields.text, fields.text_format
    question.archived = False
    return question


def _translate(questions: list[Question], translations: dict[str, list[dict]], outdated: dict[str, list[bool]]) -> None:
    """Replace the questions' translations with the package's, stamped as made from the source texts as
    imported, except those the package marks outdated."""
    for question in questions:
        question.current.translations = {}
    for lang, translated in translations.items():
        marks = outdated.get(lang, [])
        for index, (question, data) in enumerate(zip(questions, translated, strict=False)):
            qtype = bank.question_type(question.qtype)
            values = {"text": data.get("text", ""), "config": qtype.from_exchange(data)}
            if index < len(marks) and marks[index]:
                values["outdated"] = True
            # A new dict each time, so that the JSON column sees the change.
            question.current.translations = {
                **question.current.translations,
                **languages.stamp({lang: values}, version_hash(question.current)),
            }


def _set_slots(quiz: Quiz, questions: list[Question]) -> None:
    marks = {s.question_id: s.mark for s in quiz.slots if s.question_id}
    quiz.slots = []
    db.session.flush()
    for position, question in enumerate(questions, start=1):
        default = Decimal(str(bank.question_type(question.qtype).default_marks(question.current.config)))
        mark = marks.get(question.id, default)
        quiz.slots.append(QuizSlot(position=position, question_id=question.id, mark=mark))


# --- export ----------------------------------------------------------------------------------------------------


def _quiz_yaml(quiz: Quiz) -> dict[str, Any]:
    data: dict[str, Any] = {"slug": quiz.slug, "title": quiz.title}
    if quiz.translations:
        data["translations"] = languages.for_export(quiz.translations, languages.object_hash("quiz", quiz))
    pass_mark = Decimal(quiz.pass_mark)
    data.update(
        pass_mark=int(pass_mark) if pass_mark == pass_mark.to_integral_value() else float(pass_mark),
        attempts_allowed=quiz.attempts_allowed,
        time_limit_minutes=quiz.time_limit_minutes,
        grading_method=quiz.grading_method.value,
        shuffle_questions=bool(quiz.shuffle_questions),
        shuffle_answers=bool(quiz.shuffle_answers),
        questions_per_page=quiz.questions_per_page,
        counts_for_completion=bool(quiz.counts_for_completion),
    )
    return data


def _gift_files(quiz: Quiz) -> dict[str, bytes]:
    questions = [s.question for s in quiz.slots if s.question_id and s.question.qtype not in UNSUPPORTED_IN_GIFT]
    files = {f"{FOLDER}/{quiz.slug}.gift": write_gift([bank.to_exchange(q) for q in questions]).encode()}
    for lang in sorted(quiz.translations or {}):
        translated = [_translated_exchange(q, lang) for q in questions]
        marks = [_exported_outdated(q, lang) for q in questions]
        files[f"{FOLDER}/{quiz.slug}.{lang}.gift"] = _marked(write_gift(translated), marks).encode()
    return files


def _exported_outdated(question: Question, lang: str) -> bool:
    version = question.current
    return translation_outdated((version.translations or {}).get(lang), version.text, version.config)


def _marked(gift: str, marks: list[bool]) -> str:
    """GIFT text with :data:`OUTDATED_LINE` before each question marked. write_gift writes one line per
    question or ``$CATEGORY:`` line (newlines in texts are escaped), separated by blank lines."""
    if not any(marks):
        return gift
    parts, index = gift.removesuffix("\n").split("\n\n"), 0
    for position, part in enumerate(parts):
        if part.startswith(CATEGORY_LINE):
            continue
        if index < len(marks) and marks[index]:
            parts[position] = f"{OUTDATED_LINE}\n{part}"
        index += 1
    return "\n\n".join(parts) + "\n"


def _translated_exchange(question: Question, lang: str) -> dict:
    data = bank.to_exchange(question)
    found = (question.current.translations or {}).get(lang)
    if found:
        data.update(bank.question_type(question.qtype).to_exchange(found["config"]))
        data["text"] = found.get("text", data["text"])
    return data


def export(course: Course) -> PartOutput:
    """The course's published quizzes as course.yaml keys and GIFT files."""
    output = PartOutput()
    modules = {m.id: m.slug for m in course.modules}
    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.published.is_(True)).order_by(Quiz.id)
    ).all()
    for quiz in quizzes:
        if quiz.module_id in modules and "quiz" not in output.modules.get(modules[quiz.module_id], {}):
            output.modules.setdefault(modules[quiz.module_id], {})["quiz"] = _quiz_yaml(quiz)
        elif quiz.module_id is None and "final_quiz" not in output.course:
            output.course["final_quiz"] = _quiz_yaml(quiz)
        else:
            continue  # the format holds one quiz per module and one final assessment
        output.files.update(_gift_files(quiz))
    return output


PART = PackagePart(
    name="quizzes",
    check=check,
    apply=apply,
    export=export,
    course_keys=("final_quiz",),
    module_keys=("quiz",),
    folder=FOLDER,
)
