"""Multiple choice (one answer or several) and true/false."""

from __future__ import annotations

import random
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import EPSILON, ConfigError, Grade, QuestionType
from quizzes.types.fields import (
    answers_from_exchange,
    answers_to_exchange,
    as_ids,
    clean_answers,
    clean_bool,
    clean_text,
    field_name,
    form_value,
    form_values,
    general_feedback,
    shuffled,
)


class MultipleChoice(QuestionType):
    """Choose one answer (radio buttons) or several (checkboxes); each answer carries a fraction.

    Config::

        {"single": bool, "shuffle": bool, "general_feedback": str,
         "answers": [{"id": str, "text": str, "fraction": -1..1, "feedback": str}]}

    One answer: the chosen answer's fraction, never below 0. Several: the sum of the chosen fractions, clamped
    to 0..1, so a wrong answer with a negative fraction cancels a right one. A single-answer question needs an
    answer worth 100 %; with several, the positive fractions must add up to at least 100 %. ``shuffle``
    (default true) lets the quiz shuffle the answers. Response: the list of chosen ids. Form: ``answer``,
    once per chosen id.
    """

    slug = "multichoice"
    label = _l("Multiple choice")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        single = clean_bool(config.get("single"), "single", True)
        answers = clean_answers(config.get("answers"), "answers", least=2)
        _check_full_marks(answers, single)
        return {
            "single": single,
            "shuffle": clean_bool(config.get("shuffle"), "shuffle", True),
            "answers": answers,
            "general_feedback": general_feedback(config),
        }

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """The answers' ids and texts, shuffled when both the quiz and the question allow it."""
        choices = [{"id": a["id"], "text": a["text"]} for a in config["answers"]]
        if shuffle and config["shuffle"]:
            choices = shuffled(choices, rng)
        return {"widget": "radio" if config["single"] else "checkbox", "choices": choices}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> list[str]:
        """The chosen ids that exist (only the first for a single-answer question)."""
        return _chosen(config, form_values(form, field_name(prefix)))

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """Sum the chosen answers' fractions (see the class docstring)."""
        chosen = _chosen(config, response)
        if not chosen:
            return Grade.not_answered(config["general_feedback"])
        by_id = {a["id"]: a for a in config["answers"]}
        feedback = {i: by_id[i]["feedback"] for i in chosen if by_id[i]["feedback"]}
        return Grade.of(sum(by_id[i]["fraction"] for i in chosen), feedback, config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """The texts of the answers that earn marks, best first."""
        right = sorted((a for a in config["answers"] if a["fraction"] > 0), key=lambda a: -a["fraction"])
        if config["single"]:
            right = right[:1]
        return ", ".join(a["text"] for a in right)

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """Answers and ``single`` as they are; ``shuffleanswers`` (not in the contract) when present."""
        return cls.validate_config(
            {
                "single": bool(question.get("single", True)),
                "shuffle": bool(question.get("shuffleanswers", True)),
                "answers": answers_from_exchange(question),
                "general_feedback": question.get("general_feedback", ""),
            }
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """The contract's keys plus ``shuffleanswers``, which the formats do not keep yet."""
        return {
            "type": cls.slug,
            "general_feedback": config["general_feedback"],
            "answers": answers_to_exchange(config["answers"]),
            "single": config["single"],
            "shuffleanswers": config["shuffle"],
        }

    @classmethod
    def sample_config(cls) -> dict:
        """Several right answers and a wrong one that takes marks away."""
        return {
            "single": False,
            "shuffle": True,
            "answers": [
                {"id": "k7f2", "text": "Forensic interview", "fraction": 0.5, "feedback": "Yes: one interview."},
                {"id": "p3x9", "text": "Medical examination", "fraction": 0.5, "feedback": "Yes: in the house."},
                {"id": "m1q4", "text": "Court hearing", "fraction": -1.0, "feedback": "No: courts sit elsewhere."},
            ],
            "general_feedback": "A Barnahus brings services under one roof.",
        }

    @classmethod
    def sample_right_response(cls) -> list[str]:
        """Both right answers."""
        return ["k7f2", "p3x9"]


def _check_full_marks(answers: list[dict], single: bool) -> None:
    if single and max(a["fraction"] for a in answers) < 1.0 - EPSILON:
        raise ConfigError(_("One answer must be worth 100 %."), "answers")
    if not single and sum(a["fraction"] for a in answers if a["fraction"] > 0) < 1.0 - EPSILON:
        raise ConfigError(_("The right answers must be worth at least 100 % together."), "answers")


def _chosen(config: dict, response: Any) -> list[str]:
    chosen = as_ids(response, {a["id"] for a in config["answers"]})
    return chosen[:1] if config["single"] else chosen


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


class TrueFalse(QuestionType):
    """A statement that is true or false.

    Config::

        {"correct": bool, "feedback_true": str, "feedback_false": str, "general_feedback": str}

    ``feedback_true`` is shown to a learner who answered "true", ``feedback_false`` to one who answered
    "false". Response: true, false or None. Form: ``answer`` = "true" or "false".
    """

    slug = "truefalse"
    label = _l("True/false")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        if not isinstance(config.get("correct"), bool):
            raise ConfigError(_("Say whether the statement is true or false."), "correct")
        return {
            "correct": config["correct"],
            "feedback_true": clean_text(config.get("feedback_true"), "feedback_true"),
            "feedback_false": clean_text(config.get("feedback_false"), "feedback_false"),
            "general_feedback": general_feedback(config),
        }

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """True, then false: never shuffled."""
        return {"widget": "radio", "choices": [{"id": "true", "text": _("True")}, {"id": "false", "text": _("False")}]}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> bool | None:
        """True, false, or None when neither was chosen."""
        return {"true": True, "false": False}.get(form_value(form, field_name(prefix)))

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """All or nothing."""
        if not isinstance(response, bool):
            return Grade.not_answered(config["general_feedback"])
        key = "true" if response else "false"
        text = config[f"feedback_{key}"]
        return Grade.of(float(response == config["correct"]), {key: text} if text else {}, config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """The word "True" or "False", translated."""
        return _("True") if config["correct"] else _("False")

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """The answers "true" and "false"; the one with the higher fraction is right."""
        by_text = {str(a.get("text", "")).lower(): a for a in question.get("answers", []) if isinstance(a, dict)}
        if set(by_text) != {"true", "false"}:
            raise ConfigError(_("A true/false question needs exactly the answers 'true' and 'false'."), "answers")
        true, false = by_text["true"], by_text["false"]
        return cls.validate_config(
            {
                "correct": _number(true.get("fraction")) > _number(false.get("fraction")),
                "feedback_true": true.get("feedback", ""),
                "feedback_false": false.get("feedback", ""),
                "general_feedback": question.get("general_feedback", ""),
            }
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """Two answers, "true" and "false", worth 100 % and 0 %."""
        correct = config["correct"]
        answers = [
            {"text": "true", "fraction": 1.0 if correct else 0.0, "feedback": config["feedback_true"]},
            {"text": "false", "fraction": 0.0 if correct else 1.0, "feedback": config["feedback_false"]},
        ]
        return {"type": cls.slug, "general_feedback": config["general_feedback"], "answers": answers}

    @classmethod
    def sample_config(cls) -> dict:
        """A true statement with feedback for both answers."""
        return {
            "correct": True,
            "feedback_true": "Indeed: grooming often starts in games.",
            "feedback_false": "Grooming often starts in online games.",
            "general_feedback": "Offenders go where children are.",
        }

    @classmethod
    def sample_right_response(cls) -> bool:
        """True."""
        return True
