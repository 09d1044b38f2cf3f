"""Matching: pair each stem with one of a list of answers."""

from __future__ import annotations

import random
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import ConfigError, Grade, QuestionType
from quizzes.types.fields import (
    as_mapping,
    assign_ids,
    clean_bool,
    clean_list,
    clean_text,
    field_name,
    form_value,
    general_feedback,
    opaque_id,
    require_dict,
    shuffled,
)

MIN_STEMS = 2


class Match(QuestionType):
    """Stems, each to be paired with its answer from one shared list; extra answers are distractors.

    Config::

        {"shuffle": bool, "general_feedback": str, "pairs": [{"id": str, "text": str, "answer": str}]}

    A pair with an empty ``text`` adds its answer as a distractor (Moodle's and GIFT's convention); at least two
    pairs need a stem. Stems sharing an answer text share one choice. The learner's list of choices is always
    shuffled, since in the author's order it would follow the stems; the stems are shuffled when ``shuffle``
    (default true) and the quiz allow it. Choice ids are made from the answer texts, so they say nothing about
    the stems. Each stem counts equally: the fraction is the share of stems matched rightly. There is no
    per-answer feedback. Response: ``{stem_id: choice_id}``. Form: ``answer.<stem id>`` = a choice id.
    """

    slug = "match"
    label = _l("Matching")

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        raw = clean_list(config.get("pairs"), "pairs", least=MIN_STEMS)
        pairs = assign_ids([_clean_pair(p, f"pairs.{i}") for i, p in enumerate(raw)], "pairs", "s")
        if len(_stems(pairs)) < MIN_STEMS:
            raise ConfigError(_("At least %(count)d pairs need a stem.", count=MIN_STEMS), "pairs")
        return {
            "shuffle": clean_bool(config.get("shuffle"), "shuffle", True),
            "pairs": pairs,
            "general_feedback": general_feedback(config),
        }

    @classmethod
    def choices(cls, config: dict) -> dict[str, str]:
        """The choices, ``{choice_id: answer text}``, in the author's order (never show it as it is)."""
        found: dict[str, str] = {}
        for pair in config["pairs"]:
            if pair["answer"] not in found.values():
                found[opaque_id("c", pair["answer"], set(found))] = pair["answer"]
        return found

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """The stems and the shuffled choices, as ``{"id", "text"}``."""
        stems = [{"id": p["id"], "text": p["text"]} for p in _stems(config["pairs"])]
        if shuffle and config["shuffle"]:
            stems = shuffled(stems, rng)
        choices = shuffled([{"id": i, "text": text} for i, text in cls.choices(config).items()], rng)
        return {"widget": "match", "stems": stems, "choices": choices}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> dict[str, str]:
        """The known choice chosen for each stem; stems left unmatched are left out."""
        choices = cls.choices(config)
        response = {}
        for pair in _stems(config["pairs"]):
            choice = form_value(form, field_name(prefix, pair["id"]))
            if choice in choices:
                response[pair["id"]] = choice
        return response

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """The share of stems paired with their own answer."""
        response, choices = as_mapping(response), cls.choices(config)
        stems = _stems(config["pairs"])
        picked = {p["id"]: _pick(choices, response.get(p["id"])) for p in stems}
        if not any(picked.values()):
            return Grade.not_answered(config["general_feedback"])
        right = sum(1 for p in stems if picked[p["id"]] == p["answer"])
        return Grade.of(right / len(stems), general_feedback=config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """Each stem with its answer: "Croatia → Zagreb; Serbia → Belgrade"."""
        return "; ".join(f"{p['text']} → {p['answer']}" for p in _stems(config["pairs"]))

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """The question dict's ``subquestions`` are the pairs; ``shuffleanswers`` when present."""
        pairs = question.get("subquestions", [])
        if isinstance(pairs, list):
            pairs = [{"text": p.get("text"), "answer": p.get("answer")} if isinstance(p, dict) else p for p in pairs]
        return cls.validate_config(
            {
                "shuffle": bool(question.get("shuffleanswers", True)),
                "pairs": pairs,
                "general_feedback": question.get("general_feedback", ""),
            }
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """``subquestions`` and no answers, plus ``shuffleanswers``, which the formats do not keep yet."""
        return {
            "type": cls.slug,
            "general_feedback": config["general_feedback"],
            "answers": [],
            "subquestions": [{"text": p["text"], "answer": p["answer"]} for p in config["pairs"]],
            "shuffleanswers": config["shuffle"],
        }

    @classmethod
    def sample_config(cls) -> dict:
        """Three countries, their capitals and a distractor."""
        return {
            "shuffle": True,
            "pairs": [
                {"id": "s1hr", "text": "Croatia", "answer": "Zagreb"},
                {"id": "s2rs", "text": "Serbia", "answer": "Belgrade"},
                {"id": "s3me", "text": "Montenegro", "answer": "Podgorica"},
                {"id": "s4xx", "text": "", "answer": "Ljubljana"},
            ],
            "general_feedback": "Hotlines work in each of these capitals.",
        }

    @classmethod
    def sample_right_response(cls) -> dict[str, str]:
        """Every stem with its capital."""
        config = cls.validate_config(cls.sample_config())
        by_text = {text: i for i, text in cls.choices(config).items()}
        return {p["id"]: by_text[p["answer"]] for p in _stems(config["pairs"])}


def _clean_pair(raw: Any, where: str) -> dict:
    raw = require_dict(raw, where)
    text = clean_text(raw.get("text"), f"{where}.text")
    answer = clean_text(raw.get("answer"), f"{where}.answer", required=True)
    return {"id": raw.get("id"), "text": text, "answer": answer}


def _pick(choices: dict[str, str], value: Any) -> str | None:
    return choices.get(value) if isinstance(value, str) else None


def _stems(pairs: list[dict]) -> list[dict]:
    return [p for p in pairs if p["text"]]
