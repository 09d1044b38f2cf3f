"""No human-readable text in a template outside ``{{ _() }}``, ``{% trans %}`` or ``ngettext`` (issue 8, point 1).

Each template is split with Jinja's own lexer: what is left outside ``{{ … }}`` and ``{% … %}`` (and outside
``{% trans %} … {% endtrans %}`` blocks) is the HTML the template writes as it is. That HTML is scanned for text
holding letters, and for user-visible attributes (title, alt, placeholder, aria-label …) holding letters. Any
expression counts as translated here: whether the strings inside expressions are wrapped is the catalog's business
(pybabel extract), and variables hold data, not interface text.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lms", "courses", "quizzes", "certificates", "records")

# Stands for an expression or a tag in the scanned HTML: no letter, so it never counts as text, and not a space,
# so "{{ n }} items" still shows its "items".
HOLE = "\x1a"

# Attributes a person reads or hears (screen readers), or that scripts show (data-msg-*).
VISIBLE_ATTRIBUTES = {
    "title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription", "aria-valuetext",
    "aria-placeholder", "label",
}  # fmt: skip
VISIBLE_VALUE_INPUTS = {"submit", "button", "reset"}
# Elements whose content is not prose: scripts, styles and code samples (commands, file names, formats).
NOT_TEXT_ELEMENTS = {"script", "style", "code", "kbd", "samp", "pre"}

# Text that must not be translated, by template (path relative to the project root) and text.
ALLOWED = {
    # CSS that a certificate design puts into its base template's <style> through a block
    ("certificates/templates/certificates/pdf/classic.html", "border: 2.5pt solid #123a5c;"),
    ("certificates/templates/certificates/pdf/plain.html", "2cm"),
    # an example of an audit action name (a code, as stored), shown in the filter's empty field
    ("lms/templates/audit/event_list.html", "placeholder='auth.'"),
    # names of file formats (the links download a file in that format)
    ("quizzes/templates/quizzes/teach_bank.html", "GIFT"),
    ("quizzes/templates/quizzes/teach_bank.html", "Moodle XML"),
}


def _shown(text: str) -> str:
    """``text`` as reported: spaces collapsed, the holes at either end dropped, those inside shown as {{…}}."""
    words = text.replace(HOLE, f" {HOLE} ").split()
    while words and words[0] == HOLE:
        words.pop(0)
    while words and words[-1] == HOLE:
        words.pop()
    return " ".join(words).replace(HOLE, "{{…}}")


def _templates() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).glob("**/templates/**/*.html"))


def untranslated_html(env, source: str) -> str:
    """The HTML ``source`` writes as it is, every expression and tag replaced by :data:`HOLE`, ``{% trans %}``
    blocks dropped, and line breaks kept where they were so that line numbers stay right."""
    out: list[str] = []
    line = 1
    in_trans = False
    expect_name = False
    for lineno, token, value in env.lex(source):
        if lineno > line:
            out.append("\n" * (lineno - line))
            line = lineno
        if token in ("block_begin", "variable_begin"):
            expect_name = token == "block_begin"
            if not in_trans:
                out.append(HOLE)
        elif expect_name and token == "name":
            in_trans = value == "trans" or (in_trans and value != "endtrans")
            expect_name = False
        elif token == "data" and not in_trans:
            out.append(value)
            line += value.count("\n")
        elif token == "data":
            line += value.count("\n")
    return "".join(out)


class _TextScan(HTMLParser):
    """Collects (line, what, text) for text with letters and for user-visible attributes with letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # entities are skipped, never read as letters
        self.found: list[tuple[int, str]] = []
        self.skipping: list[str] = []

    @staticmethod
    def _has_text(value: str | None) -> bool:
        return bool(value) and any(char.isalpha() for char in value)

    def handle_starttag(self, tag, attrs):
        line = self.getpos()[0]
        attributes = dict(attrs)
        for name, value in attrs:
            visible = (
                name in VISIBLE_ATTRIBUTES
                or name.startswith("data-msg-")
                or (name == "value" and tag == "input" and attributes.get("type") in VISIBLE_VALUE_INPUTS)
            )
            if visible and self._has_text(value):
                self.found.append((line, f"{name}={_shown(value)!r}"))
        if tag in NOT_TEXT_ELEMENTS:
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if self.skipping or not self._has_text(data):
            return
        first = next(i for i, char in enumerate(data) if char.isalpha())
        line = self.getpos()[0] + data[:first].count("\n")
        self.found.append((line, _shown(data)))


def scan(env, source: str) -> list[tuple[int, str]]:
    """(line, text) of every piece of untranslated text in the template ``source``."""
    parser = _TextScan()
    parser.feed(untranslated_html(env, source))
    parser.close()
    return parser.found


# The scanner itself ---------------------------------------------------------------------------------------


@pytest.fixture
def env(app):
    return app.jinja_env


def test_the_scan_finds_plain_text_and_visible_attributes(env):
    source = (
        "<h1>{{ _('Title') }}</h1>\n"
        "<p>Hello {{ name }}</p>\n"
        '<img src="a.png" alt="A photo">\n'
        '<input type="submit" value="Save"><input type="hidden" name="next" value="back">\n'
        '<a href="/x" class="button" title="{{ _(\'Open\') }}">{{ _("Open") }}</a>\n'
        '<button aria-label="Close">×</button>\n'
        "{% if x %}\n  Some text\n{% endif %}\n"
        "{{ long(\n  call) }}{% trans %}Two\nlines{% endtrans %}\n"
        '<div data-msg-saved="Saved" data-url="/save">{{ n }} of {{ m }} left</div>'
    )
    assert scan(env, source) == [
        (2, "Hello"),
        (3, "alt='A photo'"),
        (4, "value='Save'"),
        (6, "aria-label='Close'"),
        (8, "Some text"),
        (12, "data-msg-saved='Saved'"),
        (12, "of {{…}} left"),
    ]


def test_the_scan_allows_what_is_translated_or_not_text(env):
    source = (
        "{% trans n=3 %}One of\n {{ n }} things{% pluralize %}{{ n }} things{% endtrans %}\n"
        "<p>{{ ngettext('%(num)d item', '%(num)d items', n) }} · 12 → &nbsp; &rarr; 3/4</p>\n"
        "{# a comment with words #}<!-- an HTML comment -->\n"
        "<script>const words = 'not prose';</script><code>lms courses list</code>\n"
        '<div id="main" class="columns" data-deadline="{{ d }}"></div>\n'
        "<p>{{ _('Done') }}</p>"
    )
    assert scan(env, source) == []


# Every template --------------------------------------------------------------------------------------------


def test_no_template_writes_text_outside_translation(env):
    problems = []
    for path in _templates():
        relative = path.relative_to(ROOT).as_posix()
        for line, text in scan(env, path.read_text(encoding="utf-8")):
            if (relative, text) not in ALLOWED:
                problems.append(f"{relative}:{line}: {text}")
    assert not problems, "Text outside _() in templates:\n" + "\n".join(problems)


def test_the_allow_list_has_no_stale_entries(env):
    found = {
        (path.relative_to(ROOT).as_posix(), text)
        for path in _templates()
        for _line, text in scan(env, path.read_text(encoding="utf-8"))
    }
    assert set(ALLOWED) <= found, f"allowed but no longer in the templates: {sorted(set(ALLOWED) - found)}"
