"""Authoring routes under /teach: trainers of a course's academy (and administrators) edit, preview and publish."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from courses import authoring
from courses.forms import CourseForm, LessonForm, MediaForm, ModuleForm, PackageImportForm
from courses.models import STATUS_LABELS, CompletionMode, Course, CourseStatus, Lesson, Module
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm, show_error
from lms.i18n import LANGUAGE_NAMES, languages
from lms.models import Academy
from lms.sanitize import render_markdown
from lms.security import access

bp = Blueprint("teach", __name__, url_prefix="/teach", template_folder="templates")


def _course(course_id: int) -> Course:
    try:
        return authoring.get_editable_course(current_user, course_id)
    except NotFoundError:
        abort(404)


def _module(course: Course, module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or module.course_id != course.id:
        abort(404)
    return module


def _lesson(course: Course, lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.module.course_id != course.id:
        abort(404)
    return lesson


def _editable_academies() -> list[Academy]:
    query = select(Academy).order_by(Academy.name)
    if not current_user.is_admin:
        query = query.where(Academy.id.in_(current_user.academy_ids("trainer") or {-1}))
    return list(db.session.scalars(query))


@bp.route("/")
@access("trainer")
def course_list():
    query = select(Course).order_by(Course.title)
    if not current_user.is_admin:
        query = query.where(Course.academy_id.in_(current_user.academy_ids("trainer") or {-1}))
    return render_template(
        "courses/teach_list.html", courses=db.session.scalars(query).all(), status_labels=STATUS_LABELS
    )


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=course)
    form.academy.choices = [(a.id, a.name) for a in _editable_academies()]
    form.language.choices = [(code, LANGUAGE_NAMES[code]) for code in languages()]
    others = select(Course).order_by(Course.title)
    if course is not None:
        others = others.where(Course.id != course.id)
        if request.method == "GET":
            form.topics.data = ", ".join(course.topics or [])
            form.prerequisites.data = [c.id for c in course.prerequisites]
            form.academy.data = course.academy_id
    form.prerequisites.choices = [(c.id, c.title) for c in db.session.scalars(others)]
    return form


def _fields(form: CourseForm) -> authoring.CourseFields:
    from datetime import UTC

    def utc(value):
        return value.replace(tzinfo=UTC) if value else None

    return authoring.CourseFields(
        title=form.title.data,
        slug=form.slug.data,
        summary=form.summary.data or "",
        language=form.language.data,
        professions=form.professions.data or [],
        topics=[t.strip().lower().replace(" ", "-") for t in (form.topics.data or "").split(",") if t.strip()],
        estimated_hours=form.estimated_hours.data,
        self_enrolment=form.self_enrolment.data,
        restricted=form.restricted.data,
        enrolment_opens_at=utc(form.enrolment_opens_at.data),
        enrolment_closes_at=utc(form.enrolment_closes_at.data),
        prerequisite_ids=form.prerequisites.data or [],
    )


@bp.route("/new", methods=["GET", "POST"])
@access("trainer")
def course_create():
    form = _course_form(None)
    if form.validate_on_submit():
        academy = db.session.get(Academy, form.academy.data)
        try:
            course = authoring.create_course(current_user, academy, _fields(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The course has been created as a draft. Add modules and lessons."), "success")
            return redirect(url_for("teach.outline", course_id=course.id))
    return render_template("courses/teach_course_form.html", form=form, course=None)


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@access("trainer")
def course_edit(course_id: int):
    course = _course(course_id)
    form = _course_form(course)
    if form.validate_on_submit():
        fields = _fields(form)
        fields.completion_rule = course.completion_rule
        try:
            authoring.update_course(current_user, course, fields)
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The course settings have been saved."), "success")
            return redirect(url_for("teach.course_edit", course_id=course.id))
    return render_template(
        "courses/teach_course_form.html", form=form, course=course, action_form=EmptyForm(), status_labels=STATUS_LABELS
    )


@bp.route("/<int:course_id>/outline", methods=["GET", "POST"])
@access("trainer")
def outline(course_id: int):
    course = _course(course_id)
    form = ModuleForm()
    form.requires.choices = [(m.id, m.title) for m in course.modules]
    if form.validate_on_submit():
        try:
            authoring.add_module(
                current_user, course, form.title.data, form.summary.data or "", requires=form.requires.data or []
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The module has been added."), "success")
            return redirect(url_for("teach.outline", course_id=course.id))
    return render_template(
        "courses/teach_outline.html", course=course, form=form, action_form=EmptyForm(), status_labels=STATUS_LABELS
    )


@bp.route("/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
@access("trainer")
def module_edit(course_id: int, module_id: int):
    course = _course(course_id)
    module = _module(course, module_id)
    form = ModuleForm(obj=module)
    form.requires.choices = [(m.id, m.title) for m in course.modules if m.id != module.id]
    if form.validate_on_submit():
        try:
            authoring.update_module(
                current_user, module, form.title.data, form.summary.data or "", form.requires.data or []
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The module has been saved."), "success")
            return redirect(url_for("teach.outline", course_id=course.id))
    return render_template("courses/teach_module_form.html", course=course, module=module, form=form)


def _lesson_fields(form: LessonForm) -> authoring.LessonFields:
    return authoring.LessonFields(
        title=form.title.data,
        body_markdown=form.body_markdown.data or "",
        required=form.required.data,
        completion_mode=CompletionMode(form.completion_mode.data),
        content_notice=form.content_notice.data,
        restricted=form.restricted.data,
        video_url=form.video_url.data or None,
    )


@bp.route("/<int:course_id>/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@access("trainer")
def lesson_create(course_id: int, module_id: int):
    course = _course(course_id)
    module = _module(course, module_id)
    form = LessonForm()
    if form.validate_on_submit():
        try:
            lesson = authoring.add_lesson(current_user, module, _lesson_fields(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The lesson has been added."), "success")
            return redirect(url_for("teach.lesson_edit", course_id=course.id, lesson_id=lesson.id))
    return render_template("courses/teach_lesson_form.html", course=course, module=module, lesson=None, form=form)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@access("trainer")
def lesson_edit(course_id: int, lesson_id: int):
    course = _course(course_id)
    lesson = _lesson(course, lesson_id)
    form = LessonForm(obj=lesson)
    if request.method == "GET":
        form.completion_mode.data = lesson.completion_mode.value
    if form.validate_on_submit():
        try:
            authoring.update_lesson(current_user, lesson, _lesson_fields(form))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The lesson has been saved. Learners see it once the course is published again."), "success")
            return redirect(url_for("teach.lesson_edit", course_id=course.id, lesson_id=lesson.id))
    return render_template(
        "courses/teach_lesson_form.html", course=course, module=lesson.module, lesson=lesson, form=form
    )


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/preview")
@access("trainer")
def lesson_preview(course_id: int, lesson_id: int):
    """The draft lesson as a learner will see it once published."""
    from courses.views import lesson_html

    course = _course(course_id)
    lesson = _lesson(course, lesson_id)
    body = lesson_html(render_markdown(lesson.body_markdown), course.slug)
    return render_template("courses/teach_preview.html", course=course, lesson=lesson, body=body)


@bp.route("/<int:course_id>/items/<kind>/<int:item_id>/<action>", methods=["POST"])
@access("trainer")
def item_action(course_id: int, kind: str, item_id: int, action: str):
    """Move a module or lesson up or down, or delete it."""
    course = _course(course_id)
    if (
        not EmptyForm().validate_on_submit()
        or kind not in ("module", "lesson")
        or action not in ("up", "down", "delete")
    ):
        abort(400)
    item = _module(course, item_id) if kind == "module" else _lesson(course, item_id)
    if action == "delete":
        (authoring.delete_module if kind == "module" else authoring.delete_lesson)(current_user, item)
        flash(_("Deleted. Learners keep what they completed in published versions."), "info")
    else:
        authoring.move(current_user, item, -1 if action == "up" else 1)
    return redirect(url_for("teach.outline", course_id=course.id))


@bp.route("/<int:course_id>/publish", methods=["POST"])
@access("trainer")
def publish(course_id: int):
    course = _course(course_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        version = authoring.publish(current_user, course, note=request.form.get("note", ""))
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _(
                "Version %(n)d is published. Learners already enrolled stay on their version until you move them.",
                n=version.number,
            ),
            "success",
        )
    return redirect(url_for("teach.outline", course_id=course.id))


@bp.route("/<int:course_id>/status", methods=["POST"])
@access("trainer")
def set_status(course_id: int):
    course = _course(course_id)
    if not EmptyForm().validate_on_submit() or request.form.get("status") not in ("published", "archived"):
        abort(400)
    try:
        authoring.set_status(current_user, course, CourseStatus(request.form["status"]))
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("teach.course_edit", course_id=course.id))


@bp.route("/<int:course_id>/media", methods=["GET", "POST"])
@access("trainer")
def media_list(course_id: int):
    """The course's images and PDF attachments: upload, list (with the Markdown to link each), delete."""
    from courses import media

    course = _course(course_id)
    form = MediaForm()
    if form.validate_on_submit():
        upload = form.file.data
        limit = current_app.config["COURSES_UPLOAD_MAX_BYTES"]
        try:
            media.upload_media(current_user, course, upload.filename or "", upload.stream.read(limit + 1))
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The file has been uploaded."), "success")
            return redirect(url_for("teach.media_list", course_id=course.id))
    return render_template(
        "courses/teach_media.html",
        course=course,
        form=form,
        items=media.course_media(course),
        action_form=EmptyForm(),
    )


@bp.route("/<int:course_id>/media/<int:media_id>/delete", methods=["POST"])
@access("trainer")
def media_delete(course_id: int, media_id: int):
    from courses import media
    from courses.models import Media

    course = _course(course_id)
    item = db.session.get(Media, media_id)
    if item is None or item.course_id != course.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    media.delete_media(current_user, item)
    flash(_("The file has been deleted."), "info")
    return redirect(url_for("teach.media_list", course_id=course.id))


@bp.route("/<int:course_id>/package")
@access("trainer")
def package_download(course_id: int):
    """The course (its current draft) as a course package .zip (audited)."""
    from flask import Response

    from courses import packages

    course = _course(course_id)
    data = packages.zip_bytes(packages.export_files(course))
    audit.record("course.exported", actor=current_user, obj=course, academy_id=course.academy_id)
    db.session.commit()
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{course.slug}.zip"', "Cache-Control": "no-store"},
    )


@bp.route("/import", methods=["GET", "POST"])
@access("trainer")
def package_import():
    """Upload a course package: checked whole first, then applied all or nothing (or only checked)."""
    import tempfile
    from pathlib import Path

    from courses import packages

    form = PackageImportForm()
    form.academy.choices = [(a.id, a.name) for a in _editable_academies()]
    problems, result = [], None
    if form.validate_on_submit():
        with tempfile.TemporaryDirectory(prefix="lms-import-") as folder:
            path = Path(folder) / "package.zip"
            form.file.data.save(path)
            try:
                result = packages.import_package(
                    path,
                    academy=db.session.get(Academy, form.academy.data),
                    actor=current_user,
                    dry_run=form.dry_run.data,
                )
            except packages.PackageInvalidError as exc:
                problems = exc.problems
            except DomainError as exc:
                show_error(form, exc)
        if result is not None and result.action != "checked":
            course = db.session.scalar(select(Course).where(Course.slug == result.slug))
            done = {
                "created": _("The course package has been imported: a new course was created."),
                "updated": _("The course package has been imported: the course was updated."),
                "unchanged": _("The course package has been imported: nothing had changed."),
            }
            flash(done.get(result.action, done["updated"]), "success")
            return redirect(url_for("teach.outline", course_id=course.id))
    return render_template("courses/teach_import.html", form=form, problems=problems, result=result)
