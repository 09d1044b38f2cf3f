"""Trainers' pages under /teach/<course_id>/: the question bank (categories, questions, import and export) and
the quiz builder (settings, fixed and random questions, overrides).

The bank pages manage the course's own bank, or with ``?bank=academy`` (kept by every link and form) the shared
bank of the course's academy; a question's own pages (edit, preview, duplicate) follow the bank that holds it.
The quiz builder offers the questions and categories of both."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response as BaseResponse

from courses.authoring import get_editable_course, slugify
from courses.models import Course, Enrolment, EnrolmentStatus
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm, show_error
from lms.models import Academy, Cohort, User
from lms.sanitize import clean_html
from lms.security import access
from quizzes import authoring, bank
from quizzes.formats.gift import fraction_to_percent, parse_gift, write_gift
from quizzes.formats.moodle_xml import QUESTION_TYPES as EXCHANGE_TYPES
from quizzes.formats.moodle_xml import parse_moodle_xml, write_moodle_xml
from quizzes.models import GradingMethod, Question, QuestionCategory, Quiz, QuizOverride
from quizzes.rendering import RenderedQuestion, render_text
from quizzes.teach_forms import (
    REVIEW_ITEM_LABELS,
    REVIEW_TIME_LABELS,
    CategoryForm,
    EditorError,
    FixedSlotsForm,
    ImportForm,
    MoveForm,
    OverrideForm,
    QuestionForm,
    QuizForm,
    RandomSlotForm,
    editor_kind,
    editor_text,
    read_editor,
    split_tags,
)
from quizzes.types import ConfigError
from quizzes.types.cloze import gaps

bp = Blueprint("quizzes_teach", __name__, url_prefix="/teach", template_folder="templates")

MAX_IMPORT_BYTES = 5 * 1024 * 1024
EXPORTS = {"gift": ("text/plain; charset=utf-8", "gift"), "xml": ("application/xml", "xml")}
ACADEMY_BANK = "academy"  # the value of ?bank= that names the academy's shared bank
T = TypeVar("T")


# --- loading ---------------------------------------------------------------------------------------------------


def _course(course_id: int) -> Course:
    try:
        return get_editable_course(current_user, course_id)
    except NotFoundError:
        abort(404)


def _bank_owner(course: Course) -> bank.Owner:
    """The bank a bank page manages: the course's own, or with ``?bank=academy`` its academy's shared bank."""
    return course.academy if request.args.get("bank") == ACADEMY_BANK else course


def _bank_key(owner: bank.Owner) -> str | None:
    """The ``bank`` argument of links to ``owner``'s bank pages (None, left out of URLs, for a course's)."""
    return ACADEMY_BANK if isinstance(owner, Academy) else None


def _found(loader: Callable[..., T], *args) -> T:
    """What an ``*_of_course`` loader returns, or 404."""
    try:
        return loader(*args)
    except NotFoundError:
        abort(404)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value else None


def _show(form, exc: DomainError, aliases: dict[str, str] | None = None, fallback: str | None = None) -> None:
    """show_error, with a service's field names mapped to the form's (and unknown ones to ``fallback``)."""
    name = (aliases or {}).get(exc.field or "", exc.field)
    if fallback and not (name and name in form):
        name = fallback
    show_error(form, DomainError(exc.message, field=name))


def _category_label(category: QuestionCategory) -> str:
    return category.path or _("Top")


def _category_choices(owner: bank.Owner, categories: list[QuestionCategory] | None = None) -> list[tuple[int, str]]:
    """The bank's categories for a select; 0 stands for the top category until the bank has one."""
    categories = bank.bank_categories(owner) if categories is None else categories
    choices = [(c.id, _category_label(c)) for c in categories]
    return choices if any(not c.path for c in categories) else [(0, _("Top")), *choices]


def _category_path(owner: bank.Owner, category_id: int) -> str:
    return _found(bank.category_of, owner, category_id).path if category_id else ""


def _bank_context(course: Course, owner: bank.Owner) -> dict:
    """What every bank page's template needs to name the bank and keep ``?bank=`` in its links."""
    return {"course": course, "bank_key": _bank_key(owner), "academy": course.academy}


# --- question bank ---------------------------------------------------------------------------------------------


def _bank_forms(owner: bank.Owner, categories: list[QuestionCategory], questions: list[Question]) -> dict:
    choices = _category_choices(owner, categories)
    category_form, import_form = CategoryForm(prefix="category"), ImportForm(prefix="import")
    move_form = MoveForm(prefix="move")
    category_form.parent.choices = import_form.category.choices = choices
    move_form.category.choices = [(c.id, _category_label(c)) for c in categories]
    move_form.questions.choices = [(q.id, q.name) for q in questions]
    return {"category_form": category_form, "import_form": import_form, "move_form": move_form}


def _render_bank(course: Course, **context) -> str:
    context = {"import_errors": None, "checked": None, **context}
    owner = _bank_owner(course)
    categories = bank.bank_categories(owner)
    everything = bank.bank_questions(owner)
    category_id = request.args.get("category", type=int)
    category = _found(bank.category_of, owner, category_id) if category_id else None
    tag = request.args.get("tag") or None
    forms = _bank_forms(owner, categories, everything)
    forms.update({k: v for k, v in context.items() if k.endswith("_form")})
    return render_template(
        "quizzes/teach_bank.html",
        **_bank_context(course, owner),
        categories=categories,
        counts=Counter(q.category_id for q in everything),
        total=len(everything),
        category=category,
        tag=tag,
        tags=sorted({t for q in everything for t in q.tags or []}),
        questions=bank.bank_questions(owner, category.id if category else None, tag),
        labels={slug: bank.question_type(slug).label for slug in {q.qtype for q in everything}},
        exchange_types=EXCHANGE_TYPES,
        action_form=EmptyForm(),
        **forms,
        **{k: v for k, v in context.items() if not k.endswith("_form")},
    )


@bp.route("/<int:course_id>/questions", endpoint="bank")
@access("trainer")
def bank_page(course_id: int):
    """The question bank (the course's, or with ?bank=academy the academy's shared one): categories with counts,
    questions filtered by category and tag, import and export."""
    return _render_bank(_course(course_id))


@bp.route("/<int:course_id>/questions/categories", methods=["POST"])
@access("trainer")
def category_create(course_id: int):
    course = _course(course_id)
    owner = _bank_owner(course)
    form = CategoryForm(prefix="category")
    form.parent.choices = _category_choices(owner)
    if form.validate_on_submit():
        path = "/".join(p for p in (_category_path(owner, form.parent.data), form.name.data) if p)
        try:
            category = bank.create_category(current_user, owner, path)
        except DomainError as exc:
            _show(form, exc, {"path": "name"})
        else:
            flash(_("The category %(name)s has been added.", name=category.path), "success")
            return redirect(url_for(".bank", course_id=course.id, category=category.id, bank=_bank_key(owner)))
    return _render_bank(course, category_form=form)


@bp.route("/<int:course_id>/questions/move", methods=["POST"])
@access("trainer")
def bank_move(course_id: int):
    course = _course(course_id)
    owner = _bank_owner(course)
    form = MoveForm(prefix="move")
    form.category.choices = [(c.id, _category_label(c)) for c in bank.bank_categories(owner)]
    form.questions.choices = [(q.id, q.name) for q in bank.bank_questions(owner)]
    if form.validate_on_submit():
        category = _found(bank.category_of, owner, form.category.data)
        try:
            moved = bank.move_questions(current_user, owner, form.questions.data, category)
        except DomainError as exc:
            _show(form, exc)
        else:
            flash(ngettext("%(num)d question moved.", "%(num)d questions moved.", moved), "success")
            return redirect(url_for(".bank", course_id=course.id, category=category.id, bank=_bank_key(owner)))
    return _render_bank(course, move_form=form)


def _read_upload(form: ImportForm):
    """The uploaded file parsed as GIFT or Moodle XML (by its extension), or None with an error on the field."""
    upload = form.file.data
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        form.file.errors.append(_("The file is larger than %(mb)d MB.", mb=MAX_IMPORT_BYTES // 1048576))
        return None
    if (upload.filename or "").lower().endswith(".xml"):
        return parse_moodle_xml(data)
    try:
        return parse_gift(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        form.file.errors.append(_("A GIFT file must be UTF-8 text."))
        return None


def _numbered(parsed, report: bank.ImportReport) -> list[dict]:
    """Import errors with the question's number in the file (errors count from 0), sorted by line."""
    rows = [dict(e, number=e["index"] + 1) for e in report.errors]
    return sorted(rows, key=lambda e: (e.get("line") or 0, e["number"]))


@bp.route("/<int:course_id>/questions/import", methods=["POST"])
@access("trainer")
def bank_import(course_id: int):
    """Import a GIFT or Moodle XML file, all or nothing (or only check it)."""
    course = _course(course_id)
    owner = _bank_owner(course)
    form = ImportForm(prefix="import")
    form.category.choices = _category_choices(owner)
    errors, checked = None, None
    if form.validate_on_submit() and (parsed := _read_upload(form)) is not None:
        default = _category_path(owner, form.category.data) or None
        for question in parsed.questions:
            question["category"] = question.get("category") or default
        report = bank.import_questions(
            current_user,
            owner,
            parsed.questions,
            parsed.lines,
            parsed.errors,
            form.dry_run.data,
            form.file.data.filename,
        )
        errors = _numbered(parsed, report)
        if not errors and not form.dry_run.data:
            flash(ngettext("%(num)d question imported.", "%(num)d questions imported.", report.created), "success")
            return redirect(url_for(".bank", course_id=course.id, bank=_bank_key(owner)))
        checked = None if errors else len(parsed.questions)
    return _render_bank(course, import_form=form, import_errors=errors, checked=checked)


@bp.route("/<int:course_id>/questions/export")
@access("trainer")
def bank_export(course_id: int):
    """The bank (or one category) as a GIFT or Moodle XML download; types the formats lack are left out."""
    owner = _bank_owner(_course(course_id))
    fmt = request.args.get("format", "gift")
    if fmt not in EXPORTS:
        abort(404)
    category_id = request.args.get("category", type=int)
    category = _found(bank.category_of, owner, category_id) if category_id else None
    questions = bank.bank_questions(owner, category.id if category else None)
    exchange = [bank.to_exchange(q) for q in questions if q.qtype in EXCHANGE_TYPES]
    data = write_gift(exchange) if fmt == "gift" else write_moodle_xml(exchange)
    mimetype, extension = EXPORTS[fmt]
    name = owner.slug + (f"-{slugify(category.path)}" if category and category.path else "")
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"', "Cache-Control": "no-store"},
    )


# --- question editor -------------------------------------------------------------------------------------------


def _question_form(owner: bank.Owner, question: Question | None) -> QuestionForm:
    form = QuestionForm()
    form.category.choices = _category_choices(owner)
    if question is not None:
        form.kind.data = editor_kind(question.qtype)  # a question's type never changes
        if request.method == "GET":
            version = question.current
            form.source.data = editor_text(bank.to_exchange(question), version.config)
            form.name.data, form.tags.data = question.name, ", ".join(question.tags or [])
            form.category.data, form.default_mark.data = question.category_id, version.default_mark
            form.general_feedback.data = version.config.get("general_feedback", "")
    return form


def _question_fields(owner: bank.Owner, form: QuestionForm, question: Question | None) -> bank.QuestionFields | None:
    """QuestionFields from the editor, or None with the errors put on the text field."""
    grading = question.current.config.get("grading") if question is not None else None
    try:
        fields = bank.fields_from_exchange(
            read_editor(form.kind.data, form.source.data, form.general_feedback.data or "", grading)
        )
    except EditorError as exc:
        form.source.errors = [*form.source.errors, *exc.messages]
        return None
    except (ConfigError, DomainError) as exc:
        form.source.errors = [*form.source.errors, exc.message]
        return None
    fields.name = (form.name.data or "").strip() or fields.name
    fields.tags = split_tags(form.tags.data)
    fields.default_mark = Decimal("1") if form.default_mark.data is None else form.default_mark.data
    fields.category_path = _category_path(owner, form.category.data)
    if fields.qtype == "cloze":
        fields.text = ""  # the markup (the answer key) lives in the config only
    return fields


def _render_question_form(course: Course, owner: bank.Owner, form: QuestionForm, question: Question | None) -> str:
    used = question is not None and bank.version_used(question.current_version_id)
    return render_template(
        "quizzes/teach_question_form.html",
        **_bank_context(course, owner),
        form=form,
        question=question,
        used=used,
        type_label=bank.question_type(question.qtype).label if question else None,
    )


@bp.route("/<int:course_id>/questions/new", methods=["GET", "POST"])
@access("trainer")
def question_create(course_id: int):
    course = _course(course_id)
    owner = _bank_owner(course)
    form = _question_form(owner, None)
    if request.method == "GET" and (category_id := request.args.get("category", type=int)):
        form.category.data = category_id
    if form.validate_on_submit() and (fields := _question_fields(owner, form, None)) is not None:
        try:
            question = bank.create_question(current_user, owner, fields)
        except DomainError as exc:
            _show(form, exc, fallback="source")
        else:
            flash(_("The question %(name)s has been added.", name=question.name), "success")
            return redirect(url_for(".bank", course_id=course.id, category=question.category_id, bank=_bank_key(owner)))
    return _render_question_form(course, owner, form, None)


@bp.route("/<int:course_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@access("trainer")
def question_edit(course_id: int, question_id: int):
    """Edit a question of the course's bank or of its academy's (which stays in the academy's bank)."""
    course = _course(course_id)
    question = _found(bank.question_of_course, course, question_id)
    owner = bank.owner_of(question)
    form = _question_form(owner, question)
    if form.validate_on_submit() and (fields := _question_fields(owner, form, question)) is not None:
        try:
            versioned = _found(bank.update_question, current_user, question, fields)
        except DomainError as exc:
            _show(form, exc, fallback="source")
        else:
            _saved_message(question, versioned)
            return redirect(_question_url(".question_edit", course, question))
    return _render_question_form(course, owner, form, question)


def _question_url(endpoint: str, course: Course, question: Question, **values) -> str:
    """The URL of one of a question's pages, naming the bank that holds it."""
    key = _bank_key(bank.owner_of(question))
    return url_for(endpoint, course_id=course.id, question_id=question.id, bank=key, **values)


def _saved_message(question: Question, versioned: bool) -> None:
    if versioned:
        message = _(
            "Saved as version %(n)d: attempts used the previous version, and keep it; new attempts get this one.",
            n=question.current.number,
        )
    else:
        message = _("Saved (version %(n)d: no attempt has used it yet).", n=question.current.number)
    flash(message, "success")


@bp.route("/<int:course_id>/questions/<int:question_id>/duplicate", methods=["POST"])
@access("trainer")
def question_duplicate(course_id: int, question_id: int):
    course = _course(course_id)
    question = _found(bank.question_of_course, course, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    copy = _found(bank.duplicate_question, current_user, question)
    flash(_("The copy %(name)s has been made.", name=copy.name), "success")
    return redirect(_question_url(".question_edit", course, copy))


def _preview(question: Question, seed: int) -> RenderedQuestion:
    """The learner's view of the question's current version (as quizzes.rendering builds it for attempts)."""
    version = question.current
    qtype = bank.question_type(version.qtype)
    view = qtype.learner_view(version.config, random.Random(seed), True)
    widget = view.get("widget", "none")
    text = Markup("") if widget == "cloze" else render_text(version.text, version.text_format)
    if widget == "cloze":
        view = dict(view, parts=[p if "gap" in p else _html_part(p["text"]) for p in view["parts"]])
    marks = f"{Decimal(str(qtype.default_marks(version.config))).normalize():f}"
    return RenderedQuestion(position=1, prefix="q1-", text=text, widget=widget, view=view, marks=marks)


def _html_part(text: str) -> dict:
    return {"html": Markup(clean_html(text))}  # noqa: S704 - sanitized by clean_html


def _answer_rows(question: Question) -> list[dict]:
    """Every answer with its mark in % and feedback (a cloze question's by gap), for the trainer only."""
    config = question.current.config
    if question.qtype == "cloze":
        rows = [
            {"gap": gap.key, **answer, "text": answer.get("text", answer.get("value", ""))}
            for gap in gaps(config["text"])
            for answer in gap.config["answers"]
        ]
    else:
        rows = bank.question_type(question.qtype).to_exchange(config).get("answers", [])
    return [dict(row, percent=fraction_to_percent(row.get("fraction", 0))) for row in rows]


@bp.route("/<int:course_id>/questions/<int:question_id>/preview")
@access("trainer")
def question_preview(course_id: int, question_id: int):
    """The question as a learner sees it, then (for the trainer only) the right answer and the feedback."""
    course = _course(course_id)
    question = _found(bank.question_of_course, course, question_id)
    seed = request.args.get("seed", 1, type=int)
    qtype = bank.question_type(question.qtype)
    config = question.current.config
    return render_template(
        "quizzes/teach_question_preview.html",
        **_bank_context(course, bank.owner_of(question)),
        question=question,
        label=qtype.label,
        rendered=_preview(question, seed),
        seed=seed,
        summary=qtype.right_answer_summary(config),
        answers=_answer_rows(question),
        exchange=qtype.to_exchange(config),
    )


# --- quizzes ---------------------------------------------------------------------------------------------------


def _question_count(quiz: Quiz) -> int:
    return sum(1 if slot.question_id else slot.count for slot in quiz.slots)


def _total_marks(quiz: Quiz) -> Decimal:
    return sum((slot.mark * (1 if slot.question_id else slot.count) for slot in quiz.slots), Decimal("0"))


@bp.route("/<int:course_id>/quizzes")
@access("trainer")
def quiz_list(course_id: int):
    course = _course(course_id)
    return render_template(
        "quizzes/teach_quiz_list.html",
        course=course,
        quizzes=authoring.course_quizzes(course),
        modules={m.id: m.title for m in course.modules},
        question_count=_question_count,
    )


def _quiz_form(course: Course, quiz: Quiz | None) -> QuizForm:
    form = QuizForm(obj=quiz)
    form.module_id.choices = [(0, _("None: the course's final assessment")), *((m.id, m.title) for m in course.modules)]
    if quiz is not None and request.method == "GET":
        form.module_id.data = quiz.module_id or 0
        form.grading_method.data = quiz.grading_method.value
        form.set_review(quiz.review)
    elif quiz is None and request.method == "GET":
        form.set_review(authoring.default_review())
    return form


def _quiz_fields(form: QuizForm) -> authoring.QuizFields:
    return authoring.QuizFields(
        title=form.title.data,
        slug=form.slug.data or slugify(form.title.data),
        module_id=form.module_id.data or None,
        intro=form.intro.data or "",
        pass_mark=form.pass_mark.data,
        attempts_allowed=form.attempts_allowed.data or 0,
        grading_method=GradingMethod(form.grading_method.data),
        open_at=_utc(form.open_at.data),
        close_at=_utc(form.close_at.data),
        time_limit_minutes=form.time_limit_minutes.data,
        shuffle_questions=form.shuffle_questions.data,
        shuffle_answers=form.shuffle_answers.data,
        questions_per_page=form.questions_per_page.data or 0,
        review=form.review_data(),
        counts_for_completion=form.counts_for_completion.data,
        published=form.published.data,
    )


def _render_quiz_form(course: Course, form: QuizForm, quiz: Quiz | None) -> str:
    return render_template(
        "quizzes/teach_quiz_form.html",
        course=course,
        form=form,
        quiz=quiz,
        time_labels=REVIEW_TIME_LABELS,
        item_labels=REVIEW_ITEM_LABELS,
    )


@bp.route("/<int:course_id>/quizzes/new", methods=["GET", "POST"])
@access("trainer")
def quiz_create(course_id: int):
    course = _course(course_id)
    form = _quiz_form(course, None)
    if form.validate_on_submit():
        try:
            quiz = authoring.create_quiz(current_user, course, _quiz_fields(form))
        except DomainError as exc:
            _show(form, exc)
        else:
            flash(_("The quiz has been created. Now add its questions."), "success")
            return redirect(url_for(".quiz_questions", course_id=course.id, quiz_id=quiz.id))
    return _render_quiz_form(course, form, None)


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@access("trainer")
def quiz_edit(course_id: int, quiz_id: int):
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    form = _quiz_form(course, quiz)
    if form.validate_on_submit():
        try:
            authoring.update_quiz(current_user, quiz, _quiz_fields(form))
        except DomainError as exc:
            _show(form, exc)
        else:
            flash(_("The quiz settings have been saved."), "success")
            return redirect(url_for(".quiz_edit", course_id=course.id, quiz_id=quiz.id))
    return _render_quiz_form(course, form, quiz)


# --- a quiz's questions ----------------------------------------------------------------------------------------


def _usable_label(course: Course, category: QuestionCategory) -> str:
    """A category's name in the quiz builder: shared ones of the academy say so."""
    if category.academy_id is None:
        return _category_label(category)
    return _("Shared (%(academy)s): %(category)s", academy=course.academy.name, category=_category_label(category))


def _usable_categories(course: Course) -> list[tuple[int, str]]:
    """The categories the course's quizzes may use, labelled: the course's own, then its academy's shared ones."""
    categories = bank.bank_categories(course) + bank.bank_categories(course.academy)
    return [(c.id, _usable_label(course, c)) for c in categories]


def _question_label(course: Course, question: Question) -> str:
    label = f"{question.name} ({bank.question_type(question.qtype).label})"
    if question.category.academy_id is None:
        return label
    return f"{label} · " + _("shared by %(academy)s", academy=course.academy.name)


def _slot_forms(course: Course, quiz: Quiz, category_id: int | None) -> tuple[FixedSlotsForm, RandomSlotForm]:
    """The forms adding fixed questions and random draws, offering the course's bank and its academy's."""
    fixed, drawn = FixedSlotsForm(prefix="fixed"), RandomSlotForm(prefix="random")
    everything = bank.bank_questions(course) + bank.bank_questions(course.academy)
    taken = {slot.question_id for slot in quiz.slots}
    fixed.questions.choices = [
        (q.id, _question_label(course, q))
        for q in everything
        if q.id not in taken and category_id in (None, q.category_id)
    ]
    counts = Counter(q.category_id for q in everything)
    drawn.category.choices = [(cid, f"{label} ({counts.get(cid, 0)})") for cid, label in _usable_categories(course)]
    return fixed, drawn


def _render_quiz_questions(course: Course, quiz: Quiz, **forms) -> str:
    category_id = request.args.get("category", type=int)
    category = _found(bank.category_of_course, course, category_id) if category_id else None
    fixed, drawn = _slot_forms(course, quiz, category.id if category else None)
    return render_template(
        "quizzes/teach_quiz_questions.html",
        course=course,
        quiz=quiz,
        fixed_form=forms.get("fixed_form", fixed),
        random_form=forms.get("random_form", drawn),
        categories=_usable_categories(course),
        category=category,
        academy=course.academy,
        total=_total_marks(quiz),
        question_count=_question_count(quiz),
        labels={
            slot.question.qtype: bank.question_type(slot.question.qtype).label for slot in quiz.slots if slot.question
        },
        action_form=EmptyForm(),
    )


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/questions")
@access("trainer")
def quiz_questions(course_id: int, quiz_id: int):
    """The quiz's slots in order with their marks; forms to add bank questions and random draws."""
    course = _course(course_id)
    return _render_quiz_questions(course, _found(authoring.quiz_of_course, course, quiz_id))


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/questions/add", methods=["POST"])
@access("trainer")
def slot_add_questions(course_id: int, quiz_id: int):
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    form, _drawn = _slot_forms(course, quiz, None)
    if form.validate_on_submit():
        try:
            for question_id in form.questions.data:
                question = _found(bank.question_of_course, course, question_id)
                authoring.add_question_slot(current_user, quiz, question, form.mark.data)
        except DomainError as exc:
            _show(form, exc, {"question": "questions"})
        else:
            count = len(form.questions.data)
            flash(ngettext("%(num)d question added.", "%(num)d questions added.", count), "success")
            return redirect(url_for(".quiz_questions", course_id=course.id, quiz_id=quiz.id))
    return _render_quiz_questions(course, quiz, fixed_form=form)


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/questions/random", methods=["POST"])
@access("trainer")
def slot_add_random(course_id: int, quiz_id: int):
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    _fixed, form = _slot_forms(course, quiz, None)
    if form.validate_on_submit():
        category = _found(bank.category_of_course, course, form.category.data)
        try:
            authoring.add_random_slot(
                current_user,
                quiz,
                category,
                form.count.data,
                split_tags(form.tags.data),
                form.mark.data,
                form.include_subcategories.data,
            )
        except DomainError as exc:
            _show(form, exc)
        else:
            flash(_("The random questions have been added."), "success")
            return redirect(url_for(".quiz_questions", course_id=course.id, quiz_id=quiz.id))
    return _render_quiz_questions(course, quiz, random_form=form)


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/slots/<int:slot_id>/<action>", methods=["POST"])
@access("trainer")
def slot_action(course_id: int, quiz_id: int, slot_id: int, action: str):
    """Move a slot up or down, or remove it."""
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    if action not in ("up", "down", "remove") or not EmptyForm().validate_on_submit():
        abort(400)
    if action == "remove":
        _found(authoring.remove_slot, current_user, quiz, slot_id)
        flash(_("The question has been removed from the quiz."), "info")
    else:
        _found(authoring.move_slot, current_user, quiz, slot_id, -1 if action == "up" else 1)
    return redirect(url_for(".quiz_questions", course_id=course.id, quiz_id=quiz.id))


# --- overrides -------------------------------------------------------------------------------------------------


def _enrolled_learner(course: Course, who: str) -> User | None:
    """The learner enrolled in the course with this e-mail address or sign-in name."""
    who = who.strip().lower()
    return db.session.scalar(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.status != EnrolmentStatus.UNENROLLED)
        .where(or_(func.lower(User.email) == who, func.lower(User.username) == who))
    )


def _cohorts(course: Course) -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).where(Cohort.academy_id == course.academy_id).order_by(Cohort.name)))


def _set_override(course: Course, quiz: Quiz, form: OverrideForm) -> bool:
    """Call the service with the learner or cohort the form names; False with the error on the form."""
    user = _enrolled_learner(course, form.learner.data) if form.learner.data else None
    if form.learner.data and user is None:
        form.learner.errors.append(_("No learner enrolled in this course has this e-mail address or sign-in name."))
        return False
    fields = authoring.OverrideFields(
        open_at=_utc(form.open_at.data),
        close_at=_utc(form.close_at.data),
        time_limit_minutes=form.time_limit_minutes.data,
        attempts_allowed=form.attempts_allowed.data,
    )
    cohort = db.session.get(Cohort, form.cohort.data) if form.cohort.data else None
    try:
        authoring.set_override(current_user, quiz, fields, user=user, cohort=cohort)
    except DomainError as exc:
        _show(form, exc, {"target": "learner"})
        return False
    return True


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/overrides", methods=["GET", "POST"])
@access("trainer")
def overrides(course_id: int, quiz_id: int):
    """Other dates, time limit or attempts for one learner or one cohort."""
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    form = OverrideForm()
    form.cohort.choices = [(0, _("No cohort")), *((c.id, c.name) for c in _cohorts(course))]
    if form.validate_on_submit() and _set_override(course, quiz, form):
        flash(_("The override has been saved."), "success")
        return redirect(url_for(".overrides", course_id=course.id, quiz_id=quiz.id))
    rows = list(
        db.session.scalars(select(QuizOverride).where(QuizOverride.quiz_id == quiz.id).order_by(QuizOverride.id))
    )
    user_ids = [o.user_id for o in rows if o.user_id]
    return render_template(
        "quizzes/teach_overrides.html",
        course=course,
        quiz=quiz,
        form=form,
        overrides=rows,
        users={u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))},
        cohorts={c.id: c for c in _cohorts(course)},
        action_form=EmptyForm(),
    )


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/overrides/<int:override_id>/delete", methods=["POST"])
@access("trainer")
def override_delete(course_id: int, quiz_id: int, override_id: int) -> BaseResponse:
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    _found(authoring.delete_override, current_user, quiz, override_id)
    flash(_("The override has been deleted."), "info")
    return redirect(url_for(".overrides", course_id=course.id, quiz_id=quiz.id))
