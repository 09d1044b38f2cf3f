"""Routes of /academies (administrators)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.academies import services
from lms.academies.forms import AcademyForm
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import Academy
from lms.security import access

bp = Blueprint("academies", __name__, url_prefix="/academies")


@bp.route("/")
@access("admin")
def academy_list():
    return render_template("academies/academy_list.html", rows=services.list_academies())


def _edit(academy: Academy | None):
    form = AcademyForm(obj=academy)
    if form.validate_on_submit():
        try:
            saved = services.save_academy(
                current_user, academy, name=form.name.data, slug=form.slug.data, country=form.country.data
            )
        except DomainError as exc:
            form.slug.errors = [*form.slug.errors, exc.message]
        else:
            flash(_("%(name)s has been saved.", name=saved.name), "success")
            return redirect(url_for("academies.academy_list"))
    return render_template("academies/academy_edit.html", form=form, academy=academy)


@bp.route("/new", methods=["GET", "POST"])
@access("admin")
def academy_create():
    return _edit(None)


@bp.route("/<int:academy_id>", methods=["GET", "POST"])
@access("admin")
def academy_edit(academy_id: int):
    academy = db.session.get(Academy, academy_id) or abort(404)
    return _edit(academy)
