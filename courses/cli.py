"""The ``lms courses`` command group (list, import, export)."""

from __future__ import annotations

import click


@click.group("courses")
def courses_group() -> None:
    """List, import and export courses."""
