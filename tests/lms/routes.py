"""Helpers to enumerate every registered route of an app with placeholder arguments."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from lms.security import view_rule

PLACEHOLDERS = {
    "int": "999999",
    "default": "no-such-thing",
    "path": "no-such-thing",
    "string": "no-such-thing",
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    url: str
    rule: str | None

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint})"


def all_routes(app: Flask) -> list[Route]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            converter = type(rule._converters[arg]).__name__.lower().replace("converter", "") or "default"
            value = PLACEHOLDERS.get("int" if converter in ("integer", "int") else converter, "no-such-thing")
            url = url.replace(f"<{rule._converters[arg].__class__.__name__}:{arg}>", value)
            for prefix in ("int:", "path:", "string:", ""):
                url = url.replace(f"<{prefix}{arg}>", value)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.endpoint, method, url, view_rule(app, rule.endpoint)))
    return sorted(routes, key=lambda r: (r.url, r.method))
