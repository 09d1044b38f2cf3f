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


def template_translations():
    """The translations for the current request, as Flask-Babel's ``get_translations()`` gives them, remembered
    for the request's locale and domain.

    A page's template asks for them once for every string it shows (30 or more on a quiz page), and Flask-Babel
    walks the same chain each time (domain, context, locale, the locale's name as text, the cache): about 6 µs,
    most of the cost of a translated string. The remembered pair is used only while the request's locale and
    domain are the very objects it was made for: ``force_locale`` (a mail, a certificate in the holder's
    language) and ``refresh()`` (a changed language) replace or remove the locale, and the next string is looked
    up again."""
    from flask import g
    from flask_babel import get_translations

    ctx = g.get("_flask_babel") if g else None
    if ctx is not None:
        remembered = getattr(ctx, "lms_translations", None)
        if (
            remembered is not None
            and remembered[0] is getattr(ctx, "babel_locale", None)
            and remembered[1] is getattr(ctx, "babel_domain", None)
        ):
            return remembered[2]
    translations = get_translations()
    ctx = g.get("_flask_babel") if g else None
    locale = getattr(ctx, "babel_locale", None)
    if locale is not None:
        ctx.lms_translations = (locale, getattr(ctx, "babel_domain", None), translations)
    return translations


def install_template_gettext(app) -> None:
    """Templates' ``_()``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` through
    :func:`template_translations` (after Flask-Babel's ``init_app``, whose callables these replace)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: template_translations().ugettext(s),
        ngettext=lambda s, p, n: template_translations().ungettext(s, p, n),
        pgettext=lambda c, s: template_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: template_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
