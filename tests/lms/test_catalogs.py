"""The UI catalogs: complete for the languages translated so far, placeholders intact everywhere, and the
Serbian Cyrillic catalog the transliteration of the Latin one (scripts/i18n.py cyrillic)."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import i18n  # noqa: E402

from lms.translit import latin_to_cyrillic_markup  # noqa: E402

# bs, hr and mk join this list when their translation is finished (issue 8).
COMPLETE = ("sq", "sr_Latn", "sr_Cyrl")


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
        keep = frozenset(re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}", english))
        forms = source.string if isinstance(source.string, tuple | list) else (source.string,)
        expected = tuple(latin_to_cyrillic_markup(f, keep) for f in forms)
        got = message.string if isinstance(message.string, tuple | list) else (message.string,)
        assert tuple(got) == expected, message.id
