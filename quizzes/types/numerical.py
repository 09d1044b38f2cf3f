"""Numerical: the learner types a number, right when it lies close enough to an accepted value."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import EPSILON, ConfigError, Grade, QuestionType
from quizzes.types.fields import (
    as_text,
    assign_ids,
    clean_fraction,
    clean_list,
    clean_number,
    clean_text,
    field_name,
    form_value,
    general_feedback,
    parse_number,
    plain_number,
    require_dict,
)

ANY = "*"


class Numerical(QuestionType):
    """A typed number compared with accepted values, each with a tolerance, a fraction and feedback.

    Config::

        {"general_feedback": str,
         "answers": [{"id": str, "value": str, "tolerance": float, "fraction": -1..1, "feedback": str}]}

    A response ``x`` matches an answer when ``|x - value| <= tolerance``, computed in decimal so that 0.1 + 0.2
    is exactly 0.3; ``value`` "*" matches any number, as in Moodle. An answer may be given as a range,
    ``{"min": 1, "max": 5}``, which is stored as its midpoint with a tolerance (3 ± 2). Responses may use a
    comma as the decimal separator ("3,5"), as the region writes decimals, and a Unicode minus; there are no
    thousands separators and no units. The best fraction among the matching answers counts; one answer must be
    worth 100 %. Response: the text as typed. Form: ``answer``.
    """

    slug = "numerical"
    label = _l("Numerical")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        raw = clean_list(config.get("answers"), "answers", least=1)
        answers = assign_ids([_clean_answer(a, f"answers.{i}") for i, a in enumerate(raw)], "answers", "n", "value")
        if max(a["fraction"] for a in answers) < 1.0 - EPSILON:
            raise ConfigError(_("One answer must be worth 100 %."), "answers")
        return {"answers": answers, "general_feedback": general_feedback(config)}

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """A number field; nothing about the answers."""
        return {"widget": "number"}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> str:
        """The text as typed, trimmed (review shows it as the learner wrote it)."""
        return form_value(form, field_name(prefix)).strip()

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """The best fraction among the answers the number matches; 0 when it matches none or is no number."""
        text = as_text(response).strip()
        if not text:
            return Grade.not_answered(config["general_feedback"])
        number = parse_number(text)
        matching = [a for a in config["answers"] if number is not None and _matches(a, number)]
        if not matching:
            return Grade.of(0.0, general_feedback=config["general_feedback"])
        best = max(matching, key=lambda a: a["fraction"])
        feedback = {best["id"]: best["feedback"]} if best["feedback"] else {}
        return Grade.of(best["fraction"], feedback, config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """The best answer, with its tolerance when it has one ("24", "3.5 ± 0.1")."""
        best = max(config["answers"], key=lambda a: (a["value"] != ANY, a["fraction"]))
        if best["value"] == ANY:
            return ""
        if not best["tolerance"]:
            return best["value"]
        return f"{best['value']} ± {plain_number(Decimal(repr(best['tolerance'])))}"

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """The answers' text is the value; tolerance as given."""
        answers = question.get("answers", [])
        if isinstance(answers, list):
            answers = [_from_exchange_answer(a) for a in answers]
        return cls.validate_config({"answers": answers, "general_feedback": question.get("general_feedback", "")})

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """Answers with the value as text and a tolerance."""
        answers = [
            {"text": a["value"], "fraction": a["fraction"], "feedback": a["feedback"], "tolerance": a["tolerance"]}
            for a in config["answers"]
        ]
        return {"type": cls.slug, "general_feedback": config["general_feedback"], "answers": answers}

    @classmethod
    def sample_config(cls) -> dict:
        """An exact answer and a half-right range. (No "*": the exchange formats cannot read it yet.)"""
        return {
            "answers": [
                {"id": "v1k5", "value": "24", "tolerance": 0, "fraction": 1.0, "feedback": "Right: within a day."},
                {"id": "v8d2", "min": 25, "max": 72, "fraction": 0.5, "feedback": "Later than the law asks."},
            ],
            "general_feedback": "The protocol says: report within 24 hours.",
        }

    @classmethod
    def sample_right_response(cls) -> str:
        """24, written with a decimal comma."""
        return "24,0"


def _clean_answer(raw: Any, where: str) -> dict:
    raw = require_dict(raw, where)
    if "min" in raw or "max" in raw:
        value, tolerance = _range(raw, where)
    else:
        value = _value(raw.get("value"), f"{where}.value")
        tolerance = clean_number(raw.get("tolerance", 0), f"{where}.tolerance")
    if tolerance < 0:
        raise ConfigError(_("A tolerance cannot be negative."), f"{where}.tolerance")
    return {
        "id": raw.get("id"),
        "value": value,
        "tolerance": tolerance,
        "fraction": clean_fraction(raw.get("fraction", 0.0), f"{where}.fraction"),
        "feedback": clean_text(raw.get("feedback"), f"{where}.feedback"),
    }


def _value(value: Any, where: str) -> str:
    """A value as a plain decimal string ("3,50" -> "3.5"), or "*"."""
    if isinstance(value, str) and value.strip() == ANY:
        return ANY
    return plain_number(_decimal(value, where))


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = repr(clean_number(value, where))
    number = parse_number(value) if isinstance(value, str) else None
    if number is None:
        raise ConfigError(_("This must be a number."), where)
    return number


def _range(raw: dict, where: str) -> tuple[str, float]:
    low, high = _decimal(raw.get("min"), f"{where}.min"), _decimal(raw.get("max"), f"{where}.max")
    if low > high:
        raise ConfigError(_("The range starts above its end."), f"{where}.min")
    return plain_number((low + high) / 2), float((high - low) / 2)


def _matches(answer: dict, number: Decimal) -> bool:
    if answer["value"] == ANY:
        return True
    try:
        return abs(number - Decimal(answer["value"])) <= Decimal(repr(answer["tolerance"]))
    except ArithmeticError:
        return False


def _from_exchange_answer(answer: Any) -> Any:
    if not isinstance(answer, dict):
        return answer
    return {
        "value": answer.get("text"),
        "tolerance": answer.get("tolerance", 0.0),
        "fraction": answer.get("fraction"),
        "feedback": answer.get("feedback"),
    }
