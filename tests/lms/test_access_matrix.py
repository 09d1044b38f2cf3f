"""Every route declares who may use it, and each role gets exactly what the rule says (route x role)."""

from __future__ import annotations

import pytest

from tests.conftest import build_app, csrf_from, login
from tests.lms.routes import all_routes

ROLES = ("anonymous", "learner", "trainer", "registrar", "admin")
# Which roles pass each access rule (tests/conftest.py `users`: the trainer is also a learner).
ALLOWED = {
    "public": set(ROLES),
    "login": {"learner", "trainer", "registrar", "admin"},
    "staff": {"trainer", "registrar", "admin"},
    "trainer": {"trainer", "admin"},
    "registrar": {"registrar", "admin"},
    "admin": {"admin"},
}
ROUTES = all_routes(build_app())


def test_every_route_declares_an_access_rule():
    missing = [str(r) for r in ROUTES if r.rule is None]
    assert not missing, f"routes without an access rule: {missing}"


def test_a_route_without_a_rule_is_refused(make_app):
    from flask import Blueprint

    app = make_app()
    bp = Blueprint("undeclared", __name__)
    bp.add_url_rule("/undeclared", "page", lambda: "secret")
    app.extensions["lms.registries"]  # registries are frozen, blueprints still register
    app.register_blueprint(bp)
    with app.app_context():
        assert app.test_client().get("/undeclared").status_code == 404


def _client_as(app, role, users):
    client = app.test_client()
    if role != "anonymous":
        login(client, users[role])
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_role_matrix(app, users, route, role):
    client = _client_as(app, role, users)
    if route.method == "GET":
        response = client.get(route.url)
    else:
        page = "/dashboard" if role != "anonymous" else "/auth/login"
        token = csrf_from(client.get(page).get_data(as_text=True))
        response = client.open(route.url, method=route.method, data={"csrf_token": token})
    # Refused for want of a sign-in: Flask-Login sends to the sign-in page with ?next=
    to_login = response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    if role in ALLOWED[route.rule]:
        assert response.status_code != 403 and not to_login, f"{role} refused: {response.status_code}"
        assert response.status_code < 500
    elif role == "anonymous":
        assert to_login, f"anonymous got {response.status_code}"
    else:
        assert response.status_code == 403, f"{role} got {response.status_code}"
