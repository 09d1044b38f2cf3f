"""GIFT, Moodle's plain-text question format: :func:`parse_gift` reads it, :func:`write_gift` writes it.

Every question becomes one plain dict (the same contract as :mod:`quizzes.formats.moodle_xml`)::

    type              multichoice | truefalse | shortanswer | numerical | match | essay | description
    name              from ``::name::``; without one, the text's first 40 characters (see default_name)
    text              unescaped, without the format prefix; a missing-word blank becomes "_____"
    text_format       moodle | html | plain | markdown (default moodle)
    category          the last ``$CATEGORY:`` path before the question, or None
    general_feedback  from ``####...`` ("" when none)
    answers           [{"text", "fraction" (1.0 = 100 %), "feedback"}], plus "tolerance" on numerical answers
    single            multichoice only: True when exactly one answer is worth 100 %
    subquestions      match only: [{"text", "answer"}] (answers is then [])

Where Moodle's documentation leaves room, this module decides (and ``write_gift`` writes accordingly):

* Blank lines separate questions; a ``//`` line is a comment; a ``$CATEGORY:`` line also ends a question.
  A leading ``$course$/`` is dropped from category paths (it is the default context), and an empty
  ``$CATEGORY:`` returns to "no category".
* Escapes are ``\\~ \\= \\# \\{ \\} \\:``, ``\\n`` (a newline) and ``\\\\`` (one backslash, as Moodle's importer reads
  it, so that any text can be written); a backslash before any other character is kept.
* Missing word: with text after the answer block, the block is replaced by ``_____``; without, the text is
  just what precedes the block. This applies to every question type, as in Moodle.
* Without ``::name::`` the name is the text without tags, whitespace collapsed, cut to 40 characters at a word
  boundary and ended with "..." when cut.
* A block holding one answer without ``=`` (``{four}``) is a short answer; ``{T}``, ``{TRUE}``, ``{F}`` and
  ``{FALSE}`` (upper case) are true/false. In ``{T#one#two}`` "one" is shown to a learner who answers wrongly
  and "two" to one who answers rightly, so each feedback goes to the answer whose choice shows it.
* Only ``=`` answers make a short answer; any ``~`` answer makes a multiple choice. When every answer has
  ``->`` the question is a matching question, which Moodle's documentation says needs at least three pairs
  (fewer is an error); pairs take no weights or feedback, and ``= -> extra`` adds a distractor.
* A range ``{#1..5}`` becomes its midpoint with a tolerance (answer "3", tolerance 2.0).
* A format prefix (``[html]``, ``[markdown]``, ``[plain]``, ``[moodle]``) is also stripped from answers and
  feedback; any other ``[word]`` at the start of a text is reported as an unknown format.
* Weights must lie between -100 % and 100 %. Multiple choice needs two answers and a right one (positive
  weight); short answer and numerical need a right one; no other checks are made.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

FORMATS = ("moodle", "html", "plain", "markdown")
BLANK = "_____"
NAME_LENGTH = 40
MIN_MATCH_PAIRS = 3
COURSE_CONTEXT = "$course$/"
CATEGORY_LINE = "$CATEGORY:"

_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_ESCAPABLE = "\\~=#{}:"
_ESCAPE_RE = re.compile(r"\\[\\~=#{}:n]")
_UNESCAPES = {"\\" + c: c for c in _ESCAPABLE} | {"\\n": "\n"}
_ESCAPES = str.maketrans({c: "\\" + c for c in _ESCAPABLE} | {"\n": "\\n"})
_MARKER_RE = re.compile(r"[=~]")
_HASH_RE = re.compile("#")
_SPACE_RE = re.compile(r"\s*")
_PREFIX_RE = re.compile(r"\[([A-Za-z]+)\]")
# Exponents are kept to three digits so that no number can expand into an enormous string.
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_CONTEXT_RE = re.compile(r"\$[a-z]+\$(?:/|$)")
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")


@dataclass
class GiftResult:
    """What :func:`parse_gift` found. ``lines[i]`` is the line where ``questions[i]`` starts."""

    questions: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


# --- helpers shared with moodle_xml -------------------------------------------------------------------------


def default_name(text: str) -> str:
    """The name Moodle gives a question without one: the start of its text, tags removed."""
    plain = " ".join(_TAG_RE.sub(" ", text).split()) or " ".join(text.split())
    if len(plain) <= NAME_LENGTH:
        return plain
    cut = plain[:NAME_LENGTH]
    space = cut.rfind(" ")
    # Cutting at a word boundary reads better, unless that would throw away most of the name.
    if space >= NAME_LENGTH // 2:
        cut = cut[:space]
    return cut.rstrip() + "..."


def percent_to_fraction(percent: str) -> float | None:
    """``"33.33333"`` -> 0.3333333; None unless a number from -100 to 100.

    Decimal arithmetic keeps :func:`fraction_to_percent` an exact inverse, so fractions survive round trips.
    """
    value = percent.strip()
    if not is_number(value):
        return None
    number = Decimal(value)
    return float(number / 100) if -100 <= number <= 100 else None


def is_number(text: str) -> bool:
    """Whether ``text`` is a plain decimal number (sign, digits, point, short exponent), as GIFT accepts."""
    return _NUMBER_RE.fullmatch(text) is not None


def fraction_to_percent(fraction: float) -> str:
    """0.5 -> ``"50"``: the percentage Moodle writes for a fraction, without float noise."""
    return _plain_number(Decimal(repr(float(fraction))) * 100)


def category_from_path(path: str) -> str | None:
    """A ``$CATEGORY:`` path as stored: ``$course$/`` (the default context) dropped, "" meaning none."""
    path = path.strip()
    if path.startswith(COURSE_CONTEXT):
        path = path[len(COURSE_CONTEXT) :]
    return path or None


def category_to_path(category: str | None) -> str:
    """A stored category as Moodle writes it, in the course context unless it names its own context."""
    if not category:
        return ""
    return category if _CONTEXT_RE.match(category) else COURSE_CONTEXT + category


def _plain_number(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


# --- parsing -----------------------------------------------------------------------------------------------


class _QuestionError(Exception):
    """A question cannot be read; ``pos`` is the offset in the question's text that is to blame."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass
class _Chunk:
    """One question's lines joined, with a copy where escapes are blanked out to find the real markup."""

    raw: str
    numbers: list[int]
    starts: list[int]
    masked: str = ""

    def __post_init__(self) -> None:
        # Same length as raw, so an offset found in masked also slices raw.
        self.masked = _ESCAPE_RE.sub("\0\0", self.raw) if "\\" in self.raw else self.raw

    def line_at(self, pos: int) -> int:
        return self.numbers[max(bisect_right(self.starts, pos) - 1, 0)]


@dataclass
class _Item:
    """One answer in a block: its marker, weight, where its text lies, and its feedback."""

    marker: str
    pos: int
    fraction: float
    weighted: bool
    start: int
    end: int
    feedback: str
    has_feedback: bool


@dataclass
class _Block:
    type: str
    answers: list[dict]
    general_feedback: str = ""
    single: bool = False
    subquestions: list[dict] = field(default_factory=list)


def parse_gift(text: str) -> GiftResult:
    """Read GIFT text into question dicts. Never raises: a bad question becomes an error and is skipped.

    Each error is ``{"index", "line", "message"}``; ``index`` counts every question, good or bad, from 0.
    """
    result = GiftResult()
    category: str | None = None
    index = 0
    for part in _split(text):
        if isinstance(part, str):
            category = category_from_path(part)
            continue
        try:
            result.questions.append(_parse_question(part, category))
            result.lines.append(part.numbers[0])
        except _QuestionError as problem:
            result.errors.append({"index": index, "line": part.line_at(problem.pos), "message": problem.message})
        index += 1
    return result


def _split(text: str) -> Iterator[str | _Chunk]:
    """Yield, in file order, category paths and question chunks (runs of lines between blank lines)."""
    numbers: list[int] = []
    lines: list[str] = []
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if stripped and not stripped.startswith(CATEGORY_LINE):
            numbers.append(number)
            lines.append(line)
            continue
        if lines:
            yield _chunk(numbers, lines)
            numbers, lines = [], []
        if stripped:
            yield stripped[len(CATEGORY_LINE) :]
    if lines:
        yield _chunk(numbers, lines)


def _chunk(numbers: list[int], lines: list[str]) -> _Chunk:
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    return _Chunk("\n".join(lines), numbers, starts)


def _parse_question(chunk: _Chunk, category: str | None) -> dict:
    pos, name = _read_name(chunk)
    masked = chunk.masked
    opening = masked.find("{", pos)
    _refuse_stray_brace(chunk, pos, opening if opening >= 0 else len(masked))
    if opening < 0:
        fmt, text = _question_text(chunk, pos, len(masked), None)
        block = _Block("description", [])
    else:
        closing = _closing_brace(chunk, opening)
        fmt, text = _question_text(chunk, pos, opening, closing)
        block = _parse_block(chunk, opening + 1, closing)
    if not text:
        raise _QuestionError(_("The question has no text."), 0)
    question = {
        "type": block.type,
        "name": name or default_name(text),
        "text": text,
        "text_format": fmt or "moodle",
        "category": category,
        "general_feedback": block.general_feedback,
        "answers": block.answers,
    }
    if block.type == "multichoice":
        question["single"] = block.single
    if block.type == "match":
        question["subquestions"] = block.subquestions
    return question


def _read_name(chunk: _Chunk) -> tuple[int, str]:
    """Return where the text starts and the ``::name::`` ("" without one)."""
    pos = _skip_space(chunk.masked, 0, len(chunk.masked))
    if not chunk.masked.startswith("::", pos):
        return pos, ""
    end = chunk.masked.find("::", pos + 2)
    if end < 0:
        raise _QuestionError(_("The question name has no closing '::'."), pos)
    return end + 2, _unescape(chunk.raw[pos + 2 : end]).strip()


def _closing_brace(chunk: _Chunk, opening: int) -> int:
    masked = chunk.masked
    closing = masked.find("}", opening + 1)
    if closing < 0:
        raise _QuestionError(_("This '{' is never closed by '}'."), opening)
    if (inner := masked.find("{", opening + 1, closing)) >= 0:
        raise _QuestionError(_("A '{' inside an answer block; write \\{ for a literal brace."), inner)
    if (extra := masked.find("{", closing + 1)) >= 0:
        raise _QuestionError(_("Only one answer block is allowed; write \\{ for a literal brace."), extra)
    _refuse_stray_brace(chunk, closing + 1, len(masked))
    return closing


def _refuse_stray_brace(chunk: _Chunk, start: int, end: int) -> None:
    if (stray := chunk.masked.find("}", start, end)) >= 0:
        raise _QuestionError(_("This '}' has no matching '{'."), stray)


def _question_text(chunk: _Chunk, pos: int, opening: int, closing: int | None) -> tuple[str | None, str]:
    """The format prefix and the text, with the answer block replaced by a blank when text follows it."""
    fmt, before = _split_format(_unescape(chunk.raw[pos:opening]), pos)
    after = "" if closing is None else _unescape(chunk.raw[closing + 1 :])
    if after.strip():
        return fmt, (before + BLANK + after).strip()
    return fmt, before.strip()


def _split_format(text: str, pos: int) -> tuple[str | None, str]:
    text = text.lstrip()
    match = _PREFIX_RE.match(text)
    if not match:
        return None, text
    fmt = match.group(1).lower()
    if fmt not in FORMATS:
        message = _("Unknown format [%(name)s]; use [html], [markdown], [plain] or [moodle].", name=match.group(1))
        raise _QuestionError(message, pos)
    return fmt, text[match.end() :]


def _clean(chunk: _Chunk, start: int, end: int) -> str:
    """Answer or feedback text: unescaped, any format prefix dropped, trimmed."""
    return _split_format(_unescape(chunk.raw[start:end]), start)[1].strip()


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: _UNESCAPES[m.group()], text)


def _skip_space(text: str, start: int, end: int) -> int:
    return _SPACE_RE.match(text, start, end).end()


def _parse_block(chunk: _Chunk, start: int, end: int) -> _Block:
    """Read what lies between the braces; the shape of the answers decides the question type."""
    general_feedback = ""
    hashes = chunk.masked.find("####", start, end)
    if hashes >= 0:
        general_feedback = _clean(chunk, hashes + 4, end)
        end = hashes
    start = _skip_space(chunk.masked, start, end)
    if start == end:
        block = _Block("essay", [])
    elif chunk.masked[start] == "#":
        block = _numerical(chunk, start + 1, end)
    else:
        block = _true_false(chunk, start, end) or _choices(chunk, start, end)
    block.general_feedback = general_feedback
    return block


def _true_false(chunk: _Chunk, start: int, end: int) -> _Block | None:
    marks = [m.start() for m in _HASH_RE.finditer(chunk.masked, start, end)]
    token = chunk.raw[start : marks[0] if marks else end].strip()
    if token not in _TRUE_FALSE:
        return None
    if len(marks) > 2:
        raise _QuestionError(_("A true/false answer takes at most two feedbacks: {T#wrong#right}."), marks[2])
    bounds = [*marks, end]
    feedbacks = [_clean(chunk, bounds[i] + 1, bounds[i + 1]) for i in range(len(marks))] + ["", ""]
    wrong, right = feedbacks[0], feedbacks[1]
    value = _TRUE_FALSE[token]
    return _Block(
        "truefalse",
        [
            {"text": "true", "fraction": 1.0 if value else 0.0, "feedback": right if value else wrong},
            {"text": "false", "fraction": 0.0 if value else 1.0, "feedback": wrong if value else right},
        ],
    )


def _items(chunk: _Chunk, start: int, end: int) -> list[_Item]:
    marks = [m.start() for m in _MARKER_RE.finditer(chunk.masked, start, end)]
    if not marks:
        # A lone answer without "=" is a right answer ({four}, {#3:1}).
        return [_item(chunk, "=", start, start, end)]
    if marks[0] != start:
        raise _QuestionError(_("Each answer must start with '=' (right) or '~' (wrong)."), start)
    ends = [*marks[1:], end]
    return [_item(chunk, chunk.masked[m], m, m + 1, e) for m, e in zip(marks, ends, strict=True)]


def _item(chunk: _Chunk, marker: str, pos: int, start: int, end: int) -> _Item:
    hash_at = chunk.masked.find("#", start, end)
    body_end = end if hash_at < 0 else hash_at
    feedback = "" if hash_at < 0 else _clean(chunk, hash_at + 1, end)
    start = _skip_space(chunk.masked, start, body_end)
    fraction, weighted = (1.0 if marker == "=" else 0.0), False
    if chunk.masked.startswith("%", start, body_end):
        closing = chunk.masked.find("%", start + 1, body_end)
        if closing < 0:
            raise _QuestionError(_("A weight must be closed by a second '%%', as in %(example)s.", example="%50%"), pos)
        fraction, weighted = _weight(chunk.raw[start + 1 : closing], pos), True
        start = closing + 1
    return _Item(marker, pos, fraction, weighted, start, body_end, feedback, hash_at >= 0)


def _weight(text: str, pos: int) -> float:
    fraction = percent_to_fraction(text)
    if fraction is None:
        message = _("The weight %(weight)s is not a number from -100 to 100.", weight=f"%{text}%")
        raise _QuestionError(message, pos)
    return fraction


def _answer(chunk: _Chunk, item: _Item) -> dict:
    text = _clean(chunk, item.start, item.end)
    if not text:
        raise _QuestionError(_("This answer is empty."), item.pos)
    return {"text": text, "fraction": item.fraction, "feedback": item.feedback}


def _choices(chunk: _Chunk, start: int, end: int) -> _Block:
    items = _items(chunk, start, end)
    arrows = [chunk.masked.find("->", item.start, item.end) for item in items]
    wrong = any(item.marker == "~" for item in items)
    # A "->" in some answers of a multiple choice is just text; anywhere else it makes a matching question.
    if any(a >= 0 for a in arrows) and (all(a >= 0 for a in arrows) or not wrong):
        return _match(chunk, items, arrows)
    answers = [_answer(chunk, item) for item in items]
    if not any(a["fraction"] > 0 for a in answers):
        raise _QuestionError(_("There is no right answer (one starting with '=' or with a positive weight)."), 0)
    if not wrong:
        return _Block("shortanswer", answers)
    if len(answers) < 2:
        raise _QuestionError(_("A multiple-choice question needs at least two answers."), 0)
    single = sum(1 for a in answers if a["fraction"] == 1.0) == 1
    return _Block("multichoice", answers, single=single)


def _match(chunk: _Chunk, items: list[_Item], arrows: list[int]) -> _Block:
    pairs = []
    for item, arrow in zip(items, arrows, strict=True):
        if arrow < 0:
            raise _QuestionError(_("This matching pair has no '->'."), item.pos)
        if item.marker != "=":
            raise _QuestionError(_("A matching pair must start with '='."), item.pos)
        if item.weighted or item.has_feedback:
            raise _QuestionError(_("Matching pairs take no weight and no feedback."), item.pos)
        answer = _clean(chunk, arrow + 2, item.end)
        if not answer:
            raise _QuestionError(_("This matching pair has nothing after '->'."), item.pos)
        pairs.append({"text": _clean(chunk, item.start, arrow), "answer": answer})
    if len(pairs) < MIN_MATCH_PAIRS:
        message = _(
            "A matching question needs at least %(least)d pairs; this one has %(count)d.",
            least=MIN_MATCH_PAIRS,
            count=len(pairs),
        )
        raise _QuestionError(message, 0)
    return _Block("match", [], subquestions=pairs)


def _numerical(chunk: _Chunk, start: int, end: int) -> _Block:
    start = _skip_space(chunk.masked, start, end)
    if start == end:
        raise _QuestionError(_("This numerical question has no answer."), 0)
    answers = [_numeric_answer(chunk, item) for item in _items(chunk, start, end)]
    if not any(a["fraction"] > 0 for a in answers):
        raise _QuestionError(_("There is no right answer (one starting with '=' or with a positive weight)."), 0)
    return _Block("numerical", answers)


def _numeric_answer(chunk: _Chunk, item: _Item) -> dict:
    value, tolerance = _number_spec(chunk.raw[item.start : item.end].strip(), item.pos)
    return {"text": value, "fraction": item.fraction, "feedback": item.feedback, "tolerance": tolerance}


def _number_spec(spec: str, pos: int) -> tuple[str, float]:
    """``3.14:0.01`` -> ("3.14", 0.01); ``1..5`` -> ("3", 2.0); ``7`` -> ("7", 0.0)."""
    if ".." in spec:
        low, high = (_number(part, pos) for part in spec.split("..", 1))
        if low > high:
            raise _QuestionError(_("The range %(range)s starts above its end.", range=spec), pos)
        return _plain_number((low + high) / 2), float((high - low) / 2)
    value, colon, tolerance = spec.partition(":")
    _number(value, pos)
    margin = _number(tolerance, pos) if colon else Decimal(0)
    if margin < 0:
        raise _QuestionError(_("The tolerance %(value)s is negative.", value=tolerance.strip()), pos)
    return value.strip(), float(margin)


def _number(text: str, pos: int) -> Decimal:
    text = text.strip()
    if not is_number(text):
        raise _QuestionError(_("'%(value)s' is not a number.", value=text), pos)
    return Decimal(text)


# --- writing -----------------------------------------------------------------------------------------------


def write_gift(questions: list[dict]) -> str:
    """Write question dicts as GIFT, so that ``parse_gift(write_gift(qs)).questions == qs``.

    A ``$CATEGORY:`` line is written whenever the category changes; every question gets its ``::name::``.
    """
    parts: list[str] = []
    category: str | None = None
    for question in questions:
        if question.get("category") != category:
            category = question.get("category")
            parts.append(f"{CATEGORY_LINE} {category_to_path(category)}".rstrip())
        parts.append(_write_question(question))
    return "\n\n".join(parts) + "\n" if parts else ""


def _write_question(question: dict) -> str:
    fmt = question.get("text_format") or "moodle"
    text = question["text"]
    head = f"::{_escape(question['name'])}:: "
    if fmt != "moodle" or _PREFIX_RE.match(text):
        # "[moodle]" protects a text that itself starts with something like "[note]".
        head += f"[{fmt}]"
    block = _WRITERS[question["type"]](question)
    if block is None:
        return head + _escape(text)
    blank = text.find(BLANK)
    if blank >= 0 and text[blank + len(BLANK) :].strip():
        return head + _escape(text[:blank]) + block + _escape(text[blank + len(BLANK) :])
    return f"{head}{_escape(text)} {block}"


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _guard(text: str) -> str:
    """Escape an answer or feedback, protecting a leading "[word]" from being read as a format."""
    return ("[moodle]" if _PREFIX_RE.match(text) else "") + _escape(text)


def _braces(lines: list[str], general_feedback: str) -> str:
    if general_feedback:
        # On its own line, so that "####" cannot run into a "#" that ends the line before.
        lines = [*lines, "####" + _guard(general_feedback)]
    if len(lines) == 1 and not general_feedback:
        return "{" + lines[0] + "}"
    return "{\n" + "\n".join(lines) + "\n}" if lines else "{}"


def _weight_prefix(fraction: float, default: float, text: str) -> str:
    # A text starting with "%" would be read as a weight, so it always gets an explicit one.
    if fraction == default and not text.startswith("%"):
        return ""
    return f"%{fraction_to_percent(fraction)}%"


def _answer_line(marker: str, answer: dict, default: float) -> str:
    line = marker + _weight_prefix(answer["fraction"], default, answer["text"]) + _guard(answer["text"])
    return line + (" #" + _guard(answer["feedback"]) if answer.get("feedback") else "")


def _write_multichoice(question: dict) -> str:
    lines = []
    for answer in question["answers"]:
        right = answer["fraction"] == 1.0
        lines.append(_answer_line("=" if right else "~", answer, 1.0 if right else 0.0))
    return _braces(lines, question.get("general_feedback", ""))


def _write_shortanswer(question: dict) -> str:
    lines = [_answer_line("=", answer, 1.0) for answer in question["answers"]]
    return _braces(lines, question.get("general_feedback", ""))


def _write_numerical(question: dict) -> str:
    answers = question["answers"]
    lines = [_numeric_line(answer) for answer in answers]
    if len(answers) == 1 and answers[0]["fraction"] == 1.0:
        lines = ["#" + lines[0][1:]]  # the short form, {#3.14:0.01}
    else:
        lines = ["#", *lines]
    return _braces(lines, question.get("general_feedback", ""))


def _numeric_line(answer: dict) -> str:
    tolerance = _plain_number(Decimal(repr(float(answer.get("tolerance", 0.0)))))
    line = "=" + _weight_prefix(answer["fraction"], 1.0, "") + f"{answer['text']}:{tolerance}"
    return line + (" #" + _guard(answer["feedback"]) if answer.get("feedback") else "")


def _write_truefalse(question: dict) -> str:
    by_text = {a["text"].lower(): a for a in question["answers"]}
    true, false = by_text["true"], by_text["false"]
    value = true["fraction"] > false["fraction"]
    right, wrong = (true, false) if value else (false, true)
    line = "TRUE" if value else "FALSE"
    if right.get("feedback") or wrong.get("feedback"):
        line += f"#{_guard(wrong.get('feedback', ''))}#{_guard(right.get('feedback', ''))}"
    return _braces([line], question.get("general_feedback", ""))


def _write_match(question: dict) -> str:
    lines = [f"={_guard(p['text'])} -> {_guard(p['answer'])}" for p in question["subquestions"]]
    return _braces(lines, question.get("general_feedback", ""))


def _write_essay(question: dict) -> str:
    return _braces([], question.get("general_feedback", ""))


def _write_description(question: dict) -> None:
    """A description has no braces, so GIFT has no room for its general feedback."""
    return None


_WRITERS: dict[str, Callable[[dict], str | None]] = {
    "multichoice": _write_multichoice,
    "truefalse": _write_truefalse,
    "shortanswer": _write_shortanswer,
    "numerical": _write_numerical,
    "match": _write_match,
    "essay": _write_essay,
    "description": _write_description,
}
