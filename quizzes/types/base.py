"""The contract every question type keeps: :class:`QuestionType`, :class:`Grade` and :class:`ConfigError`.

A question row stores a type's ``slug``, its ``config_version`` and a JSON ``config`` that only the type
understands. Types are stateless classes, so every method is a classmethod, and all of them are pure: no
database, no request. The life of a question:

* An editor (or an import through :meth:`QuestionType.from_exchange`) produces a config, which
  :meth:`~QuestionType.validate_config` normalises before it is stored; every other method expects a config
  that went through it.
* The learner's page gets :meth:`~QuestionType.learner_view` only: choices, stems, items and widget hints,
  never fractions, feedback or right answers. Shuffling uses the ``random.Random`` it is given, so a
  Random seeded per attempt and question (``random.Random(f"{attempt_seed}:{question_id}")``) gives the same
  order on every reload. Ids in the view are opaque: they are made from texts, never from positions.
* A submitted form becomes a JSON-able response through :meth:`~QuestionType.parse_response`, which reads the
  fields named by :func:`quizzes.types.fields.field_name` under a prefix the page chooses (``q12-`` gives
  ``q12-answer``) and ignores anything it does not know.
* :meth:`~QuestionType.grade` turns a response into a :class:`Grade`: the fraction (0..1) of the question's
  marks earned, which the quiz multiplies by the marks. It never raises on a strange response.
* Review may show :meth:`~QuestionType.right_answer_summary` and the grade's feedback.

Fractions in configs lie from -1 to 1 (1.0 is 100 %); negative ones take marks away, but a question never
earns less than 0 or more than 1.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from flask_babel import gettext as _

# Fractions this close to 0 or 1 are 0 or 1: 3 x 33.33333 % is full marks.
EPSILON = 1e-6


class ConfigError(ValueError):
    """A config that a type cannot accept. ``field`` is the path of the culprit (``answers.2.fraction``)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class GradingError(ValueError):
    """A trainer's grade that cannot be recorded (not a number from 0 to 1)."""


class State(StrEnum):
    """How a response stands once graded."""

    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    NEEDS_GRADING = "needs_grading"
    NOT_ANSWERED = "not_answered"


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one response; shown to the learner only at review.

    ``earned`` is the fraction of the question's marks (0..1), or None while a trainer has still to grade it.
    ``feedback`` holds the feedback of the answers the response chose or matched, keyed by answer id (cloze:
    by gap number). ``comment`` is the trainer's comment on a manually graded response.
    """

    earned: float | None
    state: State
    feedback: dict[str, str] = field(default_factory=dict)
    general_feedback: str = ""
    comment: str = ""

    @classmethod
    def of(cls, fraction: float, feedback: dict[str, str] | None = None, general_feedback: str = "") -> Grade:
        """The grade of an answered response worth ``fraction``, clamped to 0..1."""
        earned = clamp(fraction)
        if earned == 1.0:
            state = State.CORRECT
        elif earned > 0.0:
            state = State.PARTIAL
        else:
            state = State.INCORRECT
        return cls(earned, state, feedback or {}, general_feedback)

    @classmethod
    def not_answered(cls, general_feedback: str = "") -> Grade:
        """The grade of an empty response: nothing earned."""
        return cls(0.0, State.NOT_ANSWERED, {}, general_feedback)

    @classmethod
    def pending(cls, general_feedback: str = "") -> Grade:
        """The grade of a response that waits for a trainer."""
        return cls(None, State.NEEDS_GRADING, {}, general_feedback)


def clamp(fraction: float) -> float:
    """``fraction`` limited to 0..1, with values within EPSILON of either end snapped to it."""
    if fraction <= EPSILON:
        return 0.0
    if fraction >= 1.0 - EPSILON:
        return 1.0
    return fraction


class QuestionType:
    """Base class of question types. Subclasses set the class attributes and implement the methods.

    ``slug`` is stable and stored in question rows (Moodle's names where Moodle has the type);
    ``config_version`` goes up whenever the config's shape changes, together with :meth:`upgrade_config`;
    ``manual`` types are graded by a trainer; types that are not ``gradable`` carry no marks.
    """

    slug: ClassVar[str] = ""
    config_version: ClassVar[int] = 1
    label: ClassVar[Any] = ""
    manual: ClassVar[bool] = False
    gradable: ClassVar[bool] = True

    @classmethod
    def validate_config(cls, config: Any) -> dict:
        """Return ``config`` normalised (unknown keys dropped, defaults filled, ids assigned) or raise
        :class:`ConfigError`."""
        if not isinstance(config, dict):
            raise ConfigError(_("The question's settings must be an object."))
        return cls._clean_config(config)

    @classmethod
    def _clean_config(cls, config: dict) -> dict:
        raise NotImplementedError

    @classmethod
    def upgrade_config(cls, config: dict, version: int) -> dict:
        """Bring a config stored at ``version`` up to ``config_version``; a type that changes its shape
        overrides this. Unknown versions raise :class:`ConfigError`."""
        if version != cls.config_version:
            message = _("Settings of version %(version)s cannot be read.", version=version)
            raise ConfigError(message, "config_version")
        return cls.validate_config(config)

    @classmethod
    def default_marks(cls, config: dict) -> float:
        """The marks a new quiz slot gives the question (1, or 0 for types that carry no marks)."""
        return 1.0 if cls.gradable else 0.0

    @classmethod
    def learner_view(cls, config: dict, rng: random.Random, shuffle: bool = True) -> dict:
        """What the learner's page may hold, JSON-able: a ``widget`` hint and choices, stems or items, in an
        order drawn from ``rng`` when ``shuffle`` (the quiz's "shuffle within questions") allows it."""
        raise NotImplementedError

    @classmethod
    def parse_response(cls, config: dict, form: Any, prefix: str = "") -> Any:
        """Read the submitted ``form`` fields under ``prefix`` into a JSON-able response. Never raises:
        unknown ids and malformed values are ignored."""
        raise NotImplementedError

    @classmethod
    def grade(cls, config: dict, response: Any) -> Grade:
        """Grade ``response`` (as returned by :meth:`parse_response`, or anything else, which never
        raises)."""
        raise NotImplementedError

    @classmethod
    def grade_manually(cls, config: dict, response: Any, fraction: float, comment: str = "") -> Grade:
        """A trainer's grade: ``fraction`` (0..1) of the marks, with a comment (on the rubric, for essays)."""
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0.0 <= fraction <= 1.0:
            raise GradingError(_("A grade must be a fraction from 0 to 1."))
        graded = Grade.of(float(fraction), general_feedback=config.get("general_feedback", ""))
        comment = comment.strip() if isinstance(comment, str) else ""
        return Grade(graded.earned, graded.state, graded.feedback, graded.general_feedback, comment)

    @classmethod
    def right_answer_summary(cls, config: dict) -> str:
        """The right answer in a few words, for review ("" when there is none)."""
        raise NotImplementedError

    @classmethod
    def from_exchange(cls, question: dict) -> dict:
        """A validated config from a question dict of :mod:`quizzes.formats.gift` (or Moodle XML)."""
        raise NotImplementedError

    @classmethod
    def to_exchange(cls, config: dict) -> dict:
        """The question dict's ``type``, ``general_feedback``, ``answers`` and type-specific keys; the caller
        adds ``name``, ``text``, ``text_format`` and ``category``."""
        raise NotImplementedError

    @classmethod
    def sample_config(cls) -> dict:
        """A valid config that shows the type's features, for the contract test and for demonstrations."""
        raise NotImplementedError

    @classmethod
    def sample_right_response(cls) -> Any:
        """A response to :meth:`sample_config` that earns full marks (None for types without answers)."""
        raise NotImplementedError
