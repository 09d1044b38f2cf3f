"""Serbian transliteration between the Latin and Cyrillic scripts (one letter for one letter, with the digraphs
lj, nj and dž as the single Cyrillic letters љ, њ, џ).

Serbian uses both scripts for the same language, so a text written in one can be shown in the other without
loss. What is not Serbian stays as written: words holding letters that Serbian Latin does not have (q, w, x, y:
"Moodle", "xAPI"), abbreviations kept in Latin by convention (PDF, CSV …), and in markup, tags, URLs, e-mail
addresses, placeholders (``%(name)s``, ``{name}``) and code.
"""

from __future__ import annotations

import re

_UPPER = {
    "A": "А", "B": "Б", "V": "В", "G": "Г", "D": "Д", "Đ": "Ђ", "E": "Е", "Ž": "Ж", "Z": "З", "I": "И",
    "J": "Ј", "K": "К", "L": "Л", "M": "М", "N": "Н", "O": "О", "P": "П", "R": "Р", "S": "С", "T": "Т",
    "Ć": "Ћ", "U": "У", "F": "Ф", "H": "Х", "C": "Ц", "Č": "Ч", "Š": "Ш",
}  # fmt: skip
_LATIN_TO_CYRILLIC = {**_UPPER, **{k.lower(): v.lower() for k, v in _UPPER.items()}}
_DIGRAPHS = {"lj": "љ", "nj": "њ", "dž": "џ"}
_CYRILLIC_TO_LATIN = {v: k for k, v in _LATIN_TO_CYRILLIC.items()}
_CYRILLIC_TO_LATIN.update({"љ": "lj", "њ": "nj", "џ": "dž", "Љ": "Lj", "Њ": "Nj", "Џ": "Dž"})

# Words where the two letters of a digraph belong to different parts of the word (a prefix and a root), so they
# are two Cyrillic letters: nad-živeti, pod-žanr, in-jekcija, kon-jugacija.
_SPLIT_DIGRAPH_STEMS = (
    "nadživ", "nadžnje", "nadžet", "podžanr", "podžup", "odžal", "odživ", "predživ", "injekc", "injekt",
    "konjug", "konjunk", "vanjezič", "tanjug",
)  # fmt: skip

# Abbreviations written in Latin letters in Serbian Cyrillic texts too.
_KEEP_LATIN = {
    "PDF", "CSV", "XLSX", "JSON", "XML", "QR", "URL", "HTML", "TOTP", "GIFT", "LMS", "ID", "IP", "SMS", "USB",
    "CD", "DVD", "SIM", "IMEI", "GPS", "VPN", "ISP", "CPD", "OCSEA", "CSAM", "WPGA", "MNR", "ECPAT", "INHOPE",
    "ICSE", "SHA", "MD5", "RAM", "SSD", "HDD", "OS", "TLS", "HTTP", "HTTPS", "API", "LRS", "SCORM", "UTC", "OTP",
    # product and format names
    "Moodle", "Open", "Badges", "Markdown", "YAML", "Chromium", "Firefox", "Android", "Apple", "Google", "Microsoft",
}  # fmt: skip

_WORD = re.compile(r"[A-Za-zČčĆćĐđŠšŽž]+(?:[-'’][A-Za-zČčĆćĐđŠšŽž]+)*")
_CYRILLIC_WORD = re.compile(r"[ЀЁЂЃЄЅІЇЈЉЊЋЌЍЎЏА-яѐ-џ]+")
_FOREIGN = re.compile(r"[qwxyQWXY]")

# Pieces of markup that are never transliterated: HTML tags and entities, Markdown link targets, code, URLs,
# e-mail addresses, Python and brace placeholders.
_PROTECTED = re.compile(
    r"<[^>]*>"
    r"|&[A-Za-z]+;|&#\d+;"
    r"|\]\([^)]*\)"
    r"|`[^`]*`"
    r"|\b(?:https?|ftp|mailto):[^\s)<>\"]+"
    r"|\bwww\.[^\s)<>\"]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|%\(\w+\)[sdfr]|%[sdf]|\{[^{}\s]*\}"
    r"|\b[\w-]+(?:/[\w.-]+)*\.(?:yaml|yml|md|zip|csv|json|xml|gift|pdf|png|jpe?g|txt|py)\b"
    r"|\[(?:html|plain|moodle|markdown)\]"
    r"|\b[A-Za-z]+_[A-Za-z_]+\b"
    r"|\{\{.*?\}\}|\{%.*?%\}"
)


def _word_to_cyrillic(word: str, keep: frozenset[str] = frozenset()) -> str:
    if _FOREIGN.search(word) or word in _KEEP_LATIN or word in keep:
        return word
    lower = word.lower()
    split_at = set()
    for stem in _SPLIT_DIGRAPH_STEMS:
        start = lower.find(stem)
        while start != -1:
            for digraph in ("dž", "nj", "lj"):
                pos = stem.find(digraph)
                if pos != -1:
                    split_at.add(start + pos)
            start = lower.find(stem, start + 1)
    out = []
    i = 0
    while i < len(word):
        pair = lower[i : i + 2]
        if pair in _DIGRAPHS and i not in split_at:
            letter = _DIGRAPHS[pair]
            out.append(letter.upper() if word[i].isupper() else letter)
            i += 2
            continue
        out.append(_LATIN_TO_CYRILLIC.get(word[i], word[i]))
        i += 1
    return "".join(out)


def latin_to_cyrillic(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Serbian Latin text in Cyrillic (plain text: no markup is protected). A foreign name stays whole: the
    capitalised words right after a foreign word stay Latin too ("WeProtect Global Alliance")."""
    out = []
    last = 0
    in_foreign_name = False
    for match in _WORD.finditer(text):
        word = match.group(0)
        gap = text[last : match.start()]
        out.append(gap)
        if in_foreign_name and gap == " " and word[0].isupper():
            out.append(word)
        else:
            converted = _word_to_cyrillic(word, keep)
            in_foreign_name = converted == word and bool(_FOREIGN.search(word))
            out.append(converted)
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _word_to_latin(word: str) -> str:
    all_caps = len(word) > 1 and word.isupper()
    out = []
    for index, char in enumerate(word):
        latin = _CYRILLIC_TO_LATIN.get(char, char)
        if len(latin) == 2 and char.isupper():
            following = word[index + 1 : index + 2]
            # ЉУБА → LJUBA, Љуба → Ljuba
            if all_caps or (following and following.isupper()):
                latin = latin.upper()
        out.append(latin)
    return "".join(out)


def cyrillic_to_latin(text: str) -> str:
    """Serbian Cyrillic text in Latin."""
    return _CYRILLIC_WORD.sub(lambda match: _word_to_latin(match.group(0)), text)


def _outside_markup(text: str, convert) -> str:
    pieces = []
    last = 0
    for match in _PROTECTED.finditer(text):
        pieces.append(convert(text[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(convert(text[last:]))
    return "".join(pieces)


def latin_to_cyrillic_markup(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Like :func:`latin_to_cyrillic`, for HTML, Markdown or a message catalog entry: tags, link targets, code,
    URLs, e-mail addresses and placeholders stay as they are, and so do the words in ``keep`` (for a catalog:
    the literal names a translation copies from its English msgid, such as CSV columns or YAML values)."""
    return _outside_markup(text, lambda part: latin_to_cyrillic(part, keep))


def cyrillic_to_latin_markup(text: str) -> str:
    """Like :func:`cyrillic_to_latin`, leaving markup, URLs and placeholders as they are."""
    return _outside_markup(text, cyrillic_to_latin)


def script_of(text: str) -> str | None:
    """ "Cyrl" or "Latn", whichever script most letters of ``text`` are in (None: no letters)."""
    cyrillic = len(_CYRILLIC_WORD.findall(text))
    latin = len(_WORD.findall(text))
    if not cyrillic and not latin:
        return None
    return "Cyrl" if cyrillic > latin else "Latn"


def to_script(text: str, script: str, *, markup: bool = False) -> str:
    """Serbian ``text`` in ``script`` ("Latn" or "Cyrl"), whichever script it was written in."""
    if script == "Cyrl":
        return latin_to_cyrillic_markup(text) if markup else latin_to_cyrillic(text)
    if script == "Latn":
        return cyrillic_to_latin_markup(text) if markup else cyrillic_to_latin(text)
    raise ValueError(f"unknown script {script!r}")
