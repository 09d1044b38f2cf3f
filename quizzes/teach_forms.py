"""Trainers' forms for the question bank and the quiz builder (validation only), and the question editor's text
read into a question dict of :mod:`quizzes.formats` (pure: no database, no request)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from courses.forms import MultiCheckboxField
from quizzes.formats.gift import BLANK, default_name, parse_gift, write_gift
from quizzes.models import GRADING_LABELS, REVIEW_ITEMS, REVIEW_TIMES
from quizzes.types import ConfigError
from quizzes.types.cloze import parse_cloze
from quizzes.types.ordering import ABSOLUTE_POSITION

# What the editor's text holds: GIFT (every type GIFT can write), Moodle's cloze markup, or ordering items.
EDITOR_KINDS = {
    "gift": _l("GIFT (choice, true/false, short answer, numerical, matching, essay, description)"),
    "cloze": _l("Cloze (embedded answers), in Moodle's syntax"),
    "ordering": _l("Ordering: the question, then one item per line in the right order"),
}
REVIEW_TIME_LABELS = {"after_submit": _l("Right after the attempt"), "after_close": _l("After the quiz closes")}
REVIEW_ITEM_LABELS = {
    "responses": _l("The learner's responses"),
    "marks": _l("Marks"),
    "feedback": _l("Feedback"),
    "right_answers": _l("Right answers"),
}
MARK_RANGE = NumberRange(min=0, max=1000)


class EditorError(ValueError):
    """The editor's text cannot be read; ``messages`` say why (with the line, for GIFT)."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


def split_tags(text: str | None) -> list[str]:
    """A comma-separated list of tags, blanks dropped."""
    return [tag.strip() for tag in (text or "").split(",") if tag.strip()]


# --- question bank ---------------------------------------------------------------------------------------------


class CategoryForm(FlaskForm):
    parent = SelectField(_l("Inside"), coerce=int)
    name = StringField(_l("Name of the new category"), validators=[DataRequired(), Length(max=200)])


class MoveForm(FlaskForm):
    questions = SelectMultipleField(
        _l("Questions"), coerce=int, validators=[DataRequired(message=_l("Choose at least one question."))]
    )
    category = SelectField(_l("Move the chosen questions to"), coerce=int)


class ImportForm(FlaskForm):
    file = FileField(
        _l("GIFT (.gift, .txt) or Moodle XML (.xml) file"),
        validators=[FileRequired(), FileAllowed(["gift", "txt", "xml"], _l("Upload a .gift, .txt or .xml file."))],
    )
    category = SelectField(_l("Category for questions that name none ($CATEGORY)"), coerce=int)
    dry_run = BooleanField(_l("Only check the file (import nothing)"))


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Text format"), choices=list(EDITOR_KINDS.items()), default="gift")
    source = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=60_000)], render_kw={"rows": 14})
    name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=300)])
    category = SelectField(_l("Category"), coerce=int)
    tags = StringField(_l("Tags (comma-separated)"), validators=[Optional(), Length(max=500)])
    default_mark = DecimalField(_l("Default mark"), default=Decimal("1"), validators=[Optional(), MARK_RANGE])
    general_feedback = TextAreaField(
        _l("General feedback (cloze and ordering; in GIFT write it after ####)"),
        validators=[Optional(), Length(max=20_000)],
        render_kw={"rows": 3},
    )


def editor_kind(qtype: str) -> str:
    """Which editor text a question type is written in."""
    return qtype if qtype in ("cloze", "ordering") else "gift"


def editor_text(exchange: dict, config: dict) -> str:
    """The editor's text for a question: its exchange dict as GIFT, its cloze markup, or its ordering items."""
    kind = editor_kind(exchange["type"])
    if kind == "cloze":
        return config["text"]
    if kind == "ordering":
        return "\n".join([exchange["text"], "", *(item["text"] for item in config["items"])])
    # The category has its own field, so no $CATEGORY line.
    return write_gift([{**exchange, "category": None}]).strip()


def read_editor(kind: str, source: str, general_feedback: str = "", grading: str | None = None) -> dict:
    """The question dict for the editor's text; EditorError with line-accurate messages when it is wrong."""
    if kind == "cloze":
        return _cloze(source, general_feedback)
    if kind == "ordering":
        return _ordering(source, general_feedback, grading or ABSOLUTE_POSITION)
    result = parse_gift(source)
    if result.errors:
        raise EditorError(*(_("Line %(n)d: %(message)s", n=e["line"], message=e["message"]) for e in result.errors))
    if len(result.questions) != 1:
        raise EditorError(
            _("Write exactly one question (found %(n)d): no blank lines inside it.", n=len(result.questions))
        )
    return result.questions[0]


def _cloze(source: str, general_feedback: str) -> dict:
    text = source.strip()
    try:
        parts = parse_cloze(text)
    except ConfigError:
        parts = [text]  # the type's validation reports the problem
    name = default_name("".join(p if isinstance(p, str) else BLANK for p in parts))
    return {"type": "cloze", "name": name, "text": text, "text_format": "moodle", "general_feedback": general_feedback}


def _ordering(source: str, general_feedback: str, grading: str) -> dict:
    lines = source.strip().splitlines()
    blank = next((i for i, line in enumerate(lines) if not line.strip()), 1)
    text = "\n".join(lines[:blank]).strip()
    items = [line.strip() for line in lines[blank:] if line.strip()]
    if not text or len(items) < 2:
        raise EditorError(_("Write the question first, then at least two items, one per line, in the right order."))
    return {
        "type": "ordering",
        "name": default_name(text),
        "text": text,
        "text_format": "moodle",
        "answers": [{"text": item} for item in items],
        "grading": grading,
        "general_feedback": general_feedback,
    }


# --- quizzes ---------------------------------------------------------------------------------------------------


class QuizForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    slug = StringField(
        _l("Short name (optional: made from the title)"),
        validators=[
            Optional(),
            Regexp(r"^[a-z0-9][a-z0-9-]{0,98}$", message=_l("Use lowercase letters, digits and hyphens.")),
        ],
    )
    module_id = SelectField(_l("Module"), coerce=int)
    intro = TextAreaField(_l("Introduction (Markdown, optional)"), validators=[Length(max=20_000)])
    pass_mark = DecimalField(
        _l("Pass mark (%)"), default=Decimal("70"), validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed (0 = unlimited)"), default=0, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    grading_method = SelectField(
        _l("Grade of several attempts"), choices=[(m.value, s) for m, s in GRADING_LABELS.items()]
    )
    open_at = DateTimeLocalField(_l("Opens (UTC, optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    close_at = DateTimeLocalField(_l("Closes (UTC, optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    time_limit_minutes = IntegerField(
        _l("Time limit in minutes (optional)"), validators=[Optional(), NumberRange(min=1, max=24 * 60)]
    )
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_answers = BooleanField(_l("Shuffle the answers within questions"), default=True)
    questions_per_page = IntegerField(
        _l("Questions per page (0 = all on one page)"), default=5, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    counts_for_completion = BooleanField(_l("Passing it counts for completing the course"), default=True)
    published = BooleanField(_l("Published: enrolled learners see it"), default=True)

    def review_field(self, time: str, item: str) -> BooleanField:
        return self[f"review_{time}_{item}"]

    def review_data(self) -> dict[str, dict[str, bool]]:
        """The review options as :class:`~quizzes.models.Quiz` stores them."""
        return {t: {i: bool(self.review_field(t, i).data) for i in REVIEW_ITEMS} for t in REVIEW_TIMES}

    def set_review(self, review: dict[str, dict[str, bool]]) -> None:
        for time in REVIEW_TIMES:
            for item in REVIEW_ITEMS:
                self.review_field(time, item).data = bool((review.get(time) or {}).get(item))


for _time in REVIEW_TIMES:
    for _item in REVIEW_ITEMS:
        setattr(QuizForm, f"review_{_time}_{_item}", BooleanField(REVIEW_ITEM_LABELS[_item]))
del _time, _item


class FixedSlotsForm(FlaskForm):
    questions = MultiCheckboxField(
        _l("Questions to add"), coerce=int, validators=[DataRequired(message=_l("Choose at least one question."))]
    )
    mark = DecimalField(_l("Mark of each (optional: the question's default)"), validators=[Optional(), MARK_RANGE])


class RandomSlotForm(FlaskForm):
    category = SelectField(_l("Draw from the category"), coerce=int)
    include_subcategories = BooleanField(_l("Include its subcategories"))
    count = IntegerField(_l("Number of questions"), default=1, validators=[DataRequired(), NumberRange(min=1, max=100)])
    tags = StringField(
        _l("Only questions with all these tags (comma-separated, optional)"), validators=[Length(max=500)]
    )
    mark = DecimalField(_l("Mark of each question"), default=Decimal("1"), validators=[Optional(), MARK_RANGE])


class OverrideForm(FlaskForm):
    learner = StringField(_l("Learner's e-mail address or sign-in name"), validators=[Optional(), Length(max=254)])
    cohort = SelectField(_l("Or a cohort"), coerce=int)
    open_at = DateTimeLocalField(_l("Opens (UTC)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    close_at = DateTimeLocalField(_l("Closes (UTC)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    time_limit_minutes = IntegerField(
        _l("Time limit in minutes"), validators=[Optional(), NumberRange(min=1, max=24 * 60)]
    )
    attempts_allowed = IntegerField(_l("Attempts allowed (0 = unlimited)"), validators=[Optional(), NumberRange(min=0)])
