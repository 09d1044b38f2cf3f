"""Absolute links for mail, certificates and exports, built on ``LMS_BASE_URL`` (works outside a request too)."""

from __future__ import annotations

from typing import Any

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """``LMS_BASE_URL`` joined with the path of ``endpoint``, e.g. http://lms.example/verify/ABCD."""
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="http")
    path = adapter.build(endpoint, values, force_external=False)
    return current_app.config["LMS_BASE_URL"].rstrip("/") + path
