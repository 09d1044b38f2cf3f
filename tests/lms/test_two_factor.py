"""Two-factor sign-in: required for administrators and registrars, optional for others, TOTP without replay,
one-use recovery codes."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from lms.models import AuditEvent
from tests.conftest import PASSWORD, csrf_token, login, post_form, totp_now


def test_registrar_without_two_factor_must_set_it_up(client, make_user, academy, db):
    registrar = make_user("reg", roles={academy: ["registrar"]}, totp=False)
    response = login(client, registrar)
    assert response.headers["Location"] == "/dashboard"
    for page in ("/dashboard", "/users", "/audit/"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor"
    # Start, then confirm with a code from the "phone".
    post_form(client, "/account/two-factor", field="start-csrf_token")
    db.session.refresh(registrar)
    secret = registrar.totp_secret
    assert secret and not registrar.totp_enabled
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert secret in page and "data:image/svg+xml;base64," in page
    response = post_form(
        client, "/account/two-factor", {"confirm-code": pyotp.TOTP(secret).now()}, field="confirm-csrf_token"
    )
    codes = re.findall(
        r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", response.get_data(as_text=True)
    )
    assert len(codes) == 10
    assert client.get("/users").status_code == 200


def test_admin_sign_in_asks_for_the_code(app, client, users, db):
    admin = users["admin"]
    token = csrf_token(client)
    response = client.post("/auth/login", data={"login": admin.username, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/auth/two-factor"
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    token = csrf_token(client, "/auth/two-factor")
    wrong = client.post("/auth/two-factor", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 200 and client.get("/dashboard").status_code == 302
    response = client.post("/auth/two-factor", data={"code": totp_now(admin), "csrf_token": token})
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_a_code_cannot_be_replayed(app, users):
    admin = users["admin"]
    first, second = app.test_client(), app.test_client()
    code = totp_now(admin)
    for client in (first, second):
        token = csrf_token(client)
        client.post("/auth/login", data={"login": admin.username, "password": PASSWORD, "csrf_token": token})
    token = csrf_token(first, "/auth/two-factor")
    assert first.post("/auth/two-factor", data={"code": code, "csrf_token": token}).status_code == 302
    token = csrf_token(second, "/auth/two-factor")
    assert second.post("/auth/two-factor", data={"code": code, "csrf_token": token}).status_code == 200
    assert second.get("/dashboard").status_code == 302


def test_recovery_code_works_once(app, users, db):
    from lms import twofactor

    admin = users["admin"]
    codes = twofactor.new_recovery_codes(admin)
    db.session.commit()
    for expected in (302, 200):
        client = app.test_client()
        token = csrf_token(client)
        client.post("/auth/login", data={"login": admin.username, "password": PASSWORD, "csrf_token": token})
        token = csrf_token(client, "/auth/two-factor")
        response = client.post("/auth/two-factor", data={"code": codes[0].upper(), "csrf_token": token})
        assert response.status_code == expected
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.recovery_code_used"))


def test_two_factor_is_optional_for_learners(client, users, db):
    learner = users["learner"]
    assert login(client, learner).headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    post_form(client, "/account/two-factor", field="start-csrf_token")
    db.session.refresh(learner)
    post_form(
        client,
        "/account/two-factor",
        {"confirm-code": pyotp.TOTP(learner.totp_secret).now()},
        field="confirm-csrf_token",
    )
    db.session.refresh(learner)
    assert learner.totp_enabled
    # Learners may turn it off again with their password; registrars may not.
    response = post_form(
        client, "/account/two-factor/manage", {"disable-password": PASSWORD}, field="disable-csrf_token"
    )
    assert response.status_code == 302
    db.session.refresh(learner)
    assert not learner.totp_enabled


def test_registrar_cannot_turn_two_factor_off(app, users, db):
    client = app.test_client()
    login(client, users["registrar"])
    page = client.get("/account/two-factor/manage").get_data(as_text=True)
    assert "disable-password" not in page  # the form is not offered ...
    token = csrf_token(client, "/account/two-factor/manage", "codes-csrf_token")
    response = client.post(
        "/account/two-factor/manage",  # ... and a hand-made request is refused
        data={"disable-password": PASSWORD, "disable-csrf_token": token},
    )
    assert response.status_code == 200 and "cannot be turned off" in response.get_data(as_text=True)
    db.session.refresh(users["registrar"])
    assert users["registrar"].totp_enabled
