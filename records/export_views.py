"""The export page for registrars and administrators: filters, a preview of the first rows, and the download."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user

from lms.exceptions import DomainError, NotFoundError
from lms.forms import EmptyForm
from lms.models import COUNTRIES, PROFESSIONS
from lms.security import access
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


def _filters(form: ExportForm) -> ExportFilters | None:
    """The filters the form asks for, or None with the problem on the form."""
    if not form.validate():
        return None
    wanted = service.FilterInput(
        academy_id=form.academy.data,
        course_id=form.course.data,
        cohort_id=form.cohort.data,
        profession=form.profession.data or "",
        country=form.country.data or "",
        since=form.since.data,
        until=form.until.data,
    )
    try:
        return service.build_filters(current_user, wanted)
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
