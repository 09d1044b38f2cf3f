"""Serbian Latin <-> Cyrillic transliteration (lms/translit.py)."""

import pytest

from lms.translit import (
    cyrillic_to_latin,
    latin_to_cyrillic,
    latin_to_cyrillic_markup,
    script_of,
    to_script,
)


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Đorđe Čolić", "Ђорђе Чолић"),
        ("Ljubica Njegoš", "Љубица Његош"),
        ("LJUBICA NJEGOŠ", "ЉУБИЦА ЊЕГОШ"),
        ("Džemal Šćepanović", "Џемал Шћепановић"),
        ("DŽEMAL", "ЏЕМАЛ"),
        ("materijal seksualnog zlostavljanja dece", "материјал сексуалног злостављања деце"),
        ("Pravosudna akademija", "Правосудна академија"),
        ("žalba, ćerka, đak, čas, šuma", "жалба, ћерка, ђак, час, шума"),
        ("konjugacija i injekcija", "конјугација и инјекција"),
        ("nadživeti", "надживети"),
        ("MUP Srbije i EU", "МУП Србије и ЕУ"),
    ],
)
def test_latin_to_cyrillic_and_back(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic
    assert cyrillic_to_latin(cyrillic) == latin


def test_foreign_words_and_abbreviations_stay_latin() -> None:
    assert latin_to_cyrillic("Uvoz iz GIFT i Moodle XML, izvoz u PDF i xAPI") == (
        "Увоз из GIFT и Moodle XML, извоз у PDF и xAPI"
    )
    assert latin_to_cyrillic("WeProtect Global Alliance") == "WeProtect Global Alliance"


def test_markup_placeholders_urls_and_code_are_protected() -> None:
    text = (
        'Pogledajte <a href="https://example.org/vodic">vodič</a> ili [uputstvo](media/uputstvo.pdf); '
        "pišite na info@akademija.rs, %(name)s i {count} ostaju, kao i `lms demo`."
    )
    assert latin_to_cyrillic_markup(text) == (
        'Погледајте <a href="https://example.org/vodic">водич</a> или [упутство](media/uputstvo.pdf); '
        "пишите на info@akademija.rs, %(name)s и {count} остају, као и `lms demo`."
    )


def test_cyrillic_digraph_letters_in_capitals() -> None:
    assert cyrillic_to_latin("Љубљана") == "Ljubljana"
    assert cyrillic_to_latin("ЉУБЉАНА") == "LJUBLJANA"
    assert cyrillic_to_latin("Џ") == "Dž"


def test_script_detection_and_conversion() -> None:
    assert script_of("Ђорђе") == "Cyrl"
    assert script_of("Đorđe") == "Latn"
    assert script_of("123 -") is None
    assert to_script("Ђорђе Чолић", "Latn") == "Đorđe Čolić"
    assert to_script("Đorđe Čolić", "Cyrl") == "Ђорђе Чолић"
    assert to_script("Ђорђе", "Cyrl") == "Ђорђе"
    with pytest.raises(ValueError):
        to_script("x", "Grek")
