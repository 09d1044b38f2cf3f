"""The records plugin's entry point."""

from __future__ import annotations

from flask import Flask

from lms.plugins import Plugin


class RecordsPlugin(Plugin):
    """Completion exports, xAPI statements and LRS pushes, and the REST API for academies' systems.
    Requires the courses, quizzes and certificates plugins."""

    name = "records"
    requires = ("courses", "quizzes", "certificates")
    default_config = {
        "RECORDS_API_RATE_LIMIT": "600 per minute",
        "RECORDS_API_PAGE_SIZE": 100,
        "RECORDS_API_MAX_PAGE_SIZE": 1000,
        # Export files made in the background (records.export_jobs): the folder (default instance/exports) and
        # how many days they are kept before `lms privacy purge` deletes them.
        "RECORDS_EXPORT_DIR": None,
        "RECORDS_EXPORT_FILE_DAYS": 7,
    }

    def init_app(self, app: Flask) -> None:
        """Register the export pages, commands and xAPI receivers (records.exports_setup) and the API
        (records.api.setup)."""
        from records import exports_setup
        from records.api import setup as api_setup

        exports_setup.init_app(app)
        api_setup.init_app(app)
