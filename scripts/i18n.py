"""Translators' tool for the catalogs in lms/translations (Babel's PO reader and writer).

    python scripts/i18n.py todo LANG [--offset N] [--limit M]   untranslated or fuzzy entries as JSON
    python scripts/i18n.py apply LANG FILE.json                 set translations from {msgid: text | [forms]}
    python scripts/i18n.py check [LANG ...]                     counts, and placeholder or plural mismatches
    python scripts/i18n.py cyrillic                             write sr_Cyrl from sr_Latn (lms.translit)

`apply` refuses an entry whose placeholders (``%(name)s``, ``%d``, ``{name}``) differ from the msgid's, or whose
plural forms are not as many as the language has; the rest of the file is still applied and the refusals listed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "lms" / "translations"
LANGUAGES = ("bs", "hr", "sr_Latn", "sr_Cyrl", "sq", "mk")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdf]|\{\w*\}")


def po_path(lang: str) -> Path:
    return CATALOGS / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str):
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang)


def save(lang: str, catalog) -> None:
    with po_path(lang).open("wb") as handle:
        write_po(handle, catalog, width=76, omit_header=False, sort_output=True, include_lineno=False)


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _missing(message) -> bool:
    if message.fuzzy:
        return True
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return not all(strings)


def entries(catalog):
    return [message for message in catalog if message.id]


def problems(message, plural_count: int) -> list[str]:
    """What is wrong with one translated entry (empty when fine)."""
    found = []
    if isinstance(message.id, tuple | list):
        forms = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
        if len(forms) != plural_count:
            found.append(f"{len(forms)} plural forms, the language has {plural_count}")
        expected = placeholders(message.id[1])
        for form in forms:
            if form and set(placeholders(form)) - set(expected) - set(placeholders(message.id[0])):
                found.append(f"placeholders {placeholders(form)} not in the msgid {expected}")
    elif message.string and placeholders(message.string) != placeholders(message.id):
        found.append(f"placeholders {placeholders(message.string)} differ from the msgid's {placeholders(message.id)}")
    return found


def cmd_todo(args) -> int:
    catalog = load(args.lang)
    todo = []
    for message in entries(catalog):
        if not _missing(message):
            continue
        if isinstance(message.id, tuple | list):
            todo.append({"msgid": message.id[0], "msgid_plural": message.id[1], "forms": catalog.num_plurals})
        else:
            todo.append({"msgid": message.id})
    end = None if args.limit is None else args.offset + args.limit
    json.dump(todo[args.offset : end], sys.stdout, ensure_ascii=False, indent=1)
    print()
    print(f"{len(todo)} entries to translate in {args.lang}", file=sys.stderr)
    return 0


def cmd_apply(args) -> int:
    catalog = load(args.lang)
    data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    by_id = {(m.id[0] if isinstance(m.id, tuple | list) else m.id): m for m in entries(catalog)}
    refused = []
    applied = 0
    for msgid, text in data.items():
        message = by_id.get(msgid)
        if message is None:
            refused.append((msgid, "no such msgid in the catalog"))
            continue
        old = (message.string, set(message.flags))
        message.string = tuple(text) if isinstance(text, list) else text
        message.flags.discard("fuzzy")
        issues = problems(message, catalog.num_plurals)
        if issues:
            message.string, message.flags = old[0], old[1]
            refused.append((msgid, "; ".join(issues)))
            continue
        applied += 1
    save(args.lang, catalog)
    print(f"{args.lang}: {applied} applied, {len(refused)} refused", file=sys.stderr)
    for msgid, reason in refused:
        print(f"  refused {msgid!r}: {reason}", file=sys.stderr)
    return 1 if refused else 0


def cmd_check(args) -> int:
    failed = False
    for lang in args.langs or LANGUAGES:
        catalog = load(lang)
        all_entries = entries(catalog)
        missing = [m for m in all_entries if _missing(m)]
        wrong = [(m.id, p) for m in all_entries if not _missing(m) for p in problems(m, catalog.num_plurals)]
        print(f"{lang}: {len(all_entries) - len(missing)}/{len(all_entries)} translated, {len(wrong)} wrong")
        for msgid, problem in wrong[:20]:
            print(f"  {msgid!r}: {problem}")
        failed = failed or bool(missing or wrong)
    return 1 if failed else 0


# Words that are Serbian words too: when a translation uses one, it is Serbian text and goes into Cyrillic, unless
# the English has it in quotes (a literal value such as 'format: 1').
SERBIAN_TOO = frozenset(
    {"token", "problem", "Problem", "status", "Status", "video", "link", "administrator", "Administrator", "Kosovo"}
)


def kept_latin(english: str) -> frozenset[str]:
    """The words of an English msgid that its Serbian translation keeps in Latin in the Cyrillic catalog: what a
    translation copies from the English (CSV columns, YAML values, product names), except the words that are
    Serbian words too (SERBIAN_TOO) and are not quoted in the English."""
    quoted = {
        word
        for part in re.findall(r"[`'\"“‘]([^`'\"”’]+)[`'\"”’]", english)
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_-]*", part)
    }
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_-]{2,}", english))
    return frozenset(w for w in words if w not in SERBIAN_TOO or w in quoted)


def cmd_cyrillic(args) -> int:
    sys.path.insert(0, str(ROOT))
    from lms.translit import latin_to_cyrillic_markup

    source = load("sr_Latn")
    target = load("sr_Cyrl")
    by_id = {m.id if not isinstance(m.id, list) else tuple(m.id): m for m in entries(source)}
    written = 0
    for message in entries(target):
        key = message.id if not isinstance(message.id, list) else tuple(message.id)
        latin = by_id.get(key)
        if latin is None or _missing(latin):
            continue
        english = " ".join(message.id) if isinstance(message.id, tuple | list) else message.id
        keep = kept_latin(english)
        if isinstance(latin.string, tuple | list):
            message.string = tuple(latin_to_cyrillic_markup(form, keep) for form in latin.string)
        else:
            message.string = latin_to_cyrillic_markup(latin.string, keep)
        message.flags.discard("fuzzy")
        written += 1
    save("sr_Cyrl", target)
    print(f"sr_Cyrl: {written} entries transliterated from sr_Latn", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    todo = commands.add_parser("todo")
    todo.add_argument("lang", choices=LANGUAGES)
    todo.add_argument("--offset", type=int, default=0)
    todo.add_argument("--limit", type=int)
    apply = commands.add_parser("apply")
    apply.add_argument("lang", choices=LANGUAGES)
    apply.add_argument("file")
    check = commands.add_parser("check")
    check.add_argument("langs", nargs="*")
    commands.add_parser("cyrillic")
    args = parser.parse_args(argv)
    return {"todo": cmd_todo, "apply": cmd_apply, "check": cmd_check, "cyrillic": cmd_cyrillic}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
