"""Dashboard panels: the core and plugins register them; the dashboard shows those meant for the user's roles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from lms.registry import registry


@dataclass(frozen=True)
class DashboardPanel:
    key: str
    title: object  # a lazy_gettext string
    template: str  # rendered with ``context()`` merged in
    roles: tuple[str, ...] = ("learner",)  # shown to users holding any of these (administrators see all)
    order: int = 100
    context: Callable[[Any], dict[str, Any]] = field(default=lambda user: {})

    def visible_to(self, user) -> bool:
        return user.is_admin or bool(set(self.roles) & user.role_names) or "any" in self.roles


def add_dashboard_panel(app: Flask, panel: DashboardPanel) -> None:
    """Register a panel on the dashboard (keys are unique)."""
    registry("dashboard", app).register(panel.key, panel)
