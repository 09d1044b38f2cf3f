"""The filters of the export page (validation only; records.exports checks what the user may see)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional


def _id_or_none(value) -> int | None:
    """A chosen id, or None for "all" (the empty choice)."""
    if value in (None, "", "None"):
        return None
    return int(value)


class ExportForm(FlaskForm):
    """A GET form that changes nothing, so it carries no CSRF token (it would only end up in the URL)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Records"), default="progress")
    format = SelectField(_l("File format"), default="csv")
    academy = SelectField(_l("Academy"), coerce=_id_or_none, validators=[Optional()])
    course = SelectField(_l("Course"), coerce=_id_or_none, validators=[Optional()])
    cohort = SelectField(_l("Cohort"), coerce=_id_or_none, validators=[Optional()])
    profession = SelectField(_l("Profession"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])
    since = DateField(_l("From (UTC day)"), validators=[Optional()])
    until = DateField(_l("To (UTC day, inclusive)"), validators=[Optional()])
