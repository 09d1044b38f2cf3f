"""Languages: catalogs for the seven languages, and the choice order user preference > switcher > browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.i18n import from_accept_language
from tests.conftest import login, post_form

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("en", "bs", "hr", "sr_Latn", "sr_Cyrl", "sq", "mk")


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_catalog_exists_for_every_language(code):
    assert (ROOT / "lms" / "translations" / code / "LC_MESSAGES" / "messages.po").is_file()


@pytest.mark.parametrize(
    "header, expected",
    [
        ("sq-AL,sq;q=0.9,en;q=0.5", "sq"),
        ("sr-Latn-RS,sr;q=0.8", "sr_Latn"),
        ("sr-RS", "sr_Cyrl"),
        ("mk", "mk"),
        ("bs-BA", "bs"),
        ("hr-HR,en;q=0.1", "hr"),
        ("de-DE,fr;q=0.9", None),
    ],
)
def test_accept_language_mapping(app, header, expected):
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    with app.app_context():
        assert from_accept_language(list(parse_accept_header(header, LanguageAccept))) == expected


def _lang(response) -> str:
    import re

    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_browser_language_is_used_when_nothing_else_says(client):
    assert _lang(client.get("/auth/login", headers={"Accept-Language": "sq"})) == "sq"


def test_switcher_beats_the_browser(client):
    post_form(client, "/language", {"language": "sr_Cyrl", "next": "/auth/login"})
    assert _lang(client.get("/auth/login", headers={"Accept-Language": "sq"})) == "sr-Cyrl"


def test_users_preference_beats_the_switcher_and_the_switcher_saves_it(client, users, db):
    user = users["learner"]
    user.language = "mk"
    db.session.commit()
    login(client, user)
    assert _lang(client.get("/dashboard", headers={"Accept-Language": "sq"})) == "mk"
    post_form(client, "/language", {"language": "bs", "next": "/dashboard"}, page="/dashboard")
    db.session.refresh(user)
    assert user.language == "bs"
    assert _lang(client.get("/dashboard")) == "bs"


def test_switcher_refuses_unknown_languages_and_foreign_redirects(client):
    response = post_form(client, "/language", {"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert _lang(client.get("/auth/login")) == "en"


def test_template_strings_follow_a_forced_locale_and_a_refresh_within_one_request(app):
    """Templates remember the request's translations (lms.i18n.template_translations); a forced locale (a
    mail in the recipient's language) and a refreshed one (a changed preference) are still followed."""
    from flask import session
    from flask_babel import force_locale, refresh

    template = app.jinja_env.from_string("{{ _('Skip to main content') }}")
    with app.test_request_context("/", headers={"Accept-Language": "sq"}):
        assert template.render() == "Kalo te përmbajtja kryesore"
        with force_locale("sr_Cyrl"):
            assert template.render() == "Прескочи на главни садржај"
            with force_locale("en"):
                assert template.render() == "Skip to main content"
            assert template.render() == "Прескочи на главни садржај"
        assert template.render() == "Kalo te përmbajtja kryesore"
        session["lang"] = "sr_Cyrl"
        assert template.render() == "Kalo te përmbajtja kryesore"  # the request's locale, until refreshed
        refresh()
        assert template.render() == "Прескочи на главни садржај"
    with app.app_context():  # no request (a job, the command line): the default locale
        assert template.render() == "Skip to main content"
