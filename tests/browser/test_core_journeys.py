"""Journeys every kind of user takes through the core: sign in (with two-factor where required), see their
dashboard, change the language, sign out; a copied session cookie stops working after sign-out."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_PASSWORD

ACCOUNTS = ["admin", "registrar", "trainer", "learner", "teacher", "social-worker", "prosecutor"]


def sign_in(page: Page, server: dict, username: str) -> None:
    page.goto(server["url"] + "/auth/login")
    page.get_by_label(re.compile("Sign-in name|Korisni|Emri|Корисни|Përdor|Најав|prijav", re.I)).first.fill(username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("form[action='/auth/login'] button[type=submit]").click()
    secret = server["totp"].get(username)
    if secret:
        expect(page).to_have_url(re.compile(r"/auth/two-factor$"))
        totp = pyotp.TOTP(secret)
        # A code is accepted once per 30-second step; wait for a fresh step if this one was used already.
        code = totp.now()
        page.locator("input[name=code]").fill(code)
        page.locator("main form button[type=submit]").click()
        if "/auth/two-factor" in page.url:
            time.sleep(31 - time.time() % 30)
            page.locator("input[name=code]").fill(totp.now())
            page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def sign_out(page: Page) -> None:
    page.locator("header form[action='/auth/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))


@pytest.mark.parametrize("username", ACCOUNTS)
def test_each_demo_account_signs_in_and_out(page: Page, live_server, screenshots, username):
    sign_in(page, live_server, username)
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("header .user-link")).to_be_visible()
    page.screenshot(path=str(screenshots / f"core-dashboard-{username}.png"), full_page=True)
    if username in ("admin", "registrar"):
        page.get_by_role("link", name=re.compile("Users|Korisnici|Корисници|Përdoruesit|Корисници", re.I)).first.click()
        expect(page.locator("table")).to_be_visible()
    sign_out(page)
    page.goto(live_server["url"] + "/dashboard")
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))


def test_language_switcher_changes_the_page(page: Page, live_server, screenshots):
    page.goto(live_server["url"] + "/auth/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option("#language-select", "sr_Cyrl")  # the script submits on change
    expect(page.locator("html")).to_have_attribute("lang", "sr-Cyrl")
    page.screenshot(path=str(screenshots / "core-login-sr_Cyrl.png"), full_page=True)
    page.select_option("#language-select", "sq")
    expect(page.locator("html")).to_have_attribute("lang", "sq")
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_language_switcher_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server["url"] + "/auth/login")
    page.select_option("#language-select", "mk")
    page.locator(".lang-form button").click()
    expect(page.locator("html")).to_have_attribute("lang", "mk")
    context.close()


def test_copied_session_cookie_is_signed_out_too(browser, live_server):
    first = browser.new_context()
    page = first.new_page()
    sign_in(page, live_server, "teacher")
    second = browser.new_context()
    second.add_cookies(first.cookies())
    other = second.new_page()
    other.goto(live_server["url"] + "/dashboard")
    expect(other).to_have_url(re.compile(r"/dashboard$"))
    sign_out(page)
    other.reload()
    expect(other).to_have_url(re.compile(r"/auth/login\?next="))
    first.close()
    second.close()


def test_keyboard_only_sign_in(page: Page, live_server):
    page.goto(live_server["url"] + "/auth/login")
    expect(page.locator("input[name=login]")).to_be_focused()  # the sign-in field has autofocus
    page.keyboard.type("social-worker")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    # On other pages the first Tab reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_phone_width_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_in(page, live_server, "learner")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    context.close()
