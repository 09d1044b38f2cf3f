"""Enrolment management and progress reports of a course, for its academy's registrars and trainers."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from courses import enrolment as enrolments
from courses.forms import EnrolCohortForm, EnrolImportForm, EnrolUsersForm
from courses.models import Course, Enrolment, EnrolmentStatus
from courses.reports import ReportFilters, report_columns, report_csv, report_rows
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import Cohort, User
from lms.security import access

bp = Blueprint("course_admin", __name__, url_prefix="/teach", template_folder="templates")


def _managed_course(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not course.user_can_manage_enrolments(current_user):
        abort(404)
    return course


def _cohorts(course: Course) -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).where(Cohort.academy_id == course.academy_id).order_by(Cohort.name)))


def _forms(course: Course):
    cohort_form = EnrolCohortForm(prefix="cohort")
    cohort_form.cohort.choices = [(c.id, c.name) for c in _cohorts(course)]
    return EnrolUsersForm(prefix="users"), cohort_form, EnrolImportForm(prefix="import")


def _enrolled_message(enrolled: int, already: int) -> None:
    flash(_("%(n)d enrolled, %(m)d were enrolled already.", n=enrolled, m=already), "success")


def _find_users(course: Course, lines: str) -> tuple[list[User], list[str]]:
    wanted = [line.strip().lower() for line in lines.splitlines() if line.strip()]
    found = {}
    for user in db.session.scalars(select(User).where((User.email.in_(wanted)) | (User.username.in_(wanted)))):
        found[user.email], found[user.username] = user, user
    allowed = {w for w in wanted if w in found and enrolments.may_enrol(current_user, course, found[w])}
    users = [found[w] for w in wanted if w in allowed]
    missing = [w for w in wanted if w not in allowed]
    return list(dict.fromkeys(users)), missing


@bp.route("/<int:course_id>/enrolments", methods=["GET", "POST"])
@access("login")
def enrolment_list(course_id: int):
    course = _managed_course(course_id)
    users_form, cohort_form, import_form = _forms(course)
    report = None
    try:
        if "users-people" in request.form and users_form.validate_on_submit():
            users, missing = _find_users(course, users_form.people.data)
            if missing:
                users_form.people.errors = [_("Not found in your academies: %(names)s", names=", ".join(missing))]
            else:
                result = enrolments.enrol_users(current_user, course, users)
                _enrolled_message(len(result.enrolled), len(result.already))
                return redirect(url_for("course_admin.enrolment_list", course_id=course.id))
        elif "cohort-cohort" in request.form and cohort_form.validate_on_submit():
            cohort = db.session.get(Cohort, cohort_form.cohort.data)
            result = enrolments.enrol_cohort(current_user, course, cohort)
            _enrolled_message(len(result.enrolled), len(result.already))
            return redirect(url_for("course_admin.enrolment_list", course_id=course.id))
        elif "import-csrf_token" in request.form and import_form.validate_on_submit():
            report = enrolments.import_enrolments_csv(current_user, course, import_form.file.data.read())
            if not report.errors:
                _enrolled_message(len(report.enrolled), len(report.already))
                return redirect(url_for("course_admin.enrolment_list", course_id=course.id))
            flash(_("Nothing was imported: correct the rows below and upload the file again."), "error")
    except DomainError as exc:
        flash(exc.message, "error")
    rows = db.session.scalars(
        select(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course.id)
        .order_by(User.display_name)
    ).all()
    outdated = sum(1 for e in rows if e.status == EnrolmentStatus.ACTIVE and e.version_id != course.current_version_id)
    return render_template(
        "courses/enrolments.html",
        course=course,
        enrolments=rows,
        users_form=users_form,
        cohort_form=cohort_form,
        import_form=import_form,
        report=report,
        outdated=outdated,
        action_form=EmptyForm(),
    )


@bp.route("/<int:course_id>/enrolments/<int:enrolment_id>/unenrol", methods=["POST"])
@access("login")
def unenrol(course_id: int, enrolment_id: int):
    course = _managed_course(course_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.course_id != course.id or not EmptyForm().validate_on_submit():
        abort(404)
    try:
        enrolments.unenrol(current_user, enrolment)
    except (DomainError, NotFoundError) as exc:
        flash(exc.message, "error")
    else:
        flash(_("%(name)s is unenrolled; their record is kept.", name=enrolment.user.display_name), "info")
    return redirect(url_for("course_admin.enrolment_list", course_id=course.id))


@bp.route("/<int:course_id>/enrolments/migrate", methods=["POST"])
@access("login")
def migrate(course_id: int):
    course = _managed_course(course_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    moved = enrolments.migrate_learners(current_user, course)
    flash(_("%(n)d learners now follow the current version.", n=moved), "success")
    return redirect(url_for("course_admin.enrolment_list", course_id=course.id))


def _report_filters() -> ReportFilters:
    args = request.args
    return ReportFilters(
        cohort=args.get("cohort", type=int),
        profession=args.get("profession", ""),
        country=args.get("country", ""),
        status=args.get("status", ""),
    )


@bp.route("/<int:course_id>/report")
@access("login")
def report(course_id: int):
    course = _managed_course(course_id)
    filters = _report_filters()
    return render_template(
        "courses/report.html",
        course=course,
        rows=report_rows(course, filters),
        columns=report_columns(),
        filters=filters,
        cohorts=_cohorts(course),
    )


@bp.route("/<int:course_id>/report.csv")
@access("login")
def report_download(course_id: int):
    course = _managed_course(course_id)
    filters = _report_filters()
    rows = report_rows(course, filters)
    audit.record(
        "course.report_exported",
        actor=current_user,
        obj=course,
        academy_id=course.academy_id,
        details={"rows": len(rows), "filters": {k: v for k, v in vars(filters).items() if v}},
    )
    db.session.commit()
    return Response(
        report_csv(rows),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{course.slug}-progress.csv"'},
    )
