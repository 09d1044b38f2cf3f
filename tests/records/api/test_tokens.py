"""API tokens: shown once, stored hashed, scoped, revocable, with the time of last use; and their pages."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from lms.models import AuditEvent
from records.api import services
from records.api.models import ApiToken
from tests.conftest import csrf_from, login, post_form
from tests.records.api.conftest import assert_error, bearer


def test_only_the_hash_is_stored(db, world, make_token):
    mine = world["mine"]
    token, raw = make_token(mine.academy, mine.registrar)
    assert raw.startswith("lms_") and len(raw) > 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:12] and raw not in str(db.session.execute(select(ApiToken.__table__)).all())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.token_created"))
    assert event.actor_id == mine.registrar.id and event.details["prefix"] == token.prefix
    assert raw not in str(event.details)


def test_last_used_is_noted_at_most_once_a_minute(client, db, world, make_token):
    mine = world["mine"]
    token, raw = make_token(mine.academy, mine.registrar)
    assert token.last_used_at is None
    client.get("/api/v1/courses", headers=bearer(raw))
    db.session.refresh(token)
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/courses", headers=bearer(raw))
    db.session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/courses", headers=bearer(raw))
    db.session.refresh(token)
    assert token.last_used_at > first - timedelta(minutes=2)


def test_only_registrars_of_the_academy_make_and_revoke_tokens(db, world):
    import pytest

    from lms.exceptions import DomainError, NotFoundError

    mine, theirs = world["mine"], world["theirs"]
    with pytest.raises(NotFoundError):
        services.create_token(theirs.registrar, mine.academy, "Sneaky", "write")
    with pytest.raises(DomainError) as exc:
        services.create_token(mine.registrar, mine.academy, "", "read")
    assert exc.value.field == "name"
    with pytest.raises(DomainError) as exc:
        services.create_token(mine.registrar, mine.academy, "X", "admin")
    assert exc.value.field == "scope"
    token, _raw = services.create_token(mine.registrar, mine.academy, "Mine", "read")
    with pytest.raises(NotFoundError):
        services.revoke_token(theirs.registrar, token)


def test_the_token_pages(client, db, world, make_token):
    mine = world["mine"]
    login(client, mine.registrar)
    page = client.get("/records/api-tokens")
    assert page.status_code == 200 and "API tokens" in page.get_data(as_text=True)
    response = post_form(
        client,
        "/records/api-tokens",
        {"academy": mine.academy.id, "name": "Student records", "scope": "read"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "shown only this once" in html
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Student records"))
    raw = html.split('id="api-token-value"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert raw.startswith(token.prefix) and services.hash_token(raw) == token.token_hash
    # The value is not shown again; the list shows the prefix and when it was last used.
    listing = client.get("/records/api-tokens").get_data(as_text=True)
    assert raw not in listing and token.prefix in listing and "never" in listing
    assert client.get("/api/v1/users", headers=bearer(raw)).status_code == 200
    listing = client.get("/records/api-tokens").get_data(as_text=True)
    assert "never" not in listing.split("Student records", 1)[1].split("</tr>", 1)[0]
    # A name is required: the form says so.
    bad = post_form(client, "/records/api-tokens", {"academy": mine.academy.id, "name": "", "scope": "read"})
    assert bad.status_code == 422
    # Revoke without CSRF: refused; with: done, and the token stops working.
    assert client.post(f"/records/api-tokens/{token.id}/revoke").status_code == 400
    token_csrf = csrf_from(listing)
    done = client.post(f"/records/api-tokens/{token.id}/revoke", data={"csrf_token": token_csrf})
    assert done.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None and token.revoked_by_id == mine.registrar.id
    assert_error(client.get("/api/v1/users", headers=bearer(raw)), 401)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.token_revoked"))


def test_another_academys_registrar_gets_404(app, db, world, make_token):
    mine, theirs = world["mine"], world["theirs"]
    token, _raw = make_token(mine.academy, mine.registrar, name="Police records")
    client = app.test_client()
    login(client, theirs.registrar)
    listing = client.get("/records/api-tokens").get_data(as_text=True)
    assert "Police records" not in listing
    response = client.post(f"/records/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_from(listing)})
    assert response.status_code == 404
    # Nor can they make a token for an academy they do not manage.
    response = client.post(
        "/records/api-tokens",
        data={"academy": mine.academy.id, "name": "Sneaky", "scope": "write", "csrf_token": csrf_from(listing)},
    )
    assert response.status_code in (404, 422)
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "Sneaky")) is None
    db.session.refresh(token)
    assert token.revoked_at is None
