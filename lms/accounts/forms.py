"""Account forms (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from lms.auth.forms import USERNAME_PATTERN
from lms.forms import EmptyForm  # noqa: F401 - re-exported: views import it from here too
from lms.models import COUNTRIES, PROFESSIONS, ROLES
from lms.names import SCRIPTS


def language_choices(names: dict[str, str]) -> list[tuple[str, str]]:
    return [("", _l("Follow the browser"))] + list(names.items())


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Full name, as it should appear on certificates"), validators=[DataRequired(), Length(max=200)]
    )
    profession = SelectField(_l("Profession"), choices=list(PROFESSIONS.items()))
    country = SelectField(_l("Country"), choices=list(COUNTRIES.items()))
    language = SelectField(_l("Language"), validators=[Optional()])
    # Shown only to users offered the choice (lms.names.offers_script_choice); the view labels each choice with
    # the name as it would be spelled.
    certificate_script = RadioField(
        _l("Script of your name on certificates"), choices=list(SCRIPTS.items()), default="", validators=[Optional()]
    )


class CertificateNameForm(FlaskForm):
    certificate_name = StringField(_l("Official spelling on certificates"), validators=[Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=10, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmTotpForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code your app shows now"),
        validators=[DataRequired(), Length(min=6, max=8)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class UserCreateForm(FlaskForm):
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=320)]
    )
    username = StringField(
        _l("Sign-in name (optional: made from the e-mail address)"),
        validators=[
            Optional(),
            Regexp(
                USERNAME_PATTERN,
                message=_l("Use 2-63 lowercase letters, digits, dots, hyphens or underscores."),
            ),
        ],
    )
    profession = SelectField(_l("Profession"), choices=list(PROFESSIONS.items()))
    country = SelectField(_l("Country"), choices=list(COUNTRIES.items()))
    language = SelectField(_l("Language"), validators=[Optional()])
    academy = SelectField(_l("Academy"), coerce=int)
    role = SelectField(_l("Role"), choices=[(k, v) for k, v in ROLES.items() if k != "administrator"])


class UserImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"), validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file."))]
    )
    academy = SelectField(_l("Academy for rows that name none"), coerce=int)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLES.items()))
    academy = SelectField(_l("Academy"), coerce=int, validators=[Optional()])


class StatusForm(FlaskForm):
    status = SelectField(choices=[("active", "active"), ("deactivated", "deactivated")])
