"""Registration of the REST API."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the API blueprint (bearer tokens only, so exempt from CSRF), the token pages, their nav item
    and the OpenAPI document (served by the blueprint at /api/v1/openapi.json)."""
    from lms.extensions import csrf
    from lms.nav import NavItem, add_nav_item
    from records.api import models  # noqa: F401 - registers the table with the metadata
    from records.api.pages import bp as pages_bp
    from records.api.views import bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(pages_bp)
    add_nav_item(app, NavItem("api_tokens", _l("API tokens"), "api_tokens.token_list", "registrar", 86))
