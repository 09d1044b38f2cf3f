"""Security baseline: headers and CSP on every response, no inline script, CSRF on every state-changing
request (with a token that does not expire during a long quiz), GET changes nothing, debug off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.extensions import db as _db
from lms.models import User
from tests.conftest import csrf_from, login
from tests.lms.routes import all_routes

ROOT = Path(__file__).resolve().parents[2]


def _assert_headers(response):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if " " in part.strip())
    assert "'unsafe-inline'" not in directives.get("script-src", "") and "script-src" in directives
    assert directives.get("frame-ancestors") == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    )


@pytest.mark.parametrize("path", ["/", "/auth/login", "/no-such-page", "/dashboard", "/static/lms.css", "/healthz"])
def test_security_headers_on_every_kind_of_response(client, path):
    _assert_headers(client.get(path))


def test_security_headers_on_errors_and_signed_in_pages(client, users):
    login(client, users["learner"])
    for path in ("/dashboard", "/users", "/users/999999"):
        response = client.get(path)
        _assert_headers(response)
        assert response.headers.get("Cache-Control") == "no-store"


def _templates():
    return [p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts]


def test_templates_hold_no_inline_script_or_event_handlers():
    offenders = []
    for path in _templates():
        html = path.read_text()
        for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", html):
            offenders.append(f"{path}: inline {m.group(0)}")
        for m in re.finditer(r"\son[a-z]+\s*=", html):
            offenders.append(f"{path}: event handler attribute {m.group(0).strip()}")
        if "javascript:" in html:
            offenders.append(f"{path}: javascript: URL")
    assert _templates() and not offenders, offenders


def test_no_asset_from_another_site(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def _post_routes(app):
    return [r for r in all_routes(app) if r.method != "GET"]


def test_every_state_changing_route_requires_the_csrf_token(app, users):
    client = app.test_client()
    login(client, users["admin"])
    routes = _post_routes(app)
    assert len(routes) >= 8
    for route in routes:
        response = client.open(route.url, method=route.method, data={})
        if route.url.startswith("/api/"):
            # The REST API takes bearer tokens only, never the session cookie, so CSRF cannot reach it.
            assert response.status_code == 401, f"{route} accepted a signed-in browser session"
            continue
        assert response.status_code == 400, f"{route} accepted a request without a CSRF token"
        response = client.open(route.url, method=route.method, data={"csrf_token": "forged"})
        assert response.status_code == 400, f"{route} accepted a forged CSRF token"


def test_a_token_from_another_session_is_refused(app, users):
    victim, attacker = app.test_client(), app.test_client()
    login(victim, users["learner"])
    token = csrf_from(attacker.get("/auth/login").get_data(as_text=True))
    response = victim.post(
        "/account",
        data={
            "display_name": "Hacked",
            "profession": "other",
            "country": "other",
            "language": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400


def test_csrf_token_does_not_expire_during_a_long_quiz(app, client, users, monkeypatch):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    login(client, users["learner"])
    token = csrf_from(client.get("/account").get_data(as_text=True))
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 6 * 3600)  # six hours later
    response = client.post(
        "/account",
        data={
            "display_name": "Đorđe Čolić",
            "profession": "police_officer",
            "country": "RS",
            "language": "",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302


def _fingerprint() -> tuple:
    counts = tuple(_db.session.scalar(select(func.count()).select_from(table)) for table in _db.metadata.sorted_tables)
    versions = _db.session.scalar(select(func.coalesce(func.sum(User.session_version), 0)))
    return counts, versions


def test_get_requests_change_nothing(app, users, make_user, academy):
    client = app.test_client()
    login(client, users["admin"])
    pending = make_user("waiting", roles={academy: ["learner"]})
    before = _fingerprint()
    for route in all_routes(app):
        if route.method == "GET":
            client.get(route.url.replace("999999", str(pending.id)))
    _db.session.expire_all()
    assert _fingerprint() == before


def test_debug_is_off_by_default(make_app, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = make_app(TESTING=False)
    assert app.debug is False
    assert app.config["LMS_ENV"] == "production"


def test_nul_bytes_in_input_are_refused_cleanly(client):
    assert client.get("/auth/login?next=%00").status_code == 400
    response = client.post("/auth/login", data={"login": "a\x00b", "password": "x"})
    assert response.status_code == 400


def test_errors_get_friendly_pages_without_details(make_app):
    from flask import Blueprint

    from lms.security import access

    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("boom", __name__)

    @bp.route("/boom")
    @access("public")
    def boom():
        raise RuntimeError("secret internal detail")

    app.register_blueprint(bp)
    with app.app_context():
        client = app.test_client()
        response = client.get("/boom")
        html = response.get_data(as_text=True)
        assert response.status_code == 500 and "Something went wrong" in html
        assert "secret internal detail" not in html and "Traceback" not in html
        not_found = client.get("/nowhere")
        assert not_found.status_code == 404 and "Page not found" in not_found.get_data(as_text=True)
        api = client.get("/api/v1/nowhere")
        assert api.status_code == 404 and api.get_json()["error"]["code"] == "404"
