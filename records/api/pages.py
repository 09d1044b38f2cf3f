"""Registrars' pages for API tokens: list them (prefix, scope, last use), make one (its value shown once),
revoke one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm, show_error
from lms.models import Academy
from lms.security import access
from records.api import services as service
from records.api.forms import ApiTokenForm

bp = Blueprint("api_tokens", __name__, url_prefix="/records/api-tokens", template_folder="../templates")


def _form() -> ApiTokenForm:
    form = ApiTokenForm()
    form.academy.choices = [(a.id, a.name) for a in service.token_academies(current_user)]
    return form


def _list(form: ApiTokenForm):
    return render_template(
        "records/api_tokens.html", form=form, tokens=service.tokens_of(current_user), revoke_form=EmptyForm()
    )


@bp.route("")
@access("registrar")
def token_list():
    return _list(_form())


@bp.route("", methods=["POST"])
@access("registrar")
def token_create():
    form = _form()
    if not form.validate_on_submit():
        return _list(form), 422
    academy = db.session.get(Academy, form.academy.data)
    try:
        token, raw = service.create_token(current_user, academy, form.name.data, form.scope.data)
    except NotFoundError:
        abort(404)
    except DomainError as exc:
        show_error(form, exc)
        return _list(form), 422
    # Rendered, not redirected: the value is never put in a URL or the session, and is not shown again.
    return render_template("records/api_token_created.html", token=token, raw=raw)


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@access("registrar")
def token_revoke(token_id: int):
    try:
        token = service.get_managed_token(current_user, token_id)
    except NotFoundError:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    service.revoke_token(current_user, token)
    flash(_("The token %(prefix)s… is revoked: calls with it are refused from now on.", prefix=token.prefix), "success")
    return redirect(url_for("api_tokens.token_list"))
