"""Learner-facing routes: the catalog (/), course pages, self-enrolment, lessons and progress."""

from __future__ import annotations

import re
from functools import lru_cache

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, lazyload

from courses import enrolment as enrolments
from courses import languages, progress
from courses.catalog import CatalogFilters, catalog
from courses.models import Course
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models import Academy
from lms.security import access

bp = Blueprint("courses", __name__, template_folder="templates")

MEDIA_LINK = re.compile(r'(src|href)="media/')


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not enrolments.course_visible_to(course, current_user):
        abort(404)
    return course


@bp.route("/catalog")
@access("public")
def catalog_page():
    args = request.args
    filters = CatalogFilters(
        profession=args.get("profession", ""),
        language=args.get("language", ""),
        academy=args.get("academy", type=int),
        topic=args.get("topic", ""),
        q=args.get("q", "").strip(),
    )
    courses = catalog(current_user, filters)
    academies = db.session.scalars(select(Academy).order_by(Academy.name)).all()
    topics = sorted({t for c in catalog(current_user, CatalogFilters()) for t in (c.topics or [])})
    return render_template("courses/catalog.html", courses=courses, filters=filters, academies=academies, topics=topics)


@bp.route("/courses/<slug>")
@access("public")
def detail(slug: str):
    course = _course_or_404(slug)
    languages.remember_pick(course)
    enrolment = enrolments.enrolment_of(current_user, course) if current_user.is_authenticated else None
    outline = progress.build_outline(enrolment) if enrolment else None
    version_outline = None
    if outline is None and course.current_version_id:
        version_outline = _public_outline(course)
    missing = enrolments.missing_prerequisites(current_user, course) if current_user.is_authenticated else []
    from courses.plugin import outline_items

    return render_template(
        "courses/course_detail.html",
        extras=outline_items(course, enrolment) if outline else {},
        course=course,
        enrolment=enrolment,
        outline=outline,
        version_outline=version_outline,
        missing=missing,
        window_open=enrolments.window_open(course),
        form=EmptyForm(),
        reading=languages.reading(course),
    )


def _public_outline(course: Course):
    from sqlalchemy.orm import defer

    from courses.models import VersionLesson, VersionModule

    modules = db.session.scalars(
        select(VersionModule)
        .where(VersionModule.version_id == course.current_version_id)
        .order_by(VersionModule.position)
    ).all()
    lessons = db.session.scalars(
        select(VersionLesson)
        .options(defer(VersionLesson.body_html))
        .where(VersionLesson.version_id == course.current_version_id, VersionLesson.restricted.is_(False))
        .order_by(VersionLesson.position)
    ).all()
    return [(m, [lesson for lesson in lessons if lesson.module_id == m.module_id]) for m in modules]


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@access("login")
def enrol(slug: str):
    course = _course_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        enrolments.self_enrol(current_user, course)
    except NotFoundError:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("courses.detail", slug=slug))
    flash(_("You are enrolled. Welcome to the course!"), "success")
    return redirect(url_for("courses.resume", slug=slug))


@lru_cache(maxsize=1)
def _enrolment_statement():
    """The learner's enrolment with its course and version, found by the course's slug in one query (built once:
    see lms._user_statement). The course comes from the join that finds it (not a second join), and the learner
    is the signed-in user already loaded (lazyload finds it in the session instead of joining the user and
    reloading their memberships). The course's academy is not joined either: the learner's pages do not show
    it, and the few paths that need it (issuing a certificate) load it then."""
    from courses.models import Enrolment, EnrolmentStatus

    return (
        select(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .options(contains_eager(Enrolment.course).lazyload(Course.academy), lazyload(Enrolment.user))
        .where(
            Course.slug == bindparam("slug"),
            Enrolment.user_id == bindparam("user_id"),
            Enrolment.status != EnrolmentStatus.UNENROLLED,
        )
    )


def _outline_or_404(slug: str) -> progress.Outline:
    enrolment = db.session.scalar(_enrolment_statement(), {"slug": slug, "user_id": current_user.id})
    if enrolment is None:
        abort(404)
    return progress.build_outline(enrolment)


@bp.route("/learn/<slug>")
@access("login")
def resume(slug: str):
    outline = _outline_or_404(slug)
    lesson_id = progress.resume_lesson_id(outline)
    if lesson_id is None:
        flash(_("There is no lesson you can open yet."), "info")
        return redirect(url_for("courses.detail", slug=slug))
    return redirect(url_for("courses.lesson", slug=slug, lesson_id=lesson_id))


def lesson_html(html: str, slug: str) -> Markup:
    """Stored (already sanitized) lesson HTML with its media/ links pointing at the course's media route."""
    base = url_for("courses.media", slug=slug, filename="")
    return Markup(MEDIA_LINK.sub(lambda m: f'{m.group(1)}="{base}', html))  # noqa: S704 - sanitized on publish


@bp.route("/learn/<slug>/lessons/<int:lesson_id>")
@access("login")
def lesson(slug: str, lesson_id: int):
    outline = _outline_or_404(slug)
    if outline.state_of(lesson_id) is None:
        abort(404)
    course = outline.enrolment.course
    languages.remember_pick(course)
    reading = languages.reading(course)
    module_state, state = outline.state_of(lesson_id)
    if not module_state.open:
        flash(_("Complete these modules first: %(titles)s", titles=", ".join(module_state.missing)), "info")
        return redirect(url_for("courses.detail", slug=slug))
    if enrolments.prerequisites_pending(outline.enrolment):
        missing = enrolments.missing_prerequisites(current_user, outline.enrolment.course)
        flash(_("Complete these courses first: %(titles)s", titles=", ".join(c.title for c in missing)), "info")
        return redirect(url_for("courses.detail", slug=slug))
    record = outline.progress.get(lesson_id)
    lesson_row = state.lesson
    if lesson_row.content_notice and not (record and record.notice_acknowledged_at):
        return render_template(
            "courses/content_notice.html", outline=outline, lesson=lesson_row, form=EmptyForm(), reading=reading
        )
    body, body_lang, body_fallback = progress.load_lesson_body(outline.enrolment, lesson_id, reading)
    if progress.open_lesson(outline, lesson_id):
        # The commit expired the loaded rows: read the outline again in its three queries rather than
        # reloading each row as the template touches it.
        outline = progress.build_outline(outline.enrolment)
        _module_state, state = outline.state_of(lesson_id)
    previous, following = outline.neighbours(lesson_id)
    return render_template(
        "courses/lesson.html",
        outline=outline,
        lesson=lesson_row,
        state=state,
        body=lesson_html(body, slug),
        body_lang=body_lang,
        body_fallback=body_fallback,
        reading=reading,
        previous=previous,
        following=following,
        form=EmptyForm(),
        lesson_url=url_for("courses.lesson", slug=slug, lesson_id=0)[:-1],
        titles=progress.outline_titles(*progress.version_key(outline.enrolment), reading),
    )


def _post_lesson_action(slug: str, lesson_id: int, action):
    outline = _outline_or_404(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        action(outline, lesson_id)
    except NotFoundError:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("courses.detail", slug=slug))
    return None


@bp.route("/learn/<slug>/lessons/<int:lesson_id>/complete", methods=["POST"])
@access("login")
def complete_lesson(slug: str, lesson_id: int):
    refused = _post_lesson_action(slug, lesson_id, progress.complete_lesson)
    if refused:
        return refused
    outline = _outline_or_404(slug)
    if outline.enrolment.completed_at is not None:
        flash(_("You have completed the course."), "success")
        return redirect(url_for("courses.detail", slug=slug))
    _previous, following = outline.neighbours(lesson_id)
    if following is not None:
        return redirect(url_for("courses.lesson", slug=slug, lesson_id=following.lesson.lesson_id))
    return redirect(url_for("courses.resume", slug=slug))


@bp.route("/learn/<slug>/lessons/<int:lesson_id>/acknowledge", methods=["POST"])
@access("login")
def acknowledge(slug: str, lesson_id: int):
    refused = _post_lesson_action(slug, lesson_id, progress.acknowledge_notice)
    return refused or redirect(url_for("courses.lesson", slug=slug, lesson_id=lesson_id))


@bp.route("/learn/<slug>/media/<path:filename>")
@access("login")
def media(slug: str, filename: str):
    """A course's image or PDF, only for its enrolled learners and its editors; never from the static folder."""
    from flask import send_file

    from courses.models import Media

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not (course.user_can_edit(current_user) or enrolments.enrolment_of(current_user, course)):
        abort(404)
    item = db.session.scalar(select(Media).where(Media.course_id == course.id, Media.filename == filename))
    if item is None:
        abort(404)
    from courses.media import open_media

    try:
        handle = open_media(item)
    except FileNotFoundError:
        current_app.logger.error("media %s (%s) is missing from the media store", item.id, item.storage_key)
        abort(404)
    response = send_file(
        handle,
        mimetype=item.content_type,
        download_name=item.filename,
        as_attachment=False,
        conditional=True,
        etag=item.sha256,  # the content's hash: the same on every app machine and for every store
        last_modified=item.created_at,
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
