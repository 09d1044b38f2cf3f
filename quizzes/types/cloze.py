"""Cloze (Moodle's "embedded answers"): a text with gaps, each a small multiple-choice, short-answer or
numerical question written in Moodle's syntax::

    The capital of Croatia is {1:MULTICHOICE:=Zagreb#Right~Split#Wrong}; a day has {2:NUMERICAL:=24:0} hours.

A gap is ``{weight:TYPE:alternatives}``. The weight (default 1) counts relative to the other gaps. Alternatives
are separated by ``~``; each starts with ``=`` (100 %), ``%50%`` (any fraction from -100 to 100, with a point or a
comma) or nothing (0 %), then its text, then optionally ``#feedback``. Numerical alternatives are
``value:tolerance`` or ``*``. ``\\}``, ``\\#``, ``\\~`` and ``\\\\`` stand for the characters themselves; a ``#``
right after ``&`` belongs to an HTML entity such as ``&#39;``. Types, as in Moodle:

* SHORTANSWER (SA, MW), SHORTANSWER_C (SAC, MWC: case matters), NUMERICAL (NM);
* MULTICHOICE (MC, a drop-down), MULTICHOICE_V (MCV, vertical radio buttons), MULTICHOICE_H (MCH, horizontal);
* MULTIRESPONSE (MR, vertical checkboxes), MULTIRESPONSE_H (MRH);
* any multiple-choice type with ``S`` at the end (MULTICHOICE_S, MCS, MCVS, MCHS, MRS, MRHS …) shuffles.

As in Moodle, a multiple-response gap's positive fractions are scaled to add up to 100 %, and when no
alternative has an explicit ``%n%`` weight each wrong alternative cancels one right one.

Where Moodle would show a malformed gap as plain text, this module refuses the config instead: a typo in a
type name (or a type in lower case), or a missing ``}``, would otherwise show the answers to learners. Weights
go up to MAX_WEIGHT.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import ConfigError, Grade, QuestionType, State
from quizzes.types.choice import MultipleChoice
from quizzes.types.fields import MAX_ITEMS, as_mapping, clean_text, general_feedback, parse_number, plain_number
from quizzes.types.numerical import ANY, Numerical
from quizzes.types.shortanswer import ShortAnswer

MAX_WEIGHT = 1000

# Lower-case and unknown type names are matched too, to be refused rather than shown as text.
_HEADER_RE = re.compile(r"\{([0-9]*):([A-Za-z_]+):")
_FRACTION_RE = re.compile(r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%")
_UNESCAPE_RE = re.compile(r"\\([\\}#~])")


@dataclass(frozen=True)
class _Spec:
    kind: str
    layout: str = ""
    single: bool = True
    shuffle: bool = False
    case_sensitive: bool = False


_SPEC_TABLE: tuple[tuple[tuple[str, ...], _Spec], ...] = (
    (("NUMERICAL", "NM"), _Spec("numerical")),
    (("SHORTANSWER", "SA", "MW"), _Spec("shortanswer")),
    (("SHORTANSWER_C", "SAC", "MWC"), _Spec("shortanswer", case_sensitive=True)),
    (("MULTICHOICE", "MC"), _Spec("multichoice", "dropdown")),
    (("MULTICHOICE_S", "MCS"), _Spec("multichoice", "dropdown", shuffle=True)),
    (("MULTICHOICE_V", "MCV"), _Spec("multichoice", "vertical")),
    (("MULTICHOICE_VS", "MCVS"), _Spec("multichoice", "vertical", shuffle=True)),
    (("MULTICHOICE_H", "MCH"), _Spec("multichoice", "horizontal")),
    (("MULTICHOICE_HS", "MCHS"), _Spec("multichoice", "horizontal", shuffle=True)),
    (("MULTIRESPONSE", "MR"), _Spec("multichoice", "vertical", single=False)),
    (("MULTIRESPONSE_S", "MRS"), _Spec("multichoice", "vertical", single=False, shuffle=True)),
    (("MULTIRESPONSE_H", "MRH"), _Spec("multichoice", "horizontal", single=False)),
    (("MULTIRESPONSE_HS", "MRHS"), _Spec("multichoice", "horizontal", single=False, shuffle=True)),
)
_SPECS = {name: spec for names, spec in _SPEC_TABLE for name in names}
_TYPES: dict[str, type[QuestionType]] = {
    "multichoice": MultipleChoice,
    "shortanswer": ShortAnswer,
    "numerical": Numerical,
}


@dataclass(frozen=True)
class Gap:
    """One gap: its key ("1", "2" … in order of appearance), weight, and the sub-question that grades it.

    ``config`` is a validated config of ``qtype``; ``layout`` is dropdown, vertical or horizontal for
    multiple-choice gaps and "" otherwise.
    """

    key: str
    weight: int
    qtype: type[QuestionType]
    config: dict
    layout: str


def parse_cloze(text: str) -> list[str | Gap]:
    """Split cloze markup into literal text and gaps; raise ConfigError (field "text") on a malformed gap."""
    parts: list[str | Gap] = []
    pos = number = 0
    while match := _HEADER_RE.search(text, pos):
        number += 1
        if number > MAX_ITEMS:
            raise ConfigError(_("A cloze question can have at most %(count)d gaps.", count=MAX_ITEMS), "text")
        spec = _SPECS.get(match.group(2))
        if spec is None:
            raise ConfigError(_("Gap %(number)d: unknown type %(type)s.", number=number, type=match.group(2)), "text")
        end = _closing_brace(text, match.end())
        if end < 0:
            raise ConfigError(_("Gap %(number)d is never closed by '}'.", number=number), "text")
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        parts.append(_gap(str(number), _weight(match.group(1), number), spec, text[match.end() : end]))
        pos = end + 1
    if pos < len(text):
        parts.append(text[pos:])
    return parts


def gaps(text: str) -> list[Gap]:
    """Just the gaps of cloze markup."""
    return [part for part in parse_cloze(text) if isinstance(part, Gap)]


def _weight(digits: str, number: int) -> int:
    if not digits:
        return 1
    if len(digits) > len(str(MAX_WEIGHT)) or int(digits) > MAX_WEIGHT:
        raise ConfigError(_("Gap %(number)d weighs more than %(most)d.", number=number, most=MAX_WEIGHT), "text")
    return int(digits)


def _closing_brace(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "}":
            return i
        i += 1
    return -1


def _split(text: str, separator: str, once: bool = False) -> list[str]:
    """Split at unescaped ``separator`` (a "#" after "&" belongs to an HTML entity)."""
    pieces, start, i = [], 0, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == separator and not (char == "#" and text[i - 1 : i] == "&"):
            pieces.append(text[start:i])
            start = i + 1
            if once:
                break
        i += 1
    pieces.append(text[start:])
    return pieces


def _unescape(text: str) -> str:
    return _UNESCAPE_RE.sub(r"\1", text).strip()


def _alternatives(body: str) -> tuple[list[dict], bool]:
    """The alternatives as ``{"text", "fraction", "feedback"}``, and whether any had a ``%n%`` weight."""
    pieces = _split(body, "~")
    if pieces and not pieces[0].strip():
        pieces = pieces[1:]  # Moodle accepts a leading "~"
    found, weighted = [], False
    for piece in pieces:
        piece = piece.strip()
        fraction, match = 0.0, _FRACTION_RE.match(piece)
        if match:
            weighted = weighted or match.group(1) is not None
            fraction = 1.0 if match.group(1) is None else float(match.group(1).replace(",", ".")) / 100
            piece = piece[match.end() :]
        answer, *feedback = _split(piece, "#", once=True)
        found.append({"text": _unescape(answer), "fraction": fraction, "feedback": _unescape("".join(feedback))})
    return found, weighted


def _gap(key: str, weight: int, spec: _Spec, body: str) -> Gap:
    answers, weighted = _alternatives(body)
    try:
        config = _TYPES[spec.kind].validate_config(_sub_config(spec, answers, weighted))
    except ConfigError as problem:
        raise ConfigError(_("Gap %(number)s: %(problem)s", number=key, problem=problem.message), "text") from None
    return Gap(key, weight, _TYPES[spec.kind], config, spec.layout)


def _sub_config(spec: _Spec, answers: list[dict], weighted: bool) -> dict:
    if spec.kind == "shortanswer":
        return {"case_sensitive": spec.case_sensitive, "answers": answers}
    if spec.kind == "numerical":
        return {"answers": [_numeric(answer) for answer in answers]}
    if not spec.single:
        answers = _scale_multiresponse(answers, weighted)
    return {"single": spec.single, "shuffle": spec.shuffle, "answers": answers}


def _numeric(answer: dict) -> dict:
    value, colon, tolerance = answer["text"].partition(":")
    value = value.strip()
    if value != ANY and (number := parse_number(value)) is not None:
        value = plain_number(number)
    margin = parse_number(tolerance) if colon else 0
    return {
        **answer,
        "value": value,
        "tolerance": tolerance if margin is None else float(margin),
    }


def _scale_multiresponse(answers: list[dict], weighted: bool) -> list[dict]:
    total = sum(a["fraction"] for a in answers if a["fraction"] > 0)
    if not total:
        return answers
    for answer in answers:
        if answer["fraction"] > 0:
            answer["fraction"] /= total
        elif not weighted:
            answer["fraction"] = max(-1.0, -1.0 / total)
    return answers


class Cloze(QuestionType):
    """A text with embedded gaps in Moodle's syntax (see :mod:`quizzes.types.cloze`).

    Config::

        {"text": str, "general_feedback": str}

    ``text`` is the whole question with its gaps, so for a cloze question it holds the answer key: the quiz
    must never render it (nor a question text holding the same markup) to a learner, only
    :meth:`learner_view`'s parts. Each gap is graded by its own type; the question earns the weighted average.
    A new quiz slot gives it the sum of the weights as marks, as Moodle does. Response: ``{gap key: the gap's
    response}``. Form: a gap's type reads its fields under ``<prefix><key>-`` (gap 1: ``1-answer``).
    """

    slug = "cloze"
    label = _l("Cloze (embedded answers)")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        text = clean_text(config.get("text"), "text", required=True)
        found = gaps(text)
        if not found:
            raise ConfigError(_("There is no gap, such as {1:SHORTANSWER:=answer}."), "text")
        if not sum(gap.weight for gap in found):
            raise ConfigError(_("At least one gap must have a weight above 0."), "text")
        return {"text": text, "general_feedback": general_feedback(config)}

    @classmethod
    def default_marks(cls, config: dict) -> float:
        """The sum of the gaps' weights."""
        return float(sum(gap.weight for gap in gaps(config["text"])))

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """Parts in order: ``{"text"}`` for literal text, and for a gap its key, field prefix and its type's view
        (a multiple-choice gap's widget is "select" for a drop-down, with a ``layout`` otherwise)."""
        parts = []
        for part in parse_cloze(config["text"]):
            if isinstance(part, str):
                parts.append({"text": part})
            else:
                parts.append(_gap_view(part, rng, shuffle))
        return {"widget": "cloze", "parts": parts}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> dict[str, Any]:
        """Each gap's response, by key."""
        return {
            gap.key: gap.qtype.parse_response(gap.config, form, f"{prefix}{gap.key}-") for gap in gaps(config["text"])
        }

    @classmethod
    def grade_gaps(cls, config: dict, response: Any) -> dict[str, Grade]:
        """Each gap's grade, by key (for a review that marks the gaps)."""
        response = as_mapping(response)
        return {gap.key: gap.qtype.grade(gap.config, response.get(gap.key)) for gap in gaps(config["text"])}

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """The gaps' fractions averaged by weight; not answered when every gap is empty."""
        found = gaps(config["text"])
        grades = cls.grade_gaps(config, response)
        if all(grade.state == State.NOT_ANSWERED for grade in grades.values()):
            return Grade.not_answered(config["general_feedback"])
        earned = sum(gap.weight * (grades[gap.key].earned or 0.0) for gap in found)
        feedback = {key: " ".join(g.feedback.values()) for key, g in grades.items() if g.feedback}
        return Grade.of(earned / sum(gap.weight for gap in found), feedback, config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """Each gap's right answer: "1: Zagreb; 2: Barnahus; 3: 24"."""
        found = gaps(config["text"])
        return "; ".join(f"{gap.key}: {gap.qtype.right_answer_summary(gap.config)}" for gap in found)

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """The question's text is the markup (Moodle XML's ``cloze`` type; GIFT has none)."""
        return cls.validate_config(
            {"text": question.get("text", ""), "general_feedback": question.get("general_feedback", "")}
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """Type ``cloze`` with the markup as ``text`` (which replaces the caller's) and no answers, as Moodle XML
        writes it; :mod:`quizzes.formats` does not write this type yet."""
        return {"type": cls.slug, "text": config["text"], "general_feedback": config["general_feedback"], "answers": []}

    @classmethod
    def sample_config(cls) -> dict:
        """One gap of each kind."""
        return {
            "text": (
                "The capital of Croatia is {1:MULTICHOICE:=Zagreb#Right: the capital~Split#No: on the coast}. "
                "A child-friendly centre is a {2:SHORTANSWER:=Barnahus#Yes: from Iceland}. "
                "A day has {1:NUMERICAL:=24:0#Exactly} hours."
            ),
            "general_feedback": "Three facts from the course.",
        }

    @classmethod
    def sample_right_response(cls) -> dict[str, Any]:
        """Zagreb, Barnahus and 24."""
        first = gaps(cls.sample_config()["text"])[0]
        zagreb = next(a["id"] for a in first.config["answers"] if a["text"] == "Zagreb")
        return {"1": [zagreb], "2": "barnahus", "3": "24"}


def _gap_view(gap: Gap, rng: random.Random, shuffle: bool) -> dict:
    view = {"gap": gap.key, "prefix": f"{gap.key}-", **gap.qtype.learner_view(gap.config, rng, shuffle)}
    if gap.layout == "dropdown":
        view["widget"] = "select"
    elif gap.layout:
        view["layout"] = gap.layout
    return view
