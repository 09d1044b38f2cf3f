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
        """Nothing to register yet: the course models, catalog and authoring pages arrive with their issue."""
