"""The trainer's page listing a quiz's questions with the status of their translation into each language, part
of /teach (the course's translation-status table links its summary row of the quiz's questions here).
Question translations come from the course package's GIFT files; this page shows their status only."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from courses.translating import STATUS_LABELS, target_languages
from lms.security import access
from quizzes import authoring, translating
from quizzes.teach_views import _course, _found, bp


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/translations")
@access("trainer")
def quiz_translations(course_id: int, quiz_id: int):
    """Each question of the quiz x the languages: translated, outdated, incomplete or missing."""
    course = _course(course_id)
    quiz = _found(authoring.quiz_of_course, course, quiz_id)
    wanted = request.args.get("lang", "")
    extra = (wanted,) if wanted in target_languages(course) else ()
    table = translating.quiz_translation_status(current_user, quiz, extra)
    return render_template(
        "quizzes/teach_quiz_translations.html",
        course=course,
        quiz=quiz,
        table=table,
        wanted=wanted,
        status_labels=STATUS_LABELS,
    )
