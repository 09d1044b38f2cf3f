"""The quizzes plugin's entry point."""

from __future__ import annotations

from flask import Flask

from lms.plugins import Plugin


class QuizzesPlugin(Plugin):
    """Question types, question bank, quizzes, attempts and grading. Requires the courses plugin."""

    name = "quizzes"
    requires = ("courses",)
    default_config = {"QUIZZES_AUTOSAVE_SECONDS": 20, "QUIZZES_GRACE_SECONDS": 60}

    def init_app(self, app: Flask) -> None:
        """Nothing to register yet: question types and the quiz pages arrive with their issue."""
