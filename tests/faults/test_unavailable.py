"""The database out of reach (refused connections: a server restarting or down): every kind of page answers 503
with Retry-After, a drawn page or the API's JSON error shape, never a 500. Needs no server of its own: the app
points at a loopback port nobody listens on."""

from __future__ import annotations

import pytest

from tests.conftest import build_app
from tests.faults.conftest import free_port


@pytest.fixture(scope="module")
def unreachable_app():
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    app = build_app(SQLALCHEMY_DATABASE_URI=url)
    yield app
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()


def test_healthz_reports_the_database_error_as_503(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "error: OperationalError"


def test_a_page_that_reads_the_database_answers_503_with_a_page(unreachable_app):
    response = unreachable_app.test_client().get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert "<h1>Temporarily unavailable</h1>" in html and "Error 503" in html


def test_a_signed_in_visitor_gets_503_not_500(unreachable_app):
    # Loading the account behind the session is the first query of a signed-in request.
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
        session["_fresh"] = True
    response = client.get("/dashboard")
    assert response.status_code == 503
    assert "Temporarily unavailable" in response.get_data(as_text=True)


def test_the_api_answers_503_in_its_error_shape(unreachable_app):
    # A token of the right form: looking it up is the first query.
    headers = {"Authorization": "Bearer lms_not-looked-up-yet"}
    response = unreachable_app.test_client().get("/api/v1/users", headers=headers)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "503" and set(error) == {"code", "message", "field"}


def test_a_signed_in_caller_of_healthz_and_of_a_stylesheet_gets_no_500(unreachable_app):
    # Neither view reads the account, but the security headers ask whether the caller is signed in.
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["checks"]["database"] == "error: OperationalError"
    stylesheet = client.get("/static/lms.css")
    assert stylesheet.status_code == 200
