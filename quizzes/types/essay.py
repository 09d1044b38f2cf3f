"""Essay (graded by a trainer) and description (text without a question)."""

from __future__ import annotations

import random
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from quizzes.types.base import ConfigError, Grade, QuestionType
from quizzes.types.fields import MAX_ESSAY, as_text, clean_text, field_name, form_value, general_feedback

DEFAULT_LINES = 15  # Moodle's default height of the essay field
MAX_LINES = 60


class Essay(QuestionType):
    """A written answer that a trainer grades, with a comment on the rubric.

    Config::

        {"rubric": str, "template": str, "lines": int, "general_feedback": str}

    ``rubric`` guides trainers (Moodle's "information for graders") and never reaches the learner;
    ``template`` pre-fills the learner's field; ``lines`` is its height. :meth:`grade` leaves the earned
    fraction to the trainer (None, needs grading) unless the response is empty; the trainer's grade comes from
    :meth:`grade_manually`. Response: the text. Form: ``answer``.
    """

    slug = "essay"
    label = _l("Essay")
    manual = True

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        lines = config.get("lines", DEFAULT_LINES)
        if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= MAX_LINES:
            raise ConfigError(_("The field's height must be from 1 to %(most)d lines.", most=MAX_LINES), "lines")
        return {
            "rubric": clean_text(config.get("rubric"), "rubric"),
            "template": clean_text(config.get("template"), "template"),
            "lines": lines,
            "general_feedback": general_feedback(config),
        }

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """A text area with its height and template; not the rubric."""
        return {"widget": "textarea", "lines": config["lines"], "template": config["template"]}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> str:
        """The text, with Windows line ends made plain and at most MAX_ESSAY characters."""
        return form_value(form, field_name(prefix), max_length=MAX_ESSAY).replace("\r\n", "\n").strip()

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """Needs grading, unless empty or left as the template (not answered)."""
        text = as_text(response, MAX_ESSAY).strip()
        if not text or text == config["template"]:
            return Grade.not_answered(config["general_feedback"])
        return Grade.pending(config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """Nothing: an essay has no single right answer (trainers see the rubric instead)."""
        return ""

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """General feedback, plus Moodle XML's ``graderinfo``, ``responsetemplate`` and ``responsefieldlines``
        when present (the formats do not read them yet)."""
        return cls.validate_config(
            {
                "rubric": question.get("graderinfo", ""),
                "template": question.get("responsetemplate", ""),
                "lines": question.get("responsefieldlines", DEFAULT_LINES),
                "general_feedback": question.get("general_feedback", ""),
            }
        )

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """No answers; the rubric, template and height under Moodle XML's names."""
        return {
            "type": cls.slug,
            "general_feedback": config["general_feedback"],
            "answers": [],
            "graderinfo": config["rubric"],
            "responsetemplate": config["template"],
            "responsefieldlines": config["lines"],
        }

    @classmethod
    def sample_config(cls) -> dict:
        """A case-study essay with a rubric."""
        return {
            "rubric": "Full marks: names the Lanzarote Convention and the child's best interests.",
            "template": "",
            "lines": 10,
            "general_feedback": "Article 3 of the UN Convention on the Rights of the Child applies.",
        }

    @classmethod
    def sample_right_response(cls) -> str:
        """An answer a trainer would give full marks."""
        return "The Lanzarote Convention applies, and the child's best interests come first."


class Description(QuestionType):
    """Text between questions (an introduction, a case): no answer, no marks.

    Config::

        {"general_feedback": str}

    Response: None. It is always "not answered" and earns nothing; quizzes give it no marks.
    """

    slug = "description"
    label = _l("Description")
    gradable = False

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        return {"general_feedback": general_feedback(config)}

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """No field."""
        return {"widget": "none"}

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> None:
        """Nothing to read."""
        return None

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """Always not answered."""
        return Grade.not_answered(config["general_feedback"])

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """Nothing."""
        return ""

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """The general feedback only."""
        return cls.validate_config({"general_feedback": question.get("general_feedback", "")})

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """No answers. (GIFT cannot hold a description's general feedback; Moodle XML can.)"""
        return {"type": cls.slug, "general_feedback": config["general_feedback"], "answers": []}

    @classmethod
    def sample_config(cls) -> dict:
        """A case introduction."""
        return {"general_feedback": "The case is based on a 2019 report."}

    @classmethod
    def sample_right_response(cls) -> None:
        """None: a description has no answer."""
        return None
