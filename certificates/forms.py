"""Certificate forms (validation only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from certificates.models import TEMPLATES


def int_or_none(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class AccreditationForm(FlaskForm):
    course = SelectField(_l("Course"), coerce=int)
    academy = SelectField(_l("Accrediting academy"), coerce=int)
    curriculum_code = StringField(_l("Curriculum code"), validators=[DataRequired(), Length(max=64)])
    credit_hours = DecimalField(
        _l("CPD credit hours"), places=1, validators=[InputRequired(), NumberRange(min=0, max=10000)]
    )
    validity_months = IntegerField(_l("Valid for (months)"), validators=[Optional(), NumberRange(min=1, max=600)])
    template = SelectField(_l("Certificate template"), choices=list(TEMPLATES.items()))
    min_quiz_percent = DecimalField(
        _l("Minimum quiz grade (percent)"), places=0, validators=[Optional(), NumberRange(min=0, max=100)]
    )
    renews_id = SelectField(_l("Recertification: this course is a refresher of"), coerce=int_or_none)
    renewal_quiz_id = SelectField(_l("Recertification: passing this quiz renews the certificate"), coerce=int_or_none)
    renewal_credit_hours = DecimalField(
        _l("CPD credit hours of a renewal by quiz"), places=1, default=0, validators=[Optional(), NumberRange(min=0)]
    )
    active = BooleanField(_l("Issue certificates for this course"), default=True)


class SignatoryForm(FlaskForm):
    name = StringField(_l("Name, as it is to be printed"), validators=[DataRequired(), Length(max=200)])
    title = StringField(_l("Title or office"), validators=[Length(max=200)])
    signature = FileField(
        _l("Signature image (PNG or JPEG, optional)"),
        validators=[FileAllowed(["png", "jpg", "jpeg", "webp"], _l("Upload a PNG or JPEG image."))],
    )


class IssueForm(FlaskForm):
    person = StringField(_l("E-mail address or sign-in name"), validators=[DataRequired(), Length(max=320)])
    completed_on = DateField(_l("Completed on"), validators=[DataRequired()])


class AttendeesForm(FlaskForm):
    file = FileField(
        _l("List of attendees (CSV with a column 'email' or 'username'; optional 'completed_on')"),
        validators=[FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a CSV file."))],
    )
    completed_on = DateField(_l("Completed on (for rows without a date)"), validators=[DataRequired()])


class CohortIssueForm(FlaskForm):
    cohort = SelectField(_l("Cohort"), coerce=int)
    completed_on = DateField(_l("Completed on"), validators=[DataRequired()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (shown on the public verification page)"), validators=[DataRequired(), Length(max=1000)]
    )


class PrefixForm(FlaskForm):
    serial_prefix = StringField(
        _l("Serial prefix"),
        validators=[
            DataRequired(),
            Regexp(
                r"^[A-Za-z][A-Za-z0-9]{0,11}$", message=_l("Use 1 to 12 letters and digits, starting with a letter.")
            ),
        ],
    )


class VerifyForm(FlaskForm):
    """A look-up by GET that changes nothing, so it carries no CSRF token (it would only end up in the URL)."""

    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=60)])
