"""Authoring and enrolment forms (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.models import PROFESSIONS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(FlaskForm):
    academy = SelectField(_l("Academy"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    slug = StringField(
        _l("Short name (in links and files)"),
        validators=[
            DataRequired(),
            Regexp(r"^[a-z0-9][a-z0-9-]{0,98}$", message=_l("Use lowercase letters, digits and hyphens.")),
        ],
    )
    summary = TextAreaField(_l("Summary for the catalog"), validators=[Length(max=4000)])
    language = SelectField(_l("Language of the course"))
    professions = MultiCheckboxField(_l("Meant for"), choices=list(PROFESSIONS.items()))
    topics = StringField(_l("Topics (comma-separated)"), validators=[Length(max=500)])
    estimated_hours = DecimalField(
        _l("Estimated hours"), places=1, validators=[DataRequired(), NumberRange(min=0.1, max=999)]
    )
    self_enrolment = BooleanField(_l("Learners may enrol themselves"))
    restricted = BooleanField(_l("Only learners of the professions above may see this course"))
    enrolment_opens_at = DateTimeLocalField(
        _l("Enrolment opens (UTC, optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    enrolment_closes_at = DateTimeLocalField(
        _l("Enrolment closes (UTC, optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    prerequisites = SelectMultipleField(_l("Courses to complete first"), coerce=int, validators=[Optional()])


class ModuleForm(FlaskForm):
    title = StringField(_l("Module title"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=2000)])
    requires = MultiCheckboxField(_l("Opens when these modules are completed"), coerce=int, validators=[Optional()])


class LessonForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=300)])
    body_markdown = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=200_000)], render_kw={"rows": 20})
    required = BooleanField(_l("Required for completing the course"), default=True)
    completion_mode = RadioField(
        _l("Completion"),
        choices=[
            ("mark", _l("The lesson is complete when the learner marks it as complete.")),
            ("view", _l("The lesson is complete when the learner opens it.")),
        ],
        default="mark",
    )
    content_notice = TextAreaField(
        _l("Content notice (optional: shown once before the lesson)"), validators=[Length(max=2000)]
    )
    restricted = BooleanField(_l("Restricted: only learners of the course's professions (or approved) see it"))
    video_url = StringField(_l("Video link (YouTube or Vimeo, optional)"), validators=[Optional(), Length(max=500)])


class MediaForm(FlaskForm):
    file = FileField(_l("Image (PNG, JPEG, GIF, WebP) or PDF"), validators=[FileRequired()])


class EnrolUsersForm(FlaskForm):
    people = TextAreaField(_l("E-mail addresses or sign-in names, one per line"), validators=[DataRequired()])


class EnrolCohortForm(FlaskForm):
    cohort = SelectField(_l("Cohort"), coerce=int)


class EnrolImportForm(FlaskForm):
    file = FileField(_l("CSV file with a column 'email' or 'username'"), validators=[FileRequired()])


class PackageImportForm(FlaskForm):
    file = FileField(_l("Course package (.zip)"), validators=[FileRequired()])
    academy = SelectField(_l("Academy that owns a new course"), coerce=int)
    dry_run = BooleanField(_l("Only check the package (write nothing)"))


class TranslationForm(FlaskForm):
    """One translation of the course, a module, a lesson or a quiz (the view shows the fields its kind has)."""

    title = StringField(_l("Title"), validators=[Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=4000)])
    body_markdown = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=200_000)], render_kw={"rows": 20})
    content_notice = TextAreaField(_l("Content notice"), validators=[Length(max=2000)])
    intro = TextAreaField(_l("Introduction"), validators=[Length(max=20_000)])  # a quiz's
