"""Domain errors raised by services and turned into messages by views and the CLI."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused: ``message`` is translated and meant for the user; ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(DomainError):
    """The object does not exist or the actor may not see it (views answer 404)."""
