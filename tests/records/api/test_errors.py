"""One error shape for every error (401, 403, 404, 405, 422, 429, 500), and the per-token rate limit."""

from __future__ import annotations

from records.api import services
from tests.records.api.conftest import assert_error, bearer


def test_every_error_has_one_shape(client, world, read_token):
    error = assert_error(client.get("/api/v1/users"), 401)
    assert "Bearer" in error["message"]
    assert client.get("/api/v1/users").headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.post("/api/v1/users", json={}, headers=bearer(read_token)), 403)
    assert_error(client.get("/api/v1/users/999999", headers=bearer(read_token)), 404, "user")
    assert_error(client.get("/api/v1/users/99999999999999999999", headers=bearer(read_token)), 404, "user")
    assert_error(client.get("/api/v1/nowhere", headers=bearer(read_token)), 404)
    assert_error(client.delete("/api/v1/users", headers=bearer(read_token)), 405)
    assert_error(client.put("/api/v1/users/1", headers=bearer(read_token)), 405)
    assert_error(client.get("/api/v1/enrolments?course=abc", headers=bearer(read_token)), 422, "course")
    assert_error(client.get("/api/v1/users?country=%00", headers=bearer(read_token)), 400)


def test_a_server_error_is_json_too(client, world, read_token, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "list_users", broken)
    error = assert_error(client.get("/api/v1/users", headers=bearer(read_token)), 500)
    assert "fire" not in error["message"]


def test_the_rate_limit_counts_per_token(make_app, world, make_token):
    app = make_app(RATELIMIT_ENABLED=True, RECORDS_API_RATE_LIMIT="3 per minute")
    mine = world["mine"]
    with app.app_context():
        first = make_token(mine.academy, mine.registrar, name="Busy")[1]
        second = make_token(mine.academy, mine.registrar, name="Quiet")[1]
        client = app.test_client()
        # One limit across the endpoints of the API.
        for url in ("/api/v1/users", "/api/v1/courses", "/api/v1/enrolments"):
            assert client.get(url, headers=bearer(first)).status_code == 200
        error = assert_error(client.get("/api/v1/certificates", headers=bearer(first)), 429)
        assert "Wait" in error["message"]
        assert client.get("/api/v1/users", headers=bearer(second)).status_code == 200
