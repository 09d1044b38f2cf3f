"""Sign-in, second factor, password reset, invitation and registration forms (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Regexp

from lms.models import COUNTRIES, PROFESSIONS

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"


class LoginForm(FlaskForm):
    login = StringField(_l("Sign-in name or e-mail"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device (14 days)"))
    next = HiddenField()


class TwoFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False)])


class NewPasswordForm(FlaskForm):
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


class RegistrationForm(NewPasswordForm):
    display_name = StringField(
        _l("Full name, as it should appear on certificates"), validators=[DataRequired(), Length(max=200)]
    )
    username = StringField(
        _l("Sign-in name"),
        validators=[
            DataRequired(),
            Regexp(
                USERNAME_PATTERN,
                message=_l("Use 2-63 lowercase letters, digits, dots, hyphens or underscores."),
            ),
        ],
    )
    email = EmailField(
        _l("E-mail address"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=320)]
    )
    profession = SelectField(_l("Profession"), choices=list(PROFESSIONS.items()))
    country = SelectField(_l("Country"), choices=list(COUNTRIES.items()))
    academy = SelectField(_l("Academy"), coerce=int)
