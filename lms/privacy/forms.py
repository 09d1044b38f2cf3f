"""Privacy forms (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class AnonymiseForm(FlaskForm):
    """The confirmation of an anonymisation: the administrator types the account's e-mail address."""

    email = StringField(
        _l("Type the e-mail address of the account to confirm"),
        validators=[DataRequired(), Length(max=320)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def matches(self, email: str) -> bool:
        return (self.email.data or "").strip().lower() == email.lower()
