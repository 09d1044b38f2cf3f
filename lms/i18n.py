"""Languages: the supported locales and how one is chosen for a request.

Order: the signed-in user's preference, then the language picked with the switcher (kept in the session),
then the browser's Accept-Language, then English.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

# Each language named in itself, as the switcher shows it.
LANGUAGE_NAMES = {
    "en": "English",
    "bs": "Bosanski",
    "hr": "Hrvatski",
    "sr_Latn": "Srpski (latinica)",
    "sr_Cyrl": "Српски (ћирилица)",
    "sq": "Shqip",
    "mk": "Македонски",
}

# Accept-Language tags (lowercased) mapped to our locales; plain "sr" is Cyrillic, the official script.
_ACCEPT_MAP = {
    "en": "en",
    "bs": "bs",
    "hr": "hr",
    "sr": "sr_Cyrl",
    "sr-cyrl": "sr_Cyrl",
    "sr-latn": "sr_Latn",
    "sr-me": "sr_Latn",
    "cnr": "sr_Latn",  # Montenegrin
    "sq": "sq",
    "mk": "mk",
}


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LMS_LANGUAGES"])


def from_accept_language(header_values: list[tuple[str, float]]) -> str | None:
    """The best of our locales for parsed Accept-Language values (highest quality first)."""
    for tag, _quality in header_values:
        tag = tag.lower().replace("_", "-")
        for candidate in (tag, "-".join(tag.split("-")[:2]), tag.split("-")[0]):
            if candidate in _ACCEPT_MAP and _ACCEPT_MAP[candidate] in languages():
                return _ACCEPT_MAP[candidate]
    return None


def select_locale() -> str:
    """Flask-Babel's locale selector (outside a request, e.g. on the command line: the default locale)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = languages()
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.language in supported:
            return current_user.language
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    return from_accept_language(list(request.accept_languages)) or "en"
