"""Registrars' pages for their academies' learning record store: the list of their academies, and one
academy's settings with the outbox counts, the latest errors and a connection test."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.exceptions import DomainError, NotFoundError
from lms.forms import EmptyForm, show_error
from lms.security import access
from records.xapi import services as service
from records.xapi.forms import LrsSettingsForm

bp = Blueprint("lrs", __name__, url_prefix="/records/lrs", template_folder="../templates")


def _academy_or_404(academy_id: int):
    try:
        return service.managed_academy(current_user, academy_id)
    except NotFoundError:
        abort(404)


def _page(academy, form: LrsSettingsForm, status: int = 200):
    settings = service.settings_of(academy)
    page = render_template(
        "records/lrs_settings.html",
        academy=academy,
        settings=settings,
        form=form,
        summary=service.outbox_summary(academy),
        button_form=EmptyForm(),
    )
    return page, status


@bp.route("")
@access("registrar")
def lrs_list():
    return render_template("records/lrs_list.html", rows=service.lrs_academies(current_user))


@bp.route("/<int:academy_id>", methods=["GET", "POST"])
@access("registrar")
def lrs_settings(academy_id: int):
    academy = _academy_or_404(academy_id)
    form = LrsSettingsForm(obj=service.settings_of(academy))
    if not form.validate_on_submit():
        return _page(academy, form, 422 if form.is_submitted() else 200)
    fields = service.LrsFields(
        form.endpoint.data or "",
        form.username.data or "",
        form.password.data or None,
        form.enabled.data,
        form.actor_uses_email.data,
    )
    try:
        service.save_settings(current_user, academy, fields)
    except DomainError as exc:
        show_error(form, exc)
        return _page(academy, form, 422)
    flash(_("The LRS settings of %(academy)s are saved.", academy=academy.name), "success")
    return redirect(url_for("lrs.lrs_settings", academy_id=academy.id))


@bp.route("/<int:academy_id>/test", methods=["POST"])
@access("registrar")
def lrs_test(academy_id: int):
    academy = _academy_or_404(academy_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ok, answer = service.test_connection(current_user, academy)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        if ok:
            flash(_("The LRS accepted the test statement (%(answer)s).", answer=answer), "success")
        else:
            flash(_("The LRS did not accept the test statement: %(answer)s", answer=answer), "error")
    return redirect(url_for("lrs.lrs_settings", academy_id=academy.id))


@bp.route("/<int:academy_id>/retry", methods=["POST"])
@access("registrar")
def lrs_retry(academy_id: int):
    academy = _academy_or_404(academy_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = service.retry_failed(current_user, academy)
    flash(_("%(n)d refused statements are queued again.", n=count), "success")
    return redirect(url_for("lrs.lrs_settings", academy_id=academy.id))
