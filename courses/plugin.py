"""The courses plugin's entry point."""

from __future__ import annotations

from flask import Flask

from lms.plugins import Plugin


class CoursesPlugin(Plugin):
    """Catalog, authoring, enrolment, sequencing, progress and course packages."""

    name = "courses"
    requires = ()
    default_config = {"COURSES_UPLOAD_MAX_BYTES": 20 * 1024 * 1024}

    def init_app(self, app: Flask) -> None:
        """Register the models (blueprints, nav items and commands are added below as they are built)."""
        from courses import models  # noqa: F401 - registers the tables with the metadata
        from courses.cli import courses_group
        from lms.cli import add_command

        add_command(app, courses_group)
