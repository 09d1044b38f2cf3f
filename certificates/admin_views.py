"""Registrars' pages under /certificates/manage: accreditations, signatories, issuing (one person, a list of
attendees, a cohort as a job), the academy's certificates, revocation and learners' transcripts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from certificates import accreditations as service
from certificates import expiry, issuing, jobs, transcripts
from certificates.accreditations import AccreditationFields
from certificates.forms import (
    AccreditationForm,
    AttendeesForm,
    CohortIssueForm,
    IssueForm,
    PrefixForm,
    RevokeForm,
    SignatoryForm,
)
from certificates.models import STATUS_LABELS, TEMPLATES, Accreditation, Certificate
from certificates.verification import revoke_certificate
from courses.models import Course
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm, show_error
from lms.models import Academy, Cohort, User
from lms.models.base import utcnow
from lms.plugins import plugin_enabled
from lms.security import access

bp = Blueprint("certificates_admin", __name__, url_prefix="/certificates/manage", template_folder="templates")


def _accreditation(accreditation_id: int) -> Accreditation:
    try:
        return service.get_managed_accreditation(current_user, accreditation_id)
    except NotFoundError:
        abort(404)


@bp.route("/accreditations")
@access("registrar")
def accreditation_list():
    academies = service.managed_academies(current_user)
    issuers = service.issuers_of(academies)
    return render_template(
        "certificates/accreditation_list.html",
        accreditations=service.accreditations_of(current_user),
        academies=academies,
        issuers=issuers,
        prefix_form=PrefixForm(),
        templates=TEMPLATES,
    )


def _quiz_choices(course_id: int | None) -> list[tuple[int | None, str]]:
    choices: list[tuple[int | None, str]] = [(None, _("None"))]
    if course_id and plugin_enabled(current_app, "quizzes"):
        from quizzes.models import Quiz

        quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.title))
        choices += [(q.id, q.title) for q in quizzes]
    return choices


def _form(accreditation: Accreditation | None) -> AccreditationForm:
    form = AccreditationForm(obj=accreditation)
    academies = service.managed_academies(current_user)
    form.academy.choices = [(a.id, a.name) for a in academies]
    form.course.choices = [(c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.title))]
    others = [a for a in service.accreditations_of(current_user) if accreditation is None or a.id != accreditation.id]
    form.renews_id.choices = [(None, _("None"))] + [
        (a.id, f"{a.curriculum_code} — {a.course.title} ({a.academy.name})") for a in others
    ]
    form.renewal_quiz_id.choices = _quiz_choices(accreditation.course_id if accreditation else None)
    return form


def _fields(form: AccreditationForm) -> AccreditationFields:
    return AccreditationFields(
        curriculum_code=form.curriculum_code.data,
        credit_hours=form.credit_hours.data,
        validity_months=form.validity_months.data,
        template=form.template.data,
        min_quiz_percent=form.min_quiz_percent.data,
        renews_id=form.renews_id.data,
        renewal_quiz_id=form.renewal_quiz_id.data,
        renewal_credit_hours=form.renewal_credit_hours.data or 0,
        active=form.active.data,
    )


@bp.route("/accreditations/new", methods=["GET", "POST"])
@access("registrar")
def accreditation_create():
    form = _form(None)
    if form.validate_on_submit():
        academy = db.session.get(Academy, form.academy.data)
        course = db.session.get(Course, form.course.data)
        try:
            accreditation = service.create_accreditation(current_user, academy, course, _fields(form))
        except NotFoundError:
            abort(404)
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The course is accredited. Add the signatories."), "success")
            return redirect(url_for("certificates_admin.accreditation_edit", accreditation_id=accreditation.id))
    return render_template("certificates/accreditation_form.html", form=form, accreditation=None)


@bp.route("/accreditations/<int:accreditation_id>", methods=["GET", "POST"])
@access("registrar")
def accreditation_edit(accreditation_id: int):
    accreditation = _accreditation(accreditation_id)
    form = _form(accreditation)
    form.course.validators, form.academy.validators = [], []
    form.course.data, form.academy.data = accreditation.course_id, accreditation.academy_id
    if form.validate_on_submit():
        try:
            service.update_accreditation(current_user, accreditation, _fields(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("Saved. Certificates issued from now on state this; issued ones keep what they say."), "success")
            return redirect(url_for("certificates_admin.accreditation_edit", accreditation_id=accreditation.id))
    return render_template(
        "certificates/accreditation_form.html",
        form=form,
        accreditation=accreditation,
        signatory_form=SignatoryForm(),
        action_form=EmptyForm(),
    )


@bp.route("/accreditations/<int:accreditation_id>/signatories", methods=["POST"])
@access("registrar")
def signatory_add(accreditation_id: int):
    accreditation = _accreditation(accreditation_id)
    form = SignatoryForm()
    if form.validate_on_submit():
        image = form.signature.data.read() if form.signature.data else None
        try:
            service.add_signatory(current_user, accreditation, form.name.data, form.title.data, image)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Signatory added."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(url_for("certificates_admin.accreditation_edit", accreditation_id=accreditation.id))


@bp.route("/accreditations/<int:accreditation_id>/signatories/<int:signatory_id>/remove", methods=["POST"])
@access("registrar")
def signatory_remove(accreditation_id: int, signatory_id: int):
    accreditation = _accreditation(accreditation_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service.remove_signatory(current_user, accreditation, signatory_id)
    except NotFoundError:
        abort(404)
    flash(_("Signatory removed from future certificates."), "info")
    return redirect(url_for("certificates_admin.accreditation_edit", accreditation_id=accreditation.id))


@bp.route("/academies/<int:academy_id>/prefix", methods=["POST"])
@access("registrar")
def prefix(academy_id: int):
    academy = db.session.get(Academy, academy_id)
    if academy is None or not current_user.can_manage_users_of(academy.id):
        abort(404)
    form = PrefixForm()
    if form.validate_on_submit():
        try:
            service.set_serial_prefix(current_user, academy, form.serial_prefix.data)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(
                _(
                    "Serials of %(academy)s now start with %(prefix)s.",
                    academy=academy.name,
                    prefix=form.serial_prefix.data.upper(),
                ),
                "success",
            )
    else:
        flash(_("Use 1 to 12 letters and digits, starting with a letter."), "error")
    return redirect(url_for("certificates_admin.accreditation_list"))


def _issue_forms(accreditation: Accreditation):
    today = utcnow().date()
    one = IssueForm(prefix="one", data={"completed_on": today})
    attendees = AttendeesForm(prefix="list", data={"completed_on": today})
    cohort = CohortIssueForm(prefix="cohort", data={"completed_on": today})
    cohort.cohort.choices = [
        (c.id, c.name)
        for c in db.session.scalars(
            select(Cohort).where(Cohort.academy_id == accreditation.academy_id).order_by(Cohort.name)
        )
    ]
    return one, attendees, cohort


def _person(text: str) -> User | None:
    return User.find_by_login(text or "")


@bp.route("/accreditations/<int:accreditation_id>/issue", methods=["GET", "POST"])
@access("registrar")
def issue(accreditation_id: int):
    accreditation = _accreditation(accreditation_id)
    one, attendees, cohort = _issue_forms(accreditation)
    report = None
    try:
        if "one-person" in request.form and one.validate_on_submit():
            user = _person(one.person.data)
            if user is None or not current_user.can_manage(user):
                one.person.errors = [_("No such person in your academies.")]
            else:
                certificate = issuing.issue_certificate(current_user, accreditation, user, one.completed_on.data)
                flash(
                    _(
                        "Certificate %(serial)s issued to %(name)s.",
                        serial=certificate.serial,
                        name=certificate.holder_name,
                    ),
                    "success",
                )
                return redirect(url_for("certificates.detail", certificate_id=certificate.id))
        elif "list-csrf_token" in request.form and attendees.validate_on_submit():
            data = attendees.file.data.read()
            report = issuing.issue_to_attendees(current_user, accreditation, data, attendees.completed_on.data)
            if not report.errors:
                flash(_("%(n)d certificates issued.", n=len(report.issued)), "success")
                return redirect(url_for("certificates_admin.issued_list", accreditation=accreditation.id))
            flash(_("Nothing was issued: correct the rows below and upload the file again."), "error")
        elif "cohort-cohort" in request.form and cohort.validate_on_submit():
            group = db.session.get(Cohort, cohort.cohort.data)
            job = jobs.start_cohort_issue(current_user, accreditation, group, cohort.completed_on.data)
            return redirect(url_for("jobs.job_detail", job_id=job.id))
    except NotFoundError:
        abort(404)
    except DomainError as exc:
        show_error(one if "one-person" in request.form else cohort, exc)
    return render_template(
        "certificates/issue.html",
        accreditation=accreditation,
        one=one,
        attendees=attendees,
        cohort=cohort,
        report=report,
    )


@bp.route("/issued")
@access("registrar")
def issued_list():
    args = request.args
    page = max(args.get("page", 1, type=int), 1)
    rows, total = transcripts.search_issued(
        current_user, accreditation_id=args.get("accreditation", type=int), q=args.get("q", ""), page=page
    )
    return render_template(
        "certificates/issued_list.html",
        certificates=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // transcripts.PAGE_SIZE)),
        expiring=expiry.expiring(academy_ids=transcripts.registrar_scope(current_user)),
        status_labels=STATUS_LABELS,
        today=utcnow().date(),
    )


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@access("registrar")
def revoke(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not certificate.user_can_revoke(current_user):
        abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the revocation: verification shows it."), "error")
    else:
        try:
            revoke_certificate(current_user, certificate, form.reason.data)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Certificate %(serial)s is revoked; its record is kept.", serial=certificate.serial), "info")
    return redirect(url_for("certificates.detail", certificate_id=certificate.id))


def _learner(user_id: int) -> User:
    try:
        return transcripts.learner_for(current_user, user_id)
    except NotFoundError:
        abort(404)


@bp.route("/learners/<int:user_id>")
@access("registrar")
def learner(user_id: int):
    user = _learner(user_id)
    return render_template(
        "certificates/learner.html",
        record=transcripts.transcript(user, transcripts.registrar_scope(current_user)),
        status_labels=STATUS_LABELS,
        pdf_endpoint="certificates_admin.learner_pdf",
        pdf_args={"user_id": user.id},
    )


@bp.route("/learners/<int:user_id>/transcript.pdf")
@access("registrar")
def learner_pdf(user_id: int):
    from flask import Response

    from certificates.rendering import transcript_pdf

    user = _learner(user_id)
    data = transcript_pdf(transcripts.transcript(user, transcripts.registrar_scope(current_user)))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="transcript-{user.username}.pdf"'},
    )
