"""Form helpers shared by the core and plugins."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from lms.exceptions import DomainError


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


def show_error(form: FlaskForm, exc: DomainError) -> None:
    """Put a service's error on the form field it names, or flash it when it names none."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        flash(exc.message, "error")
