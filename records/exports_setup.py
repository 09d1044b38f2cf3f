"""Registration of the exports, xAPI and LRS parts of the records plugin."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the export pages, the ``lms records`` commands and the xAPI receivers."""
    from lms.nav import NavItem, add_nav_item
    from records import cli
    from records.export_views import bp

    app.register_blueprint(bp)
    add_nav_item(app, NavItem("records_exports", _l("Export records"), "records_exports.export_page", "registrar", 85))
    cli.init_app(app)
    from records import export_jobs

    export_jobs.register(app)  # the background export job and its files' retention
    from records.xapi import setup as xapi_setup

    xapi_setup.init_app(app)  # LRS pages, receivers, push job, ``lms records xapi-push``, privacy hooks
