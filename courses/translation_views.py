"""The trainer's translation pages, part of /teach: a course's translation-status table and the form that
translates the course, a module, a lesson (or a kind another plugin adds: a quiz) into one language (trainers of
the course's academy; others 404)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from courses import languages, translating
from courses.forms import TranslationForm
from courses.teach_views import _course, _lesson, _module, bp
from courses.views import lesson_html
from lms.exceptions import DomainError
from lms.forms import show_error
from lms.sanitize import render_markdown
from lms.security import access


def _item(course, kind: str, item_id: int):
    """The course, or one of its modules or lessons, by kind and id (404 for anything else)."""
    if kind == "course" and item_id == course.id:
        return course
    if kind == "module":
        return _module(course, item_id)
    if kind == "lesson":
        return _lesson(course, item_id)
    loader = translating.item_loader(kind)
    item = loader(course, item_id) if loader is not None else None
    if item is None:
        abort(404)
    return item


@bp.route("/<int:course_id>/translations")
@access("trainer")
def translations(course_id: int):
    """Every text of the course x its languages: translated, outdated, incomplete or missing."""
    course = _course(course_id)
    possible = translating.target_languages(course)
    started = request.args.get("lang", "")
    table = translating.translation_status(current_user, course, (started,) if started in possible else ())
    return render_template(
        "courses/teach_translations.html",
        course=course,
        table=table,
        others=[lang for lang in possible if lang not in table.languages],
        status_labels=translating.STATUS_LABELS,
    )


@bp.route("/<int:course_id>/translations/<kind>/<int:item_id>/<lang>", methods=["GET", "POST"])
@access("trainer")
def translation_edit(course_id: int, kind: str, item_id: int, lang: str):
    """Translate the course, a module or a lesson into ``lang``, its source beside the fields."""
    course = _course(course_id)
    item = _item(course, kind, item_id)
    if lang not in translating.target_languages(course):
        abort(404)
    saved = (item.translations or {}).get(lang) or {}
    form = TranslationForm(data=saved if request.method == "GET" else None)
    names = languages.TRANSLATED_FIELDS[kind]
    if form.validate_on_submit():
        try:
            translating.save_translation(current_user, kind, item, lang, {n: form[n].data for n in names})
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(
                _("The translation has been saved.")
                if kind not in ("module", "lesson")  # read from the draft at once: the course's texts, a quiz's
                else _("The translation has been saved. Learners see it once the course is published again."),
                "success",
            )
            return redirect(
                url_for("teach.translation_edit", course_id=course.id, kind=kind, item_id=item.id, lang=lang)
            )
    body = saved.get("body_markdown") if kind == "lesson" else None
    return render_template(
        "courses/teach_translation_form.html",
        course=course,
        kind=kind,
        item=item,
        lang=lang,
        form=form,
        names=names,
        status=translating.status_of(kind, item, lang),
        statuses={other: translating.status_of(kind, item, other) for other in translating.target_languages(course)},
        status_labels=translating.STATUS_LABELS,
        preview=lesson_html(render_markdown(body), course.slug) if body else None,
    )
