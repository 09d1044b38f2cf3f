"""The question bank: categories of a course or of an academy (shared by the academy's courses), questions and
their versions, import and export (GIFT, Moodle XML).

A bank has one owner: a course, or an academy. Trainers of the academy (and administrators) edit both the
academy's bank and its courses' banks; a course's quizzes use questions of its own bank and of its academy's.
Editing a question that an attempt already uses makes a new version (past attempts keep theirs); editing an
unused one changes its current version in place; either way the question's translations are kept, and become
outdated when the edit changes the texts they translate (quizzes.translations). Imports are all or nothing:
every question is converted and validated first, and any error means nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, select

from courses import languages
from courses.models import Course
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Academy, User
from lms.models.base import utcnow
from lms.registry import registry
from quizzes.models import AttemptQuestion, Question, QuestionCategory, QuestionVersion
from quizzes.translations import version_hash
from quizzes.types import REGISTRY, ConfigError, QuestionType

TEXT_FORMATS = ("moodle", "html", "plain", "markdown")
CATEGORY_SEPARATOR = "/"

Owner = Course | Academy  # who a bank belongs to


def question_type(slug: str) -> type[QuestionType]:
    """The registered question type ``slug``, or DomainError naming the field ``type``."""
    qtype = registry(REGISTRY).get(slug)
    if qtype is None:
        raise DomainError(_("Unknown question type '%(value)s'.", value=slug), field="type")
    return qtype


# --- owners ----------------------------------------------------------------------------------------------------


def academy_id_of(owner: Owner) -> int:
    """The academy a bank belongs to: the academy itself, or the course's."""
    return owner.id if isinstance(owner, Academy) else owner.academy_id


def user_can_edit_bank(user: User, owner: Owner) -> bool:
    """Trainers of the owning academy (and administrators) edit an academy's bank; a course's, as the course."""
    if isinstance(owner, Course):
        return owner.user_can_edit(user)
    return user.is_authenticated and (user.is_admin or "trainer" in user.roles_in(owner.id))


def require_bank_editor(actor: User | None, owner: Owner) -> None:
    """Trainers of the course's (or the academy's) academy, and administrators, edit its bank; others get
    NotFoundError (another academy's bank is invisible). ``actor`` None is the system (CLI, packages)."""
    if actor is not None and not user_can_edit_bank(actor, owner):
        raise NotFoundError(_("No such course.") if isinstance(owner, Course) else _("No such question bank."))


def owned_by(owner: Owner) -> ColumnElement[bool]:
    """The SQL condition "the category belongs to ``owner``'s bank"."""
    if isinstance(owner, Academy):
        return QuestionCategory.academy_id == owner.id
    return QuestionCategory.course_id == owner.id


def same_owner(category: QuestionCategory) -> ColumnElement[bool]:
    """The SQL condition "the category is in the same bank as ``category``" (never matching on NULL)."""
    if category.academy_id is not None:
        return QuestionCategory.academy_id == category.academy_id
    return QuestionCategory.course_id == category.course_id


def owns(owner: Owner, category: QuestionCategory) -> bool:
    """Whether ``category`` is in ``owner``'s own bank."""
    if isinstance(owner, Academy):
        return category.academy_id == owner.id
    return category.course_id == owner.id


def usable_by(course: Course, category: QuestionCategory) -> bool:
    """Whether the course's quizzes may use the category: the course's own, or one of its academy's bank."""
    return owns(course, category) or (category.academy_id is not None and category.academy_id == course.academy_id)


def owner_of(question: Question) -> Owner:
    """The course or the academy whose bank holds the question."""
    return owner_of_category(question.category)


def owner_of_category(category: QuestionCategory) -> Owner:
    """The course or the academy whose bank holds the category."""
    if category.academy_id is not None:
        return db.session.get(Academy, category.academy_id)
    return db.session.get(Course, category.course_id)


# --- categories ------------------------------------------------------------------------------------------------


def bank_categories(owner: Owner) -> list[QuestionCategory]:
    """The bank's categories ordered by path (the top category, path "", first)."""
    return list(db.session.scalars(select(QuestionCategory).where(owned_by(owner)).order_by(QuestionCategory.path)))


def course_categories(course: Course) -> list[QuestionCategory]:
    """The course's own categories ordered by path (see :func:`bank_categories`)."""
    return bank_categories(course)


def clean_path(path: str | None) -> str:
    """A category path with blank parts and surrounding spaces removed ("" is the bank's top category)."""
    parts = [p.strip() for p in (path or "").split(CATEGORY_SEPARATOR)]
    return CATEGORY_SEPARATOR.join(p for p in parts if p)


def _owner_keys(owner: Owner) -> dict[str, int | None]:
    if isinstance(owner, Academy):
        return {"course_id": None, "academy_id": owner.id}
    return {"course_id": owner.id, "academy_id": None}


def category_for_path(owner: Owner, path: str | None) -> QuestionCategory:
    """The bank's category at ``path``, created with its parents when missing (no commit)."""
    path = clean_path(path)
    found = db.session.scalar(select(QuestionCategory).where(owned_by(owner), QuestionCategory.path == path))
    if found is not None:
        return found
    if len(path) > 1000 or any(len(p) > 200 for p in path.split(CATEGORY_SEPARATOR)):
        raise DomainError(_("A category name is too long."), field="category")
    if path:
        parent = category_for_path(owner, path.rsplit(CATEGORY_SEPARATOR, 1)[0] if CATEGORY_SEPARATOR in path else "")
        name = path.rsplit(CATEGORY_SEPARATOR, 1)[-1]
        category = QuestionCategory(**_owner_keys(owner), parent_id=parent.id, name=name, path=path)
    else:
        category = QuestionCategory(**_owner_keys(owner), parent_id=None, name=_("Top"), path="")
    db.session.add(category)
    db.session.flush()
    return category


def top_category(owner: Owner) -> QuestionCategory:
    return category_for_path(owner, "")


def category_of(owner: Owner, category_id: int) -> QuestionCategory:
    """A category of ``owner``'s own bank, or NotFoundError."""
    category = db.session.get(QuestionCategory, category_id)
    if category is None or not owns(owner, category):
        raise NotFoundError(_("No such category."))
    return category


def category_of_course(course: Course, category_id: int) -> QuestionCategory:
    """A category the course's quizzes may draw from: the course's own, or its academy's; else NotFoundError."""
    category = db.session.get(QuestionCategory, category_id)
    if category is None or not usable_by(course, category):
        raise NotFoundError(_("No such category."))
    return category


def create_category(actor: User | None, owner: Owner, path: str) -> QuestionCategory:
    """Add a category (and its missing parents) to the course's or the academy's bank."""
    require_bank_editor(actor, owner)
    if not clean_path(path):
        raise DomainError(_("Give the category a name."), field="path")
    category = category_for_path(owner, path)
    audit.record("quizzes.category_created", actor=actor, obj=category, academy_id=academy_id_of(owner))
    db.session.commit()
    return category


# --- questions -------------------------------------------------------------------------------------------------


@dataclass
class QuestionFields:
    """What an editor or an import gives for a question; ``config`` is the type's (validated here)."""

    qtype: str
    name: str
    text: str
    config: dict
    text_format: str = "markdown"
    default_mark: Decimal = Decimal("1")
    tags: list[str] = field(default_factory=list)
    category_path: str | None = None


def _check(fields: QuestionFields) -> tuple[type[QuestionType], dict]:
    qtype = question_type(fields.qtype)
    if not fields.name.strip():
        raise DomainError(_("Give the question a name."), field="name")
    if len(fields.name) > 300:
        raise DomainError(_("At most %(n)d characters.", n=300), field="name")
    if fields.text_format not in TEXT_FORMATS:
        raise DomainError(_("Unknown text format '%(value)s'.", value=fields.text_format), field="text_format")
    if not fields.text.strip() and qtype.slug != "cloze":
        raise DomainError(_("Write the question's text."), field="text")
    try:
        config = qtype.validate_config(fields.config)
    except ConfigError as exc:
        raise DomainError(exc.message, field=exc.field or "config") from exc
    return qtype, config


def _new_version(
    question: Question,
    qtype: type[QuestionType],
    config: dict,
    fields: QuestionFields,
    actor,
    translations: dict | None = None,
) -> None:
    number = (
        db.session.scalar(select(func.max(QuestionVersion.number)).where(QuestionVersion.question_id == question.id))
        or 0
    )
    version = QuestionVersion(
        question_id=question.id,
        number=number + 1,
        qtype=qtype.slug,
        config_version=qtype.config_version,
        config=config,
        text=fields.text,
        text_format=fields.text_format,
        default_mark=fields.default_mark,
        translations=translations or {},
        created_by_id=actor.id if actor else None,
    )
    db.session.add(version)
    db.session.flush()
    question.current_version_id = version.id
    question.current = version


def add_question(actor: User | None, owner: Owner, fields: QuestionFields) -> Question:
    """A new question in the course's or the academy's bank (no commit: callers own the transaction)."""
    qtype, config = _check(fields)
    category = category_for_path(owner, fields.category_path)
    question = Question(
        category_id=category.id,
        name=fields.name.strip(),
        qtype=qtype.slug,
        tags=sorted({t.strip() for t in fields.tags if t.strip()}),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(question)
    db.session.flush()
    _new_version(question, qtype, config, fields, actor)
    return question


def create_question(actor: User | None, owner: Owner, fields: QuestionFields) -> Question:
    """Add a question to the course's or the academy's bank (audited)."""
    require_bank_editor(actor, owner)
    question = add_question(actor, owner, fields)
    audit.record("quizzes.question_created", actor=actor, obj=question, academy_id=academy_id_of(owner))
    db.session.commit()
    return question


def version_used(version_id: int) -> bool:
    """Whether an attempt uses the question version (editing it then makes a new version)."""
    return bool(db.session.scalar(select(exists().where(AttemptQuestion.version_id == version_id))))


def update_question(actor: User | None, question: Question, fields: QuestionFields) -> bool:
    """Save an edit; returns True when a new version was made (because attempts use the current one).

    The question stays in its bank: an academy's question is edited by trainers of that academy, whichever of
    its courses uses it."""
    owner = owner_of(question)
    require_bank_editor(actor, owner)
    if fields.qtype != question.qtype:
        raise DomainError(_("A question's type cannot change: make a new question."), field="type")
    qtype, config = _check(fields)
    question.name = fields.name.strip()
    question.tags = sorted({t.strip() for t in fields.tags if t.strip()})
    question.updated_at = utcnow()
    if fields.category_path is not None:
        question.category_id = category_for_path(owner, fields.category_path).id
    current = question.current
    versioned = current is None or version_used(current.id)
    kept = pinned_translations(current) if current is not None else {}
    if versioned:
        _new_version(question, qtype, config, fields, actor, kept)
    else:
        current.translations = kept
        current.config, current.config_version = config, qtype.config_version
        current.text, current.text_format, current.default_mark = fields.text, fields.text_format, fields.default_mark
    audit.record(
        "quizzes.question_changed",
        actor=actor,
        obj=question,
        academy_id=academy_id_of(owner),
        details={"new_version": versioned, "version": question.current.number},
    )
    db.session.commit()
    return versioned


def pinned_translations(version: QuestionVersion) -> dict:
    """The version's translations, to keep across an edit of its source: each stamped with the hash of the
    texts it was made from, so that the edit makes it outdated when it changes those texts. A translation
    without a hash (stored before hashes were kept) is taken to match the texts as they are before the edit."""
    translations = {lang: values for lang, values in (version.translations or {}).items() if isinstance(values, dict)}
    return languages.pinned(translations, version_hash(version))


def course_of(question: Question) -> Course | None:
    """The course whose bank holds the question (None for a question of an academy's bank)."""
    owner = owner_of(question)
    return owner if isinstance(owner, Course) else None


def question_of(owner: Owner, question_id: int) -> Question:
    """A question of ``owner``'s own bank, or NotFoundError."""
    question = db.session.get(Question, question_id)
    if question is None or not owns(owner, question.category):
        raise NotFoundError(_("No such question."))
    return question


def question_of_course(course: Course, question_id: int) -> Question:
    """A question the course may use: of its own bank or of its academy's; else NotFoundError."""
    question = db.session.get(Question, question_id)
    if question is None or not usable_by(course, question.category):
        raise NotFoundError(_("No such question."))
    return question


def fields_of(question: Question) -> QuestionFields:
    version = question.current
    return QuestionFields(
        qtype=question.qtype,
        name=question.name,
        text=version.text,
        config=dict(version.config),
        text_format=version.text_format,
        default_mark=Decimal(version.default_mark),
        tags=list(question.tags or []),
        category_path=question.category.path,
    )


def duplicate_question(actor: User | None, question: Question) -> Question:
    """A copy of the question (its current version) in the same category, named "... (copy)"."""
    owner = owner_of(question)
    require_bank_editor(actor, owner)
    fields = fields_of(question)
    fields.name = _("%(name)s (copy)", name=question.name)[:300]
    copy = add_question(actor, owner, fields)
    audit.record("quizzes.question_duplicated", actor=actor, obj=copy, academy_id=academy_id_of(owner))
    db.session.commit()
    return copy


def move_questions(actor: User | None, owner: Owner, question_ids: list[int], category: QuestionCategory) -> int:
    """Move questions of a bank into one of its categories (never into another bank); returns how many moved."""
    require_bank_editor(actor, owner)
    if not owns(owner, category):
        raise NotFoundError(_("No such category."))
    questions = [question_of(owner, qid) for qid in question_ids]
    for question in questions:
        question.category_id = category.id
    audit.record(
        "quizzes.questions_moved",
        actor=actor,
        obj=category,
        academy_id=academy_id_of(owner),
        details={"questions": [q.id for q in questions]},
    )
    db.session.commit()
    return len(questions)


def bank_questions(owner: Owner, category_id: int | None = None, tag: str | None = None) -> list[Question]:
    """The bank's questions (not archived), by category path and name, in one query."""
    query = (
        select(Question)
        .join(Question.category)
        .where(owned_by(owner), Question.archived.is_(False))
        .order_by(QuestionCategory.path, Question.name, Question.id)
    )
    if category_id is not None:
        query = query.where(Question.category_id == category_id)
    questions = list(db.session.scalars(query).unique())
    return [q for q in questions if tag in (q.tags or [])] if tag else questions


# --- exchange (GIFT, Moodle XML) -------------------------------------------------------------------------------


def fields_from_exchange(question: dict) -> QuestionFields:
    """QuestionFields from a question dict of :mod:`quizzes.formats`; ConfigError/DomainError when invalid."""
    qtype = question_type(question.get("type", ""))
    config = qtype.from_exchange(question)
    return QuestionFields(
        qtype=qtype.slug,
        name=question.get("name") or "",
        text=question.get("text") or "",
        config=config,
        text_format=question.get("text_format") or "moodle",
        category_path=question.get("category"),
    )


def to_exchange(question: Question) -> dict:
    """The question dict of :mod:`quizzes.formats` for a question's current version."""
    version = question.current
    qtype = question_type(version.qtype)
    data: dict[str, Any] = {
        "name": question.name,
        "text": version.text,
        "text_format": version.text_format,
        "category": question.category.path or None,
    }
    data.update(qtype.to_exchange(version.config))
    return data


def file_numbers(parsed_count: int, parse_errors: list[dict] | None) -> list[int]:
    """The position in the file (from 0) of each parsed question: the parsers number every question of the
    file, including those they could not read, which are missing from the parsed list."""
    bad = {e.get("index") for e in parse_errors or []}
    return [i for i in range(parsed_count + len(bad)) if i not in bad][:parsed_count]


def check_exchange(questions: list[dict], lines: list[int] | None, parse_errors: list[dict] | None = None):
    """Yield (position in the file, line, error or None) for each parsed question, validated by its type."""
    numbers = file_numbers(len(questions), parse_errors)
    for index, question in enumerate(questions):
        line = lines[index] if lines and index < len(lines) else None
        try:
            _check(fields_from_exchange(question))
        except (ConfigError, DomainError) as exc:
            yield numbers[index], line, exc
        else:
            yield numbers[index], line, None


@dataclass
class ImportReport:
    questions: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    created: int = 0


def import_questions(
    actor: User | None,
    owner: Owner,
    questions: list[dict],
    lines: list[int] | None = None,
    parse_errors: list[dict] | None = None,
    dry_run: bool = False,
    source: str = "",
) -> ImportReport:
    """Add parsed questions to the course's or the academy's bank, all or nothing.

    Every question is converted and validated before anything is written; errors carry the question's index
    and line. With errors (or ``dry_run``) nothing is written.
    """
    require_bank_editor(actor, owner)
    report = ImportReport(questions=questions, errors=list(parse_errors or []))
    checked = []
    for index, line, exc in check_exchange(questions, lines, parse_errors):
        if exc is not None:
            report.errors.append({"index": index, "line": line, "message": _error_text(exc)})
    if not report.errors:
        checked = [fields_from_exchange(q) for q in questions]
    if report.errors or dry_run:
        return report
    for fields in checked:
        add_question(actor, owner, fields)
    report.created = len(checked)
    audit.record(
        "quizzes.questions_imported",
        actor=actor,
        obj=owner,
        academy_id=academy_id_of(owner),
        details={"count": len(checked), "source": source},
    )
    db.session.commit()
    return report


def _error_text(exc: Exception) -> str:
    message = getattr(exc, "message", str(exc))
    where = getattr(exc, "field", "")
    return f"{where}: {message}" if where and where not in ("config",) else message
