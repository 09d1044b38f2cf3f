"""Forms of the trainers' and registrars' quiz pages (validation only; the services check marks against the
question's maximum)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


class GradeForm(FlaskForm):
    """A trainer's grade of an essay, with a comment on the rubric."""

    marks = DecimalField(_l("Marks"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    comment = TextAreaField(_l("Comment for the learner"), validators=[Length(max=5000)])


class OverrideForm(FlaskForm):
    """A trainer's replacement of a question's grade; the reason is required (it is audited)."""

    marks = DecimalField(_l("New marks"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    reason = TextAreaField(
        _l("Reason (shown to the learner as the comment)"),
        validators=[DataRequired(message=_l("Say why the grade is changed.")), Length(max=2000)],
    )


class RegradeForm(FlaskForm):
    question = SelectField(_l("Question to regrade"), coerce=int)


class AccommodationForm(FlaskForm):
    extra_time_percent = IntegerField(
        _l("Extra time (%)"), default=0, validators=[InputRequired(), NumberRange(min=0, max=400)]
    )
    extra_attempts = IntegerField(_l("Extra attempts"), default=0, validators=[InputRequired(), NumberRange(0, 20)])
    note = StringField(_l("Note (why, and until when)"), validators=[Length(max=500)])
