"""Registration of the exports, xAPI and LRS parts of the records plugin."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the export pages, the ``lms records`` commands and the xAPI receivers."""
