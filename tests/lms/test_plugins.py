"""Plugin machinery: discovery, LMS_PLUGINS, dependency order, clear start-up errors, registries."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.plugins import Plugin, PluginError, discover, resolve
from lms.registry import Registry, RegistryError, registry
from tests.conftest import build_app

ROOT = Path(__file__).resolve().parents[2]


class Alpha(Plugin):
    name = "alpha"
    default_config = {"ALPHA_LIMIT": 3}

    def init_app(self, app):
        app.extensions.setdefault("loaded", []).append(self.name)
        registry("widgets", app).register("alpha-widget", object())


class Beta(Plugin):
    name = "beta"
    requires = ("alpha",)

    def init_app(self, app):
        app.extensions.setdefault("loaded", []).append(self.name)


class Broken(Plugin):
    name = "broken"

    def init_app(self, app):
        raise RuntimeError("database of widgets is missing")


class Clash(Plugin):
    name = "clash"

    def init_app(self, app):
        registry("widgets", app).register("alpha-widget", object())


def test_installed_plugins_are_discovered_by_entry_point():
    found = discover()
    assert {"courses", "quizzes"} <= set(found)
    assert found["quizzes"].requires == ("courses",)


def test_plugins_load_in_dependency_order_whatever_the_given_order():
    app = build_app(plugins=[Beta, Alpha])
    assert app.extensions["loaded"] == ["alpha", "beta"]
    assert app.config["ALPHA_LIMIT"] == 3
    assert list(app.extensions["lms.plugins"]) == ["alpha", "beta"]


def test_a_missing_requirement_stops_start_up():
    with pytest.raises(PluginError, match="'beta' requires plugin 'alpha'"):
        build_app(plugins=[Beta])


def test_an_enabled_but_uninstalled_plugin_stops_start_up():
    with pytest.raises(PluginError, match="'nonexistent' is enabled in LMS_PLUGINS but not installed"):
        build_app(LMS_PLUGINS="courses,nonexistent")


def test_lms_plugins_setting_selects_plugins():
    app = build_app(LMS_PLUGINS="courses")
    assert list(app.extensions["lms.plugins"]) == ["courses"]
    with pytest.raises(PluginError, match="'quizzes' requires plugin 'courses'"):
        build_app(LMS_PLUGINS="quizzes")


def test_a_failing_plugin_names_itself():
    with pytest.raises(PluginError, match="plugin 'broken' failed to initialise: database of widgets is missing"):
        build_app(plugins=[Broken])


def test_cycles_are_reported():
    class A(Plugin):
        name = "a"
        requires = ("b",)

    class B(Plugin):
        name = "b"
        requires = ("a",)

    with pytest.raises(PluginError, match="cycle: a -> b -> a"):
        resolve(None, {"a": A, "b": B})


def test_duplicate_registry_keys_are_refused():
    with pytest.raises(PluginError, match="already has an entry 'alpha-widget'"):
        build_app(plugins=[Alpha, Clash])


def test_registries_are_frozen_after_start_up():
    app = build_app(plugins=[Alpha])
    with pytest.raises(RegistryError, match="frozen"):
        registry("widgets", app).register("late", object())
    assert "alpha-widget" in registry("widgets", app)


def test_registries_are_per_app():
    first, second = build_app(plugins=[Alpha]), build_app(plugins=[])
    assert "alpha-widget" in registry("widgets", first)
    assert "alpha-widget" not in registry("widgets", second)


def test_registry_basics():
    reg = Registry("things")
    reg.register("a", 1)
    assert reg["a"] == 1 and list(reg) == ["a"] and len(reg) == 1 and reg.get("b") is None


def test_the_core_never_imports_a_plugin():
    offenders = []
    for path in (ROOT / "lms").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(
                f" {pkg}" in stripped.split(" import ")[0] for pkg in ("courses", "quizzes", "certificates")
            ):
                offenders.append(f"{path}: {stripped}")
    assert not offenders, offenders


def test_the_app_works_with_no_plugin_at_all(make_app):
    app = make_app(plugins=[])
    with app.app_context():
        client = app.test_client()
        assert client.get("/").status_code == 200
        assert client.get("/auth/login").status_code == 200
