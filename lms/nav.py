"""Navigation items: the core and the plugins register them; the layout shows those the user may use."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_login import current_user

from lms.registry import registry


@dataclass(frozen=True)
class NavItem:
    key: str
    label: object  # a lazy_gettext string
    endpoint: str
    rule: str = "login"  # an access rule of lms.security
    order: int = 100


def add_nav_item(app: Flask, item: NavItem) -> None:
    """Register ``item`` in the app's navigation (keys are unique)."""
    registry("nav", app).register(item.key, item)


def _allowed(item: NavItem, user) -> bool:
    if item.rule == "public":
        return True
    if not user.is_authenticated:
        return False
    if item.rule == "login":
        return True
    if item.rule == "admin":
        return user.is_admin
    return user.has_role(item.rule)


def visible_nav_items(app: Flask) -> list[NavItem]:
    user = current_user._get_current_object()  # once, not through the proxy for every item
    items = [i for i in registry("nav", app).values() if _allowed(i, user)]
    return sorted(items, key=lambda i: (i.order, i.key))
