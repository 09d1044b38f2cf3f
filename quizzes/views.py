"""Learners' quiz pages: the quiz's page, taking an attempt (paged, saved on every page change and by the
autosave script), the summary before finishing, and the review the quiz's options allow."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from courses.languages import reading
from courses.models import Course
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import EmptyForm
from lms.models.base import utcnow
from lms.security import access
from quizzes import attempts as service
from quizzes.bank import question_type
from quizzes.models import GRADING_LABELS, Attempt, AttemptState, Quiz
from quizzes.rendering import page_count, page_of, rendered
from quizzes.translating import quiz_outdated
from quizzes.translations import attempt_reading, item_config

bp = Blueprint("quizzes", __name__, template_folder="templates", static_folder="static", static_url_path="/quiz-static")


def _quiz_or_404(slug: str, quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if quiz is None or course is None or quiz.course_id != course.id:
        abort(404)
    try:
        service.learner_enrolment(current_user, quiz)
    except NotFoundError:
        abort(404)
    return quiz


def _locked(quiz: Quiz) -> list[str]:
    """Titles of the modules to complete before the quiz's module opens (empty: open)."""
    from courses.progress import build_outline

    if quiz.module_id is None:
        return []
    outline = build_outline(service.learner_enrolment(current_user, quiz))
    state = next((m for m in outline.modules if m.module.module_id == quiz.module_id), None)
    return list(state.missing) if state is not None and not state.open else []


def _refuse_locked(quiz: Quiz, slug: str):
    missing = _locked(quiz)
    if missing:
        flash(_("Complete these modules first: %(titles)s", titles=", ".join(missing)), "info")
        return redirect(url_for("courses.detail", slug=slug))
    return None


def _attempt_or_404(attempt_id: int) -> Attempt:
    try:
        return service.attempt_of(current_user, attempt_id)
    except NotFoundError:
        abort(404)


@bp.route("/learn/<slug>/quizzes/<int:quiz_id>")
@access("login")
def quiz_page(slug: str, quiz_id: int):
    quiz = _quiz_or_404(slug, quiz_id)
    refused = _refuse_locked(quiz, slug)
    if refused:
        return refused
    in_progress = service.open_attempt(quiz, current_user)
    past = service.user_attempts(quiz, current_user)
    settings = service.settings_for(quiz, current_user)
    now = utcnow()
    return render_template(
        "quizzes/quiz_page.html",
        quiz=quiz,
        slug=slug,
        settings=settings,
        attempts=past,
        in_progress=in_progress,
        grade=service.quiz_grade(quiz, past),
        review_of=lambda a: review_options(quiz, a, settings, now),
        blocked=None if in_progress else service.why_not_start(quiz, current_user, settings, past, now),
        grading_labels=GRADING_LABELS,
        outdated=quiz_outdated(quiz, reading(quiz.course).key),
        form=EmptyForm(),
    )


@bp.route("/learn/<slug>/quizzes/<int:quiz_id>/start", methods=["POST"])
@access("login")
def start(slug: str, quiz_id: int):
    quiz = _quiz_or_404(slug, quiz_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    refused = _refuse_locked(quiz, slug)
    if refused:
        return refused
    try:
        attempt = service.start_attempt(current_user, quiz, language=reading(quiz.course).lang)
    except NotFoundError:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("quizzes.quiz_page", slug=slug, quiz_id=quiz.id))
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))


def _page_number(attempt: Attempt) -> int:
    page = request.args.get("page", request.form.get("page", "1"))
    return min(max(int(page) if str(page).isdigit() else 1, 1), page_count(attempt))


def _finished(attempt: Attempt, message: str | None = None):
    if message:
        flash(message, "info")
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


def _render_attempt(attempt: Attempt, page: int, form=None, status: int = 200):
    items = [rendered(attempt, item, form) for item in page_of(attempt, page)]
    return (
        render_template(
            "quizzes/attempt.html",
            attempt=attempt,
            quiz=attempt.quiz,
            title=_quiz_title(attempt),
            items=items,
            page=page,
            pages=page_count(attempt),
            form=EmptyForm(),
            autosave_seconds=current_app.config["QUIZZES_AUTOSAVE_SECONDS"],
            deadline=attempt.deadline_at,
            server_now=utcnow(),
            grace_seconds=current_app.config["QUIZZES_GRACE_SECONDS"],
        ),
        status,
    )


def _quiz_title(attempt: Attempt):
    """The quiz's title in the attempt's language (a Shown: its text and language)."""
    quiz = attempt.quiz
    return attempt_reading(attempt).text(quiz.title, quiz.translations, "title")


def _positions() -> list[int]:
    return [int(p) for p in request.form.getlist("positions") if p.isdigit()]


def _seq() -> int:
    value = request.form.get("seq", "")
    return int(value) if value.isdigit() else -1


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@access("login")
def attempt_page(attempt_id: int):
    """One page of an attempt; a POST saves the page, then moves as the button says."""
    attempt = _attempt_or_404(attempt_id)
    if attempt.state != AttemptState.IN_PROGRESS or service.open_attempt(attempt.quiz, current_user) is None:
        return _finished(attempt)
    page = _page_number(attempt)
    if request.method == "GET":
        return _render_attempt(attempt, page)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        service.save_responses(attempt, _seq(), request.form, _positions())
    except service.TimeUpError as exc:
        return _finished(attempt, exc.message)
    except service.StaleSaveError as exc:
        flash(exc.message, "error")
        db.session.refresh(attempt)
        return _render_attempt(attempt, page, form=request.form, status=409)
    target = {"next": page + 1, "previous": page - 1}.get(request.form.get("go", ""), page)
    if request.form.get("go") == "finish":
        return redirect(url_for("quizzes.summary", attempt_id=attempt.id))
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id, page=max(target, 1)))


@bp.route("/attempts/<int:attempt_id>/autosave", methods=["POST"])
@access("login")
def autosave(attempt_id: int):
    """The autosave script's save (JSON answer): 200 with the new sequence number, 409 for a stale save,
    410 once time is up."""
    attempt = _attempt_or_404(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    now = utcnow()
    try:
        seq = service.save_responses(attempt, _seq(), request.form, _positions(), now)
    except service.TimeUpError as exc:
        return _json_error(410, "time_up", exc.message)
    except service.StaleSaveError as exc:
        return _json_error(409, "stale", exc.message)
    return jsonify({"seq": seq, "saved_at": now.isoformat()})


def _json_error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message, "field": "seq"}}), status


@bp.route("/attempts/<int:attempt_id>/summary")
@access("login")
def summary(attempt_id: int):
    """Which questions are answered, before finishing."""
    attempt = _attempt_or_404(attempt_id)
    if attempt.state != AttemptState.IN_PROGRESS or service.open_attempt(attempt.quiz, current_user) is None:
        return _finished(attempt)
    answered = {i.position: i.response not in (None, "", [], {}) for i in attempt.items}
    return render_template(
        "quizzes/attempt_summary.html",
        attempt=attempt,
        quiz=attempt.quiz,
        title=_quiz_title(attempt),
        answered=answered,
        form=EmptyForm(),
    )


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@access("login")
def submit(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        _attempt, late = service.submit_attempt(attempt, _seq(), request.form, _positions())
    except service.StaleSaveError as exc:
        flash(exc.message, "error")
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))
    if late:
        flash(_("Time ran out before the attempt was submitted: the answers saved in time have been graded."), "info")
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


def review_options(quiz: Quiz, attempt: Attempt, settings: service.Settings, now: datetime) -> dict[str, bool]:
    """What the learner may see of a finished attempt now: the quiz's "after close" options once it has closed
    for them, its "after submit" options before."""
    if attempt.state != AttemptState.FINISHED:
        return dict.fromkeys(("responses", "marks", "feedback", "right_answers"), False)
    closed = settings.close_at is not None and now >= settings.close_at
    return dict((quiz.review or {}).get("after_close" if closed else "after_submit", {}))


@bp.route("/attempts/<int:attempt_id>/review")
@access("login")
def review(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    if attempt.state != AttemptState.FINISHED:
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))
    quiz = attempt.quiz
    shown = review_options(quiz, attempt, service.settings_for(quiz, current_user), utcnow())
    items = []
    for item in attempt.items:
        qtype = question_type(item.version.qtype)
        config = item_config(item)  # the attempt's language: feedback and right answers as the learner read them
        grade = qtype.grade(config, item.response) if shown.get("feedback") else None
        items.append(
            {
                "question": rendered(attempt, item) if shown.get("responses") else None,
                "item": item,
                "feedback": _feedback_texts(grade) if grade else [],
                "right_answer": qtype.right_answer_summary(config) if shown.get("right_answers") else "",
            }
        )
    course = db.session.get(Course, quiz.course_id)
    return render_template("quizzes/attempt_review.html", attempt=attempt, quiz=quiz, course=course, items=items,
                           shown=shown, title=_quiz_title(attempt))  # fmt: skip


def _feedback_texts(grade) -> list[str]:
    texts = [t for t in grade.feedback.values() if t]
    if grade.comment:
        texts.append(grade.comment)
    if grade.general_feedback:
        texts.append(grade.general_feedback)
    return texts
