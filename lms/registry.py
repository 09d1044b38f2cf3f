"""Name-keyed registries that plugins fill at start-up.

Each app has its own registries (no process-global state): ``registry(app, "nav")``. A duplicate key is an
error, and once the app has started (:func:`freeze_all`) nothing more can be registered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app


class RegistryError(RuntimeError):
    """A key registered twice, or a registration after start-up."""


class Registry:
    """An ordered mapping of unique keys to entries, frozen after start-up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, Any] = {}
        self.frozen = False

    def register(self, key: str, entry: Any) -> Any:
        """Add ``entry`` under ``key``; refuse duplicates and late registrations."""
        if self.frozen:
            raise RegistryError(f"registry '{self.name}' is frozen: '{key}' registered after start-up")
        if key in self._entries:
            raise RegistryError(f"registry '{self.name}' already has an entry '{key}'")
        self._entries[key] = entry
        return entry

    def get(self, key: str, default: Any = None) -> Any:
        return self._entries.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._entries.items())

    def values(self) -> list[Any]:
        return list(self._entries.values())


def registry(name: str, app: Flask | None = None) -> Registry:
    """The app's registry called ``name``, created on first use."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    registries: dict[str, Registry] = app.extensions.setdefault("lms.registries", {})
    if name not in registries:
        registries[name] = Registry(name)
    return registries[name]


def freeze_all(app: Flask) -> None:
    """Freeze every registry of ``app``: called once all plugins are loaded."""
    for reg in app.extensions.get("lms.registries", {}).values():
        reg.frozen = True
