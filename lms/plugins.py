"""Plugin machinery: the :class:`Plugin` base class, entry-point discovery and loading in dependency order.

Plugins are declared under the entry-point group ``lms.plugins`` and enabled by name in ``LMS_PLUGINS``
(default: every installed plugin). ``create_app(plugins=[...])`` takes classes directly, which is how tests load
a plugin without installing it. Anything wrong (a missing plugin, a missing requirement, a cycle, an import or
``init_app`` error) stops start-up with a :class:`PluginError` that names the plugin.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from typing import Any, ClassVar

from flask import Flask

ENTRY_POINT_GROUP = "lms.plugins"


class PluginError(RuntimeError):
    """A plugin could not be found, ordered or loaded."""


class Plugin:
    """Base class of every plugin.

    Subclasses set ``name`` (stable, lowercase), ``requires`` (names of plugins that must load first) and
    ``default_config`` (settings the app gets unless configured), and implement :meth:`init_app`. A setting
    can also come from the environment variable of the same name (``COURSES_MEDIA_DIR=...``); the instance file
    and ``create_app``'s mapping win over it, as for the core's ``LMS_*`` settings.
    """

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    default_config: ClassVar[dict[str, Any]] = {}

    def init_app(self, app: Flask) -> None:
        """Register blueprints, signal receivers, nav items, registry entries and CLI groups on ``app``."""


def discover() -> dict[str, type[Plugin]]:
    """Every installed plugin class by name, from the ``lms.plugins`` entry points."""
    found: dict[str, type[Plugin]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) could not be imported: {exc}") from exc
        _check_class(ep.name, cls)
        found[ep.name] = cls
    return found


def _check_class(name: str, cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Plugin)):
        raise PluginError(f"plugin '{name}' is not a subclass of lms.plugins.Plugin")
    if cls.name != name:
        raise PluginError(f"plugin entry point '{name}' names a class whose name is '{cls.name}'")


def resolve(enabled: list[str] | None, available: dict[str, type[Plugin]]) -> list[type[Plugin]]:
    """The enabled plugins (all available when ``enabled`` is None) in dependency order."""
    names = list(available) if enabled is None else enabled
    for name in names:
        if name not in available:
            raise PluginError(
                f"plugin '{name}' is enabled in LMS_PLUGINS but not installed "
                f"(installed: {', '.join(sorted(available)) or 'none'})"
            )
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise PluginError(f"plugins require each other in a cycle: {cycle}")
        visiting.append(name)
        for req in available[name].requires:
            if req not in names:
                raise PluginError(f"plugin '{name}' requires plugin '{req}', which is not enabled")
            visit(req)
        visiting.pop()
        order.append(name)

    for name in names:
        visit(name)
    return [available[n] for n in order]


def _from_environment(key: str, default: Any) -> Any:
    """The environment variable ``key`` read as the type of ``default``, or ``default`` when it is unset."""
    raw = os.environ.get(key)
    if raw in (None, ""):
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise PluginError(f"{key}: {raw!r} is not a number") from None
    if isinstance(default, list | tuple):
        return type(default)(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_plugins(app: Flask, plugins: list[type[Plugin]] | None) -> list[Plugin]:
    """Instantiate and initialise the plugins for ``app``; the loaded instances are kept on the app."""
    if plugins is None:
        available = discover()
        enabled = app.config.get("LMS_PLUGINS")
    else:
        available = {}
        for cls in plugins:
            _check_class(cls.name, cls)
            available[cls.name] = cls
        enabled = None
    loaded: list[Plugin] = []
    for cls in resolve(enabled, available):
        for key, value in cls.default_config.items():
            if key not in app.config:
                app.config[key] = _from_environment(key, value)
        instance = cls()
        try:
            instance.init_app(app)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"plugin '{cls.name}' failed to initialise: {exc}") from exc
        loaded.append(instance)
    app.extensions["lms.plugins"] = {p.name: p for p in loaded}
    return loaded


def plugin_enabled(app: Flask, name: str) -> bool:
    return name in app.extensions.get("lms.plugins", {})
