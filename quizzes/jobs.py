"""The quizzes plugin's job kind on the core job system (:mod:`lms.jobs`): ``quizzes.close_overdue``.

Cron enqueues it every minute (``lms jobs enqueue quizzes.close_overdue``); the worker runs it and retries a
failed attempt with back-off. Idempotent: an attempt already finished is no longer overdue, so a second run
closes only what the first left.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms import jobs

KIND_CLOSE_OVERDUE = "quizzes.close_overdue"


def register_job_kinds(app: Flask) -> None:
    """Register the plugin's job kinds (from ``init_app``)."""
    jobs.register(
        KIND_CLOSE_OVERDUE, run_close_overdue, max_attempts=3, label=_l("Close overdue quiz attempts"), app=app
    )


def run_close_overdue(ctx: jobs.JobContext) -> dict[str, Any]:
    """Job kind ``quizzes.close_overdue``: what ``lms quizzes close-overdue`` does, finishing and grading every
    attempt past its deadline plus grace, then running again what should have followed a grade whose process
    died first (quizzes.attempts.replay_reactions)."""
    from quizzes.attempts import close_overdue, replay_reactions

    return {"closed": close_overdue(), "replayed": replay_reactions()}
