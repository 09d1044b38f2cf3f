"""Academy form (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from lms.models import COUNTRIES


class AcademyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Short name (used in links, files and the command line)"),
        validators=[
            DataRequired(),
            Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$", message=_l("Use 2-63 lowercase letters, digits and hyphens.")),
        ],
    )
    country = SelectField(_l("Country"), choices=list(COUNTRIES.items()))
