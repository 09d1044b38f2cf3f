"""The export page for registrars and administrators: filters, a preview of the first rows, and the download."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from lms.exceptions import DomainError, NotFoundError
from lms.forms import EmptyForm
from lms.models import COUNTRIES, PROFESSIONS
from lms.security import access
from records import export_jobs
from records import exports as service
from records.export_forms import ExportForm
from records.filters import ExportFilters

bp = Blueprint("records_exports", __name__, url_prefix="/records/exports", template_folder="templates")


def _form(data) -> ExportForm:
    form = ExportForm(data)
    mine = service.export_academies(current_user)
    ids = None if current_user.is_admin else {a.id for a in mine}
    everything = [("", _("All"))]
    form.kind.choices = list(service.kind_labels().items())
    form.format.choices = list(service.format_labels().items())
    form.academy.choices = [("", _("All your academies"))] + [(a.id, a.name) for a in mine]
    form.course.choices = everything + [(c.id, c.title) for c in service.export_courses(ids)]
    form.cohort.choices = everything + [(c.id, f"{c.name} ({c.academy.name})") for c in service.export_cohorts(ids)]
    form.profession.choices = everything + [(k, str(v)) for k, v in PROFESSIONS.items()]
    form.country.choices = everything + [(k, str(v)) for k, v in COUNTRIES.items()]
    return form


def _wanted(form: ExportForm) -> service.FilterInput:
    """What the (validated) form asks for."""
    return service.FilterInput(
        academy_id=form.academy.data,
        course_id=form.course.data,
        cohort_id=form.cohort.data,
        profession=form.profession.data or "",
        country=form.country.data or "",
        since=form.since.data,
        until=form.until.data,
    )


def _filters(form: ExportForm) -> ExportFilters | None:
    """The filters the form asks for, or None with the problem on the form."""
    if not form.validate():
        return None
    try:
        return service.build_filters(current_user, _wanted(form))
    except DomainError as exc:
        target = getattr(form, exc.field or "", None)
        if target is None:
            raise
        target.errors = [*target.errors, exc.message]
        return None


@bp.route("")
@access("registrar")
def export_page():
    form = _form(request.args)
    filters = _filters(form)
    kind = form.kind.data if form.kind.data in service.KINDS else "progress"
    rows = service.preview(current_user, kind, filters) if filters is not None else []
    return render_template(
        "records/exports.html",
        form=form,
        columns=[label for _key, label in service.columns(kind)],
        rows=rows,
        shown=filters is not None,
        limit=service.PREVIEW_ROWS,
    ), (200 if filters is not None else 422)


@bp.route("/download", methods=["POST"])
@access("registrar")
def export_download():
    # A POST with the CSRF token: an export writes an audit event, and a GET must change nothing.
    if not EmptyForm().validate_on_submit():
        abort(400)
    form = _form(request.form)
    filters = _filters(form)
    if filters is None:
        abort(400)
    try:
        # The user object itself, not the proxy: the export is audited at the end of the stream.
        job = service.start_export(current_user._get_current_object(), form.kind.data, form.format.data, filters)
    except NotFoundError:
        abort(404)
    # The rows are read and written as the client downloads them; the export is audited when it ends.
    return Response(
        stream_with_context(job.chunks()),
        content_type=job.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{job.filename}"'},
    )


@bp.route("/prepare", methods=["POST"])
@access("registrar")
def export_prepare():
    # The same form as the download; the file is written by a background job whose page shows its progress.
    if not EmptyForm().validate_on_submit():
        abort(400)
    form = _form(request.form)
    if _filters(form) is None:
        abort(400)
    try:
        job = export_jobs.start_export_job(
            current_user._get_current_object(), form.kind.data, form.format.data, _wanted(form)
        )
    except NotFoundError:
        abort(404)
    return redirect(url_for("jobs.job_detail", job_id=job.id))


@bp.route("/files/<int:job_id>")
@access("registrar")
def export_file(job_id: int):
    # Reads the file only (a GET changes nothing): the export was audited when the job wrote it.
    found = export_jobs.export_file(current_user, job_id)
    if found is None:
        abort(404)
    return send_file(found.path, mimetype=found.mimetype, as_attachment=True, download_name=found.filename)
