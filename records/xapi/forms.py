"""Form of the LRS settings page (validation only; the service checks the address)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length, Optional


class LrsSettingsForm(FlaskForm):
    endpoint = StringField(
        _l("xAPI endpoint of the LRS"), validators=[Optional(), Length(max=500)], render_kw={"inputmode": "url"}
    )
    username = StringField(_l("User name (key)"), validators=[Optional(), Length(max=200)])
    # Write-only: PasswordField never renders its value, and a blank one keeps the stored password.
    password = PasswordField(
        _l("Password (secret)"), validators=[Optional(), Length(max=500)], render_kw={"autocomplete": "new-password"}
    )
    enabled = BooleanField(_l("Send statements to this LRS"))
    actor_uses_email = BooleanField(_l("Identify learners by their e-mail address (instead of an anonymous id)"))
