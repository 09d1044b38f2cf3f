"""Trainers' and registrars' pages on results: grading essays, overriding grades, regrading, item analysis,
results with CSV, and learners' accommodations.

Pages under /teach/<course_id>/quizzes/<quiz_id>/ are for the course's academy: its trainers grade; its
registrars read the results, the attempts and the analysis. Another academy's staff get 404; people who are
neither trainers nor registrars anywhere get 403.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from courses.models import Course
from lms.accounts.services import get_managed_user
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.forms import show_error
from lms.models import User
from lms.security import access
from quizzes import grading
from quizzes import reports as report
from quizzes.authoring import accommodation_of, quiz_of_course, set_accommodation
from quizzes.bank import question_type
from quizzes.models import Attempt, AttemptQuestion, AttemptState, Question, Quiz
from quizzes.report_forms import AccommodationForm, GradeForm, OverrideForm, RegradeForm

bp = Blueprint("quizzes_reports", __name__, template_folder="templates")

QUIZ = "/teach/<int:course_id>/quizzes/<int:quiz_id>"
ITEM = QUIZ + "/attempts/<int:attempt_id>/items/<int:item_id>"


@bp.context_processor
def _template_helpers() -> dict:
    return {"display": report.display, "quiz_staff_links": report.quiz_staff_links}


# --- loading -----------------------------------------------------------------------------------------------


def _staff_quiz(course_id: int, quiz_id: int, grader: bool = False) -> tuple[Course, Quiz]:
    """The course and quiz for its academy's trainers (``grader``) or trainers and registrars; 404 otherwise
    (the "staff" rule has already refused people who are neither anywhere)."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    allowed = course.user_can_edit(current_user) if grader else course.user_can_manage_enrolments(current_user)
    if not allowed:
        abort(404)
    try:
        return course, quiz_of_course(course, quiz_id)
    except NotFoundError:
        abort(404)


def _attempt(quiz: Quiz, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.quiz_id != quiz.id:
        abort(404)
    return attempt


def _item(quiz: Quiz, attempt_id: int, item_id: int) -> AttemptQuestion:
    try:
        item = grading.item_of_quiz(quiz, item_id)
    except NotFoundError:
        abort(404)
    if item.attempt_id != attempt_id or item.max_mark <= 0:
        abort(404)
    return item


def _filters() -> report.ResultFilters:
    args = request.args
    return report.ResultFilters(
        cohort=args.get("cohort", type=int), profession=args.get("profession", ""), country=args.get("country", "")
    )


def _csv(lines, course: Course, quiz: Quiz, kind: str, rows: int, filters: report.ResultFilters) -> Response:
    report.record_export(current_user, quiz, kind, rows, filters)
    return Response(
        lines,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{course.slug}-{quiz.slug}-{kind}.csv"'},
    )


def _regrade_form(quiz: Quiz) -> RegradeForm:
    form = RegradeForm(prefix="regrade")
    form.question.choices = report.regrade_choices(quiz)
    return form


# --- results and regrading ---------------------------------------------------------------------------------


@bp.route(QUIZ + "/results")
@access("staff")
def results(course_id: int, quiz_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id)
    filters = _filters()
    rows = report.result_rows(quiz, report.load_attempts(quiz, filters))
    if request.args.get("format") == "csv":
        return _csv(report.results_csv(quiz, rows), course, quiz, "results", len(rows), filters)
    return render_template(
        "quizzes/report_results.html",
        course=course,
        quiz=quiz,
        rows=rows,
        columns=report.result_columns(quiz),
        filters=filters,
        cohorts=report.course_cohorts(course),
        regrade_form=_regrade_form(quiz) if course.user_can_edit(current_user) else None,
    )


@bp.route(QUIZ + "/regrade", methods=["POST"])
@access("trainer")
def regrade(course_id: int, quiz_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id, grader=True)
    form = _regrade_form(quiz)
    if not form.validate_on_submit():
        flash(_("Choose a question that the quiz's attempts used."), "error")
        return redirect(url_for(".results", course_id=course.id, quiz_id=quiz.id))
    question = db.session.get(Question, form.question.data)
    changes = grading.regrade(current_user, quiz, question)
    return render_template(
        "quizzes/report_regrade.html",
        course=course,
        quiz=quiz,
        question=question,
        rows=report.regrade_rows(changes),
    )


# --- the staff review of an attempt ------------------------------------------------------------------------


def _item_forms(entry: report.ReviewEntry, failed: FlaskForm | None, failed_id: int | None) -> dict:
    item = entry.item
    override = OverrideForm(formdata=None, prefix=f"o{item.id}", marks=report.earned_marks(item))
    grade = GradeForm(formdata=None, prefix=f"g{item.id}", marks=report.earned_marks(item), comment=item.comment)
    if failed is not None and failed_id == item.id:
        override, grade = (failed, grade) if isinstance(failed, OverrideForm) else (override, failed)
    return {"override": override, "grade": grade if entry.manual else None}


def _review_page(course: Course, quiz: Quiz, attempt: Attempt, failed: FlaskForm | None = None, item_id=None):
    entries = report.review_entries(attempt)
    may_grade = course.user_can_edit(current_user) and attempt.state == AttemptState.FINISHED
    forms = {e.item.id: _item_forms(e, failed, item_id) for e in entries if e.item.max_mark > 0} if may_grade else {}
    page = render_template(
        "quizzes/report_attempt.html",
        course=course,
        quiz=quiz,
        attempt=attempt,
        entries=entries,
        forms=forms,
    )
    return page, 400 if failed is not None else 200


@bp.route(QUIZ + "/attempts/<int:attempt_id>")
@access("staff")
def attempt_review(course_id: int, quiz_id: int, attempt_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id)
    return _review_page(course, quiz, _attempt(quiz, attempt_id))


def _back_to_review(quiz: Quiz, item: AttemptQuestion):
    args = {"course_id": quiz.course_id, "quiz_id": quiz.id, "attempt_id": item.attempt_id}
    return redirect(url_for(".attempt_review", **args, _anchor=f"item-{item.id}"))


@bp.route(ITEM + "/override", methods=["POST"])
@access("trainer")
def override(course_id: int, quiz_id: int, attempt_id: int, item_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id, grader=True)
    item = _item(quiz, attempt_id, item_id)
    form = OverrideForm(prefix=f"o{item.id}")
    if form.validate_on_submit():
        try:
            grading.override_grade(current_user, quiz, item, form.marks.data, form.reason.data)
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The grade of question %(n)d is overridden.", n=item.position), "success")
            return _back_to_review(quiz, item)
    return _review_page(course, quiz, item.attempt, form, item.id)


def _grade(quiz: Quiz, item: AttemptQuestion) -> GradeForm | None:
    """Grade an essay from the posted form: None when graded, else the form with its errors."""
    if not question_type(item.version.qtype).manual:
        abort(404)
    form = GradeForm(prefix=f"g{item.id}")
    if form.validate_on_submit():
        try:
            grading.grade_essay(current_user, quiz, item, form.marks.data, form.comment.data or "")
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(
                _("Question %(n)d of %(name)s is graded.", n=item.position, name=item.attempt.user.display_name),
                "success",
            )
            return None
    return form


@bp.route(ITEM + "/grade", methods=["POST"])
@access("trainer")
def grade(course_id: int, quiz_id: int, attempt_id: int, item_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id, grader=True)
    item = _item(quiz, attempt_id, item_id)
    form = _grade(quiz, item)
    return _back_to_review(quiz, item) if form is None else _review_page(course, quiz, item.attempt, form, item.id)


# --- the grading queue -------------------------------------------------------------------------------------


def _queue_page(course: Course, quiz: Quiz, failed: GradeForm | None = None, item_id: int | None = None):
    entries = report.grading_queue(quiz)
    forms = {
        e.item.id: failed
        if failed is not None and e.item.id == item_id
        else GradeForm(formdata=None, prefix=f"g{e.item.id}")
        for e in entries
    }
    page = render_template("quizzes/report_grading.html", course=course, quiz=quiz, entries=entries, forms=forms)
    return page, 400 if failed is not None else 200


@bp.route(QUIZ + "/grading", endpoint="grading")
@access("trainer")
def grading_queue(course_id: int, quiz_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id, grader=True)
    return _queue_page(course, quiz)


@bp.route(QUIZ + "/grading/<int:item_id>", methods=["POST"])
@access("trainer")
def grade_queued(course_id: int, quiz_id: int, item_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id, grader=True)
    try:
        item = grading.item_of_quiz(quiz, item_id)
    except NotFoundError:
        abort(404)
    form = _grade(quiz, item)
    if form is None:
        return redirect(url_for(".grading", course_id=course.id, quiz_id=quiz.id))
    return _queue_page(course, quiz, form, item.id)


# --- item analysis -----------------------------------------------------------------------------------------


@bp.route(QUIZ + "/analysis")
@access("staff")
def analysis(course_id: int, quiz_id: int):
    course, quiz = _staff_quiz(course_id, quiz_id)
    filters = _filters()
    sort = "discrimination" if request.args.get("sort") == "discrimination" else "position"
    analysed = report.item_analysis(report.load_analysis_items(quiz, filters), sort)
    if request.args.get("format") == "csv":
        rows = analysed.analysis.quiz.attempt_count
        return _csv(report.analysis_csv(analysed), course, quiz, "analysis", rows, filters)
    return render_template(
        "quizzes/report_analysis.html",
        course=course,
        quiz=quiz,
        report=analysed,
        filters=filters,
        sort=sort,
        cohorts=report.course_cohorts(course),
        columns=report.question_columns(),
        summary_columns=report.summary_columns(),
        response_columns=report.response_columns(),
    )


# --- accommodations ----------------------------------------------------------------------------------------


def _learner(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    try:
        return get_managed_user(current_user, user_id)
    except NotFoundError:
        abort(404)


@bp.route("/manage/accommodations", methods=["GET", "POST"])
@access("registrar")
def accommodations():
    learner = _learner(request.args.get("user", type=int))
    if request.method == "POST" and learner is None:
        abort(400)
    current = accommodation_of(learner) if learner else None
    form = AccommodationForm(obj=current)
    if learner is not None and form.validate_on_submit():
        try:
            set_accommodation(
                current_user, learner, form.extra_time_percent.data, form.extra_attempts.data, form.note.data or ""
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(_("The accommodation of %(name)s is saved.", name=learner.display_name), "success")
            return redirect(url_for(".accommodations"))
    query = request.args.get("q", "").strip()
    return render_template(
        "quizzes/report_accommodations.html",
        learner=learner,
        form=form,
        query=query,
        found=report.find_learners(current_user, query),
        rows=report.accommodation_rows(current_user),
    )
