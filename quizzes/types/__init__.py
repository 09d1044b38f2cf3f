"""Question types: one class per type, each keyed by a stable slug (see :mod:`quizzes.types.base`).

The quizzes plugin calls :func:`register_builtin_types` from its ``init_app``; other plugins add their own types
to the same registry, ``registry("question_types", app)``, keyed by slug.
"""

from __future__ import annotations

from flask import Flask

from lms.registry import registry
from quizzes.types.base import ConfigError, Grade, GradingError, QuestionType, State
from quizzes.types.choice import MultipleChoice, TrueFalse
from quizzes.types.cloze import Cloze
from quizzes.types.essay import Description, Essay
from quizzes.types.match import Match
from quizzes.types.numerical import Numerical
from quizzes.types.ordering import Ordering
from quizzes.types.shortanswer import ShortAnswer

REGISTRY = "question_types"

BUILTIN_TYPES: list[type[QuestionType]] = [
    MultipleChoice,
    TrueFalse,
    ShortAnswer,
    Numerical,
    Match,
    Ordering,
    Cloze,
    Essay,
    Description,
]

__all__ = [
    "BUILTIN_TYPES",
    "REGISTRY",
    "Cloze",
    "ConfigError",
    "Description",
    "Essay",
    "Grade",
    "GradingError",
    "Match",
    "MultipleChoice",
    "Numerical",
    "Ordering",
    "QuestionType",
    "ShortAnswer",
    "State",
    "TrueFalse",
    "register_builtin_types",
]


def register_builtin_types(app: Flask) -> None:
    """Register every built-in question type in ``app``'s ``question_types`` registry, keyed by slug."""
    types = registry(REGISTRY, app)
    for qtype in BUILTIN_TYPES:
        types.register(qtype.slug, qtype)
