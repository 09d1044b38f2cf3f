"""Ordering: put items into the right sequence."""

from __future__ import annotations

import random
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import ConfigError, Grade, QuestionType
from quizzes.types.fields import (
    as_ids,
    assign_ids,
    clean_list,
    clean_text,
    field_name,
    form_values,
    general_feedback,
    require_dict,
    shuffled,
)

ABSOLUTE_POSITION = "absolute_position"
ALL_OR_NOTHING = "all_or_nothing"
GRADINGS = (ABSOLUTE_POSITION, ALL_OR_NOTHING)


class Ordering(QuestionType):
    """Items the learner puts in order; the config lists them in the right order.

    Config::

        {"grading": "absolute_position" | "all_or_nothing", "general_feedback": str,
         "items": [{"id": str, "text": str}]}

    ``absolute_position`` (the default) earns the share of items in their right place; ``all_or_nothing``
    (Moodle's other common choice) earns 1 only for the whole sequence. The learner always gets the items
    shuffled, and never already in the right order. Response: the item ids in the learner's order. Form:
    ``answer``, once per item, in order (hidden inputs that the page reorders).
    """

    slug = "ordering"
    label = _l("Ordering")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        raw = clean_list(config.get("items"), "items", least=2)
        items = assign_ids([_clean_item(item, f"items.{i}") for i, item in enumerate(raw)], "items", "i")
        grading = config.get("grading") or ABSOLUTE_POSITION
        if grading not in GRADINGS:
            raise ConfigError(_("Unknown grading."), "grading")
        return {"grading": grading, "items": items, "general_feedback": general_feedback(config)}

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """The items shuffled whatever ``shuffle`` says, since the author's order is the answer."""
        items = [{"id": item["id"], "text": item["text"]} for item in config["items"]]
        order = shuffled(items, rng)
        if order == items:
            order = order[1:] + order[:1]
        return {"widget": "order", "items": order}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> list[str]:
        """The known item ids in the submitted order, each once."""
        return _order(config, form_values(form, field_name(prefix)))

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """The share of items in their place, or all or nothing (see the class docstring)."""
        order = _order(config, response)
        if not order:
            return Grade.not_answered(config["general_feedback"])
        right = [item["id"] for item in config["items"]]
        placed = sum(1 for given, wanted in zip(order, right, strict=False) if given == wanted)
        fraction = placed / len(right)
        if config["grading"] == ALL_OR_NOTHING:
            fraction = float(placed == len(right))
        return Grade.of(fraction, general_feedback=config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """The items in order: "1. … 2. …"."""
        return " ".join(f"{n}. {item['text']}" for n, item in enumerate(config["items"], start=1))

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """Items from the answers, in their order (as Moodle's ordering type exports them)."""
        answers = question.get("answers", [])
        if isinstance(answers, list):
            answers = [{"text": a.get("text")} if isinstance(a, dict) else a for a in answers]
        grading = question.get("grading", ABSOLUTE_POSITION)
        return cls.validate_config(
            {"grading": grading, "items": answers, "general_feedback": question.get("general_feedback", "")}
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """The items as answers worth 100 % in the right order, plus ``grading``.

        GIFT has no ordering type and :mod:`quizzes.formats` does not write one yet, so this dict is for a
        writer that learns Moodle's ``ordering`` type.
        """
        answers = [{"text": item["text"], "fraction": 1.0, "feedback": ""} for item in config["items"]]
        return {
            "type": cls.slug,
            "general_feedback": config["general_feedback"],
            "answers": answers,
            "grading": config["grading"],
        }

    @classmethod
    def sample_config(cls) -> dict:
        """The steps after a child discloses abuse."""
        return {
            "grading": ABSOLUTE_POSITION,
            "items": [
                {"id": "i5ha", "text": "Listen calmly"},
                {"id": "i2pk", "text": "Reassure the child"},
                {"id": "i9wd", "text": "Write down the child's words"},
                {"id": "i7mr", "text": "Report to the designated officer"},
            ],
            "general_feedback": "Never promise to keep it secret.",
        }

    @classmethod
    def sample_right_response(cls) -> list[str]:
        """The items in order."""
        return ["i5ha", "i2pk", "i9wd", "i7mr"]


def _clean_item(raw: Any, where: str) -> dict:
    raw = require_dict(raw, where)
    return {"id": raw.get("id"), "text": clean_text(raw.get("text"), f"{where}.text", required=True)}


def _order(config: dict, response: Any) -> list[str]:
    return as_ids(response, {item["id"] for item in config["items"]})
