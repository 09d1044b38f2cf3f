"""Short answer: the learner types a word or phrase, compared with the accepted answers."""

from __future__ import annotations

import random
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import EPSILON, ConfigError, Grade, QuestionType
from quizzes.types.fields import (
    MAX_TYPED,
    answers_from_exchange,
    answers_to_exchange,
    as_text,
    clean_answers,
    clean_bool,
    field_name,
    form_value,
    general_feedback,
    normalise_text,
)


class ShortAnswer(QuestionType):
    """A typed answer compared with several accepted answers, each with its fraction and feedback.

    Config::

        {"case_sensitive": bool, "general_feedback": str,
         "answers": [{"id": str, "text": str, "fraction": -1..1, "feedback": str}]}

    Both sides are compared after Unicode NFC normalisation, with whitespace trimmed and collapsed, and, unless
    ``case_sensitive`` (default false), casefolded, so "Đakovo" matches "đakovo". As in Moodle, ``*`` in an
    answer matches any run of characters (``\\*`` is a literal asterisk). The best fraction among the matching
    answers counts; one answer must be worth 100 %. Response: the text as typed. Form: ``answer``.
    """

    slug = "shortanswer"
    label = _l("Short answer")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        answers = clean_answers(config.get("answers"), "answers", least=1)
        if max(a["fraction"] for a in answers) < 1.0 - EPSILON:
            raise ConfigError(_("One answer must be worth 100 %."), "answers")
        return {
            "case_sensitive": clean_bool(config.get("case_sensitive"), "case_sensitive", False),
            "answers": answers,
            "general_feedback": general_feedback(config),
        }

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """A text field; nothing about the answers (not even their length)."""
        return {"widget": "text", "max_length": MAX_TYPED}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> str:
        """The text as typed, trimmed."""
        return form_value(form, field_name(prefix)).strip()

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """The best fraction among the answers the text matches; 0 when it matches none."""
        text = normalise_text(as_text(response), config["case_sensitive"])
        if not text:
            return Grade.not_answered(config["general_feedback"])
        matching = [a for a in config["answers"] if matches(a["text"], text, config["case_sensitive"])]
        if not matching:
            return Grade.of(0.0, general_feedback=config["general_feedback"])
        best = max(matching, key=lambda a: a["fraction"])
        feedback = {best["id"]: best["feedback"]} if best["feedback"] else {}
        return Grade.of(best["fraction"], feedback, config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """The first answer worth 100 %."""
        return next(a["text"] for a in config["answers"] if a["fraction"] >= 1.0 - EPSILON)

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """Answers as they are; ``usecase`` (Moodle XML's name, not in the contract) when present."""
        return cls.validate_config(
            {
                "case_sensitive": bool(question.get("usecase", False)),
                "answers": answers_from_exchange(question),
                "general_feedback": question.get("general_feedback", ""),
            }
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """The contract's keys plus ``usecase``, which the formats do not keep yet."""
        return {
            "type": cls.slug,
            "general_feedback": config["general_feedback"],
            "answers": answers_to_exchange(config["answers"]),
            "usecase": config["case_sensitive"],
        }

    @classmethod
    def sample_config(cls) -> dict:
        """A name with a half-right variant written with a wildcard."""
        return {
            "case_sensitive": False,
            "answers": [
                {"id": "w4n8", "text": "Barnahus", "fraction": 1.0, "feedback": "Exactly: the children's house."},
                {"id": "r2c6", "text": "child* house", "fraction": 0.5, "feedback": "Its Icelandic name, please."},
            ],
            "general_feedback": "The model comes from Iceland (1998).",
        }

    @classmethod
    def sample_right_response(cls) -> str:
        """The right answer in other letters' case."""
        return "  BARNAHUS "


def matches(answer: str, text: str, case_sensitive: bool) -> bool:
    """Whether the normalised ``text`` matches ``answer``, where ``*`` stands for any characters.

    Pieces between the stars are found left to right, which decides a wildcard match in linear time (a regular
    expression could backtrack for ages on answers with many stars).
    """
    pieces = _pieces(normalise_text(answer, case_sensitive))
    if len(pieces) == 1:
        return text == pieces[0]
    first, *middle, last = pieces
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    pos, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, pos, end)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


def _pieces(pattern: str) -> list[str]:
    """Split on ``*`` but not on ``\\*``, which stands for an asterisk."""
    pieces, current, i = [], [], 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            current.append("*")
            i += 2
            continue
        if pattern[i] == "*":
            pieces.append("".join(current))
            current = []
        else:
            current.append(pattern[i])
        i += 1
    pieces.append("".join(current))
    return pieces
