"""The courses plugin's entry point."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.plugins import Plugin


@dataclass(frozen=True)
class CourseAdminTab:
    """A tab on a course's administration pages; its endpoint takes ``course_id``."""

    key: str
    label: object
    endpoint: str
    order: int = 100


@dataclass(frozen=True)
class OutlineItem:
    """Something a plugin adds to a learner's course outline (a quiz): under a module, or after the modules."""

    title: str
    url: str
    done: bool = False
    note: str = ""


def outline_items(course, enrolment) -> dict[int | None, list[OutlineItem]]:
    """What the plugins add to the learner's outline, by module id (None: after the last module)."""
    from lms.registry import registry

    merged: dict[int | None, list[OutlineItem]] = {}
    for provider in registry("outline_items").values():
        for module_id, items in provider(course, enrolment).items():
            merged.setdefault(module_id, []).extend(items)
    return merged


def _my_courses(user) -> dict:
    from sqlalchemy import select

    from courses.models import Enrolment, EnrolmentStatus
    from courses.progress import summaries
    from lms.extensions import db

    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.status != EnrolmentStatus.UNENROLLED)
        .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.enrolled_at.desc())
    ).all()
    return {"summaries": summaries(list(enrolments))}


def _academy_courses(user) -> dict:
    from sqlalchemy import select

    from courses.models import Course
    from lms.extensions import db

    query = select(Course).where(Course.current_version_id.is_not(None)).order_by(Course.title)
    if not user.is_admin:
        query = query.where(Course.academy_id.in_(user.academy_ids("registrar") or {-1}))
    return {"courses": db.session.scalars(query).all()}


def _teaching(user) -> dict:
    from sqlalchemy import select

    from courses.models import Course
    from lms.extensions import db

    query = select(Course).order_by(Course.updated_at.desc()).limit(8)
    if not user.is_admin:
        query = query.where(Course.academy_id.in_(user.academy_ids("trainer") or {-1}))
    return {"courses": db.session.scalars(query).all()}


class CoursesPlugin(Plugin):
    """Catalog, authoring, enrolment, sequencing, progress and course packages."""

    name = "courses"
    requires = ()
    default_config = {
        "COURSES_UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
        # Media store (courses/media.py): folder (COURSES_MEDIA_DIR, default instance/media) or s3.
        "COURSES_MEDIA_STORAGE": "folder",
        "COURSES_MEDIA_DIR": None,
        "COURSES_MEDIA_S3_ENDPOINT": None,
        "COURSES_MEDIA_S3_REGION": None,
        "COURSES_MEDIA_S3_BUCKET": None,
        "COURSES_MEDIA_S3_PREFIX": "",
        "COURSES_MEDIA_S3_ACCESS_KEY": None,
        "COURSES_MEDIA_S3_SECRET_KEY": None,
    }

    def init_app(self, app: Flask) -> None:
        """Register the models, the learner and authoring blueprints, nav items, dashboard panels, commands
        and the home page (the catalog)."""
        from courses import (
            models,  # noqa: F401 - registers the tables with the metadata
            translation_views,  # noqa: F401 - adds the translation pages to teach_bp
        )
        from courses.cli import courses_group
        from courses.manage_views import bp as manage_bp
        from courses.media import check_storage_config
        from courses.privacy import init_app as init_privacy
        from courses.teach_views import bp as teach_bp
        from courses.views import bp as courses_bp
        from lms.cli import add_command
        from lms.dashboard import DashboardPanel, add_dashboard_panel
        from lms.nav import NavItem, add_nav_item
        from lms.registry import registry

        check_storage_config(app)
        init_privacy(app)  # the courses part of a user's data download
        app.register_blueprint(courses_bp)
        app.register_blueprint(teach_bp)
        app.register_blueprint(manage_bp)
        add_command(app, courses_group)
        registry("home", app).register("endpoint", "courses.catalog_page")
        registry("demo", app).register("courses", _load_demo_courses)
        add_nav_item(app, NavItem("catalog", _l("Courses"), "courses.catalog_page", "public", 5))
        add_nav_item(app, NavItem("teach", _l("Teaching"), "teach.course_list", "trainer", 30))
        add_dashboard_panel(
            app,
            DashboardPanel(
                "my-courses", _l("Your courses"), "courses/panel_my_courses.html", ("any",), 10, _my_courses
            ),
        )
        add_dashboard_panel(
            app,
            DashboardPanel(
                "teaching", _l("Courses you teach"), "courses/panel_teaching.html", ("trainer",), 20, _teaching
            ),
        )
        # Extension points other plugins fill: extra completion conditions, blocks on the course page,
        # tabs on course administration pages.
        registry("completion_checks", app)
        registry("outline_items", app)  # key -> callable(course, enrolment) -> {module id | None: [OutlineItem]}
        registry("course_package_parts", app)  # courses.packages.PackagePart entries (quizzes, accreditation)
        registry("translation_parts", app)  # courses.translating.TranslationPart entries (quizzes)
        registry("course_counts", app)  # key -> callable(course ids) -> {course id: count}, for `lms courses list`
        registry("course_detail_blocks", app)
        tabs = registry("course_admin_tabs", app)
        tabs.register("enrolments", CourseAdminTab("enrolments", _l("Enrolments"), "course_admin.enrolment_list", 50))
        tabs.register("report", CourseAdminTab("report", _l("Progress report"), "course_admin.report", 60))
        add_dashboard_panel(
            app,
            DashboardPanel(
                "academy-courses",
                _l("Courses of your academy"),
                "courses/panel_academy_courses.html",
                ("registrar",),
                30,
                _academy_courses,
            ),
        )

        @app.context_processor
        def course_context() -> dict:
            def course_detail_blocks(course) -> list:
                return [block for provider in registry("course_detail_blocks").values() for block in provider(course)]

            from courses.languages import offered_languages, tr

            return {
                "tr": tr,
                "course_languages": offered_languages,
                "course_detail_blocks": course_detail_blocks,
                "course_admin_tabs": sorted(tabs.values(), key=lambda t: t.order),
            }


def _load_demo_courses(context) -> None:
    """``lms demo``: import every course package under ``COURSES_CONTENT_DIR`` (the repository's content/)
    into the demo academy; an unchanged package changes nothing, so the demo stays idempotent."""
    from pathlib import Path

    from flask import current_app

    from courses.packages import PackageInvalidError, format_problem, import_package

    folder = Path(current_app.config.get("COURSES_CONTENT_DIR") or Path(current_app.root_path).parent / "content")
    academy = context.academies.get("demo")
    for package in sorted(p for p in folder.glob("*") if (p / "course.yaml").is_file()):
        try:
            result = import_package(package, academy=academy)
        except PackageInvalidError as exc:
            problems = "; ".join(format_problem(p) for p in exc.problems[:5])
            context.messages.append(f"Course package {package.name} not loaded: {problems}")
            continue
        context.messages.append(f"Course {result.slug}: {result.action}")
