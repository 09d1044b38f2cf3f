"""Signing in and out, the same message for unknown accounts, rate limits, safe redirects, reset, invitations."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.models import AuditEvent, User, UserStatus
from tests.conftest import PASSWORD, csrf_token, login, post_form


def _flash_text(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(re.findall(r'<p class="flash[^"]*">([^<]*)</p>', html))


def test_sign_in_and_out(client, users):
    response = login(client, users["learner"])
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    response = post_form(client, "/auth/logout", page="/dashboard")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_sign_in_by_email_too(client, users):
    user = users["learner"]
    token = csrf_token(client)
    response = client.post("/auth/login", data={"login": user.email.upper(), "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/dashboard"


def test_same_message_whether_or_not_the_account_exists(client, users, make_user):
    deactivated = make_user("gone", status=UserStatus.DEACTIVATED)
    messages = set()
    for name, password in (
        ("learner1", "wrong-password-1"),
        ("nobody-here", "wrong-password-1"),
        ("gone", PASSWORD),
    ):
        token = csrf_token(client)
        response = client.post("/auth/login", data={"login": name, "password": password, "csrf_token": token})
        assert response.status_code == 200
        messages.add(_flash_text(response))
    assert len(messages) == 1 and "not correct" in messages.pop()
    assert deactivated.last_login_at is None


def test_failed_and_successful_sign_ins_are_audited(app, client, users, db):
    login(client, users["learner"], password="wrong-password-1")
    login(client, users["learner"])
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == users["learner"].id)).all()
    assert "auth.login_failed" in actions and "auth.login" in actions
    unknown = login(app.test_client(), User(username="ghost", email="g@x", display_name="g"))
    assert unknown.status_code == 200
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id.desc())
    ).first()
    assert event.details["login"] == "ghost" and event.ip == "127.0.0.1"


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/account", "/account"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("http:/evil.example", "/dashboard"),
        ("/account\r\nSet-Cookie: x=1", "/dashboard"),
    ],
)
def test_next_redirects_only_within_the_site(client, users, target, expected):
    response = login(client, users["learner"], next=target)
    assert response.headers["Location"] == expected


def test_sign_in_rate_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LMS_LOGIN_RATE_LIMIT="5 per minute")
    client = app.test_client()
    with app.app_context():
        codes = []
        for _ in range(7):
            token = csrf_token(client)
            codes.append(
                client.post(
                    "/auth/login", data={"login": "someone", "password": "x" * 12, "csrf_token": token}
                ).status_code
            )
    assert codes[:5] == [200] * 5
    assert codes[5:] == [429, 429]


def test_rate_limit_per_account_across_addresses(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LMS_LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with app.app_context():
        codes = []
        for n in range(5):
            environ = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
            token = csrf_token(client)
            codes.append(
                client.post(
                    "/auth/login",
                    data={"login": "target", "password": "x" * 12, "csrf_token": token},
                    environ_base=environ,
                ).status_code
            )
    assert codes[:3] == [200] * 3 and codes[3:] == [429, 429]


def test_password_reset_is_one_use_and_time_limited(client, users, outbox, db, app):
    user = users["learner"]
    post_form(client, "/auth/forgot", {"email": user.email})
    assert len(outbox) == 1
    link = re.search(r"http://lms.test(/auth/reset/\S+)", outbox[0].get_content()).group(1)
    assert client.get(link).status_code == 200
    response = post_form(client, link, {"password": "A-new-passphrase-42", "confirm": "A-new-passphrase-42"})
    assert response.status_code == 302
    assert client.get(link).status_code == 404  # used once
    assert login(client, user, password="A-new-passphrase-42").headers["Location"] == "/dashboard"


def test_password_reset_for_unknown_address_says_the_same(client, users, outbox):
    known = post_form(client, "/auth/forgot", {"email": users["learner"].email}, follow_redirects=True)
    unknown = post_form(client, "/auth/forgot", {"email": "nobody@example.org"}, follow_redirects=True)
    assert _flash_text(known) == _flash_text(unknown)
    assert len(outbox) == 1


def test_expired_reset_token_is_refused(client, users, db):
    from datetime import timedelta

    from lms import tokens

    raw = tokens.issue_token(users["learner"], "password-reset", timedelta(seconds=-1))
    db.session.commit()
    assert client.get(f"/auth/reset/{raw}").status_code == 404


def test_invitation_sets_the_password_and_activates(client, academy, users, outbox, db):
    login(client, users["registrar"])
    post_form(
        client,
        "/users/new",
        {
            "display_name": "Ђорђе Чолић",
            "email": "djordje@example.org",
            "username": "",
            "profession": "judge",
            "country": "RS",
            "language": "sr_Cyrl",
            "academy": academy.id,
            "role": "learner",
        },
    )
    user = db.session.scalar(select(User).where(User.email == "djordje@example.org"))
    assert user.status == UserStatus.INVITED and user.display_name == "Ђорђе Чолић"
    link = re.search(r"http://lms.test(/auth/invitation/\S+)", outbox[-1].get_content()).group(1)
    post_form(client, "/auth/logout", page="/dashboard")
    response = post_form(client, link, {"password": "Dobar-pasvord-2026", "confirm": "Dobar-pasvord-2026"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.status == UserStatus.ACTIVE
    assert login(client, user, password="Dobar-pasvord-2026").headers["Location"] == "/dashboard"


def test_self_registration_is_off_by_default(client):
    assert client.get("/auth/register").status_code == 404


def test_self_registration_waits_for_approval(academy, users, db, make_app):
    app = make_app(LMS_SELF_REGISTRATION=True)
    client = app.test_client()
    with app.app_context():
        response = post_form(
            client,
            "/auth/register",
            {
                "display_name": "Ëndrit Hoxha",
                "username": "endrit",
                "email": "endrit@example.org",
                "profession": "teacher",
                "country": "XK",
                "academy": academy.id,
                "password": "Mesues-i-mire-77",
                "confirm": "Mesues-i-mire-77",
            },
        )
        assert response.status_code == 302
        token = csrf_token(client)
        response = client.post(
            "/auth/login", data={"login": "endrit", "password": "Mesues-i-mire-77", "csrf_token": token}
        )
        assert "approval" in _flash_text(response)
        user = db.session.scalar(select(User).where(User.username == "endrit"))
        assert user.status == UserStatus.PENDING and user.roles_in(academy.id) == {"learner"}
