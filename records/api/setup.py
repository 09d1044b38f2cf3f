"""Registration of the REST API."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint, the token pages and the OpenAPI document."""
