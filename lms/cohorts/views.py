"""Routes of /cohorts (registrars of the cohort's academy, administrators)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.accounts.services import managed_academies
from lms.cohorts import services
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import Academy, CohortMember, User
from lms.security import access

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    academy = SelectField(_l("Academy"), coerce=int)


class MembersForm(FlaskForm):
    people = TextAreaField(_l("E-mail addresses or sign-in names, one per line"), validators=[DataRequired()])


def _cohort(cohort_id: int):
    try:
        return services.get_cohort(current_user, cohort_id)
    except NotFoundError:
        abort(404)


@bp.route("/", methods=["GET", "POST"])
@access("registrar")
def cohort_list():
    form = CohortForm()
    form.academy.choices = [(a.id, a.name) for a in managed_academies(current_user)]
    if form.validate_on_submit():
        try:
            cohort = services.create_cohort(current_user, db.session.get(Academy, form.academy.data), form.name.data)
        except DomainError as exc:
            form.name.errors = [*form.name.errors, exc.message]
        else:
            return redirect(url_for("cohorts.cohort_detail", cohort_id=cohort.id))
    return render_template("cohorts/cohort_list.html", rows=services.visible_cohorts(current_user), form=form)


@bp.route("/<int:cohort_id>", methods=["GET", "POST"])
@access("registrar")
def cohort_detail(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = MembersForm()
    if form.validate_on_submit():
        added, missing = services.add_members(current_user, cohort, form.people.data)
        if missing:
            form.people.errors = [_("Not found in this academy: %(names)s", names=", ".join(missing))]
        else:
            flash(_("%(n)d added.", n=added), "success")
            return redirect(url_for("cohorts.cohort_detail", cohort_id=cohort.id))
    members = db.session.scalars(
        select(User)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id)
        .order_by(User.display_name)
    ).all()
    return render_template(
        "cohorts/cohort_detail.html", cohort=cohort, members=members, form=form, action_form=EmptyForm()
    )


@bp.route("/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
@access("registrar")
def remove_member(cohort_id: int, user_id: int):
    cohort = _cohort(cohort_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.remove_member(current_user, cohort, user_id)
    except NotFoundError:
        abort(404)
    return redirect(url_for("cohorts.cohort_detail", cohort_id=cohort.id, _anchor="members"))
