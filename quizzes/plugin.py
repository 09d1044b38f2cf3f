"""The quizzes plugin's entry point."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.plugins import Plugin


def _quizzes_passed(enrolment) -> bool:
    """The course's completion rule with ``quizzes_passed``: every published quiz of the course that counts
    for completion is passed (by its grading method)."""
    from quizzes.grading import passed_all_quizzes

    rule = enrolment.version.completion_rule if enrolment.version else enrolment.course.completion_rule
    if not (rule or {}).get("quizzes_passed"):
        return True
    return passed_all_quizzes(enrolment.user, enrolment.course)


def _quiz_counts(course_ids: list[int]) -> dict[int, int]:
    from sqlalchemy import func, select

    from lms.extensions import db
    from quizzes.models import Quiz

    rows = db.session.execute(
        select(Quiz.course_id, func.count(Quiz.id))
        .where(Quiz.course_id.in_(course_ids or [-1]))
        .group_by(Quiz.course_id)
    )
    return dict(rows.all())


class QuizzesPlugin(Plugin):
    """Question types, question bank, quizzes, attempts and grading. Requires the courses plugin."""

    name = "quizzes"
    requires = ("courses",)
    default_config = {"QUIZZES_AUTOSAVE_SECONDS": 20, "QUIZZES_GRACE_SECONDS": 60}

    def init_app(self, app: Flask) -> None:
        """Register the models, question types, the completion condition, counts for ``lms courses list``,
        the quiz part of course packages, the pages and the ``lms quizzes`` commands."""
        from lms.cli import add_command
        from lms.registry import registry
        from quizzes import models  # noqa: F401 - registers the tables with the metadata
        from quizzes.cli import quizzes_group
        from quizzes.types import register_builtin_types

        register_builtin_types(app)
        from quizzes import privacy

        privacy.init_app(app)  # the quizzes part of a user's data download; erasure on user_anonymised
        registry("completion_checks", app).register("quizzes_passed", _quizzes_passed)
        registry("course_counts", app).register("quizzes", _quiz_counts)
        registry("outline_items", app).register("quizzes", _outline_items)
        from quizzes.package import PART

        registry("course_package_parts", app).register("quizzes", PART)
        from quizzes.translating import PART as TRANSLATIONS

        registry("translation_parts", app).register("quizzes", TRANSLATIONS)  # rows of the course's status table
        add_command(app, quizzes_group)
        from quizzes.jobs import register_job_kinds

        register_job_kinds(app)  # quizzes.close_overdue, which cron enqueues every minute
        self._pages(app)

    def _pages(self, app: Flask) -> None:
        from courses.plugin import CourseAdminTab
        from lms.nav import NavItem, add_nav_item
        from lms.registry import registry
        from quizzes import translation_views  # noqa: F401 - adds the quiz's translation page to teach_bp
        from quizzes.report_views import bp as reports_bp
        from quizzes.teach_views import bp as teach_bp
        from quizzes.views import bp as learner_bp

        for blueprint in (learner_bp, teach_bp, reports_bp):
            app.register_blueprint(blueprint)
        add_nav_item(
            app, NavItem("accommodations", _l("Accommodations"), "quizzes_reports.accommodations", "registrar", 84)
        )
        tabs = registry("course_admin_tabs", app)
        tabs.register("quizzes", CourseAdminTab("quizzes", _l("Quizzes"), "quizzes_teach.quiz_list", 40))
        tabs.register("questions", CourseAdminTab("questions", _l("Question bank"), "quizzes_teach.bank", 45))


def _outline_items(course, enrolment) -> dict:
    """The course's quizzes on the learner's outline: under their module, the final assessment after them."""
    from flask import url_for
    from flask_babel import gettext as _
    from sqlalchemy import select

    from courses.plugin import OutlineItem
    from lms.extensions import db
    from quizzes.attempts import quiz_grade
    from quizzes.models import Attempt, Quiz

    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.published.is_(True)).order_by(Quiz.id)
    ).all()
    attempts = db.session.scalars(
        select(Attempt).where(
            Attempt.user_id == enrolment.user_id, Attempt.quiz_id.in_([q.id for q in quizzes] or [-1])
        )
    ).all()
    items: dict = {}
    for quiz in quizzes:
        grade = quiz_grade(quiz, [a for a in attempts if a.quiz_id == quiz.id])
        note = _("quiz · pass mark %(mark)s %%", mark=int(quiz.pass_mark))
        if grade is not None:
            note = _("quiz · your grade %(grade)s %%", grade=round(grade, 1))
        url = url_for("quizzes.quiz_page", slug=course.slug, quiz_id=quiz.id)
        done = grade is not None and grade >= quiz.pass_mark
        items.setdefault(quiz.module_id, []).append(OutlineItem(quiz.title, url, done, note))
    return items
