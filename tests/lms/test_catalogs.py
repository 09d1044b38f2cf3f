"""The UI catalogs: complete for the languages translated so far, placeholders intact everywhere, and the
Serbian Cyrillic catalog the transliteration of the Latin one (scripts/i18n.py cyrillic)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n  # noqa: E402

from lms.translit import latin_to_cyrillic_markup  # noqa: E402

COMPLETE = ("sq", "sr_Latn", "sr_Cyrl", "mk", "hr", "bs")


@pytest.mark.parametrize("lang", COMPLETE)
def test_catalog_complete_and_not_fuzzy(lang: str) -> None:
    catalog = i18n.load(lang)
    missing = [m.id for m in i18n.entries(catalog) if i18n._missing(m)]
    assert missing == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_translated_entries_keep_placeholders_and_plural_forms(lang: str) -> None:
    catalog = i18n.load(lang)
    wrong = [
        (m.id, p) for m in i18n.entries(catalog) if not i18n._missing(m) for p in i18n.problems(m, catalog.num_plurals)
    ]
    assert wrong == []


def test_serbian_cyrillic_is_the_latin_catalog_transliterated() -> None:
    latin = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in i18n.entries(i18n.load("sr_Latn"))}
    for message in i18n.entries(i18n.load("sr_Cyrl")):
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        source = latin[key]
        english = " ".join(message.id) if isinstance(message.id, tuple | list) else message.id
        keep = i18n.kept_latin(english)
        forms = source.string if isinstance(source.string, tuple | list) else (source.string,)
        expected = tuple(latin_to_cyrillic_markup(f, keep) for f in forms)
        got = message.string if isinstance(message.string, tuple | list) else (message.string,)
        assert tuple(got) == expected, message.id


# CLDR's cardinal rules: which plural form each number takes (0 = the "one" form of the catalog).
PLURAL_FORMS = {
    "bs": {1: 0, 21: 0, 2: 1, 24: 1, 5: 2, 11: 2, 12: 2, 111: 2},
    "hr": {1: 0, 21: 0, 2: 1, 24: 1, 5: 2, 11: 2, 12: 2, 111: 2},
    "sr_Latn": {1: 0, 21: 0, 2: 1, 24: 1, 5: 2, 11: 2, 12: 2, 111: 2},
    "sr_Cyrl": {1: 0, 21: 0, 2: 1, 24: 1, 5: 2, 11: 2, 12: 2, 111: 2},
    "mk": {1: 0, 21: 0, 31: 0, 2: 1, 11: 1, 111: 1, 0: 1},
    "sq": {1: 0, 2: 1, 21: 1, 0: 1},
}


@pytest.mark.parametrize("lang", sorted(PLURAL_FORMS))
def test_plural_forms_header_follows_the_language(lang: str) -> None:
    """The header's expression is what gettext uses at run time: "21 учесник" in Macedonian, not "21 учесници"."""
    import gettext

    plural = gettext.c2py(i18n.load(lang).plural_expr)
    assert {n: plural(n) for n in PLURAL_FORMS[lang]} == PLURAL_FORMS[lang]


PACKAGES = ("lms", "courses", "quizzes", "certificates", "records")


def test_every_package_is_extracted() -> None:
    """babel.cfg reads the Python code and the templates of the core and of every plugin."""
    config = (Path(__file__).resolve().parents[2] / "babel.cfg").read_text(encoding="utf-8")
    for package in PACKAGES:
        assert f"[python: {package}/**.py]" in config, package
        assert f"[jinja2: {package}/templates/**.html]" in config, package


def test_catalogs_hold_every_string_of_the_code(tmp_path) -> None:
    """What `make translations` would extract today is in every catalog: a string added to the code or a
    template without re-extracting and translating fails here, not in front of a learner."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            str(root),
        ]
    )
    with pot.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    for lang in i18n.LANGUAGES:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in i18n.entries(i18n.load(lang))}
        missing = sorted(wanted - have)
        assert missing == [], (
            f"{lang}: {len(missing)} strings not in the catalog (run make translations): {missing[:5]}"
        )


def test_serbian_words_of_the_english_go_into_cyrillic() -> None:
    """ "token" in a Serbian sentence is Serbian ("токен"); quoted, it is a literal and stays."""
    assert "token" not in i18n.kept_latin("Make a token")
    assert "format" in i18n.kept_latin("Give the package format: 'format: %(n)d'.")
    assert {"API", "CSV"} <= i18n.kept_latin("Export as CSV through the API")
