"""Routes: a user's own data download (/account/data), anonymising a user (/users/<id>/anonymise, administrators)
and the retention settings (/privacy/retention, administrators)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.exceptions import DomainError
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import User
from lms.privacy import services
from lms.privacy.forms import AnonymiseForm
from lms.security import access

bp = Blueprint("privacy", __name__)


@bp.route("/account/data", methods=["POST"])
@access("login")
def download():
    """Everything held about the signed-in user, as a JSON file (streamed)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    services.record_export(user)
    filename = services.export_filename(user)
    return Response(
        stream_with_context(services.personal_data_chunks(user.id)),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/users/<int:user_id>/anonymise", methods=["GET", "POST"])
@access("admin")
def anonymise(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = AnonymiseForm()
    problem = services.anonymisation_problem(current_user, user)
    if not problem and form.validate_on_submit():
        if not form.matches(user.email):
            form.email.errors = [_("This is not the e-mail address of the account.")]
        else:
            try:
                services.anonymise_user(current_user, user)
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(_("The account has been anonymised."), "success")
                return redirect(url_for("accounts.user_detail", user_id=user.id))
    return render_template("privacy/user_anonymise.html", user=user, form=form, problem=problem)


@bp.route("/privacy/retention")
@access("admin")
def retention():
    return render_template("privacy/retention.html", policies=services.retention_policies(), last=services.last_purge())
