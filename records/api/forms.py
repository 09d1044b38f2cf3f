"""Forms of the API token pages (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

SCOPE_CHOICES = [
    ("read", _l("Read: list and fetch records")),
    ("write", _l("Write: also create users and enrolments and record completions")),
]


class ApiTokenForm(FlaskForm):
    academy = SelectField(_l("Academy"), coerce=int)
    name = StringField(_l("Name (which system uses it)"), validators=[DataRequired(), Length(max=100)])
    scope = RadioField(_l("Access"), choices=SCOPE_CHOICES, default="read", validators=[DataRequired()])
