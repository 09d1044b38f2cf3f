"""Personal data: a user's data download, anonymising a departed user, and the retention of logs.

``init_app`` creates the ``personal_data`` and ``data_retention`` registries (contracts in services.py) and
registers the pages; ``lms privacy purge`` is in cli.py.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the registries, the core's audit-log purger, the blueprint and the administrator's nav item."""
    from flask_babel import lazy_gettext as _l

    from lms.nav import NavItem, add_nav_item
    from lms.privacy.services import init_registries
    from lms.privacy.views import bp

    init_registries(app)
    app.register_blueprint(bp)
    add_nav_item(app, NavItem("retention", _l("Data retention"), "privacy.retention", "admin", 92))
